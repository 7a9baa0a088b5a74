"""The enrollments page's total of a program's enrollments, kept by the database: programs.selectors.enrollment_count.

PostgreSQL only (common.counts): elsewhere the list counts its rows."""

from django.db import migrations

from common.counts import counting_triggers

CREATE, DROP = counting_triggers(
    table="programs_enrollment",
    name="enrollment",
    counters=["'enrollment.program.' || r.program_id"],
    condition="true",
)


def add_counts(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_counts(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0002_count_delta"),
        ("programs", "0007_enrollment_opt_in"),
    ]

    operations = [migrations.RunPython(add_counts, drop_counts)]
