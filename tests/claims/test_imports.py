"""CSV bulk registration against the database: preview, confirm, the atomic run, the pages.

Charlie, who must see nothing of alice's, gets a 404 on every URL of alice's imports.
"""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from claims import imports as imports_module
from claims.csv_import import parse_csv, render_csv
from claims.imports import (
    ClaimImportError,
    claim_import_confirm,
    claim_import_preview,
    claim_import_progress,
    claim_import_run,
    claim_import_same_file_done,
)
from claims.models import Claim, ClaimImport, Invoice, Status
from claims.tasks import claim_import_run_task
from debtors.models import Debtor
from ekrav.celery import app as celery_app
from tests.conftest import another_debtor, register, registration_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    # The portal is Swedish unless the user picked English (the language cookie).
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def local_cache(settings):
    """Progress lives in the cache; the tests keep it in memory, away from var/."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "imports-tests"}}
    cache.clear()


@pytest.fixture
def eager(monkeypatch):
    """Celery reads CELERY_TASK_ALWAYS_EAGER once, at app configuration: set it on the app."""
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)


def today():
    return timezone.localdate()


def row(**overrides):
    data = registration_data(**overrides)
    data["reminder_fee_agreed"] = "ja" if data["reminder_fee_agreed"] else "nej"
    data["debtor_kind"] = {"person": "privatperson", "company": "företag"}.get(
        data["debtor_kind"], data["debtor_kind"])
    return data


def csv_file(*rows, encoding="utf-8"):
    return render_csv(list(rows)).encode(encoding)


def preview(creditor, user, *rows, filename="fakturor.csv"):
    return claim_import_preview(creditor=creditor, user=user, filename=filename,
                                data=csv_file(*rows), today=today())


def confirm_and_run(claim_import, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claim_import_confirm(claim_import=claim_import)
    assert len(callbacks) == 1  # the task is queued once, after the commit
    return claim_import_run(import_id=claim_import.pk, today=today())


# --- preview ------------------------------------------------------------------------------------


def test_preview_stores_every_row_with_its_errors(alice_co, alice, alice_claim):
    imp = preview(alice_co, alice, row(invoice_number="F-1"),
                  row(invoice_number="F-2", debtor_postal_code="12"),
                  row(invoice_number=alice_claim.invoices.get().invoice_number),
                  row(invoice_number="F-1"), filename="C:\\Users\\a\\fakturor.csv")
    assert imp.state == ClaimImport.State.PREVIEW
    assert (imp.total_rows, imp.valid_rows) == (4, 1)
    assert imp.filename == "fakturor.csv"
    assert len(imp.sha256) == 64 and imp.encoding == "utf-8" and imp.delimiter == ";"
    assert imp.language == "en"
    errors = [r["errors"] for r in imp.rows]
    assert errors[0] == {}
    assert list(errors[1]) == ["debtor_postal_code"]
    assert errors[2]["invoice_number"] == [
        f"Invoice F-1001 is already registered in case {alice_claim.case_number}."]
    assert "also appears on line 2" in errors[3]["invoice_number"][0]
    assert Claim.objects.count() == 1  # a preview registers nothing


def test_another_creditors_invoice_numbers_are_no_duplicates(alice_co, alice, charlie_co):
    register(charlie_co, invoice_number="F-1")
    imp = preview(alice_co, alice, row(invoice_number="F-1"))
    assert imp.valid_rows == 1


@pytest.mark.parametrize("data, words", [
    (b"PK\x03\x04zip", "Excel workbook"),
    (b"fakturanummer;belopp\nF-1;100\n", "Required columns are missing"),
    (b"typ;\x81\x8d\n", "cannot be read"),
    (b"", "empty"),
])
def test_a_file_that_cannot_be_used_stores_nothing(alice_co, alice, data, words):
    with pytest.raises(ClaimImportError) as exc:
        claim_import_preview(creditor=alice_co, user=alice, filename="x.csv", data=data,
                             today=today())
    assert words in str(exc.value)
    assert not ClaimImport.objects.exists()


def test_a_file_too_large_stores_nothing(alice_co, alice, settings):
    settings.CSV_IMPORT_MAX_BYTES = 100
    with pytest.raises(ClaimImportError, match="larger than"):
        preview(alice_co, alice, row())
    assert not ClaimImport.objects.exists()


def test_windows_1252_file(alice_co, alice):
    imp = claim_import_preview(creditor=alice_co, user=alice, filename="x.csv",
                               data=csv_file(row(debtor_name="Örjan Åström"),
                                             encoding="cp1252"), today=today())
    assert imp.encoding == "windows-1252"
    assert imp.rows[0]["values"]["debtor_name"] == "Örjan Åström"


def test_the_same_file_imported_before_is_said(alice_co, alice, django_capture_on_commit_callbacks):
    first = preview(alice_co, alice, row(invoice_number="F-1"))
    confirm_and_run(first, django_capture_on_commit_callbacks)
    again = preview(alice_co, alice, row(invoice_number="F-1"))
    assert again.sha256 == first.sha256
    assert claim_import_same_file_done(again) == first
    assert again.valid_rows == 0  # every row is already registered
    assert "already registered" in again.rows[0]["errors"]["invoice_number"][0]


def test_the_same_file_of_another_creditor_is_not_said(alice_co, alice, charlie_co, charlie,
                                                        django_capture_on_commit_callbacks):
    confirm_and_run(preview(charlie_co, charlie, row()), django_capture_on_commit_callbacks)
    assert claim_import_same_file_done(preview(alice_co, alice, row())) is None


# --- confirm and run ----------------------------------------------------------------------------


def test_confirm_creates_all_valid_rows(alice_co, alice, django_capture_on_commit_callbacks):
    imp = preview(alice_co, alice, row(invoice_number="F-1"),
                  row(invoice_number="F-2", amount="x"),
                  row(invoice_number="F-3", debtor_identity_number="556677-8899",
                      debtor_kind="företag", debtor_name="Bygg AB"))
    done = confirm_and_run(imp, django_capture_on_commit_callbacks)
    assert done.state == ClaimImport.State.DONE
    assert done.created_count == 2 and done.finished_at and done.confirmed_at
    claims = Claim.objects.for_creditor(alice_co).order_by("id")
    assert [c.invoices.get().invoice_number for c in claims] == ["F-1", "F-3"]
    assert {c.source for c in claims} == {Claim.Source.CSV}
    assert {c.created_by for c in claims} == {alice}
    assert [(c["line"], c["invoice_number"], c["case_number"]) for c in done.report["created"]] \
        == [(2, "F-1", claims[0].case_number), (4, "F-3", claims[1].case_number)]
    assert done.report["refused"] == []
    assert claims[1].debtor.kind == "company"


def test_confirm_queues_the_task_on_commit(alice_co, alice, django_capture_on_commit_callbacks,
                                           monkeypatch):
    queued = []
    monkeypatch.setattr(claim_import_run_task, "delay", queued.append)
    imp = preview(alice_co, alice, row())
    with django_capture_on_commit_callbacks(execute=True):
        claim_import_confirm(claim_import=imp)
        assert queued == []  # not before the commit: the worker must see "running"
    assert queued == [imp.pk]
    imp.refresh_from_db()
    assert imp.state == ClaimImport.State.RUNNING
    assert claim_import_progress(imp) == {"done": 0, "total": 1, "percent": 0}


def test_eager_celery_runs_the_import_after_commit(alice_co, alice, eager,
                                                   django_capture_on_commit_callbacks):
    imp = preview(alice_co, alice, row())
    with django_capture_on_commit_callbacks(execute=True):
        claim_import_confirm(claim_import=imp)
    imp.refresh_from_db()
    assert (imp.state, imp.created_count) == (ClaimImport.State.DONE, 1)


def test_the_task_loads_by_id_and_calls_the_service(alice_co, alice,
                                                    django_capture_on_commit_callbacks):
    imp = preview(alice_co, alice, row())
    with django_capture_on_commit_callbacks(execute=False):
        claim_import_confirm(claim_import=imp)
    claim_import_run_task(imp.pk)
    imp.refresh_from_db()
    assert imp.state == ClaimImport.State.DONE and Claim.objects.count() == 1


def test_confirm_twice_is_refused(alice_co, alice, django_capture_on_commit_callbacks):
    imp = preview(alice_co, alice, row())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claim_import_confirm(claim_import=imp)
        stale = ClaimImport.objects.get(pk=imp.pk)
        stale.state = ClaimImport.State.PREVIEW  # another tab still showing the preview
        with pytest.raises(ClaimImportError, match="already been confirmed"):
            claim_import_confirm(claim_import=stale)
    assert len(callbacks) == 1


def test_confirm_without_valid_rows_is_refused(alice_co, alice):
    imp = preview(alice_co, alice, row(amount="0"))
    with pytest.raises(ClaimImportError, match="no valid rows"):
        claim_import_confirm(claim_import=imp)
    imp.refresh_from_db()
    assert imp.state == ClaimImport.State.PREVIEW


def test_running_twice_creates_nothing_twice(alice_co, alice, django_capture_on_commit_callbacks):
    imp = preview(alice_co, alice, row(invoice_number="F-1"),
                  row(invoice_number="F-2", **another_debtor(1)))
    first = confirm_and_run(imp, django_capture_on_commit_callbacks)
    second = claim_import_run(import_id=imp.pk, today=today())
    assert Claim.objects.count() == 2 and Invoice.objects.count() == 2
    assert second.report == first.report and second.created_count == 2


def test_an_unconfirmed_import_is_not_run(alice_co, alice):
    imp = preview(alice_co, alice, row())
    assert claim_import_run(import_id=imp.pk, today=today()).state == ClaimImport.State.PREVIEW
    assert not Claim.objects.exists()
    assert claim_import_run(import_id=10**9, today=today()) is None


def test_a_failure_mid_run_creates_nothing(alice_co, alice, monkeypatch,
                                           django_capture_on_commit_callbacks):
    real = imports_module.claim_register_many
    calls = []

    def failing(**kwargs):
        # A 4-row file goes in chunks of one row: the third chunk fails, after two are created.
        calls.extend(r.invoice.invoice_number for r in kwargs["registrations"])
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(imports_module, "claim_register_many", failing)
    imp = preview(alice_co, alice, *[row(invoice_number=f"F-{i}",
                                         debtor_identity_number=pnr)
                                     for i, pnr in enumerate(
                                         ["19811228-9874", "19811228-9874", "19900101-0017",
                                          "19811228-9874"])])
    done = confirm_and_run(imp, django_capture_on_commit_callbacks)
    assert calls == ["F-0", "F-1", "F-2"]
    assert done.state == ClaimImport.State.FAILED
    assert "nothing was created" in done.failure and done.finished_at
    assert done.created_count == 0 and done.report == {}
    assert not Claim.objects.exists() and not Invoice.objects.exists()
    assert not Debtor.objects.exists()
    assert cache.get(imports_module._progress_key(imp.pk)) is None
    # A failed import stays failed: running it again does not half-do it now.
    assert claim_import_run(import_id=imp.pk, today=today()).state == ClaimImport.State.FAILED
    assert not Claim.objects.exists()


def test_rows_of_one_debtor_make_one_case_and_the_report_says_which(
        alice_co, alice, django_capture_on_commit_callbacks):
    imp = preview(alice_co, alice, row(invoice_number="F-1"),
                  row(invoice_number="F-2", **another_debtor(1)),
                  row(invoice_number="F-3", debtor_street="Ny gata 3"))
    done = confirm_and_run(imp, django_capture_on_commit_callbacks)
    dans, others = Claim.objects.for_creditor(alice_co).order_by("id")
    assert sorted(dans.invoices.values_list("invoice_number", flat=True)) == ["F-1", "F-3"]
    assert [(c["line"], c["invoice_number"], c["case_number"], c["case"])
            for c in done.report["created"]] == [
        (2, "F-1", dans.case_number, "opened"), (3, "F-2", others.case_number, "opened"),
        (4, "F-3", dans.case_number, "joined")]
    assert done.created_count == 3  # invoices registered, in two cases
    assert [e.kind for e in dans.events.all()] == ["registered", "invoice_added"]
    assert dans.debtor.street == "Ny gata 3"


def test_a_row_joins_the_debtors_open_case_but_not_one_past_its_demand(
        alice_co, alice, django_capture_on_commit_callbacks):
    open_case = register(alice_co, invoice_number="F-0")
    past_demand = register(alice_co, invoice_number="F-9", **another_debtor(1))
    Claim.objects.filter(pk=past_demand.pk).update(status=Status.DEMAND_SENT)
    imp = preview(alice_co, alice, row(invoice_number="F-1"),
                  row(invoice_number="F-2", **another_debtor(1)))
    done = confirm_and_run(imp, django_capture_on_commit_callbacks)
    [joined, opened] = done.report["created"]
    assert (joined["claim_id"], joined["case"]) == (open_case.pk, "joined")
    assert opened["case"] == "opened" and opened["claim_id"] not in (past_demand.pk,
                                                                     open_case.pk)


def test_a_row_registered_meanwhile_is_reported_and_the_others_created(
        alice_co, alice, bob, django_capture_on_commit_callbacks):
    imp = preview(alice_co, alice, row(invoice_number="F-1"), row(invoice_number="F-2"),
                  row(invoice_number="F-3"))
    meanwhile = register(alice_co, bob, invoice_number="F-2")
    done = confirm_and_run(imp, django_capture_on_commit_callbacks)
    assert done.state == ClaimImport.State.DONE and done.created_count == 2
    assert [c["invoice_number"] for c in done.report["created"]] == ["F-1", "F-3"]
    [refused] = done.report["refused"]
    assert (refused["line"], refused["invoice_number"]) == (3, "F-2")
    assert refused["errors"]["invoice_number"] == [
        f"Invoice F-2 is already registered in case {meanwhile.case_number}."]
    assert Invoice.objects.filter(creditor=alice_co).count() == 3


def test_the_report_is_written_in_the_uploaders_language(alice_co, alice, bob,
                                                         django_capture_on_commit_callbacks):
    imp = preview(alice_co, alice, row(invoice_number="F-1"), row(invoice_number="F-2"))
    register(alice_co, bob, invoice_number="F-2")
    ClaimImport.objects.filter(pk=imp.pk).update(language="sv")
    with translation.override("en"):
        done = confirm_and_run(imp, django_capture_on_commit_callbacks)
    # The worker's language does not matter; the uploader's stored one is used.
    assert "redan registrerad" in done.report["refused"][0]["errors"]["invoice_number"][0]


def test_progress_goes_to_the_cache_while_running(alice_co, alice, monkeypatch,
                                                  django_capture_on_commit_callbacks):
    seen, progress = [], []
    real = imports_module._progress_set

    def spy(import_id, done, total):
        seen.append((done, total))
        real(import_id, done, total)
        # What the status page shows at this moment, while the rows are still uncommitted.
        imp = ClaimImport.objects.defer("rows").get(pk=import_id)
        progress.append(claim_import_progress(imp)["done"])

    monkeypatch.setattr(imports_module, "_progress_set", spy)
    imp = preview(alice_co, alice, *[row(invoice_number=f"F-{i}") for i in range(5)])
    done = confirm_and_run(imp, django_capture_on_commit_callbacks)
    assert seen == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert progress == [0, 1, 2, 3, 4, 5]
    assert claim_import_progress(done) == {"done": 5, "total": 5, "percent": 100}
    assert cache.get(imports_module._progress_key(imp.pk)) is None  # cleaned up when done


def test_a_larger_file_goes_in_chunks_of_a_tenth(alice_co, alice, bob, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    seen = []
    real = imports_module._progress_set

    def spy(import_id, done, total):
        seen.append(done)
        real(import_id, done, total)

    monkeypatch.setattr(imports_module, "_progress_set", spy)
    people = ["19811228-9874", "19900101-0017"]
    imp = preview(alice_co, alice, *[row(invoice_number=f"F-{i}",
                                         debtor_identity_number=people[i % 2],
                                         debtor_street=f"Gatan {i}") for i in range(25)])
    meanwhile = register(alice_co, bob, invoice_number="F-7")  # inside the fourth chunk
    done = confirm_and_run(imp, django_capture_on_commit_callbacks)
    assert seen == [0, *range(2, 25, 2), 25]  # chunks of 25 // 10 rows, progress after each
    assert [c["invoice_number"] for c in done.report["created"]] == [
        f"F-{i}" for i in range(25) if i != 7]
    assert all(c["case_number"] == str(100000 + c["claim_id"]) for c in done.report["created"])
    [refused] = done.report["refused"]
    assert (refused["line"], refused["errors"]["invoice_number"]) == (
        9, [f"Invoice F-7 is already registered in case {meanwhile.case_number}."])
    assert Debtor.objects.for_creditor(alice_co).count() == 2
    assert sorted(Debtor.objects.values_list("street", flat=True)) == ["Gatan 23", "Gatan 24"]


def test_a_cache_outage_does_not_fail_the_import(alice_co, alice, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(imports_module.cache, "set", down)
    monkeypatch.setattr(imports_module.cache, "get", down)
    monkeypatch.setattr(imports_module.cache, "delete", down)
    imp = preview(alice_co, alice, row())
    done = confirm_and_run(imp, django_capture_on_commit_callbacks)
    assert done.state == ClaimImport.State.DONE and done.created_count == 1
    assert claim_import_progress(done)["percent"] == 100


# --- pages ----------------------------------------------------------------------------------


def upload(client, data, name="fakturor.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("claims:import"), {"file": SimpleUploadedFile(name, data)})


def test_upload_page_documents_the_columns_and_serves_the_template(alice_client):
    page = alice_client.get(reverse("claims:import"))
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("fakturanummer", "förfallodatum", "påminnelseavgift", "invoice_number"):
        assert name in html
    template = alice_client.get(reverse("claims:import") + "?template=1")
    assert template.status_code == 200
    assert template["Content-Type"].startswith("text/csv")
    assert "attachment" in template["Content-Disposition"]
    parsed = parse_csv(template.content, today=today())
    assert parsed.rows and all(not r["errors"] for r in parsed.rows)


def test_upload_preview_confirm_result(alice_client, alice_co, eager,
                                       django_capture_on_commit_callbacks):
    response = upload(alice_client, csv_file(row(invoice_number="F-1"),
                                              row(invoice_number="F-2", debtor_postal_code="1")))
    imp = ClaimImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:import_detail", args=[imp.pk])

    page = alice_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="import-confirm"' in html and "Register 1 claim" in html
    assert 'class="has-error"' in html and "postal code" in html.lower()
    errors_only = alice_client.get(response["Location"] + "?show=errors").content.decode()
    assert 'data-line="3"' in errors_only and 'data-line="2"' not in errors_only

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = alice_client.post(reverse("claims:import_confirm", args=[imp.pk]))
    assert confirmed.status_code == 302
    claim = Claim.objects.get()

    result = alice_client.get(reverse("claims:import_detail", args=[imp.pk])).content.decode()
    assert reverse("claims:detail", args=[claim.pk]) in result
    assert claim.case_number in result
    assert 'data-testid="import-refused-list"' in result and 'data-line="3"' in result

    status = alice_client.get(reverse("claims:import_status", args=[imp.pk]))
    assert status.status_code == 200 and status["HX-Refresh"] == "true"


def test_progress_fragment_polls_while_running(alice_client, alice_co, alice,
                                               django_capture_on_commit_callbacks):
    imp = preview(alice_co, alice, row(invoice_number="F-1"), row(invoice_number="F-2"))
    with django_capture_on_commit_callbacks(execute=False):
        claim_import_confirm(claim_import=imp)
    imports_module._progress_set(imp.pk, 1, 2)
    status = alice_client.get(reverse("claims:import_status", args=[imp.pk]),
                              headers={"HX-Request": "true"})
    html = status.content.decode()
    assert status.status_code == 200 and "HX-Refresh" not in status
    assert 'hx-trigger="every 1s"' in html and "1 of 2 rows processed" in html
    assert 'max="2" value="1"' in html
    detail = alice_client.get(reverse("claims:import_detail", args=[imp.pk])).content.decode()
    assert 'data-testid="import-progress"' in detail
    assert 'data-testid="import-confirm"' not in detail


def test_the_failure_is_shown(alice_client, alice_co, alice, monkeypatch,
                              django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(imports_module, "claim_register_many", broken)
    imp = preview(alice_co, alice, row())
    confirm_and_run(imp, django_capture_on_commit_callbacks)
    html = alice_client.get(reverse("claims:import_detail", args=[imp.pk])).content.decode()
    assert 'data-testid="import-failure"' in html and "nothing was created" in html


@pytest.mark.parametrize("data, name, words", [
    (b"PK\x03\x04zip", "fakturor.xlsx", "Excel workbook"),
    (b"kundnummer;belopp\n1;2\n", "x.csv", "Unknown columns: kundnummer"),
    (b"typ;\x81\x8d\n", "x.csv", "cannot be read"),
])
def test_a_bad_upload_is_a_form_error_and_stores_nothing(alice_client, data, name, words):
    response = upload(alice_client, data, name)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not ClaimImport.objects.exists()


def test_a_too_large_upload_is_a_form_error(alice_client, settings):
    settings.CSV_IMPORT_MAX_BYTES = 50
    response = upload(alice_client, csv_file(row()))
    assert response.status_code == 400 and "larger than" in response.content.decode()
    assert not ClaimImport.objects.exists()


def test_a_missing_file_is_a_form_error(alice_client):
    response = alice_client.post(reverse("claims:import"), {})
    assert response.status_code == 400
    assert not ClaimImport.objects.exists()


def test_confirm_without_valid_rows_shows_why(alice_client, alice_co, alice):
    imp = preview(alice_co, alice, row(amount="0"))
    response = alice_client.post(reverse("claims:import_confirm", args=[imp.pk]), follow=True)
    assert "no valid rows" in response.content.decode()
    imp.refresh_from_db()
    assert imp.state == ClaimImport.State.PREVIEW


def test_confirm_is_post_only(alice_client, alice_co, alice):
    imp = preview(alice_co, alice, row())
    assert alice_client.get(reverse("claims:import_confirm", args=[imp.pk])).status_code == 405


@pytest.mark.parametrize("name, method", [
    ("claims:import_detail", "get"), ("claims:import_status", "get"),
    ("claims:import_confirm", "post"),
])
def test_charlie_sees_nothing_of_alices_imports(charlie_client, alice_co, alice, name, method):
    imp = preview(alice_co, alice, row())
    response = getattr(charlie_client, method)(reverse(name, args=[imp.pk]))
    assert response.status_code == 404
    imp.refresh_from_db()
    assert imp.state == ClaimImport.State.PREVIEW
    assert "fakturor.csv" not in charlie_client.get(reverse("claims:import")).content.decode()


def test_anonymous_users_are_sent_to_log_in(client, alice_co, alice):
    imp = preview(alice_co, alice, row())
    for name in ("claims:import_detail", "claims:import_status"):
        response = client.get(reverse(name, args=[imp.pk]))
        assert response.status_code == 302 and "login" in response["Location"]


def test_recent_imports_are_listed_on_the_upload_page(alice_client, alice_co, alice):
    imp = preview(alice_co, alice, row(), filename="mars.csv")
    html = alice_client.get(reverse("claims:import")).content.decode()
    assert "mars.csv" in html and reverse("claims:import_detail", args=[imp.pk]) in html


def test_a_confirmed_import_whose_task_was_lost_is_queued_again(
        alice_co, alice, charlie_co, charlie, django_capture_on_commit_callbacks, monkeypatch):
    """The broker emptied before a worker took the task: beat finds the import unrun."""
    from claims.imports import STALLED_AFTER, claim_imports_resume

    queued = []
    monkeypatch.setattr(claim_import_run_task, "delay", queued.append)
    lost = preview(alice_co, alice, row())
    with django_capture_on_commit_callbacks(execute=False):  # the task never reaches a worker
        claim_import_confirm(claim_import=lost)
    done = preview(charlie_co, charlie, row())
    confirm_and_run(done, django_capture_on_commit_callbacks)
    lost.refresh_from_db()
    assert claim_imports_resume(now=lost.confirmed_at + STALLED_AFTER / 2) == []  # just queued
    assert claim_imports_resume(now=lost.confirmed_at + STALLED_AFTER * 2) == [lost.pk]
    assert queued == [lost.pk]
    claim_import_run(import_id=lost.pk, today=today())
    claim_import_run(import_id=lost.pk, today=today())  # both deliveries arrived: one import
    lost.refresh_from_db()
    assert (lost.state, lost.created_count) == (ClaimImport.State.DONE, 1)
    assert claim_imports_resume(now=lost.confirmed_at + STALLED_AFTER * 2) == []
