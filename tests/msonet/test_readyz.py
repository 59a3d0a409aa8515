"""/readyz/ for load balancers and deployments: JSON, no sign-in, 503 with the reason of each check
that fails (migrations, database, Redis, the compliance scan, the outbox)."""

import datetime
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone

from compliance.readiness import SCAN_RUNS_MIGRATION
from msonet import health
from tests.factories import OutboundEmailFactory, ScanRunFactory
from tests.msonet.test_healthz import CLOSED_PORT_REDIS_URL, get_with_the_database_down

READY = {
    "status": "ready",
    "database": "ok",
    "migrations": "ok",
    "email_outbox": "ok",
    "compliance_scan": "ok",
}


@pytest.fixture(autouse=True)
def _fresh_process(settings, monkeypatch):
    """Each test as a fresh web process: the migration plan not yet read, no Redis, and limits
    stated here rather than taken from the environment."""
    monkeypatch.setattr(health, "_migrations_applied", False)
    settings.REDIS_URL = ""
    settings.READINESS_SCAN_MAX_AGE = 26 * 60 * 60
    settings.READINESS_EMAIL_MAX_AGE = 15 * 60


def ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


def readyz(client):
    response = client.get(reverse("readyz"))
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


@pytest.mark.django_db
def test_readyz_is_ready_without_signing_in_in_a_constant_number_of_queries(client, django_assert_max_num_queries):
    ScanRunFactory(finished_at=ago(hours=1))
    OutboundEmailFactory(created_at=ago(minutes=1))
    OutboundEmailFactory(created_at=ago(days=3), sent=True)
    # SELECT 1, the migrations table (2), the outbox (3), the last scan (1).
    with django_assert_max_num_queries(7):
        assert readyz(client) == (200, READY)
    OutboundEmailFactory.create_batch(5, created_at=ago(minutes=2))
    ScanRunFactory.create_batch(5, finished_at=ago(hours=2))
    # The migration plan, once empty, is not read again.
    with django_assert_max_num_queries(5):
        assert readyz(client) == (200, READY)


@pytest.mark.django_db
def test_readyz_is_503_naming_a_migration_not_applied():
    app, name = SCAN_RUNS_MIGRATION
    MigrationRecorder(connection).record_unapplied(app, name)
    from django.test import Client

    status, body = readyz(Client())
    assert status == 503
    assert body["status"] == "not ready"
    assert body["migrations"] == f"1 migration not applied: {app}.{name} (run manage.py migrate)"


@pytest.mark.django_db
def test_readyz_reads_the_migration_plan_until_every_migration_is_applied(client):
    app, name = SCAN_RUNS_MIGRATION
    MigrationRecorder(connection).record_unapplied(app, name)
    assert readyz(client)[0] == 503
    MigrationRecorder(connection).record_applied(app, name)
    assert readyz(client) == (200, READY)


@pytest.mark.django_db
def test_readyz_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = CLOSED_PORT_REDIS_URL
    assert readyz(client) == (503, {**READY, "status": "not ready", "redis": "unavailable"})


def test_readyz_is_503_when_the_database_is_unreachable():
    outcome = get_with_the_database_down("/readyz/")
    assert outcome["status"] == 503
    not_checked = "not checked: the database is unavailable"
    assert json.loads(outcome["body"]) == {
        "status": "not ready",
        "database": "unavailable",
        "migrations": not_checked,
        "email_outbox": not_checked,
        "compliance_scan": not_checked,
    }


@pytest.mark.django_db
def test_readyz_is_ready_while_the_last_scan_finished_within_the_limit(client):
    ScanRunFactory(finished_at=ago(days=3))
    ScanRunFactory(finished_at=ago(hours=25, minutes=59))
    assert readyz(client) == (200, READY)


@pytest.mark.django_db
def test_readyz_is_503_when_the_last_scan_finished_longer_ago_than_the_limit(client, settings):
    ScanRunFactory(finished_at=ago(hours=26, seconds=30))
    status, body = readyz(client)
    assert status == 503
    assert body["compliance_scan"].startswith("the last compliance scan finished 936")
    assert body["compliance_scan"].endswith("more than 93600 (READINESS_SCAN_MAX_AGE)")
    settings.READINESS_SCAN_MAX_AGE = 27 * 60 * 60
    assert readyz(client) == (200, READY)


@pytest.mark.django_db
def test_readyz_counts_from_the_installation_before_the_first_scan(client):
    app, name = SCAN_RUNS_MIGRATION
    installed = MigrationRecorder.Migration.objects.filter(app=app, name=name)
    installed.update(applied=ago(hours=25))
    assert readyz(client) == (200, READY)
    installed.update(applied=ago(hours=27))
    status, body = readyz(client)
    assert status == 503
    assert body["compliance_scan"] == (
        "the compliance scan has not run in the 93600 seconds since it was installed (READINESS_SCAN_MAX_AGE)"
    )


@pytest.mark.django_db
def test_readyz_is_503_when_the_oldest_waiting_email_is_older_than_the_limit(client, settings):
    OutboundEmailFactory(created_at=ago(minutes=14))
    assert readyz(client) == (200, READY)
    OutboundEmailFactory(created_at=ago(minutes=16), attempts=3, last_error="SMTPServerDisconnected")
    status, body = readyz(client)
    assert status == 503
    assert body["email_outbox"].startswith("the oldest waiting email was queued 96")
    assert "mso.a@nhs.net" not in json.dumps(body)
    settings.READINESS_EMAIL_MAX_AGE = 20 * 60
    assert readyz(client) == (200, READY)


@pytest.mark.django_db
def test_readyz_leaves_out_sent_emails_and_those_refused_for_good(client):
    OutboundEmailFactory(created_at=ago(days=2), sent=True)
    OutboundEmailFactory(created_at=ago(days=2), bulk=True, failed_at=ago(days=1), last_error="550 no such user")
    assert readyz(client) == (200, READY)


@pytest.mark.django_db
def test_readyz_is_503_when_a_messages_emails_wait_and_none_was_sent_within_the_limit(client):
    OutboundEmailFactory(created_at=ago(minutes=40), bulk=True)
    OutboundEmailFactory(created_at=ago(minutes=40), bulk=True, sent_at=ago(minutes=16))
    status, body = readyz(client)
    assert status == 503
    assert body["email_outbox"] == (
        "emails of a message have waited more than 900 seconds and none was sent in that time (READINESS_EMAIL_MAX_AGE)"
    )
    # The bulk sender is at work: it sent one a minute ago, and the rest wait their turn.
    OutboundEmailFactory(created_at=ago(minutes=40), bulk=True, sent_at=ago(minutes=1))
    assert readyz(client) == (200, READY)


SCHEDULE_PROBE = """
import json
from django.conf import settings
scan = settings.CELERY_BEAT_SCHEDULE["scan-compliance"]
print(json.dumps({"schedule": repr(scan["schedule"]), "expires": scan["options"]["expires"],
                  "max_age": settings.READINESS_SCAN_MAX_AGE}))
"""


def settings_process(command: list[str], **variables) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("READINESS_", "COMPLIANCE_"))}
    env.update(DJANGO_SETTINGS_MODULE="msonet.settings.test", **variables)
    return subprocess.run(
        [sys.executable, *command], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=30
    )


def scan_schedule(**variables) -> dict:
    result = settings_process(["-c", SCHEDULE_PROBE], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_beat_runs_the_scan_nightly_and_readiness_allows_26_hours_by_default():
    assert scan_schedule() == {
        "schedule": "<crontab: 0 2 * * * (m/h/dM/MY/d)>",
        "expires": 6 * 60 * 60,
        "max_age": 26 * 60 * 60,
    }


def test_compliance_scan_every_runs_it_at_that_interval_and_readiness_allows_twice_and_a_minute():
    assert scan_schedule(COMPLIANCE_SCAN_EVERY="5") == {"schedule": "5", "expires": 5, "max_age": 70}
    assert scan_schedule(COMPLIANCE_SCAN_EVERY="5", READINESS_SCAN_MAX_AGE="30")["max_age"] == 30


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        ({"COMPLIANCE_SCAN_EVERY": "0"}, "COMPLIANCE_SCAN_EVERY must be a positive number of seconds."),
        (
            {"READINESS_SCAN_MAX_AGE": "86400"},
            "READINESS_SCAN_MAX_AGE must be longer than the compliance scan's interval (86400 seconds).",
        ),
        (
            {"COMPLIANCE_SCAN_EVERY": "60", "READINESS_SCAN_MAX_AGE": "60"},
            "READINESS_SCAN_MAX_AGE must be longer than the compliance scan's interval (60 seconds).",
        ),
        ({"READINESS_EMAIL_MAX_AGE": "0"}, "READINESS_EMAIL_MAX_AGE must be a positive number of seconds."),
    ],
)
def test_the_readiness_settings_refuse_a_limit_that_could_never_be_met(variables, line):
    result = settings_process(["manage.py", "check"], **variables)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [f"Configuration error: {line}"]
