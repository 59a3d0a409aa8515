from django.core.management.base import BaseCommand

from compliance.services import flag_digests_send


class Command(BaseCommand):
    help = (
        "Queue this week's digest of open compliance flags: every open flag to each national lead, "
        "their networks' flags to each chair. Beat runs it on Monday mornings; each person gets one "
        "digest per ISO week however often it runs. Prints one line: queued=N."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"queued={flag_digests_send()}")
