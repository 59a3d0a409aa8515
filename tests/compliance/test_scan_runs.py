"""Each completed compliance scan leaves a record of when it ran and what it changed, whether beat's
task or the command ran it; a failed scan leaves none, and only the latest records are kept."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError
from django.utils import timezone

from compliance import services
from compliance.models import Flag, ScanRun
from compliance.tasks import scan_compliance
from tests.factories import OrganisationFactory, ScanRunFactory

pytestmark = pytest.mark.django_db


def test_the_command_and_the_task_each_record_their_scan_with_what_it_changed():
    OrganisationFactory()
    before = timezone.now()
    call_command("scan_compliance", stdout=io.StringIO())
    first = ScanRun.objects.get()
    assert before <= first.started_at <= first.finished_at <= timezone.now()
    assert first.opened == Flag.objects.open().count() > 0
    assert (first.resolved, first.open) == (0, first.opened)

    scan_compliance.delay()
    second = ScanRun.objects.order_by("pk").last()
    assert ScanRun.objects.count() == 2
    assert (second.opened, second.resolved, second.open) == (0, 0, first.opened)
    assert ScanRun.objects.latest_finished_at() == second.finished_at


def test_a_scan_that_fails_leaves_no_record(monkeypatch):
    def fail(**kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(services, "flag_findings", fail)
    with pytest.raises(DatabaseError):
        services.compliance_scan()
    assert not ScanRun.objects.exists()


def test_the_scan_keeps_only_the_latest_runs(monkeypatch):
    monkeypatch.setattr(services, "SCAN_RUNS_KEPT", 3)
    old = [ScanRunFactory(finished_at=timezone.now() - datetime.timedelta(days=n)) for n in (5, 4, 3, 2)]
    services.compliance_scan()
    kept = list(ScanRun.objects.order_by("pk").values_list("pk", flat=True))
    assert len(kept) == 3
    assert kept[:2] == [old[2].pk, old[3].pk]


def test_the_database_refuses_a_scan_that_finishes_before_it_started():
    now = timezone.now()
    with pytest.raises(IntegrityError):
        ScanRunFactory(started_at=now, finished_at=now - datetime.timedelta(seconds=1))
