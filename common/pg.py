"""PostgreSQL only: which statements psycopg may prepare (see DATABASE_PREPARE_THRESHOLD in settings).

A prepared statement is planned without its values, once, and that generic plan is kept. For the many
small statements of a page that is the point: planning a seven-table join takes 1.5 ms, running it
0.2 ms. For a statement given an array of ids (common.db.among_ids) or hundreds of values it is a trap:
the plan cannot know whether the array holds three ids or a hundred thousand, and = ANY then tests every
row read against every id in turn (a sync of 100,000 people took 40 s instead of 8). Those are planned
each time, with their values, which costs little beside the work they do.
"""

from collections.abc import Mapping

from django.db.backends.postgresql.base import ServerBindingCursor

# More values than this make a batch (a multi-row insert, a long IN list), not a page's lookup.
PREPARE_MAX_PARAMETERS = 32


def preparable(params) -> bool:
    """Whether a statement with these parameters may be prepared: few of them, and no array."""
    if not params:
        return True
    values = params.values() if isinstance(params, Mapping) else params
    if len(values) > PREPARE_MAX_PARAMETERS:
        return False
    return not any(isinstance(value, (list, tuple, set, frozenset)) for value in values)


class PreparingCursor(ServerBindingCursor):
    """Django's server-binding cursor, which lets psycopg prepare only preparable() statements."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and not preparable(params):
            prepare = False
        return super().execute(query, params, prepare=prepare, binary=binary)


def use_preparing_cursor(sender, connection, **kwargs) -> None:
    """On each new PostgreSQL connection (connection_created, connected by common.apps), when it binds
    parameters on the server: with DATABASE_PREPARE_THRESHOLD=off it keeps Django's client-side cursor."""
    if connection.features.uses_server_side_binding:
        connection.connection.cursor_factory = PreparingCursor
