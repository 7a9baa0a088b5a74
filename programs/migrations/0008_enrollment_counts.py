"""A program's total of enrollments, kept by the database (common.counts), for
programs.selectors.enrollment_count."""

from django.db import migrations

from common.counts import counting_migration


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0002_count_delta"),
        ("programs", "0007_enrollment_opt_in"),
    ]

    operations = [
        counting_migration(
            table="programs_enrollment",
            name="enrollment",
            counters=["'enrollment.program.' || r.program_id"],
            condition="true",
        )
    ]
