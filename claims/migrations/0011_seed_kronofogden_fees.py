"""Kronofogden's fees from ../shared/DOMAIN.md, next to the other dated law rows
(claims/law_seed.py): only the rows that are missing are created."""

from django.db import migrations

from claims.law_seed import seed_law_tables


def seed(apps, schema_editor):
    seed_law_tables(apps.get_model("claims", "StatutoryFee"),
                    apps.get_model("claims", "ReferenceRate"))


class Migration(migrations.Migration):
    dependencies = [("claims", "0010_decisions")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
