"""The directory's total of active people, kept by the database (common.counts), for
profiles.selectors.directory_count."""

from django.db import migrations

from common.counts import counting_migration


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0002_count_delta"),
        ("profiles", "0016_notification_recipient_no_own_index"),
    ]

    operations = [
        counting_migration(
            table="profiles_person",
            name="person",
            counters=["'person.active'"],
            condition="r.is_active",
        )
    ]
