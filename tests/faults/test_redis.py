"""Faults: Redis stops while an officer sends a change of details and while the national lead
approves. Both pages succeed; when Redis is back, beat's pending-email job, run by a real Celery
worker process, sends every email once.

The test starts a redis-server of its own, on a free port, stops it and starts it again; the worker
sends through Django's file-based email backend, so the test reads what really went out."""

import datetime
import email
import email.policy
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from emails.models import OutboundEmail
from msonet.celery import app
from officers.models import Appointment, ChangeRequest, Person, RequestStatus
from registrations.models import RegistrationRequest
from tests.compliance.test_worker import database_url
from tests.emails.test_emails import RedisServer, reset_broker_connections
from tests.factories import OrganisationFactory, UserFactory
from tests.figures import figures
from tests.officers.test_change_requests import form_data
from tests.registrations.test_registration import make_request

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60
# Every request made while Redis is down must answer as quickly as this, in seconds.
REQUEST_BUDGET = 5

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker needs a database it can share with the test: PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


@pytest.fixture
def redis_server(tmp_path):
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode:
        pytest.skip("redis-server is not on PATH: the fault tests start and stop a Redis of their own")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server, settings):
    """The portal publishing its tasks to the test's own Redis, as in production (the test
    settings run them in-process), and REDIS_URL pointing at it for anything else that reads it."""
    changes = {"broker_url": redis_server.url, "task_always_eager": False}
    saved = {key: app.conf[key] for key in changes}
    reset_broker_connections()
    app.conf.update(changes)
    settings.REDIS_URL = redis_server.url
    yield redis_server
    reset_broker_connections()
    app.conf.update(saved)


class Worker:
    """A `celery worker` process (solo pool) on the test database and the given broker, logging to a file."""

    def __init__(self, *, broker_url: str, log: Path, queue: str = "celery", env: dict | None = None):
        self.log = log
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "msonet",
            "--broker",
            broker_url,
            "worker",
            "--queues",
            queue,
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"{queue}-{os.getpid()}-{time.monotonic_ns()}@%h",
        ]
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "msonet.settings.test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            **(env or {}),
        }
        self._output = log.open("a")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=self._output, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, condition, what: str, timeout: float = WAIT_SECONDS, interval: float = 0.1):
        """Wait until condition() is true; fail with the worker's log if it is not in time or the worker died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited ({self.process.returncode}) before {what}:\n{self.output()[-3000:]}")
            time.sleep(interval)
        pytest.fail(f"timed out waiting for {what}:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._output.close()


def sent_messages(folder: Path) -> list[tuple[tuple[str, ...], str]]:
    """(recipients, subject) of every message the file-based email backend wrote to `folder`."""
    separator = b"\n" + b"-" * 79 + b"\n"
    messages = []
    for path in sorted(folder.glob("*.log")):
        for raw in path.read_bytes().split(separator):
            if raw.strip():
                message = email.message_from_bytes(raw.lstrip(b"\n"), policy=email.policy.default)
                recipients = tuple(address.strip() for address in str(message["To"]).split(","))
                messages.append((recipients, str(message["Subject"])))
    return messages


def timed_post(client, url, data=None):
    started = time.monotonic()
    response = client.post(url, data or {})
    return response, time.monotonic() - started


def test_change_request_sent_and_approved_while_redis_is_down_succeed_and_emails_go_once_when_it_is_back(
    broker, world, tmp_path
):
    # Before the outage: a registration request waits for the lead. Its emails are handed to Redis,
    # which loses them when it stops (it keeps nothing on disk).
    organisation = OrganisationFactory(
        ods_code="RRV", name="University College London Hospitals NHS Foundation Trust", region=world.london
    )
    registration = make_request(UserFactory(email="priya.shah@nhs.net"), organisation)
    assert broker.client().llen("celery") >= 1
    broker.stop()

    officer = Client()
    officer.force_login(world.mso)
    response, elapsed = timed_post(
        officer, reverse("officers:change-details"), form_data(world.mso_person, job_title="Chief Pharmacist")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("officers:change-sent")
    assert elapsed < REQUEST_BUDGET, f"sending the change took {elapsed:.1f}s with Redis down"
    sent_page = officer.get(response["Location"])
    assert "Your change has been sent for review" in sent_page.content.decode()
    change = ChangeRequest.objects.get(person=world.mso_person, status=RequestStatus.SUBMITTED)

    lead = Client()
    lead.force_login(world.lead)
    response, elapsed = timed_post(lead, reverse("officers:change-approve", args=[change.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("officers:change-queue")
    assert elapsed < REQUEST_BUDGET, f"approving the change took {elapsed:.1f}s with Redis down"
    queue_page = lead.get(response["Location"]).content.decode()
    assert f"Change request #{change.pk} approved" in queue_page

    response, elapsed = timed_post(lead, reverse("registrations:approve", args=[registration.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("registrations:queue")
    assert elapsed < REQUEST_BUDGET, f"approving the registration took {elapsed:.1f}s with Redis down"
    assert "Registration approved: Priya Shah is now the" in lead.get(response["Location"]).content.decode()

    # Every change is in the database; every email waits in the outbox, none tried yet.
    assert Person.objects.get(pk=world.mso_person.pk).job_title == "Chief Pharmacist"
    assert ChangeRequest.objects.get(pk=change.pk).status == RequestStatus.APPROVED
    assert RegistrationRequest.objects.get(pk=registration.pk).appointment.status == Appointment.Status.ACTIVE
    waiting = list(OutboundEmail.objects.order_by("pk"))
    templates = {row.template for row in waiting}
    assert {"change_request_approved", "registration_approved", "registration_chair"} <= templates
    assert all(row.sent_at is None and row.attempts == 0 for row in waiting)

    # Redis is back, empty. A worker starts; beat's pending-email job runs five minutes on.
    broker.start()
    outbox = tmp_path / "sent"
    outbox.mkdir()
    # filemail:/// followed by the absolute path (a single "/" would make the path relative).
    worker = Worker(
        broker_url=broker.url,
        log=tmp_path / "worker.log",
        env={"DJANGO_SETTINGS_MODULE": "msonet.settings.local", "EMAIL_URL": f"filemail:///{outbox}"},
    )
    try:
        OutboundEmail.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
        beat = settings.CELERY_BEAT_SCHEDULE["send-pending-emails"]
        app.send_task(beat["task"], **beat.get("options", {}))
        worker.wait_for(lambda: not OutboundEmail.objects.unsent().exists(), "the pending emails to be sent")
        # The next run of the job, five minutes later, finds nothing left to send.
        app.send_task(beat["task"], **beat.get("options", {}))
        worker.wait_for(lambda: "sent=0 failed=0 pending=0" in worker.output(), "the second run of send_pending_emails")
    finally:
        worker.stop()

    log = worker.output()
    assert f"sent={len(waiting)} failed=0 pending=0" in log, log[-3000:]
    rows = list(OutboundEmail.objects.order_by("pk"))
    assert [row.pk for row in rows] == [row.pk for row in waiting]  # the job queued no new email
    assert all(row.sent_at is not None and row.attempts == 1 and row.last_error == "" for row in rows)
    delivered = sent_messages(outbox)
    expected = [(tuple(row.to), row.subject) for row in rows]
    assert sorted(delivered) == sorted(expected)  # each email once: none lost, none twice
    figures.add("fault_scenarios")
