"""The law tables' first rows, from ../shared/DOMAIN.md: statutory fees (lag 1981:739) and the
Riksbank's reference rate (räntelagen). Used by the seeding migration, and by the tests after a
transactional test has flushed the database.

Rows marked (verify) in DOMAIN.md carry that note for staff to check against the Riksbank's
SECBREFEFF series; correcting a row is an admin edit, a change of law a new row.
"""

from datetime import date
from decimal import Decimal

FEE_LAW = "4 § lag (1981:739) om ersättning för inkassokostnader m.m."
FEES_FROM = date(2013, 3, 16)
FEES = [
    ("reminder_fee", 6000, FEE_LAW),
    ("collection_fee", 18000, FEE_LAW),
    ("late_payment_compensation", 45000,
     "4 a § lag (1981:739) om ersättning för inkassokostnader m.m."),
    ("payment_plan_fee", 17000, FEE_LAW),
    # Kronofogden's fees: outlays the creditor pays and the debtor is asked to repay. DOMAIN.md
    # gives the fees in force, not since when; they are dated with the others, staff correct
    # a row in the admin and a change is a new row.
    ("kfm_application_fee", 30000,
     "Kronofogden: ansökningsavgift för betalningsföreläggande (tas ut även vid återkallelse)"),
    ("kfm_enforcement_fee", 60000,
     "Kronofogden: grundavgift för verkställighet (förnyas årligen under verkställigheten)"),
]
RATES = [
    (date(2019, 1, 1), "-0.50", False),
    (date(2019, 7, 1), "0.00", False),
    (date(2020, 1, 1), "0.00", False),
    (date(2020, 7, 1), "0.00", False),
    (date(2021, 1, 1), "0.00", False),
    (date(2021, 7, 1), "0.00", False),
    (date(2022, 1, 1), "0.00", False),
    (date(2022, 7, 1), "0.50", False),
    (date(2023, 1, 1), "2.50", False),
    (date(2023, 7, 1), "3.50", False),
    (date(2024, 1, 1), "4.00", False),
    (date(2024, 7, 1), "4.00", True),
    (date(2025, 1, 1), "2.50", True),
    (date(2025, 7, 1), "2.00", True),
    (date(2026, 1, 1), "2.00", True),
    (date(2026, 7, 1), "2.00", True),
]


def seed_law_tables(StatutoryFee, ReferenceRate) -> None:  # noqa: N803 - model classes
    """Create the rows that are missing; never changes a row staff may have corrected."""
    for kind, amount, basis in FEES:
        StatutoryFee.objects.get_or_create(kind=kind, valid_from=FEES_FROM,
                                           defaults={"amount_ore": amount, "legal_basis": basis})
    for valid_from, rate, verify in RATES:
        ReferenceRate.objects.get_or_create(
            valid_from=valid_from,
            defaults={"rate": Decimal(rate),
                      "note": "DOMAIN.md" + (" (verify against SECBREFEFF)" if verify else "")})


# Efterbevakning: DOMAIN.md says "a new letter about every three months, periodic re-check of
# solvency"; how often the re-check comes is ekrav's choice, marked so, for staff to change.
SURVEILLANCE_FROM = date(2013, 3, 16)


def seed_surveillance_policy(SurveillancePolicy) -> None:  # noqa: N803 - a model class
    SurveillancePolicy.objects.get_or_create(
        valid_from=SURVEILLANCE_FROM,
        defaults={"letter_every_months": 3, "recheck_every_months": 6,
                  "note": "DOMAIN.md: a letter about every three months; the check every six "
                          "months is ekrav's choice"})
