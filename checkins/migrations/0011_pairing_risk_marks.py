"""The database marks a pairing's stored risk (Pairing.risk) to be worked out again when an input of pair
health's at-risk flags changes, by whatever path it changes: a service, the directory import's bulk
writes, SCIM, an erasure, the admin. The marks say only "work this out again"; the rule itself stays in
one place, checkins.selectors._risk_flags, which checkins.selectors.refresh_stored_risk runs over the
marked rows (and over the rows whose dated flag is due to change: risk_changes_at).

A mark is an UPDATE of the pairing row, so it holds the row's lock until the writer commits; the refresh
takes the rows it works out with FOR UPDATE SKIP LOCKED and reads the flags' inputs in a later statement,
so it never stores a value that misses a change still being committed (it skips that row this time).

The inputs: the pairing's own status, sides, late-from day and rating trend; its open concerns; its
cancellations; a "no, it does not fit" answer on one of its check-ins; one of its people leaving (or
coming back). Statement-level triggers with transition tables: a bulk write of 100,000 rows marks once.

PostgreSQL only. The embedded default (SQLite, a demo on one machine) has no marks: there the refresh
works out every active pairing on every read, which is right at any size and quick at a demo's.
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE FUNCTION twoway_risk_mark_pairing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only the refresh stores a risk (it says so for its own transaction); any other write may mark the
    -- row (NULL) but keeps what it holds otherwise, so a pairing read before a refresh and saved after it
    -- cannot put an old value back. A change of one of the flags' own inputs marks the row.
    IF current_setting('twoway.risk_refresh', true) IS DISTINCT FROM 'on' THEN
        IF NEW.risk IS NOT NULL THEN
            NEW.risk := OLD.risk;
            NEW.risk_changes_at := OLD.risk_changes_at;
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status
            OR NEW.mentor_id IS DISTINCT FROM OLD.mentor_id
            OR NEW.mentee_id IS DISTINCT FROM OLD.mentee_id
            OR NEW.late_from IS DISTINCT FROM OLD.late_from
            OR NEW.rating_trend IS DISTINCT FROM OLD.rating_trend THEN
            NEW.risk := NULL;
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION twoway_risk_mark_by_pairing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE pairings_pairing SET risk = NULL
        WHERE id IN (SELECT pairing_id FROM new_rows);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE pairings_pairing SET risk = NULL
        WHERE id IN (SELECT pairing_id FROM old_rows);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION twoway_risk_mark_by_fit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE pairings_pairing SET risk = NULL
        WHERE id IN (
            SELECT c.pairing_id FROM checkins_checkin c
            WHERE c.id IN (SELECT checkin_id FROM new_rows WHERE fit = 'poor')
        );
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE pairings_pairing SET risk = NULL
        WHERE id IN (
            SELECT c.pairing_id FROM checkins_checkin c
            WHERE c.id IN (SELECT checkin_id FROM old_rows WHERE fit = 'poor')
        );
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION twoway_risk_mark_by_person() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    enrollments bigint[];
BEGIN
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

TRIGGERS = r"""
CREATE TRIGGER twoway_risk_pairing BEFORE UPDATE ON pairings_pairing FOR EACH ROW
    EXECUTE FUNCTION twoway_risk_mark_pairing();
"""

for table, function in (
    ("checkins_concern", "twoway_risk_mark_by_pairing"),
    ("checkins_cancellation", "twoway_risk_mark_by_pairing"),
    ("checkins_reflection", "twoway_risk_mark_by_fit"),
):
    TRIGGERS += f"""
CREATE TRIGGER twoway_risk_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER twoway_risk_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER twoway_risk_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""

TRIGGERS += """
CREATE TRIGGER twoway_risk_update AFTER UPDATE ON profiles_person
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION twoway_risk_mark_by_person();
"""

DROP = """
DROP TRIGGER IF EXISTS twoway_risk_pairing ON pairings_pairing;
DROP TRIGGER IF EXISTS twoway_risk_update ON profiles_person;
""" + "".join(
    f"DROP TRIGGER IF EXISTS twoway_risk_{event} ON {table};\n"
    for table in ("checkins_concern", "checkins_cancellation", "checkins_reflection")
    for event in ("insert", "update", "delete")
) + """
DROP FUNCTION IF EXISTS twoway_risk_mark_pairing();
DROP FUNCTION IF EXISTS twoway_risk_mark_by_pairing();
DROP FUNCTION IF EXISTS twoway_risk_mark_by_fit();
DROP FUNCTION IF EXISTS twoway_risk_mark_by_person();
"""


def _run_on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


add_marks = _run_on_postgresql(FUNCTIONS + TRIGGERS)
drop_marks = _run_on_postgresql(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0010_reflection_poor_fit_index"),
        ("pairings", "0004_pairing_stored_risk"),
        ("profiles", "0014_person_active_index"),
    ]

    operations = [migrations.RunPython(add_marks, drop_marks)]
