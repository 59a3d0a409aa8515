from django.core.management.base import BaseCommand

from audit.profile_changes import profile_change_summaries_send


class Command(BaseCommand):
    help = (
        "Queue the weekly summary, to each national lead, of what organisations' named officers changed in "
        "their profiles (key contacts, board director, committee record) in the week before this one. Beat "
        "runs it on Monday mornings; each lead gets one summary per week however often it runs, and none "
        "when nothing changed. Prints one line: queued=N."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"queued={profile_change_summaries_send()}")
