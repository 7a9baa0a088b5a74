"""The notification outbox moves to the profiles app (every app writes messages to people, and apps
depend one way): its tables are renamed, and the models leave this app's state. profiles 0004 takes
them over without touching the database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0006_dashboard_rollups"),
        ("profiles", "0003_person_history"),
    ]

    operations = [
        migrations.AlterModelTable(name="notification", table="profiles_notification"),
        migrations.AlterModelTable(name="notificationpreference", table="profiles_notificationpreference"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="NotificationPreference"),
                migrations.DeleteModel(name="Notification"),
            ]
        ),
    ]
