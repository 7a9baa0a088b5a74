"""Pair health's totals of active pairs, in all and per program, kept by the database: checkins.selectors.pair_health_count.

PostgreSQL only (common.counts): elsewhere the list counts its rows."""

from django.db import migrations

from common.counts import counting_triggers

CREATE, DROP = counting_triggers(
    table="pairings_pairing",
    name="pairing",
    counters=["'pairing.active'", "'pairing.active.program.' || r.program_id"],
    condition="r.status = 'active'",
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
        ("pairings", "0004_pairing_stored_risk"),
    ]

    operations = [migrations.RunPython(add_counts, drop_counts)]
