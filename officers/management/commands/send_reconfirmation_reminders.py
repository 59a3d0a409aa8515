from django.core.management.base import BaseCommand

from officers.reconfirmation import reconfirmation_send_reminders


class Command(BaseCommand):
    help = (
        "Email every officer with an active appointment whose details were last confirmed (or, never "
        "confirmed, whose appointment started) a year or more ago, asking them to confirm their details. "
        "Beat runs the same job every morning; each officer is asked once a calendar year, however often "
        "this runs. Ends with the line: due=N sent=N already_sent=N."
    )

    def handle(self, *args, **options):
        self.stdout.write(reconfirmation_send_reminders().summary_line())
