"""Faults: the Celery worker running the compliance scan is killed (SIGKILL) while the scan writes
its flags. The scan's transaction rolls back; Redis still holds the task, unacknowledged (the tasks
are acknowledged when they finish), and hands it to the next worker once the visibility timeout has
passed; that run leaves exactly the flags one clean run leaves on the same data."""

import datetime
import os
import re
import signal
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from compliance.models import Flag
from compliance.services import compliance_scan
from compliance.tasks import scan_compliance
from organisations.models import Organisation
from tests.factories import RegionFactory
from tests.faults.test_redis import Worker, broker, redis_server  # noqa: F401 (fixtures)
from tests.figures import figures

# Enough organisations for the scan to spend a moment writing its flags (three new ones each).
ORGANISATIONS = 1200
# Seconds an unacknowledged task waits in Redis before another worker may take it (1 hour by default).
VISIBILITY_TIMEOUT = 2

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker needs a database it can share with the test: PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


def build_organisations() -> None:
    """Trusts with no officers: a flag for no MSO, no MDSO and (nine in ten) no generic mailbox.
    An earlier scan left flags open: no MSO on every fifth (still true: they stay open, not opened
    twice) and no mailbox on every tenth, which has a mailbox now (they resolve)."""
    region = RegionFactory(code="Y56", name="London")
    organisations = Organisation.objects.bulk_create(
        Organisation(
            ods_code=f"F{n:04d}",
            name=f"FAULT TEST TRUST {n}",
            kind=Organisation.Kind.NHS_TRUST,
            region=region,
            generic_mailbox="" if n % 10 else f"f{n}.mso@nhs.net",
        )
        for n in range(ORGANISATIONS)
    )
    earlier = timezone.now() - datetime.timedelta(days=7)
    Flag.objects.bulk_create(
        [Flag(organisation=org, kind=Flag.Kind.NO_MSO, opened_at=earlier) for org in organisations[::5]]
        + [Flag(organisation=org, kind=Flag.Kind.NO_MAILBOX, opened_at=earlier) for org in organisations[::10]]
    )


def flag_states() -> list[tuple[int, str, str]]:
    """Every flag as (organisation, kind, open or resolved), sorted: a duplicate would show twice."""
    return sorted(
        (organisation, kind, "open" if resolved_at is None else "resolved")
        for organisation, kind, resolved_at in Flag.objects.values_list("organisation", "kind", "resolved_at")
    )


def backend_writing_flags() -> int | None:
    """The PostgreSQL backend (pid) of another connection inserting flags or their history, if any."""
    tables = (Flag._meta.db_table, Flag.history.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state = 'active' AND (query LIKE %s OR query LIKE %s)",
            [f'INSERT INTO "{table}"%' for table in tables],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def wait_until(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_scan_whose_worker_is_killed_mid_task_runs_again_and_leaves_the_flags_of_one_clean_run(
    broker,  # noqa: F811 (the fixture imported above)
    tmp_path,
):
    build_organisations()
    before = flag_states()
    # One clean run on the same data, rolled back: what the interrupted scan must end with.
    with transaction.atomic():
        clean_report = compliance_scan()
        clean = flag_states()
        transaction.set_rollback(True)
    assert flag_states() == before
    assert clean_report.opened > 2 * ORGANISATIONS and clean_report.resolved == ORGANISATIONS // 10

    env = {"BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    first = Worker(broker_url=broker.url, log=tmp_path / "first.log", env=env)
    try:
        task_id = scan_compliance.delay().id
        pid = first.wait_for(backend_writing_flags, "the scan to start writing flags", interval=0.02)
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
    finally:
        first.stop()
    assert f"scan_compliance[{task_id}]" in first.output()
    assert "succeeded" not in first.output()

    # The killed scan's transaction rolls back when PostgreSQL sees its client gone: nothing of it is left.
    wait_until(lambda: not backend_alive(pid), "the killed worker's database session to end")
    assert flag_states() == before
    # Redis still holds the task, delivered and never acknowledged.
    redis = broker.client()
    assert redis.hlen("unacked") == 1
    [(_, delivered_at)] = redis.zrange("unacked_index", 0, -1, withscores=True)
    time.sleep(max(0.0, delivered_at + VISIBILITY_TIMEOUT + 0.5 - time.time()))

    second = Worker(broker_url=broker.url, log=tmp_path / "second.log", env=env)
    try:
        done = re.compile(rf"scan_compliance\[{task_id}\] succeeded in [0-9.]+s: '([^']*)'")
        summary = second.wait_for(lambda: done.search(second.output()), "the scan to run again").group(1)
        wait_until(lambda: redis.hlen("unacked") == 0, "the task to be acknowledged")
    finally:
        second.stop()

    assert summary == clean_report.summary_line()  # the second run found nothing of the first
    assert flag_states() == clean
    assert Flag.objects.open().count() == clean_report.open
    assert redis.llen("celery") == 0  # run once more, not queued again
    figures.add("fault_scenarios")
