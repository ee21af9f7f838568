from django.db import migrations


def create_policies(apps, schema_editor):
    Creditor = apps.get_model("creditors", "Creditor")
    CollectionPolicy = apps.get_model("creditors", "CollectionPolicy")
    for creditor in Creditor.objects.filter(policy__isnull=True):
        CollectionPolicy.objects.create(creditor=creditor)


class Migration(migrations.Migration):
    dependencies = [("creditors", "0002_collection_law_and_policy")]
    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
