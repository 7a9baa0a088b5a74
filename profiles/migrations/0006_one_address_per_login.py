"""A login's only email address is its own (its directory entry's): drop any other address on a login.

Extra addresses could be a colleague's (blocking their invitation) or a personal one (a way in that
outlives the company mailbox); the app no longer lets anyone add one. Reversing restores nothing.
"""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Lower


def drop_extra_addresses(apps, schema_editor):
    EmailAddress = apps.get_model("account", "EmailAddress")
    EmailAddress.objects.annotate(own=Lower("user__email")).exclude(own=Lower(F("email"))).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0005_outbox_events"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(drop_extra_addresses, migrations.RunPython.noop)]
