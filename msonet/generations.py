"""Figures kept in the cache until the data they are read from changes.

A *generation* is a number kept in the cache (CACHE_URL, shared by every process in production)
for a named set of tables, such as the tables the coverage of organisations is read from. Every
committed write to one of those tables moves it on, so a figure cached under it (`cached`) is
never served once a change to its tables has committed: a costly figure (the national dashboard's
counts, the number of organisations a directory search finds) is computed once per change of its
data rather than once per page.

What counts as a write:

- every INSERT, UPDATE, DELETE and TRUNCATE sent through Django's database connections, seen by an
  execute wrapper installed on each connection (the ORM, bulk updates, raw SQL through a cursor);
- a COPY, which goes past the wrapper, when the code doing it says so (`written`; msonet.bulk does).

The generation moves on when the writing transaction commits (at once, outside a transaction), not
before: a figure computed meanwhile by another connection reads the data as it was, under the old
number, which is never asked for again after the commit. A connection does not store figures while a
write of its own to the tables waits for its commit (they would hold data that may yet be rolled
back). Writes made outside the portal's processes (psql, another system) are not seen: the figures
then expire after GENERATION_CACHE_TIMEOUT seconds.

A cache that does not answer fails nothing: the figure is computed as if there were no cache.
"""

import hashlib
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.signals import connection_created
from django.utils.functional import cached_property

logger = logging.getLogger(__name__)

# The generation names of each watched table.
_generations_of_table: dict[str, set[str]] = {}
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?"?(\w+)"?', re.IGNORECASE)
_TRUNCATE = re.compile(r"\s*TRUNCATE\b", re.IGNORECASE)
_MISSING = object()


def _key(name: str) -> str:
    return f"generation:{name}"


def watch(name: str, tables) -> None:
    """Move the generation `name` on with every committed write to one of `tables` (table names)."""
    for table in tables:
        _generations_of_table.setdefault(table, set()).add(name)
    for connection in connections.all(initialized_only=True):
        install(connection=connection)


def current(name: str) -> int | None:
    """The generation's number now, or None when the cache does not answer. A generation the cache
    has lost (evicted, or a cache emptied by a restart) starts again from the clock, above any number
    it had before, so that no figure cached under an old number is found again."""
    key = _key(name)
    try:
        number = cache.get(key)
        if number is None:
            cache.add(key, time.time_ns(), timeout=None)
            number = cache.get(key)
    except Exception:  # noqa: BLE001 (a cache that does not answer: the figure is computed)
        logger.warning("The cache did not answer: the generation %s was not read.", name)
        return None
    return number


def _move_on(name: str) -> None:
    key = _key(name)
    try:
        try:
            cache.incr(key)
        except ValueError:  # lost: start again from the clock
            cache.add(key, time.time_ns(), timeout=None)
    except Exception:  # noqa: BLE001 (after a commit: nothing may fail the request)
        logger.warning("The cache did not answer: the generation %s was not moved on.", name)


class MoveOn:
    """The commit callback moving generations on, and the record of which it will move, for the
    transaction it was registered in."""

    def __init__(self, connection):
        self.connection = connection
        self.names: set[str] = set()
        # Django replaces the list of commit callbacks on every commit and rollback: while it is
        # the same list, this callback is still to run.
        self.run_on_commit = connection.run_on_commit

    @property
    def is_current(self) -> bool:
        return self.connection.run_on_commit is self.run_on_commit and bool(self.names)

    def __call__(self):
        names, self.names = self.names, set()
        for name in sorted(names):
            _move_on(name)


def _changed(connection, names: set[str]) -> None:
    if not connection.in_atomic_block:
        for name in sorted(names):
            _move_on(name)
        return
    waiting = getattr(connection, "generations_waiting", None)
    if waiting is None or not waiting.is_current:
        waiting = connection.generations_waiting = MoveOn(connection)
        waiting.names |= names
        transaction.on_commit(waiting, using=connection.alias)
    else:
        waiting.names |= names


def written(connection, table: str) -> None:
    """`table` was written on `connection` by a statement the execute wrapper does not see (a COPY)."""
    names = _generations_of_table.get(table)
    if names:
        _changed(connection, names)


def _tables_written(sql: str):
    if match := _WRITE.match(sql):
        return (match.group(1),)
    if _TRUNCATE.match(sql):
        return [table for table in re.findall(r"\w+", sql) if table in _generations_of_table]
    return ()


def _execute(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and sql.lstrip()[:1] in ("I", "U", "D", "T", "i", "u", "d", "t"):
        names = set()
        for table in _tables_written(sql):
            names |= _generations_of_table.get(table, set())
        if names:
            _changed(context["connection"], names)
    return result


def install(*, connection, **kwargs) -> None:
    """Watch the writes of `connection` (connected to connection_created: each new connection)."""
    if _execute not in connection.execute_wrappers:
        connection.execute_wrappers.append(_execute)


connection_created.connect(install)


def waiting_for_commit(name: str, using: str = DEFAULT_DB_ALIAS) -> bool:
    """This connection has written to the tables of generation `name` in a transaction not yet committed."""
    waiting = getattr(connections[using], "generations_waiting", None)
    return waiting is not None and waiting.is_current and name in waiting.names


def _digest(value) -> str:
    """A cache key's part naming `value`, of the characters and length every cache backend accepts."""
    return hashlib.sha256(repr(value).encode()).hexdigest()


def cached(name: str, key, compute, *, using: str = DEFAULT_DB_ALIAS):
    """`compute()`, kept in the cache under generation `name` and `key` for GENERATION_CACHE_TIMEOUT
    seconds: computed again after any committed write to the generation's tables. `key` (a string or
    a tuple of them, numbers and dates: anything with a stable repr, such as text from the address)
    must name everything else the value depends on (the day, the filters, the user)."""
    if waiting_for_commit(name, using):
        return compute()
    number = current(name)
    if number is None:
        return compute()
    full_key = f"{_key(name)}:{number}:{_digest(key)}"
    try:
        value = cache.get(full_key, _MISSING)
    except Exception:  # noqa: BLE001 (a cache that does not answer: the figure is computed)
        return compute()
    if value is not _MISSING:
        return value
    value = compute()
    try:
        cache.set(full_key, value, timeout=settings.GENERATION_CACHE_TIMEOUT)
    except Exception:  # noqa: BLE001
        logger.warning("The cache did not answer: a figure of generation %s was not kept.", name)
    return value


def query_key(queryset, *extra) -> str | None:
    """A key naming what `queryset` reads (its SQL and parameters) and `extra`, or None for a queryset
    that reads nothing (one Django knows to be empty)."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return None
    return _digest((sql, params, *extra))


class CachedCountPaginator(Paginator):
    """A paginator of a queryset whose count (a COUNT over the whole list) is kept under the generation
    `generation` of the tables the queryset reads, keyed by the queryset's SQL and parameters."""

    generation = ""

    @cached_property
    def count(self):
        key = query_key(self.object_list)
        if key is None:
            return Paginator.count.func(self)
        return cached(self.generation, f"count:{key}", lambda: Paginator.count.func(self), using=self.object_list.db)
