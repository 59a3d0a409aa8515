from django.core.management.base import BaseCommand

from users.services import sessions_clear_expired


class Command(BaseCommand):
    help = (
        "Delete expired sessions from the session store, and forget the records of sessions that signed "
        "in more than SESSION_ABSOLUTE_TIMEOUT ago (they can no longer be used). Beat runs the same job "
        "every night. Prints one line: forgotten=N (records of sessions forgotten)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"forgotten={sessions_clear_expired()}")
