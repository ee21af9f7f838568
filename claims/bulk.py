"""Many rows into one table at once: COPY on PostgreSQL, ``bulk_create`` elsewhere.

Used where thousands of rows are written per transaction (the collection tick, BgMax
payments): ARCHITECTURE.md measures COPY at ~175k rows/s against ~38k for ``bulk_create``.
"""

import json
from contextlib import contextmanager
from operator import itemgetter

from django.db import connection

COPY_CHUNK = 5000  # rows formatted and sent at a time
# COPY's text format: these four would end a field or a row, or start an escape.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# Fields whose text is str() of the value, digits and signs only: nothing to escape.
_NUMBERS = frozenset(("AutoField", "BigAutoField", "SmallAutoField", "IntegerField",
                      "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
                      "PositiveBigIntegerField", "PositiveSmallIntegerField", "DecimalField",
                      "ForeignKey", "OneToOneField"))


def insert_rows(model, fields, rows, *, return_ids=False) -> list[int]:
    """Insert ``rows`` (tuples in the order of ``fields``, foreign keys as ids) in one go;
    returns their new ids in order if asked.

    On PostgreSQL by COPY, after drawing the ids from the table's sequence when they are asked
    for: ~5x faster than ``bulk_create`` for a batch, whose per-field Python and array dumping
    were half the tick's time (ARCHITECTURE.md, "What is fast here"). Elsewhere (SQLite, the
    embedded default) by ``bulk_create``. Constraints hold either way: a second step of a kind
    fails the batch on the unique (claim, kind) as it did before.
    """
    if not rows:
        return []
    concrete = [model._meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        objects = model.objects.bulk_create(
            [model(**{f.attname: value for f, value in zip(concrete, row)}) for row in rows])
        return [obj.pk for obj in objects]
    columns = [f.column for f in concrete]
    quote, table = connection.ops.quote_name, model._meta.db_table
    with connection.cursor() as cursor, connection.wrap_database_errors:
        ids = []
        if return_ids:
            ids = reserve_ids(model, len(rows))
            columns = [model._meta.pk.column, *columns]
            rows = [(pk, *row) for pk, row in zip(ids, rows)]
            concrete = [model._meta.pk, *concrete]
        with cursor.copy(f"COPY {quote(table)} ({', '.join(map(quote, columns))}) "
                         "FROM STDIN") as copy:
            # In chunks: the server takes in one while the next is formatted (two cores).
            for start in range(0, len(rows), COPY_CHUNK):
                copy.write(_copy_text(concrete, rows[start:start + COPY_CHUNK]))
    return ids


def reserve_ids(model, count: int) -> list[int] | None:
    """``count`` new ids from the table's sequence, for rows written later with them (rows
    of another table can name them first: the foreign keys are checked at commit). None
    off PostgreSQL, which has no sequence to draw from. One array, not a row per id: 200,000
    rows cost more to fetch than to draw."""
    if connection.vendor != "postgresql":
        return None
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(nextval(pg_get_serial_sequence(%s, %s))) "
                       "FROM generate_series(1, %s)",
                       [model._meta.db_table, model._meta.pk.column, count])
        return cursor.fetchone()[0]


@contextmanager
def row_stream(model, fields):
    """``insert_rows`` for rows made one batch at a time: yields ``write(rows)``. On
    PostgreSQL one COPY, sent a chunk at a time while the caller makes the next rows, so the
    server takes them in meanwhile (the machine has two cores); nothing else may use the
    connection until it closes. Elsewhere the rows are gathered and inserted at the end."""
    if connection.vendor != "postgresql":
        gathered = []
        yield gathered.extend
        insert_rows(model, fields, gathered)
        return
    concrete = [model._meta.get_field(name) for name in fields]
    quote, pending = connection.ops.quote_name, []
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.copy(
            f"COPY {quote(model._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in concrete)}) FROM STDIN") as copy:
        def write(rows):
            pending.extend(rows)
            if len(pending) >= COPY_CHUNK:
                copy.write(_copy_text(concrete, pending))
                pending.clear()

        yield write
        if pending:
            copy.write(_copy_text(concrete, pending))


def _copy_text(fields, rows) -> str:
    """The rows in COPY's text format, converted a column at a time (psycopg's ``write_row``
    looks at every value's type, and was most of a batch's time)."""
    columns = [_column_text(field, list(map(itemgetter(n), rows)))
               for n, field in enumerate(fields)]
    return "\n".join(map("\t".join, zip(*columns))) + "\n"


def _column_text(field, values: list) -> list[str]:
    if None in values:
        texts = iter(_column_text(field, [value for value in values if value is not None]))
        return ["\\N" if value is None else next(texts) for value in values]
    kind = field.get_internal_type()
    if kind in _NUMBERS:
        return list(map(str, values))  # digits and a sign: nothing to escape
    if kind in ("DateField", "DateTimeField"):
        # ISO 8601 (with the offset of an aware time), once per distinct day or moment.
        text = {value: value.isoformat() for value in set(values)}
        return list(map(text.__getitem__, values))
    if kind in ("BooleanField", "NullBooleanField"):
        return ["t" if value else "f" for value in values]
    if kind == "JSONField":
        texts = list(map((field.encoder or json.JSONEncoder)().encode, values))
    else:
        texts = list(map(str, values))
    joined = "".join(texts)
    # Tab, newline and CR are not printable: most columns need no escaping at all.
    if joined.isprintable() and "\\" not in joined:
        return texts
    return [text.translate(_ESCAPES) for text in texts]
