"""Creating many rows at once, each with its history record.

On PostgreSQL the rows and their history records are written with COPY: the ids are
drawn from the table's sequence first, so each history record can name its row. The
database checks every constraint as it would for an INSERT. On other databases
django-simple-history's `bulk_create_with_history` does the same job, more slowly.
"""

import datetime
import io
import operator

from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_escape = operator.methodcaller("translate", _ESCAPES)


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


def _converter(field):
    """How one column's values are written: text columns that cannot be NULL take the fast path."""
    if not field.null and field.get_internal_type() in ("CharField", "TextField", "EmailField", "SlugField"):
        return _escape
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
        # The history records are copied from the rows just written, inside the database.
        history = model.history.model
        tracked = [field.column for field in history._meta.concrete_fields if not field.name.startswith("history_")]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in tracked)
        # Table and column names come from the models, quoted; the values are parameters.
        sql = (
            f"INSERT INTO {quote(history._meta.db_table)} "  # noqa: S608
            f"({columns}, history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {columns}, %s, %s, '+', %s FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = ANY(%s)"
        )
        cursor.execute(
            sql,
            [now, reason, user.pk if user is not None else None, [obj.pk for obj in objs]],
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
