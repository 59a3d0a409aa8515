"""End to end: the scan queued with .delay() runs in a real Celery worker over Redis and opens flags
in the same PostgreSQL database the test reads."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from compliance.models import Flag
from compliance.tasks import scan_compliance
from msonet.celery import app
from tests.factories import OrganisationFactory

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def redis_reachable(url: str) -> bool:
    if not url.startswith("redis"):
        return False
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker needs a database it can share with the test: PostgreSQL"
    ),
    pytest.mark.skipif(
        not redis_reachable(settings.REDIS_URL), reason="the worker needs Redis: set REDIS_URL to a running Redis"
    ),
]


def database_url() -> str:
    """The URL of the test database pytest-django created, for the worker."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def broker():
    """The sending side talks to Redis for real (the test settings run tasks in-process), on a
    queue of its own so no other worker takes the task and this worker takes no other."""
    queue = f"compliance-test-{uuid.uuid4().hex[:8]}"
    changes = {
        "broker_url": settings.REDIS_URL,
        "task_always_eager": False,
        "task_default_queue": queue,
    }
    saved = {key: app.conf[key] for key in changes}
    app.conf.update(changes)
    reset_connections()
    yield queue
    app.conf.update(saved)
    reset_connections()


def reset_connections():
    app._pool = None
    app.amqp._producer_pool = None


def start_worker(queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "msonet.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "msonet",
        "--broker",
        settings.REDIS_URL,
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
        f"{queue}@%h",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_worker(worker: subprocess.Popen) -> str:
    worker.terminate()
    try:
        output, _ = worker.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate(timeout=15)
    return output or ""


@pytest.mark.django_db(transaction=True)
def test_scan_queued_with_delay_runs_in_a_celery_worker_and_opens_flags(broker):
    organisation = OrganisationFactory(generic_mailbox="")  # no officers, no mailbox: three flags
    worker = start_worker(broker)
    output = ""
    try:
        scan_compliance.delay()
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and worker.poll() is None:
            if Flag.objects.open().filter(organisation=organisation).count() == 3:
                break
            time.sleep(0.5)
    finally:
        output = stop_worker(worker)
    kinds = set(Flag.objects.open().filter(organisation=organisation).values_list("kind", flat=True))
    assert kinds == {Flag.Kind.NO_MSO, Flag.Kind.NO_MDSO, Flag.Kind.NO_MAILBOX}, output[-3000:]
    assert "compliance.tasks.scan_compliance" in output
    assert "opened=3 resolved=0 open=3" in output  # the task's return value, in the worker's log
