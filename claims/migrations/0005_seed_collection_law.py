"""Seed the dated law tables from ../shared/DOMAIN.md (fees: lag 1981:739; rates: räntelagen).

Rows marked (verify) in DOMAIN.md carry that note, for staff to check against the Riksbank's
SECBREFEFF series; correcting a row is an admin edit, a change of law a new row.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

FEE_LAW = "4 § lag (1981:739) om ersättning för inkassokostnader m.m."
FEES = [
    ("reminder_fee", 6000, FEE_LAW),
    ("collection_fee", 18000, FEE_LAW),
    ("late_payment_compensation", 45000, "4 a § lag (1981:739) om ersättning för "
                                         "inkassokostnader m.m."),
    ("payment_plan_fee", 17000, FEE_LAW),
]
FEES_FROM = date(2013, 3, 16)

RATES = [
    (date(2019, 1, 1), "-0.50", ""),
    (date(2019, 7, 1), "0.00", ""),
    (date(2020, 1, 1), "0.00", ""),
    (date(2020, 7, 1), "0.00", ""),
    (date(2021, 1, 1), "0.00", ""),
    (date(2021, 7, 1), "0.00", ""),
    (date(2022, 1, 1), "0.00", ""),
    (date(2022, 7, 1), "0.50", ""),
    (date(2023, 1, 1), "2.50", ""),
    (date(2023, 7, 1), "3.50", ""),
    (date(2024, 1, 1), "4.00", ""),
    (date(2024, 7, 1), "4.00", "verify"),
    (date(2025, 1, 1), "2.50", "verify"),
    (date(2025, 7, 1), "2.00", "verify"),
    (date(2026, 1, 1), "2.00", "verify"),
    (date(2026, 7, 1), "2.00", "verify"),
]


def seed(apps, schema_editor):
    StatutoryFee = apps.get_model("claims", "StatutoryFee")
    ReferenceRate = apps.get_model("claims", "ReferenceRate")
    for kind, amount, basis in FEES:
        StatutoryFee.objects.get_or_create(kind=kind, valid_from=FEES_FROM,
                                           defaults={"amount_ore": amount, "legal_basis": basis})
    for valid_from, rate, note in RATES:
        ReferenceRate.objects.get_or_create(
            valid_from=valid_from,
            defaults={"rate": Decimal(rate),
                      "note": "DOMAIN.md" + (" (verify against SECBREFEFF)" if note else "")})


class Migration(migrations.Migration):
    dependencies = [("claims", "0004_collection_law_and_policy")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
