"""Many rows into one table at once: COPY on PostgreSQL, ``bulk_create`` elsewhere.

Used where thousands of rows are written per transaction (the collection tick, BgMax
payments): ARCHITECTURE.md measures COPY at ~175k rows/s against ~38k for ``bulk_create``.
"""

from django.db import connection


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
    # JSON is the one type that needs Django's adaptation (psycopg's Jsonb, with the encoder).
    json = [i for i, f in enumerate(concrete) if f.get_internal_type() == "JSONField"]
    columns = [f.column for f in concrete]
    quote, table = connection.ops.quote_name, model._meta.db_table
    with connection.cursor() as cursor, connection.wrap_database_errors:
        ids = []
        if return_ids:
            pk = model._meta.pk.column
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                           "FROM generate_series(1, %s)", [table, pk, len(rows)])
            ids = [row[0] for row in cursor.fetchall()]
            columns = [pk, *columns]
        with cursor.copy(f"COPY {quote(table)} ({', '.join(map(quote, columns))}) "
                         "FROM STDIN") as copy:
            for n, row in enumerate(rows):
                if json:
                    row = list(row)
                    for i in json:
                        row[i] = concrete[i].get_db_prep_save(row[i], connection)
                copy.write_row((ids[n], *row) if return_ids else row)
    return ids
