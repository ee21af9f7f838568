from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("claims", "0007_event_invoice_added"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="hold_until",
            field=models.DateField(blank=True, null=True, verbose_name="on hold until"),
        ),
    ]
