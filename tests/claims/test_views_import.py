"""The CSV import's result page says, per created line, whether the invoice opened a new case or
joined one (one case per debtor, issue 3), with the case linked."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.csv_import import render_csv
from claims.imports import claim_import_confirm, claim_import_preview, claim_import_run
from claims.models import Claim, ClaimImport
from tests.conftest import another_debtor, register, registration_data

pytestmark = pytest.mark.django_db


def row(**overrides):
    data = registration_data(**overrides)
    data["reminder_fee_agreed"] = "ja" if data["reminder_fee_agreed"] else "nej"
    data["debtor_kind"] = {"person": "privatperson", "company": "företag"}[data["debtor_kind"]]
    return data


def imported(creditor, user, *rows, django_capture_on_commit_callbacks):
    claim_import = claim_import_preview(creditor=creditor, user=user, filename="fakturor.csv",
                                        data=render_csv(list(rows)).encode(),
                                        today=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=False):
        claim_import_confirm(claim_import=claim_import)
    return claim_import_run(import_id=claim_import.pk, today=timezone.localdate())


def created_rows(html):
    table = html.split('data-testid="import-created-list"')[1].split("</table>")[0]
    return {int(line): (case, body) for line, case, body in re.findall(
        r'<tr data-line="(\d+)" data-case="(\w*)">(.*?)</tr>', table, re.S)}


def test_each_line_says_whether_it_opened_or_joined_a_case(alice_client, alice_co, alice,
                                                           django_capture_on_commit_callbacks):
    alice_client.cookies["django_language"] = "en"
    other = another_debtor(1)
    earlier = register(alice_co, alice, invoice_number="A-1", **other)
    imp = imported(alice_co, alice,
                   row(invoice_number="F-1"),  # line 2: Dan's first case
                   row(invoice_number="F-2"),  # line 3: joins the case line 2 opened
                   row(invoice_number="F-3", **other),  # line 4: joins the open case A-1 is in
                   row(invoice_number="F-4", **another_debtor(2)),  # line 5: a new case
                   django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    dans = Claim.objects.get(invoices__invoice_number="F-1")
    new = Claim.objects.get(invoices__invoice_number="F-4")

    response = alice_client.get(reverse("claims:import_detail", args=[imp.pk]))
    html = response.content.decode()
    rows = created_rows(html)
    assert {line: case for line, (case, _body) in rows.items()} == {
        2: "opened", 3: "joined", 4: "joined", 5: "opened"}
    for line, claim in ((2, dans), (3, dans), (4, earlier), (5, new)):
        assert f'href="/arenden/{claim.pk}/">{claim.case_number}</a>' in rows[line][1], line
    assert "new case" in rows[2][1] and "new case" in rows[5][1]
    assert "added to the case opened by line 2" in rows[3][1]
    assert "added to the debtor's open case" in rows[4][1]
    assert re.search(r'data-testid="import-opened">2<', html)
    assert re.search(r'data-testid="import-joined">2<', html)
    assert "one letter and one fee per step" in html


def test_a_report_from_before_cases_were_joined_still_shows(alice_client, alice_co, alice,
                                                           django_capture_on_commit_callbacks):
    imp = imported(alice_co, alice, row(invoice_number="F-1"),
                   django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    report = imp.report
    for entry in report["created"]:
        del entry["case"]
    ClaimImport.objects.filter(pk=imp.pk).update(report=report)
    html = alice_client.get(reverse("claims:import_detail", args=[imp.pk])).content.decode()
    claim = Claim.objects.get()
    assert [case for case, _body in created_rows(html).values()] == [""]
    assert claim.case_number in html
    assert 'data-testid="import-case-how"' not in html and 'data-testid="import-joined"' not in html


def test_charlie_never_sees_the_result(charlie_client, alice_co, alice,
                                       django_capture_on_commit_callbacks):
    imp = imported(alice_co, alice, row(invoice_number="F-1"),
                   django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    response = charlie_client.get(reverse("claims:import_detail", args=[imp.pk]))
    assert response.status_code == 404
