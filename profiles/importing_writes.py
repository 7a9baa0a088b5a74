"""Bulk writes of the directory import to profiles' own tables (Person, PersonHistory), fast on PostgreSQL.

The ORM's bulk_create and bulk_update cost a Python model per row and, for bulk_update, a CASE of every
row of the batch for every column, which PostgreSQL evaluates for each row: 100,000 people took over a
minute. On PostgreSQL these stream the rows with COPY instead (into the table, or into a temporary table
that one UPDATE ... FROM joins); on other databases (the embedded SQLite) they are the ORM's bulk
methods, which write the same rows. What is written, and when, is the caller's (profiles.services):
these only move rows.
"""

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import DateField, Field, Model

BATCH_SIZE = 1000  # rows per statement where the ORM's bulk methods write
PROGRESS_ROWS = 10_000  # rows between two reports to a progress callback


def fast_writes() -> bool:
    """Whether the database takes COPY and hands out primary keys before the insert."""
    return connection.vendor == "postgresql"


def ids_reserve(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys from the table's own sequence, in increasing order: nobody else is given
    them, so rows can point to each other before they are inserted. PostgreSQL only (fast_writes())."""
    if not count:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
        )
        return sorted(row[0] for row in cursor.fetchall())


def rows_insert(
    model: type[Model], rows: list[dict], *, progress: Callable[[int], None] | None = None
) -> None:
    """Insert rows given as {attname: value}, each naming the same fields; the other columns get their
    field's default. A row may give its primary key (ids_reserve). With COPY on PostgreSQL, else
    bulk_create. `progress` hears the percent of the rows sent, every PROGRESS_ROWS rows."""
    if not rows:
        return
    if not fast_writes():
        model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        return
    from psycopg import sql  # noqa: PLC0415 - PostgreSQL only

    given = list(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError("rows_insert: every row must name the same fields")
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    others = [f for f in model._meta.concrete_fields if f.attname not in given and not f.primary_key]
    defaults = tuple(f.get_default() for f in others)
    columns = [by_attname[name].column for name in given] + [f.column for f in others]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    getter = itemgetter(*given)
    values_of = getter if len(given) > 1 else lambda row: (getter(row),)
    fields = [by_attname[name] for name in given] + others
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        _copy_rows(copy, ((*values_of(row), *defaults) for row in rows), fields, progress, len(rows))


def rows_update(model: type[Model], rows: list[dict], fields: list[str]) -> None:
    """Set `fields` (attnames) of the rows given as {pk attname: ..., field: value, ...}: one UPDATE
    joining a COPY-filled temporary table on PostgreSQL, else bulk_update.

    One statement: PostgreSQL checks a unique index row by row within it, so values that move from one
    row to another (swapped emails) must be parked elsewhere first, as with bulk_update."""
    if not rows or not fields:
        return
    meta = model._meta
    pk = meta.pk.attname
    if not fast_writes():
        model.objects.bulk_update([model(**row) for row in rows], fields, batch_size=BATCH_SIZE)
        return
    from psycopg import sql  # noqa: PLC0415 - PostgreSQL only

    columns = [meta.pk.column] + [meta.get_field(name).column for name in fields]
    names = [pk, *fields]
    table = sql.Identifier(meta.db_table)
    temporary = sql.Identifier(f"twoway_update_{meta.db_table}")
    column_list = sql.SQL(", ").join(sql.Identifier(column) for column in columns)
    # The temporary table lives as long as the transaction: one is needed even when the caller has none.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # Its columns are the table's, with their types, and no constraint; gone at the end of the
        # transaction if not before.
        cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
            .format(temporary, column_list, table)
            .as_string(cursor.cursor)
        )
        with cursor.cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(temporary, column_list)) as copy:
            _copy_rows(
                copy, ([row[name] for name in names] for row in rows), [meta.get_field(n) for n in names]
            )
        update = sql.SQL(
            "UPDATE {table} SET {assignments} FROM {temporary} AS new WHERE {table}.{pk} = new.{pk}"
        )
        cursor.execute(
            update.format(
                table=table,
                temporary=temporary,
                pk=sql.Identifier(meta.pk.column),
                assignments=sql.SQL(", ").join(
                    sql.SQL("{column} = new.{column}").format(column=sql.Identifier(column))
                    for column in columns[1:]
                ),
            ).as_string(cursor.cursor)
        )
        cursor.execute(sql.SQL("DROP TABLE {}").format(temporary).as_string(cursor.cursor))


def _copy_rows(
    copy,
    rows: Iterable[Sequence],
    fields: list[Field],
    progress: Callable[[int], None] | None = None,
    count: int = 0,
) -> None:
    """Write each row of values (in the order of `fields`) to a COPY, telling `progress` the percent of
    the `count` rows sent every PROGRESS_ROWS rows. Dates and times go as ISO text, each distinct one
    formatted once: psycopg takes some 5 µs for each datetime, and an import's rows share a handful of
    them (its time, its day), which made up half the cost of the COPY."""
    temporal = [index for index, field in enumerate(fields) if isinstance(field, DateField)]
    as_text: dict = {}
    for number, values in enumerate(rows, start=1):
        if temporal:
            values = list(values)
            for index in temporal:
                value = values[index]
                if value is not None:
                    text = as_text.get(value)
                    if text is None:
                        text = as_text[value] = value.isoformat()
                    values[index] = text
        copy.write_row(values)
        if progress is not None and number % PROGRESS_ROWS == 0:
            progress(100 * number // count)
