"""The directory's total of active people, kept by the database: profiles.selectors.directory_count.

PostgreSQL only (common.counts): elsewhere the list counts its rows."""

from django.db import migrations

from common.counts import counting_triggers

CREATE, DROP = counting_triggers(
    table="profiles_person",
    name="person",
    counters=["'person.active'"],
    condition="r.is_active",
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
        ("profiles", "0016_notification_recipient_no_own_index"),
    ]

    operations = [migrations.RunPython(add_counts, drop_counts)]
