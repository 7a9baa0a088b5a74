"""The database marks a pairing's stored risk (Pairing.risk) to be worked out again when an input of pair
health's at-risk flags in another table changes, by whatever path it changes: a service, the directory
import's bulk writes, SCIM, an erasure, the admin. The marks say only "work this out again"; the rule
itself stays in one place, checkins.selectors._risk_flags, which refresh_stored_risk runs over the marked
rows (and over the rows whose dated flag is due to change: risk_changes_at). The pairing's own columns
mark it through pairings migration 0004.

The inputs here: its open concerns; its cancellations; a "no, it does not fit" answer on one of its
check-ins; one of its people leaving (or coming back). Statement-level triggers with transition tables: a
bulk write of 100,000 rows marks once. An UPDATE marks by its old rows and by its new rows (a concern moved
to another pair, or an answer changed from "no", changes both), each through a trigger of its own.

A mark is an UPDATE of the pairing row, so it holds the row's lock until the writer commits; the refresh
takes the rows it works out with FOR UPDATE SKIP LOCKED and reads the flags' inputs in a later statement,
so it never stores a value that misses a change still being committed (it skips that row this time).

PostgreSQL only. The embedded default (SQLite, a demo on one machine) has no marks: there the refresh
works out every active pairing on every read, which is right at any size and quick at a demo's.
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE FUNCTION twoway_risk_mark_by_pairing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pairings_pairing SET risk = NULL WHERE id IN (SELECT pairing_id FROM changed_rows);
    RETURN NULL;
END $$;

CREATE FUNCTION twoway_risk_mark_by_fit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pairings_pairing SET risk = NULL WHERE id IN (
        SELECT c.pairing_id FROM checkins_checkin c JOIN changed_rows r ON r.checkin_id = c.id WHERE r.fit = 'poor'
    );
    RETURN NULL;
END $$;

CREATE FUNCTION twoway_risk_mark_by_person() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    enrollments bigint[];
BEGIN
    -- An array, so that each side is one index scan of the pairings (an OR of two subqueries is not).
    SELECT array_agg(e.id) INTO enrollments
    FROM programs_enrollment e
    WHERE e.person_id IN (
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.is_active IS DISTINCT FROM o.is_active
    );
    IF enrollments IS NOT NULL THEN
        UPDATE pairings_pairing SET risk = NULL
        WHERE mentor_id = ANY (enrollments) OR mentee_id = ANY (enrollments);
    END IF;
    RETURN NULL;
END $$;
"""

# (trigger name, event, transition table) for each table: the rows each event changes.
EVENTS = [
    ("insert", "INSERT", "NEW"),
    ("update_old", "UPDATE", "OLD"),
    ("update_new", "UPDATE", "NEW"),
    ("delete", "DELETE", "OLD"),
]
TABLES = {
    "checkins_concern": "twoway_risk_mark_by_pairing",
    "checkins_cancellation": "twoway_risk_mark_by_pairing",
    "checkins_reflection": "twoway_risk_mark_by_fit",
}
TRIGGERS = "".join(
    f"CREATE TRIGGER twoway_risk_{name} AFTER {event} ON {table} "
    f"REFERENCING {rows} TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
    for table, function in TABLES.items()
    for name, event, rows in EVENTS
) + (
    "CREATE TRIGGER twoway_risk_update AFTER UPDATE ON profiles_person "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION twoway_risk_mark_by_person();\n"
)

DROP = (
    "DROP TRIGGER IF EXISTS twoway_risk_update ON profiles_person;\n"
    + "".join(
        f"DROP TRIGGER IF EXISTS twoway_risk_{name} ON {table};\n"
        for table in TABLES
        for name, _e, _r in EVENTS
    )
    + "".join(
        f"DROP FUNCTION IF EXISTS {function}();\n"
        for function in (
            "twoway_risk_mark_by_pairing",
            "twoway_risk_mark_by_fit",
            "twoway_risk_mark_by_person",
        )
    )
)


def add_marks(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS + TRIGGERS)


def drop_marks(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0010_reflection_poor_fit_index"),
        ("pairings", "0004_pairing_stored_risk"),
        ("profiles", "0014_person_active_index"),
    ]

    operations = [migrations.RunPython(add_marks, drop_marks)]
