"""What the Mitt Ärende payment-flow tests share (Swish, card, Trustly): a case at its
collection demand, and the debtor who opened it. Each module brings its own ``sim`` (the
provider's simulator on the live server), which ``visitor`` starts."""

import pytest
import time_machine

from claims.models import Claim
from letters.services import collection_day_run
from tests.debtors.conftest import DEMAND_DAY, TODAY, amount, open_case, register_on


@pytest.fixture
def claim(alice_co):
    claim = register_on(alice_co)
    collection_day_run(until=DEMAND_DAY)
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def visitor(client, claim, sim):
    with time_machine.travel(TODAY, tick=False):
        assert open_case(client, claim).status_code == 302
        yield client


def kronor(ore: int) -> str:
    return f"{ore // 100},{ore % 100:02d}"


def outstanding(visitor, claim) -> int:
    return amount(visitor.get(f"/mitt-arende/arenden/{claim.pk}/"), "total")
