"""The compliance app's readiness check (msonet.health): beat still runs the scan."""

from django.conf import settings
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from .models import ScanRun

# The migration that created the scan's record: before the first scan, the age is counted from it,
# so that a new installation is ready until its first scan is due.
SCAN_RUNS_MIGRATION = ("compliance", "0003_scan_runs")


def scan_check() -> str | None:
    """None while the last scan finished within READINESS_SCAN_MAX_AGE seconds; otherwise the
    reason. One query, two before the first scan."""
    limit = settings.READINESS_SCAN_MAX_AGE
    finished_at = ScanRun.objects.latest_finished_at()
    if finished_at is None:
        app, name = SCAN_RUNS_MIGRATION
        since = MigrationRecorder.Migration.objects.filter(app=app, name=name).values_list("applied", flat=True).first()
        if since is None or (timezone.now() - since).total_seconds() <= limit:
            return None
        return f"the compliance scan has not run in the {limit} seconds since it was installed (READINESS_SCAN_MAX_AGE)"
    age = int((timezone.now() - finished_at).total_seconds())
    if age <= limit:
        return None
    return f"the last compliance scan finished {age} seconds ago, more than {limit} (READINESS_SCAN_MAX_AGE)"
