"""Email delivery: stored with the caller's transaction, sent on commit by Celery, never lost, never sent twice."""

import base64
import json
import shutil
import smtplib
import socket
import subprocess
import threading
import time
from io import StringIO

import kombu.pools
import pytest
import redis
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from emails.models import OutboundEmail
from emails.services import PENDING_AFTER, email_queue, email_send, email_send_pending
from emails.tasks import send_email, send_pending_emails
from msonet import celery_app

pytestmark = pytest.mark.django_db

CONTEXT = {"name": "Priya Shah", "message": "Your registration as MSO was approved."}


def queue_test_message(to=("mso.a@nhs.net",), **kwargs):
    return email_queue(to=list(to), template="test_message", context=kwargs.pop("context", CONTEXT), **kwargs)


def make_overdue(email):
    """As if the email was queued long enough ago for the pending job to take it."""
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - PENDING_AFTER * 2)


# Celery configuration. The app reads Django settings once, so tests change celery_app.conf and
# put it back afterwards, closing the broker connections made meanwhile.


def reset_broker_connections():
    """Close the pooled broker connections, so the next task is published to conf.broker_url."""
    kombu.pools.reset()  # closes every pooled connection and forgets the pools
    celery_app._pool = None  # and the app's references to them, as Celery does after a fork
    celery_app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def celery_conf():
    """Tasks run in-process (as without REDIS_URL) unless a test says otherwise; restored afterwards."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "task_always_eager", "task_eager_propagates")}
    conf.task_always_eager = True
    yield conf
    reset_broker_connections()
    conf.update(saved)


class RedisServer:
    """A redis-server of the test's own, on a free port, that the test can stop and start again."""

    def __init__(self, directory):
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--daemonize", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = self.client()
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def client(self):
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not on PATH: the broker tests start and stop a Redis of their own")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_broker(celery_conf, redis_server):
    """Celery publishing to the test's own Redis, as in production (tasks not run in-process)."""
    reset_broker_connections()
    celery_conf.broker_url = redis_server.url
    celery_conf.task_always_eager = False
    return redis_server


def queued_tasks(server):
    """The task messages waiting in the default queue, as (task name, args)."""
    messages = [json.loads(raw) for raw in server.client().lrange("celery", 0, -1)]
    return [
        (message["headers"]["task"], json.loads(base64.b64decode(message["body"]))[0]) for message in reversed(messages)
    ]


# Rendering and queueing


def test_email_is_rendered_from_the_subject_text_and_html_templates():
    email = queue_test_message(context={"name": "Ann & Bob <Trust>", "message": "Line one"})
    assert email.subject == "A message for Ann & Bob <Trust>"
    assert email.body_text.startswith("Dear Ann & Bob <Trust>,\n\nLine one\n")
    assert "<p>Dear Ann &amp; Bob &lt;Trust&gt;,</p>" in email.body_html
    assert email.template == "test_message"
    assert email.to == ["mso.a@nhs.net"]


def test_email_needs_a_recipient():
    with pytest.raises(ValueError):
        email_queue(to=[], template="test_message", context=CONTEXT)
    assert not OutboundEmail.objects.exists()


def test_email_queued_in_a_transaction_that_rolls_back_is_neither_stored_nor_sent(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue_test_message()
        raise RuntimeError("the workflow failed after queueing its email")
    assert callbacks == []
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_email_is_not_sent_before_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = queue_test_message()
    assert len(callbacks) == 1
    assert mail.outbox == []
    assert OutboundEmail.objects.get(pk=email.pk).sent_at is None


def test_email_queued_then_committed_is_sent_once_with_text_and_html_parts(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_test_message(to=["mso.a@nhs.net", "deputy.a@nhs.net"])

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "A message for Priya Shah"
    assert message.to == ["mso.a@nhs.net", "deputy.a@nhs.net"]
    assert message.from_email == django_settings.DEFAULT_FROM_EMAIL
    assert "Your registration as MSO was approved." in message.body
    assert "<html" not in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<p>Your registration as MSO was approved.</p>" in html
    email.refresh_from_db()
    assert email.sent_at is not None
    assert email.attempts == 1


# Sending once


def test_sending_an_email_twice_delivers_it_once():
    email = queue_test_message()
    assert email_send(email_id=email.pk) is True
    assert email_send(email_id=email.pk) is False
    assert send_email(email.pk) is False
    assert len(mail.outbox) == 1


def test_same_dedupe_key_twice_queues_one_email_and_sends_one_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_test_message(dedupe_key="handover-reminder:42:2025-06-01")
        second = queue_test_message(dedupe_key="handover-reminder:42:2025-06-01")
    assert first is not None
    assert second is None
    assert OutboundEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_emails_without_a_dedupe_key_are_all_queued(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_test_message()
        queue_test_message()
    assert OutboundEmail.objects.count() == 2
    assert len(mail.outbox) == 2


def test_the_database_refuses_a_second_email_with_the_same_dedupe_key():
    queue_test_message(dedupe_key="flag-digest:2025-W23")
    duplicate = OutboundEmail(to=["lead@england.nhs.uk"], subject="s", body_text="b", dedupe_key="flag-digest:2025-W23")
    with pytest.raises(Exception) as raised, transaction.atomic():
        duplicate.save()
    assert "unique" in str(raised.value).lower() or "duplicate" in str(raised.value).lower()


class BrokenSMTPBackend(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class FailsOnceBackend(LocmemBackend):
    failures_left = 0

    def send_messages(self, messages):
        if FailsOnceBackend.failures_left:
            FailsOnceBackend.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_failed_send_records_the_attempt_and_raises_for_the_task_to_retry(settings):
    email = queue_test_message()
    settings.EMAIL_BACKEND = "tests.emails.test_emails.BrokenSMTPBackend"
    with pytest.raises(smtplib.SMTPServerDisconnected):
        email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.sent_at is None
    assert email.attempts == 1
    assert email.last_attempt_at is not None
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert mail.outbox == []


def test_send_email_task_retries_when_the_mail_server_fails(settings, celery_conf):
    celery_conf.task_eager_propagates = False  # run the retries in-process, as a worker would run them
    email = queue_test_message()
    settings.EMAIL_BACKEND = "tests.emails.test_emails.FailsOnceBackend"
    FailsOnceBackend.failures_left = 2
    result = send_email.apply(args=(email.pk,))
    assert result.get() is True
    email.refresh_from_db()
    assert email.sent_at is not None
    assert email.attempts == 3
    assert email.last_error == ""
    assert len(mail.outbox) == 1


def test_send_email_task_gives_up_after_its_retries_and_keeps_the_email(settings, celery_conf):
    celery_conf.task_eager_propagates = False
    email = queue_test_message()
    settings.EMAIL_BACKEND = "tests.emails.test_emails.BrokenSMTPBackend"
    result = send_email.apply(args=(email.pk,))
    assert result.failed()
    email.refresh_from_db()
    assert email.sent_at is None
    assert email.attempts == send_email.max_retries + 1
    assert "SMTPServerDisconnected" in email.last_error


def test_send_email_task_asks_a_worker_to_retry_later_with_backoff(settings):
    email = queue_test_message()
    settings.EMAIL_BACKEND = "tests.emails.test_emails.BrokenSMTPBackend"
    with pytest.raises(Retry) as retry:
        send_email.apply(args=(email.pk,))
    assert 0 <= retry.value.when <= 30
    assert OutboundEmail.objects.get(pk=email.pk).attempts == 1


def test_email_whose_sending_failed_on_commit_is_kept_and_sent_by_the_pending_job(
    settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "tests.emails.test_emails.BrokenSMTPBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_test_message()  # the request goes on although sending failed
    assert "send_pending_emails will send it" in caplog.text
    email.refresh_from_db()
    assert email.sent_at is None
    assert email.attempts == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_overdue(email)
    assert email_send_pending().summary_line() == "sent=1 failed=0 pending=0"
    assert len(mail.outbox) == 1


class SlowBackend(LocmemBackend):
    """Holds the first message until the test lets it go, so a second sender runs meanwhile."""

    sending = threading.Event()
    release = threading.Event()

    def send_messages(self, messages):
        SlowBackend.sending.set()
        SlowBackend.release.wait(timeout=10)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_deliver_once(settings):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip(f"{connection.vendor} has no row locks; PostgreSQL has")
    email = OutboundEmail.objects.create(to=["mso.a@nhs.net"], subject="Reminder", body_text="Text")
    settings.EMAIL_BACKEND = "tests.emails.test_emails.SlowBackend"
    SlowBackend.sending.clear()
    SlowBackend.release.clear()
    results = {}

    def first_sender():
        try:
            results["first"] = email_send(email_id=email.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=first_sender)
    thread.start()
    try:
        assert SlowBackend.sending.wait(timeout=10)
        started = time.monotonic()
        results["second"] = email_send(email_id=email.pk)  # the row is locked: skipped, not waited for
        assert time.monotonic() - started < 2
    finally:
        SlowBackend.release.set()
        thread.join(timeout=10)
    assert results == {"first": True, "second": False}
    assert len(mail.outbox) == 1
    assert email_send(email_id=email.pk) is False
    assert len(mail.outbox) == 1


# The pending job (beat) and its command


def test_pending_job_sends_overdue_unsent_emails_and_leaves_recent_ones_to_their_task():
    overdue = queue_test_message(to=["overdue@nhs.net"])
    make_overdue(overdue)
    queue_test_message(to=["recent@nhs.net"])
    already_sent = queue_test_message(to=["sent@nhs.net"])
    make_overdue(already_sent)
    email_send(email_id=already_sent.pk)
    mail.outbox.clear()

    report = email_send_pending()

    assert (report.sent, report.failed, report.pending) == (1, 0, 1)
    assert [message.to for message in mail.outbox] == [["overdue@nhs.net"]]


def test_pending_job_counts_failures_and_keeps_the_failed_emails(settings):
    make_overdue(queue_test_message())
    settings.EMAIL_BACKEND = "tests.emails.test_emails.BrokenSMTPBackend"
    assert email_send_pending().summary_line() == "sent=0 failed=1 pending=1"
    assert OutboundEmail.objects.get().attempts == 1


def test_send_pending_emails_command_prints_the_summary_line():
    make_overdue(queue_test_message())
    make_overdue(queue_test_message())
    queue_test_message()
    out = StringIO()
    call_command("send_pending_emails", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "sent=2 failed=0 pending=1"
    assert len(mail.outbox) == 2
    out = StringIO()
    call_command("send_pending_emails", stdout=out)
    assert out.getvalue().strip() == "sent=0 failed=0 pending=1"
    assert len(mail.outbox) == 2


def test_pending_job_is_on_the_beat_schedule_every_five_minutes():
    [entry] = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == send_pending_emails.name]
    assert entry["schedule"] == 5 * 60
    assert send_pending_emails.name == "emails.tasks.send_pending_emails"
    assert send_pending_emails.name in celery_app.tasks


# The real broker: a Redis of the test's own


def test_task_queued_on_commit_reaches_redis_and_sends_the_email(celery_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_test_message()

    assert celery_broker.client().llen("celery") == 1
    assert queued_tasks(celery_broker) == [("emails.tasks.send_email", [email.pk])]
    assert mail.outbox == []  # a worker has not run it yet

    [(task_name, args)] = queued_tasks(celery_broker)
    celery_app.tasks[task_name].apply(args=args)  # what the worker does with the message
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.get(pk=email.pk).sent_at is not None


def test_request_succeeds_when_redis_is_down_and_the_email_is_sent_once_when_it_is_back(
    celery_broker, django_capture_on_commit_callbacks, caplog
):
    # The broker works, then Redis stops.
    with django_capture_on_commit_callbacks(execute=True):
        before = queue_test_message(to=["before@nhs.net"])
    assert celery_broker.client().llen("celery") == 1
    celery_broker.stop()

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = queue_test_message(to=["during@nhs.net"])
    elapsed = time.monotonic() - started

    assert len(callbacks) == 1
    assert elapsed < 3, f"queueing an email with Redis down took {elapsed:.2f}s"
    assert "send_pending_emails will send it" in caplog.text
    email.refresh_from_db()
    assert email.sent_at is None
    assert email.attempts == 0
    assert mail.outbox == []

    # Redis is back (empty: it kept nothing), and publishing works again.
    celery_broker.start()
    with django_capture_on_commit_callbacks(execute=True):
        after = queue_test_message(to=["after@nhs.net"])
    assert queued_tasks(celery_broker) == [("emails.tasks.send_email", [after.pk])]

    # A minute on, beat runs the pending job: the email queued while Redis was down goes, and so
    # does the one whose task Redis lost when it stopped; each once.
    make_overdue(before)
    make_overdue(email)
    assert send_pending_emails() == "sent=2 failed=0 pending=1"
    assert sorted(message.to[0] for message in mail.outbox) == ["before@nhs.net", "during@nhs.net"]
    assert send_pending_emails() == "sent=0 failed=0 pending=1"
    assert len(mail.outbox) == 2


def test_request_succeeds_within_seconds_when_redis_accepts_connections_but_does_not_answer(
    celery_conf, django_capture_on_commit_callbacks
):
    with socket.socket() as silent_server:  # connections complete in the backlog; nothing is ever read or sent
        silent_server.bind(("127.0.0.1", 0))
        silent_server.listen(16)
        reset_broker_connections()
        celery_conf.broker_url = f"redis://127.0.0.1:{silent_server.getsockname()[1]}/0"
        celery_conf.task_always_eager = False

        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            email = queue_test_message()
        elapsed = time.monotonic() - started

    assert elapsed < 3, f"queueing an email with Redis not answering took {elapsed:.2f}s"
    email.refresh_from_db()
    assert email.sent_at is None
    assert mail.outbox == []
