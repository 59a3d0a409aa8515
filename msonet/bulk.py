"""Creating and updating many rows at once, each with its history record.

On PostgreSQL the rows are written with COPY: the ids are drawn from the table's sequence
first, so each history record can name its row, and the history records are copied from the
rows just written, inside the database. The database checks every constraint as it would for
an INSERT or an UPDATE. On other databases django-simple-history's `bulk_create_with_history`
and `bulk_update_with_history` do the same job, more slowly.

`create_with_history` takes model instances; `create_rows_with_history` and
`update_rows_with_history` take plain tuples of values, for imports that build no model
instance on PostgreSQL. `without_cycle_collection` holds off Python's cycle collector while an
upload of many rows is read, checked or imported.
"""

import datetime
import gc
import io
import operator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import generations

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_escape = operator.methodcaller("translate", _ESCAPES)


@contextmanager
def without_cycle_collection():
    """Reading and importing a file makes hundreds of thousands of small objects and no reference
    cycles: Python's cycle collector, run again and again over all of them as they are made (a
    full pass over every object a few times a file), is held off until the work is done (it then
    runs as usual). Nested uses hold it off until the outermost ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _copy_text(value) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def _date_text(value) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else _copy_text(value)


def _integer_text(value) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else _copy_text(value)


_INTEGERS = ("AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField")


def _converter(field):
    """How one column's values are written: text columns that cannot be NULL, dates and keys
    take a fast path."""
    kind = field.get_internal_type()
    if not field.null and kind in ("CharField", "TextField", "EmailField", "SlugField"):
        return _escape
    if kind == "DateField":
        return _date_text
    if kind == "ForeignKey":
        kind = field.target_field.get_internal_type()
    if kind in _INTEGERS:
        return _integer_text
    return _copy_text


def _copy(cursor, table: str, fields, objs) -> None:
    converters = [(field.attname, _converter(field)) for field in fields]
    buffer = io.StringIO()
    buffer.writelines(
        "\t".join([convert(getattr(obj, attname)) for attname, convert in converters]) + "\n" for obj in objs
    )
    buffer.seek(0)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    cursor.copy_expert(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN", buffer)
    generations.written(connection, table)


def _copy_tuples(cursor, table: str, fields, rows, *, constant_fields=(), now=None) -> None:
    """COPY `rows` (tuples of values for `fields`, in order) into `table`, with `constant_fields`
    at their default (a timestamp at `now`) in every row."""
    converters = [_converter(field) for field in fields]
    end = "".join("\t" + _copy_text(now if _is_timestamp(field) else field.get_default()) for field in constant_fields)
    end += "\n"
    buffer = io.StringIO()
    buffer.writelines(
        "\t".join([convert(value) for convert, value in zip(converters, row, strict=True)]) + end for row in rows
    )
    buffer.seek(0)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in [*fields, *constant_fields])
    cursor.copy_expert(f"COPY {quote(table)} ({columns}) FROM STDIN", buffer)
    generations.written(connection, table)


def _copy_history(cursor, model, pks: list, *, now, user, reason: str, history_type: str) -> None:
    """A history record of each row `pks` names, as the row now is, copied inside the database."""
    meta = model._meta
    history = model.history.model
    tracked = [field.column for field in history._meta.concrete_fields if not field.name.startswith("history_")]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in tracked)
    # Table and column names come from the models, quoted; the values are parameters.
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} "  # noqa: S608
        f"({columns}, history_date, history_change_reason, history_type, history_user_id) "
        f"SELECT {columns}, %s, %s, %s, %s FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = ANY(%s)"
    )
    cursor.execute(sql, [now, reason, history_type, user.pk if user is not None else None, pks])


def _is_timestamp(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def create_rows_with_history(
    model, fields: tuple[str, ...], rows: list[tuple], *, user=None, reason: str = "", history: bool = True
):
    """Insert a row of `model` for each tuple of `rows` (the values of `fields`, attribute names,
    in order; every other column takes its field's default, the timestamps now) and a "created"
    history record for each. Returns the new rows' primary keys, in order. `history=False` leaves
    the history records out, for a dry run (rolled back: they hold nothing the database checks
    before a commit)."""
    if not rows:
        return []
    meta = model._meta
    # A default computed for each row (a callable) is left to the model.
    if connection.vendor != "postgresql" or any(
        field.has_default() and callable(field.default) for field in meta.concrete_fields if field.attname not in fields
    ):
        objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        if not history:
            return [obj.pk for obj in model.objects.bulk_create(objs, batch_size=1000)]
        return [obj.pk for obj in create_with_history(objs, model, user=user, reason=reason)]
    now = timezone.now()
    given = [meta.get_field(name) for name in fields]
    rest = [field for field in meta.concrete_fields if field is not meta.pk and field not in given]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        pks = [pk for (pk,) in cursor.fetchall()]
        rows_with_pks = [(pk, *row) for pk, row in zip(pks, rows, strict=True)]
        _copy_tuples(cursor, meta.db_table, [meta.pk, *given], rows_with_pks, constant_fields=rest, now=now)
        if history:
            _copy_history(cursor, model, pks, now=now, user=user, reason=reason, history_type="+")
    return pks


def update_rows_with_history(
    model, fields: tuple[str, ...], rows: list[tuple], *, user=None, reason: str = "", now=None, history: bool = True
) -> None:
    """Set `fields` (attribute names) of the rows of `model` that `rows` name, each a tuple of the
    primary key then the fields' new values in order, and the auto_now timestamps to `now`; and
    write a "changed" history record of each row as it then is (`history=False`: none, for a dry run).

    On PostgreSQL the values are copied into a temporary table and set by one UPDATE; elsewhere
    the rows are loaded and written by django-simple-history's `bulk_update_with_history`."""
    if not rows:
        return
    meta = model._meta
    now = now or timezone.now()
    timestamps = [field for field in meta.concrete_fields if getattr(field, "auto_now", False)]
    if connection.vendor != "postgresql":
        objs = model.objects.in_bulk([row[0] for row in rows])
        changed = []
        for pk, *values in rows:
            obj = objs[pk]
            for name, value in zip(fields, values, strict=True):
                setattr(obj, name, value)
            for field in timestamps:
                setattr(obj, field.attname, now)
            changed.append(obj)
        if not history:
            model.objects.bulk_update(changed, [*fields, *(field.name for field in timestamps)], batch_size=1000)
            return
        bulk_update_with_history(
            changed,
            model,
            fields=[*fields, *(field.name for field in timestamps)],
            batch_size=1000,
            default_user=user,
            default_change_reason=reason,
        )
        return
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    model_fields = [meta.pk, *(meta.get_field(name) for name in fields)]
    scratch = quote(f"{meta.db_table}_changes")
    columns = ", ".join(quote(field.column) for field in model_fields)
    assignments = ", ".join(
        [f"{quote(field.column)} = c.{quote(field.column)}" for field in model_fields[1:]]
        + [f"{quote(field.column)} = %s" for field in timestamps]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # The names come from the models, quoted; the values are copied or parameters.
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
        )
        _copy_tuples(cursor, f"{meta.db_table}_changes", model_fields, rows)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {scratch} c "  # noqa: S608
            f"WHERE {table}.{quote(meta.pk.column)} = c.{quote(meta.pk.column)}",
            [now] * len(timestamps),
        )
        cursor.execute(f"DROP TABLE {scratch}")
        if history:
            _copy_history(cursor, model, [row[0] for row in rows], now=now, user=user, reason=reason, history_type="~")


def create_with_history(objs: list, model, *, user=None, reason: str = "") -> list:
    """Insert `objs` (unsaved instances of `model`) and a "created" history record for each.

    Sets each object's primary key and the auto_now/auto_now_add timestamps, as a save would.
    """
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return bulk_create_with_history(objs, model, batch_size=1000, default_user=user, default_change_reason=reason)
    meta = model._meta
    now = timezone.now()
    for field in meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        _copy(cursor, meta.db_table, meta.concrete_fields, objs)
        _copy_history(cursor, model, [obj.pk for obj in objs], now=now, user=user, reason=reason, history_type="+")
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
