"""Liveness and readiness: what /healthz/ and /readyz/ answer.

Liveness (/healthz/) asks whether the database and Redis answer. Readiness (/readyz/) asks, as
well, whether every migration is applied and whether the background work keeps up; each app
registers the checks of its own work (`register_readiness_check`, from its AppConfig.ready), so
that this module knows nothing of the apps above it. A check returns None when ready, otherwise
the reason, in words that name no person.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

ReadinessCheck = Callable[[], str | None]

# The apps' checks of their background work, by name, in the order they were registered.
_readiness_checks: dict[str, ReadinessCheck] = {}
# Once every migration is applied it stays so for the life of the process (a migration is applied
# before the new code is started), so the plan is read until it is empty, and no more.
_migrations_applied = False
# At most this many unapplied migrations are named in the reason.
MIGRATIONS_NAMED = 5


def register_readiness_check(name: str, check: ReadinessCheck) -> None:
    _readiness_checks[name] = check


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: database unreachable")
        return False


def redis_ping(url: str, *, timeout: float = 2) -> bool:
    """Whether the Redis at `url` answers a PING within `timeout` seconds; raises when it cannot."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    return bool(client.ping())


def redis_answers(url: str, *, timeout: float = 2) -> bool:
    """redis_ping, quietly: False for any failure (the start-up refusal says it in a line of its own)."""
    try:
        return redis_ping(url, timeout=timeout)
    except Exception:
        return False


def redis_ok() -> bool:
    try:
        return redis_ping(settings.REDIS_URL)
    except Exception:
        logger.exception("Health check: Redis unreachable")
        return False


def unapplied_migrations() -> list[str]:
    """The migrations not yet applied to the database, in the order `migrate` would apply them."""
    global _migrations_applied
    if _migrations_applied:
        return []
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    _migrations_applied = not plan
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def migrations_check() -> str | None:
    unapplied = unapplied_migrations()
    if not unapplied:
        return None
    named = ", ".join(unapplied[:MIGRATIONS_NAMED])
    more = f" and {len(unapplied) - MIGRATIONS_NAMED} more" if len(unapplied) > MIGRATIONS_NAMED else ""
    noun = "migration" if len(unapplied) == 1 else "migrations"
    return f"{len(unapplied)} {noun} not applied: {named}{more} (run manage.py migrate)"


def liveness() -> dict[str, str]:
    checks = {"database": "ok" if database_ok() else "unavailable"}
    if settings.REDIS_URL:
        checks["redis"] = "ok" if redis_ok() else "unavailable"
    return checks


def readiness() -> dict[str, str]:
    """Each check's "ok" or reason: the database and Redis (when REDIS_URL is set; "unavailable", as
    for liveness), the migrations,
    then the apps' checks. Without the database the checks that read it are not run. A fixed number
    of queries: one each, and the migration plan's until every migration is applied."""
    checks = liveness()
    database_checks = {"migrations": migrations_check, **_readiness_checks}
    for name, check in database_checks.items():
        if checks["database"] != "ok":
            checks[name] = "not checked: the database is unavailable"
            continue
        try:
            checks[name] = check() or "ok"
        except Exception:
            logger.exception("Readiness check %s failed", name)
            checks[name] = "the check could not be made"
    return checks
