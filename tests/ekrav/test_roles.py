"""Staff roles: a case handler (the *Handläggare* group) does the case work in the admin and
nothing beyond it — not the law tables, the creditors' companies, users, keys or permissions,
and no deletion; the superuser may. The group's permissions are set again on every migrate."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from ekrav.roles import GROUP, HANDLER_PERMISSIONS, handlers_group_sync
from tests.conftest import activate_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler(django_user_model):
    user = django_user_model.objects.create_user(username="h@ekrav.se", email="h@ekrav.se",
                                                 password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=GROUP))
    activate_totp(user)
    return user


@pytest.fixture
def handler_client(handler):
    browser = Client()
    browser.force_login(handler)
    return browser


@pytest.mark.parametrize("url", [
    "/admin/", "/admin/claims/claim/", "/admin/claims/dispute/", "/admin/claims/dispute/add/",
    "/admin/payments/incomingpayment/", "/admin/payments/refund/", "/admin/letters/letter/",
    "/admin/claims/statutoryfee/", "/admin/creditors/creditor/",
])
def test_a_handler_sees_the_case_work(handler_client, url):
    assert handler_client.get(url).status_code == 200


@pytest.mark.parametrize("url", [
    "/admin/auth/user/", "/admin/auth/group/", "/admin/creditors/apikey/",
    "/admin/claims/statutoryfee/add/", "/admin/claims/referencerate/add/",
    "/admin/creditors/creditor/add/", "/admin/mfa/authenticator/",
])
def test_a_handler_cannot_reach_beyond_it(handler_client, url):
    assert handler_client.get(url).status_code == 403


def test_a_handler_cannot_change_the_law_or_a_company(handler_client, alice_co):
    from claims.models import StatutoryFee

    fee = StatutoryFee.objects.first()
    page = handler_client.get(f"/admin/claims/statutoryfee/{fee.pk}/change/")
    assert page.status_code == 200 and 'name="amount_ore"' not in page.content.decode()
    page = handler_client.get(f"/admin/creditors/creditor/{alice_co.pk}/change/")
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    before = fee.amount_ore
    handler_client.post(f"/admin/claims/statutoryfee/{fee.pk}/change/",
                        {"amount_ore": before + 1})
    fee.refresh_from_db()
    assert fee.amount_ore == before


def test_a_handler_deletes_nothing(handler):
    assert not any(name.split(".")[1].startswith("delete_") for name in HANDLER_PERMISSIONS)
    assert not any(handler.has_perm(p) for p in ("claims.delete_claim", "auth.change_user",
                                                 "claims.change_statutoryfee"))


def test_the_superuser_may(admin_client):
    assert admin_client.get("/admin/auth/user/").status_code == 200
    assert admin_client.get("/admin/claims/statutoryfee/add/").status_code == 200


def test_the_groups_permissions_are_set_again_on_migrate():
    group = Group.objects.get(name=GROUP)
    group.permissions.add(Permission.objects.get(codename="delete_claim"))
    handlers_group_sync()
    names = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert names == set(HANDLER_PERMISSIONS)
