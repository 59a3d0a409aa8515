from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.services import people_anonymise


class Command(BaseCommand):
    help = (
        "Anonymise the people who left their last role (appointment or network membership) more than "
        "RETENTION_YEARS years ago and hold none now: names become 'Former officer', email addresses "
        "placeholders, telephone, registration number and job title are cleared, in the records and "
        "their history; their login is deactivated and signed out. Beat runs the same job every night; "
        "running it again anonymises nobody twice. Prints one line: anonymised=N."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--years",
            type=int,
            default=None,
            help=f"Retention period in years (default: RETENTION_YEARS, now {settings.RETENTION_YEARS}).",
        )

    def handle(self, *args, years=None, **options):
        if years is not None and years < 1:
            raise CommandError("--years must be at least 1.")
        self.stdout.write(people_anonymise(years=years).summary_line())
