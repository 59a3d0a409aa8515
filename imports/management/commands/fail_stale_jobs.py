from django.core.management.base import BaseCommand

from imports.services import jobs_fail_stale


class Command(BaseCommand):
    help = (
        "Mark failed, with a message for the national lead, every import and export job that has not moved "
        "for IMPORT_JOB_STALE_AFTER seconds: its worker was killed or its task never delivered. Beat runs the "
        "same job every five minutes. Prints one line: imports=N exports=N (jobs marked failed)."
    )

    def handle(self, *args, **options):
        imports, exports = jobs_fail_stale()
        self.stdout.write(f"imports={imports} exports={exports}")
