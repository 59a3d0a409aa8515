from django.core.management.base import BaseCommand

from handovers.services import handover_send_reminders


class Command(BaseCommand):
    help = (
        "Email the outgoing and incoming officers of every unfinished handover due within seven days "
        "(the week-before reminder) or today (the due-day reminder). Beat runs the same job every morning; "
        "each reminder goes to each person once, however often this runs. Ends with the line: "
        "handovers=N sent=N already_sent=N."
    )

    def handle(self, *args, **options):
        self.stdout.write(handover_send_reminders().summary_line())
