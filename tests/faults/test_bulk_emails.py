"""Faults: a message's emails while Redis is down, and while the worker sending them is killed and
Redis restarts empty. The emails wait in the outbox; beat's bulk sender, run by a real Celery worker
process through a real SMTP server on loopback (aiosmtpd), sends each exactly once."""

import os
import signal

import pytest
from django.conf import settings
from django.db import connection

from emails.models import OutboundEmail
from emails.services import email_queue_bulk
from msonet.celery import app
from tests.emails.test_bulk import addresses, bulk
from tests.faults.test_redis import Worker, broker, redis_server  # noqa: F401 (fixtures)
from tests.faults.test_worker import backend_alive, wait_until
from tests.figures import figures
from tests.smtp_server import mail_server  # noqa: F401 (fixture)

EMAILS = 12
HELD_AT = 4  # the mail server holds the fifth email, and the worker is killed meanwhile

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker needs a database it can share with the test: PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


def run_beat_task() -> None:
    beat = settings.CELERY_BEAT_SCHEDULE["send-bulk-emails"]
    app.send_task(beat["task"], **beat.get("options", {}))


def worker_sending_email() -> int | None:
    """The PostgreSQL backend (pid) of another connection holding an outbox row locked, if any."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state = 'idle in transaction' AND query LIKE %s",
            [f'%FROM "{OutboundEmail._meta.db_table}"%FOR UPDATE%'],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_emails_queued_with_redis_down_and_a_worker_killed_mid_send_are_each_sent_once(
    broker,  # noqa: F811
    mail_server,  # noqa: F811
    tmp_path,
    caplog,
):
    handler = mail_server.handler_state
    handler.hold_after = HELD_AT

    # Redis is down when the message is queued: the page goes on, the emails wait in the outbox.
    broker.stop()
    email_queue_bulk(emails=bulk(addresses(EMAILS)), template="test_message")
    assert "beat will start it" in caplog.text
    assert OutboundEmail.objects.unsent().filter(bulk=True).count() == EMAILS

    # Redis is back; beat starts the bulk sender; the worker is killed while the server holds an email.
    broker.start()
    env = {
        "DJANGO_SETTINGS_MODULE": "msonet.settings.local",
        "EMAIL_URL": f"smtp://127.0.0.1:{mail_server.port}",
        "BULK_EMAILS_PER_MINUTE": "100",
    }
    first = Worker(broker_url=broker.url, log=tmp_path / "first.log", env=env)
    try:
        run_beat_task()
        first.wait_for(handler.holding.is_set, "the worker to be sending the fifth email")
        pid = first.wait_for(worker_sending_email, "the worker's row lock")
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
    finally:
        first.stop()
    broker.stop()  # and Redis restarts, empty: the task the worker held is gone
    handler.hold_after = None
    handler.release.set()

    wait_until(lambda: not backend_alive(pid), "the killed worker's database session to end")
    assert len(handler.addresses()) == HELD_AT
    assert OutboundEmail.objects.sent().count() == HELD_AT
    # The email the worker was sending is as it was: its attempt rolled back with the worker.
    assert OutboundEmail.objects.unsent().filter(attempts=0).count() == EMAILS - HELD_AT

    broker.start()
    second = Worker(broker_url=broker.url, log=tmp_path / "second.log", env=env)
    try:
        run_beat_task()
        second.wait_for(lambda: not OutboundEmail.objects.unsent().exists(), "the rest to be sent")
        run_beat_task()  # a minute on: nothing left
        second.wait_for(lambda: "sent=0 refused=0 deferred=0 pending=0" in second.output(), "the next run")
    finally:
        second.stop()

    assert f"sent={EMAILS - HELD_AT} refused=0 deferred=0 pending=0" in second.output()
    assert sorted(handler.addresses()) == sorted(addresses(EMAILS))  # none lost, none twice
    assert all(row.attempts == 1 and row.failed_at is None for row in OutboundEmail.objects.all())
    figures.add("fault_scenarios")
