from django.core.management.base import BaseCommand

from emails.services import email_send_pending


class Command(BaseCommand):
    help = (
        "Send every email in the outbox that is still unsent a minute after it was queued: emails whose "
        "task could not be queued (Redis was down) or failed (the mail server was down). Beat runs the "
        "same job every five minutes; an email is never sent twice. Ends with the line: sent=N failed=N "
        "pending=N (pending counts the emails still unsent afterwards, the failed ones included)."
    )

    def handle(self, *args, **options):
        report = email_send_pending()
        self.stdout.write(report.summary_line())
