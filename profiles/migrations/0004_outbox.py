"""The notification outbox, as checkins left it (checkins 0007 renamed its tables): state only."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0003_person_history"),
        ("checkins", "0007_outbox_moves_to_profiles"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=30)),
                        ("subject", models.CharField(max_length=60)),
                        ("period", models.CharField(max_length=20)),
                        ("title", models.CharField(max_length=200)),
                        ("body", models.TextField()),
                        ("link", models.CharField(max_length=300)),
                        ("why", models.CharField(max_length=300)),
                        ("state", models.CharField(default="pending", max_length=10)),
                        ("due_at", models.DateTimeField(db_index=True)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("skip_reason", models.CharField(blank=True, max_length=200)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to="profiles.person",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-due_at", "-pk"],
                        "indexes": [
                            models.Index(fields=["recipient", "read_at"], name="checkins_no_recipie_5c627d_idx"),
                            models.Index(fields=["state", "due_at", "id"], name="notification_claim_order"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("recipient", "kind", "subject", "period"), name="notification_once"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="NotificationPreference",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=30)),
                        ("email", models.BooleanField(default=True)),
                        (
                            "person",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notification_preferences",
                                to="profiles.person",
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(fields=("person", "kind"), name="notification_preference_once")
                        ]
                    },
                ),
            ]
        ),
        migrations.RenameIndex(
            model_name="notification", new_name="notification_unread", old_name="checkins_no_recipie_5c627d_idx"
        ),
    ]
