"""Seed the dated law tables from ../shared/DOMAIN.md (see claims/law_seed.py)."""

from django.db import migrations

from claims.law_seed import seed_law_tables


def seed(apps, schema_editor):
    seed_law_tables(apps.get_model("claims", "StatutoryFee"),
                    apps.get_model("claims", "ReferenceRate"))


class Migration(migrations.Migration):
    dependencies = [("claims", "0004_collection_law_and_policy")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
