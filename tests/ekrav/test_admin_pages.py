"""Every model in the admin opens for a case handler: its list, and the change page of one
row where a row exists (the demo data gives most models one)."""

import pytest
from django.contrib import admin
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def test_every_admin_list_and_a_change_page_open(admin_client, demo):
    opened = 0
    for model in admin.site._registry:
        meta = model._meta
        url = f"/admin/{meta.app_label}/{meta.model_name}/"
        assert admin_client.get(url).status_code == 200, url
        first = model.objects.first()
        if first is not None:
            page = admin_client.get(f"{url}{first.pk}/change/")
            assert page.status_code == 200, f"{url}{first.pk}/change/"
            opened += 1
    assert opened >= 10
