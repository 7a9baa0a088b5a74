"""Database expressions that every app may use, written once for each database Twoway runs on."""

from django.db import connection
from django.db.models import BooleanField, DateField, Func, Q, QuerySet
from django.db.models.expressions import RawSQL


class AddDays(Func):
    """`date` plus a whole number of `days` (a column or an expression), as a date.

    PostgreSQL adds an integer to a date natively; SQLite (the embedded default) keeps dates as text and
    uses its date() function. One expression, so a rule built on it means the same on both.
    """

    output_field = DateField()
    arity = 2

    def _parts(self, compiler):
        date_sql, date_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        return date_sql, days_sql, (*date_params, *days_params)

    def as_sql(self, compiler, connection, **extra_context):
        date_sql, days_sql, params = self._parts(compiler)
        return f"(CAST({date_sql} AS date) + CAST({days_sql} AS integer))", params

    def as_sqlite(self, compiler, connection, **extra_context):
        date_sql, days_sql, params = self._parts(compiler)
        return f"date({date_sql}, '+' || CAST({days_sql} AS integer) || ' days')", params


def insert_rows(model, rows: list[dict], *, batch_size: int = 2000) -> int:
    """Insert plain rows (column values by field name) into `model`'s table, fast.

    On PostgreSQL with COPY, which takes a hundred thousand rows in a second or two where INSERTs
    would take tens; elsewhere with bulk_create. Fields left out get their default. Only for tables of
    the calling app's own models (the conventions: an app writes its own tables only).
    """
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return len(rows)
    from psycopg import sql  # noqa: PLC0415

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = defaults | row
            copy.write_row([values[name] for name in names])
    return len(rows)


def among_ids(model, field: str, ids):
    """A condition: `model`'s `field` (a column of its own table) is one of `ids`, for filter() or When().
    On PostgreSQL one array parameter (= ANY(%s)): an IN list of ten thousand placeholders costs Django
    and psycopg a tenth of a second to build and parse. Elsewhere an IN list."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": ids})
    meta, quote = model._meta, connection.ops.quote_name
    model_field = meta.get_field(field)
    column = f"{quote(meta.db_table)}.{quote(model_field.column)}"
    # The array in the column's own type: psycopg would send small ids as integer[], and bigint =
    # integer cannot be hashed, so PostgreSQL would compare each row with every id in turn.
    array_type = f"{model_field.db_type(connection)}[]"
    # Names and type from the model, quoted; the ids are a parameter.
    return RawSQL(f"{column} = ANY(%s::{array_type})", [list(ids)], output_field=BooleanField())  # noqa: S611


def of_ids(queryset: QuerySet, field: str, ids) -> QuerySet:
    """The rows of `queryset` whose `field` is one of `ids` (among_ids)."""
    return queryset.filter(among_ids(queryset.model, field, ids))


_DISTINCT_SQL = """
WITH RECURSIVE found(value) AS (
    (SELECT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY {column} LIMIT 1)
    UNION ALL
    SELECT (SELECT {column} FROM {table} WHERE {column} > found.value ORDER BY {column} LIMIT 1)
    FROM found WHERE found.value IS NOT NULL
)
SELECT value FROM found WHERE value IS NOT NULL
"""


def distinct_values(model, field: str) -> list:
    """The distinct values of `model`'s indexed `field` (not null), in order: what
    `values_list(field).order_by(field).distinct()` returns. On PostgreSQL a loose index scan, which
    jumps through the column's index from one value to the next: a few dozen departments of 100,000
    people cost a few dozen index probes instead of reading every row (10 ms)."""
    if connection.vendor != "postgresql":
        return list(model.objects.order_by(field).values_list(field, flat=True).distinct())
    quote = connection.ops.quote_name
    sql = _DISTINCT_SQL.format(
        column=quote(model._meta.get_field(field).column), table=quote(model._meta.db_table)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)  # names from the model, quoted; no value in the text
        return [row[0] for row in cursor.fetchall()]


class CompiledValues:
    """A values() query the ORM builds and compiles once per process, then runs with other values.

    For a page's heavy query whose building and compiling costs more than running it (pair health's
    rows: 5 ms of Python, 2 of PostgreSQL). `build(**samples)` is the query's one definition; each
    sample must reach the SQL as one parameter, unchanged (an array of ids: `of_ids`), and be a value
    no real call has. The statement is compiled on first use; each call puts its own values where the
    samples were and reads the rows through the ORM's converters, as QuerySet.values() would. Elsewhere
    than PostgreSQL (where `of_ids` is an IN list of its ids' length) the ORM builds it each time.
    """

    def __init__(self, build, **samples):
        self._build, self._samples = build, samples
        self._statement = None

    def _compile(self):
        query = self._build(**self._samples).query
        compiler = query.get_compiler(connection.alias)
        sql, params = compiler.as_sql()
        places = {}
        for name, sample in self._samples.items():
            found = [at for at, value in enumerate(params) if value == sample]
            if len(found) != 1:
                raise ValueError(f"the sample {name}={sample!r} is not one parameter of the statement")
            places[name] = found[0]
        columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
        # In the order QuerySet.values() names them (ValuesIterable).
        names = list(query.selected) if query.selected else [*query.values_select, *query.annotation_select]
        return sql, tuple(params), places, converters, names

    def __call__(self, **values) -> list[dict]:
        if connection.vendor != "postgresql":
            return list(self._build(**values))
        if self._statement is None:
            self._statement = self._compile()
        sql, params, places, converters, names = self._statement
        params = list(params)
        for name, at in places.items():
            params[at] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for row in rows:
            for at, (functions, expression) in converters:
                for convert in functions:
                    row[at] = convert(row[at], expression, connection)
        return [dict(zip(names, row, strict=True)) for row in rows]
