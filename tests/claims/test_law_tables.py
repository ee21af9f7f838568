"""The law as data: fees and reference rates seeded from DOMAIN.md; the creditor's policy."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from claims.models import ReferenceRate, StatutoryFee
from creditors.models import CollectionPolicy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind,amount", [
    ("reminder_fee", 6000),                 # 60 kr påminnelseavgift
    ("collection_fee", 18000),              # 180 kr inkassoavgift
    ("late_payment_compensation", 45000),   # 450 kr förseningsersättning
    ("payment_plan_fee", 17000),            # 170 kr amorteringsplan
])
def test_statutory_fees_are_seeded_from_2013_03_16(kind, amount):
    fee = StatutoryFee.objects.get(kind=kind)
    assert (fee.valid_from, fee.amount_ore) == (date(2013, 3, 16), amount)
    assert "1981:739" in fee.legal_basis


@pytest.mark.parametrize("valid_from,rate", [
    (date(2019, 1, 1), "-0.50"), (date(2021, 7, 1), "0.00"), (date(2022, 7, 1), "0.50"),
    (date(2023, 1, 1), "2.50"), (date(2023, 7, 1), "3.50"), (date(2024, 1, 1), "4.00"),
    (date(2025, 1, 1), "2.50"), (date(2025, 7, 1), "2.00"), (date(2026, 7, 1), "2.00"),
])
def test_reference_rates_are_seeded_every_half_year(valid_from, rate):
    assert ReferenceRate.objects.get(valid_from=valid_from).rate == Decimal(rate)


def test_the_rate_table_has_no_gap_since_2019():
    starts = sorted(ReferenceRate.objects.values_list("valid_from", flat=True))
    expected = [date(y, m, 1) for y in range(2019, 2027) for m in (1, 7)]
    assert starts == expected


def test_rows_marked_verify_in_domain_md_say_so():
    assert "verify" in ReferenceRate.objects.get(valid_from=date(2025, 1, 1)).note
    assert "verify" not in ReferenceRate.objects.get(valid_from=date(2023, 1, 1)).note


def test_a_new_creditor_gets_the_default_policy(alice_co):
    policy = alice_co.policy
    assert (policy.reminder_deadline_days, policy.grace_days, policy.demand_deadline_days) \
        == (10, 5, 10)
    assert policy.charge_reminder_fee and policy.interest_enabled


def test_a_demand_deadline_under_8_days_is_refused_by_the_database(alice_co):
    with pytest.raises(IntegrityError), transaction.atomic():
        CollectionPolicy.objects.filter(pk=alice_co.policy.pk).update(demand_deadline_days=7)


def test_a_fee_cannot_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        StatutoryFee.objects.create(kind="reminder_fee", valid_from=date(2030, 1, 1),
                                    amount_ore=-1, legal_basis="x")
