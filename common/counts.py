"""Counts of rows that PostgreSQL keeps up to date, for the lists whose totals grow with the company.

A paginated list shows its total ("98,012 people", "Page 1 of 1,961"): a COUNT(*) of 100,000 rows reads
every one of them (11 ms for the directory at 100,000 people, however well indexed), on every page view.
For the few totals a list shows unfiltered, triggers on the counted table record each statement's change
as a row of common.CountDelta, and the total is their sum: an indexed read of a handful of rows. The
triggers see every write by any path (COPY and bulk statements included, one row per statement; a
TRUNCATE resets the table's counters), so the sum is exact, and it is read in the reader's own snapshot:
it agrees with what a COUNT(*) in the same transaction would say.

Each counter is defined once, in the migration that creates its triggers (counting_triggers), as a SQL
condition over the table's rows and a counter name; the app's selector that reads it names the same
rows in the ORM, and a test holds the two to each other. Elsewhere than PostgreSQL (the embedded
SQLite demo) there are no triggers: counted() says None and the caller counts the rows.
"""

from django.core.paginator import Paginator
from django.db import connection, migrations
from django.utils.functional import cached_property

from .models import CountDelta

_TABLE = CountDelta._meta.db_table

_FUNCTION = """
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {body}
    RETURN NULL;
END $$;
CREATE TRIGGER {function} AFTER {operation} ON {table} {referencing}
FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""
_CHANGE = """INSERT INTO {deltas} (counter, delta)
    SELECT counter, sum(delta) FROM ({changes}) AS changes GROUP BY counter HAVING sum(delta) <> 0;"""
_ROWS = "SELECT {counter} AS counter, {sign} AS delta FROM {rows} AS r WHERE {condition}"
# A statement-level trigger with transition tables per event: a bulk write of 100,000 rows is one row.
# (operation, transition tables, the rows that count +1, the rows that count -1)
_EVENTS = {
    "insert": ("INSERT", "REFERENCING NEW TABLE AS new_rows", ["new_rows"], []),
    "update": (
        "UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ["new_rows"],
        ["old_rows"],
    ),
    "delete": ("DELETE", "REFERENCING OLD TABLE AS old_rows", [], ["old_rows"]),
}


def counting_triggers(*, table: str, name: str, counters: list[str], condition: str) -> tuple[str, str]:
    """The SQL (create, drop) of the triggers that count `table`'s rows meeting `condition` (SQL over
    the row `r`), under each of `counters` (SQL expressions over `r`: a literal, or one built from a
    column, such as 'enrollment.program.' || r.program_id). Counter names start with `name` + '.'.
    Run once, it also counts the rows already there."""
    prefix = f"{name}."
    # Every name and condition here comes from a migration, never from a request.
    forget = f"DELETE FROM {_TABLE} WHERE starts_with(counter, '{prefix}');"  # noqa: S608
    create, drop = [], []
    for event, (operation, referencing, added, removed) in _EVENTS.items():
        changes = [
            _ROWS.format(counter=counter, sign=sign, rows=rows, condition=condition)
            for sign, tables in ((1, added), (-1, removed))
            for rows in tables
            for counter in counters
        ]
        function = f"twoway_count_{name}_{event}"
        body = _CHANGE.format(deltas=_TABLE, changes=" UNION ALL ".join(changes))
        create.append(
            _FUNCTION.format(
                function=function, body=body, operation=operation, table=table, referencing=referencing
            )
        )
        drop.append(f"DROP TRIGGER IF EXISTS {function} ON {table};\nDROP FUNCTION IF EXISTS {function}();\n")
    # After a TRUNCATE the table holds nothing: its counters go.
    function = f"twoway_count_{name}_truncate"
    create.append(
        _FUNCTION.format(function=function, body=forget, operation="TRUNCATE", table=table, referencing="")
    )
    drop.append(f"DROP TRIGGER IF EXISTS {function} ON {table};\nDROP FUNCTION IF EXISTS {function}();\n")
    # What the table holds now, as the counters' first rows.
    create.append(forget + "\n")
    create += [
        f"INSERT INTO {_TABLE} (counter, delta) SELECT {counter}, count(*) FROM {table} AS r "  # noqa: S608
        f"WHERE {condition} GROUP BY 1;\n"
        for counter in counters
    ]
    drop.append(forget + "\n")
    return "".join(create), "".join(drop)


def counting_migration(**spec) -> migrations.RunPython:
    """The migration operation that creates (and, reversed, drops) counting_triggers(**spec), on
    PostgreSQL only: elsewhere the lists count their rows."""
    create, drop = counting_triggers(**spec)

    def add_counts(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(create)

    def drop_counts(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop)

    return migrations.RunPython(add_counts, drop_counts)


def counted(counter: str) -> int | None:
    """The number of rows the counter counts, as this transaction sees them; None where the database
    keeps no counts (not PostgreSQL): count the rows instead."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(sum(delta), 0) FROM {_TABLE} WHERE counter = %s", [counter])  # noqa: S608
        return int(cursor.fetchone()[0])


_COMPACT_SQL = f"""
WITH gone AS (DELETE FROM {_TABLE} RETURNING counter, delta)
INSERT INTO {_TABLE} (counter, delta)
SELECT counter, sum(delta) FROM gone GROUP BY counter HAVING sum(delta) <> 0
"""  # noqa: S608


def counts_compact() -> None:
    """Fold each counter's rows into one (the tick's, every minute). One statement: it removes only
    the rows its snapshot sees, so a write committing meanwhile keeps its row, and two at once agree."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_COMPACT_SQL)


class CountedPaginator(Paginator):
    """Django's paginator, told the total when it is known (counted()) instead of counting the rows."""

    def __init__(self, object_list, per_page, *, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count if self._known_count is not None else super().count
