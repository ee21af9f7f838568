"""ekrav.memo: the law's small tables are read once per request, afresh outside one, and
afresh after the request itself changed them."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import ReferenceRate, StatutoryFee
from claims.selectors import fee_caps_on, reference_rates
from ekrav.memo import memo_close, memo_open, memoized

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 24)


@pytest.fixture
def in_request():
    token = memo_open()
    yield
    memo_close(token)


def test_outside_a_request_every_call_reads():
    with CaptureQueriesContext(connection) as queries:
        reference_rates(), reference_rates(), fee_caps_on(DAY), fee_caps_on(DAY)
    assert len(queries) == 4


def test_in_a_request_each_table_is_read_once(in_request):
    with CaptureQueriesContext(connection) as queries:
        first = reference_rates()
        assert reference_rates() is first
        assert fee_caps_on(DAY) == fee_caps_on(DAY)
    assert len(queries) == 2


def test_fee_caps_are_kept_per_day(in_request):
    with CaptureQueriesContext(connection) as queries:
        fee_caps_on(DAY), fee_caps_on(date(2020, 1, 1)), fee_caps_on(DAY)
    assert len(queries) == 2


def test_a_request_that_saves_a_rate_reads_the_new_table(in_request):
    before = reference_rates()
    ReferenceRate.objects.create(valid_from=date(2099, 1, 1), rate=Decimal("9.99"))
    after = reference_rates()
    assert len(after) == len(before) + 1
    assert any(r.rate == Decimal("9.99") for r in after)


def test_a_request_that_changes_a_fee_reads_the_new_caps(in_request):
    caps = fee_caps_on(DAY)
    fee = StatutoryFee.objects.filter(kind=StatutoryFee.Kind.REMINDER,
                                      valid_from__lte=DAY).latest("valid_from", "id")
    fee.amount_ore += 100
    fee.save()
    assert fee_caps_on(DAY).reminder_ore == caps.reminder_ore + 100
    fee.delete()
    assert fee_caps_on(DAY).reminder_ore != caps.reminder_ore + 100


def test_requests_do_not_share_a_memo():
    token = memo_open()
    assert memoized("k", lambda: 1) == 1
    memo_close(token)
    token = memo_open()
    assert memoized("k", lambda: 2) == 2
    memo_close(token)
    assert memoized("k", lambda: 3) == 3  # outside: no memo at all
