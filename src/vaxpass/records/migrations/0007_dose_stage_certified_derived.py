"""A dose is no longer stored as "certified": that stage is derived from the passports
(`records.stages`). Doses stored as certified become signed, which they are; their stage
stays certified while their passport is valid. The stage is unchanged, so no audit entry:
only how it is kept changed."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("records", "0006_audit_object_id_index")]

    operations = [
        migrations.RunSQL(
            "UPDATE records_dose SET status = 'signed' WHERE status = 'certified'",
            # Going back, doses stay "signed": the older code marks them certified again
            # the next time their person's passport is issued.
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="dose",
            name="status",
            field=models.CharField(
                choices=[("recorded", "recorded"), ("verified", "verified"), ("signed", "signed")],
                default="recorded",
                max_length=10,
            ),
        ),
    ]
