from django.core.management.base import BaseCommand

from compliance.services import compliance_scan


class Command(BaseCommand):
    help = (
        "Open the compliance flags that became true (no named MSO or MDSO, lapsed handover, MSO not "
        "registered with the MHRA after 30 days, details not confirmed for 12 months, no generic MSO "
        "mailbox) and resolve those that stopped being true; marks overdue handovers as lapsed. Beat "
        "runs the same job every night; running it again changes nothing. Prints one line: opened=N "
        "resolved=N open=N (open counts every open flag afterwards)."
    )

    def handle(self, *args, **options):
        self.stdout.write(compliance_scan().summary_line())
