from django.core.management.base import BaseCommand

from meetings.services import meeting_send_reminders


class Command(BaseCommand):
    help = (
        "Email everyone invited to each scheduled meeting held tomorrow (UK time), unless it was cancelled. "
        "Beat runs the same job every morning; each person is reminded of a meeting once, however often this "
        "runs. Ends with the line: meetings=N sent=N."
    )

    def handle(self, *args, **options):
        self.stdout.write(meeting_send_reminders().summary_line())
