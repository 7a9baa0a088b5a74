import django.db.models.deletion
from django.db import migrations, models

# The index Django made for the foreign key (named when the model was still checkins.Notification).
INDEX = "checkins_notification_recipient_id_1ebc1a4c"


class Migration(migrations.Migration):
    """The recipient's own index goes (notification_once and notification_unread lead with the same
    column). Only the index: Django's AlterField would also drop and re-add the foreign key, which
    re-checks every notification row under a lock that stops the outbox for as long."""

    dependencies = [
        ("profiles", "0015_notification_pending_claim_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="recipient",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to="profiles.person",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "profiles_notification" ("recipient_id")',
                ),
            ],
        ),
    ]
