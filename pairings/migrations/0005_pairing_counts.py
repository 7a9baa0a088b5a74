"""Pair health's totals of active pairs, in all and per program, kept by the database (common.counts),
for checkins.selectors.pair_health_count."""

from django.db import migrations

from common.counts import counting_migration


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0002_count_delta"),
        ("pairings", "0004_pairing_stored_risk"),
    ]

    operations = [
        counting_migration(
            table="pairings_pairing",
            name="pairing",
            counters=["'pairing.active'", "'pairing.active.program.' || r.program_id"],
            condition="r.status = 'active'",
        )
    ]
