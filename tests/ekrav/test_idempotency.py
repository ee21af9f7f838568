"""The pure parts of the API's Idempotency-Key (ekrav.idempotency): which keys are good, what
makes two requests the same, which responses are kept, the lock number, the OpenAPI additions;
and the clean-up of expired keys."""

import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import JsonResponse
from django.test import RequestFactory
from django.test.client import encode_multipart
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from ekrav import idempotency
from ekrav.idempotency import (
    TTL,
    fingerprint,
    form_digest,
    idempotency_keys_expire,
    is_expired,
    is_stored,
    key_problem,
    lock_number,
    openapi_document,
)
from ekrav.models import AuditEntry, IdempotencyKey


@pytest.mark.parametrize("key", ["a", "0", "x" * 255, "550e8400-e29b-41d4-a716-446655440000",
                                 "order 17/retry", "!~", " ", "key with \"quotes\" and {}"])
def test_printable_ascii_of_1_to_255_characters_is_a_key(key):
    assert key_problem(key) is None


@pytest.mark.parametrize("key, why", [
    ("", "empty"), ("x" * 256, "longer than 255"), ("tab\there", "printable ASCII"),
    ("nyckel-å", "printable ASCII"), ("new\nline", "printable ASCII"), ("\x00", "printable"),
    ("del\x7f", "printable ASCII"), ("é" * 3, "printable ASCII"),
])
def test_other_keys_are_refused_with_a_reason(key, why):
    assert why in key_problem(key)


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E),
               min_size=1, max_size=255))
def test_every_printable_ascii_key_is_good(key):
    assert key_problem(key) is None


BODY = idempotency.body_digest(b'{"reason": "Settled"}')


def test_the_same_request_has_the_same_fingerprint():
    assert fingerprint("POST", "/api/v1/claims/1/withdraw", BODY) == \
        fingerprint("post", "/api/v1/claims/1/withdraw", BODY)
    assert len(fingerprint("POST", "/", BODY)) == 64


@pytest.mark.parametrize("method, path, body", [
    ("PUT", "/api/v1/claims/1/withdraw", b'{"reason": "Settled"}'),
    ("POST", "/api/v1/claims/2/withdraw", b'{"reason": "Settled"}'),
    ("POST", "/api/v1/claims/1/withdraw?x=1", b'{"reason": "Settled"}'),
    ("POST", "/api/v1/claims/1/withdraw", b'{"reason": "Settled."}'),
    ("POST", "/api/v1/claims/1/withdraw", b'{"reason":"Settled"}'),
    ("POST", "/api/v1/claims/1/withdraw", b""),
])
def test_another_method_path_or_body_is_another_request(method, path, body):
    assert fingerprint(method, path, idempotency.body_digest(body)) != \
        fingerprint("POST", "/api/v1/claims/1/withdraw", BODY)


def test_the_parts_cannot_run_into_each_other():
    # Each part is framed by its length: moving characters between them is another request.
    assert fingerprint("POS", "T/a", BODY) != fingerprint("POST", "/a", BODY)
    assert form_digest([("ab", "c")], []) != form_digest([("a", "bc")], [])


def test_a_form_is_the_same_whatever_its_order_and_boundary():
    invoice = b"<Invoice/>"
    one = form_digest([("note", "x"), ("kind", "peppol")], [("file", "a.xml", invoice)])
    two = form_digest([("kind", "peppol"), ("note", "x")], [("file", "a.xml", invoice)])
    assert one == two


@pytest.mark.parametrize("fields, files", [
    ([("note", "y"), ("kind", "peppol")], [("file", "a.xml", b"<Invoice/>")]),
    ([("note", "x")], [("file", "a.xml", b"<Invoice/>")]),
    ([("note", "x"), ("kind", "peppol")], [("file", "b.xml", b"<Invoice/>")]),
    ([("note", "x"), ("kind", "peppol")], [("file", "a.xml", b"<Invoice />")]),
    ([("note", "x"), ("kind", "peppol")], []),
    ([("notex", ""), ("kind", "peppol")], [("file", "a.xml", b"<Invoice/>")]),
])
def test_a_form_with_anything_else_is_another(fields, files):
    assert form_digest(fields, files) != form_digest(
        [("note", "x"), ("kind", "peppol")], [("file", "a.xml", b"<Invoice/>")])


@pytest.mark.parametrize("status, stored", [
    (200, True), (201, True), (204, True), (400, True), (404, True), (409, True), (422, True),
    (401, False), (403, False), (429, False), (500, False), (502, False), (503, False),
    (100, False), (301, True),
])
def test_successes_and_the_clients_errors_are_kept(status, stored):
    assert is_stored(status) is stored


def test_the_lock_number_is_a_signed_64_bit_number_per_scope_and_key():
    numbers = {lock_number(scope, key) for scope in ("creditor:1", "creditor:2")
               for key in ("a", "b", "creditor:1")}
    assert len(numbers) == 6
    assert all(-(2**63) <= n < 2**63 for n in numbers)
    assert lock_number("creditor:1", "a") == lock_number("creditor:1", "a")
    assert lock_number("creditor:1", "2a") != lock_number("creditor:12", "a")


NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("age, expired", [
    (datetime.timedelta(0), False), (TTL - datetime.timedelta(seconds=1), False),
    (TTL, True), (TTL + datetime.timedelta(days=3), True),
])
def test_a_key_lives_24_hours(age, expired):
    assert TTL == datetime.timedelta(hours=24)
    assert is_expired(NOW - age, NOW) is expired


ERROR = {"$ref": "#/components/schemas/ErrorOut"}


def test_the_openapi_document_gets_the_header_on_every_post_only():
    declared_409 = {"description": "Claim closed"}
    schema = {"paths": {
        "/a": {"post": {"responses": {201: {}}}, "get": {"responses": {200: {}}}},
        "/b": {"post": {"parameters": [{"in": "path", "name": "id"}],
                        "responses": {409: declared_409, "422": {"description": "Invalid"}}}},
    }}

    openapi_document(schema, error_schema=ERROR)
    openapi_document(schema, error_schema=ERROR)  # twice: nothing doubled

    a, b = schema["paths"]["/a"], schema["paths"]["/b"]
    assert [p["name"] for p in a["post"]["parameters"]] == ["Idempotency-Key"]
    assert [p["name"] for p in b["post"]["parameters"]] == ["id", "Idempotency-Key"]
    assert "parameters" not in a["get"] and list(a["get"]["responses"]) == [200]
    assert list(a["post"]["responses"]) == [201, 400, 409, 422]
    assert a["post"]["responses"][409] == {
        "description": "Conflict", "content": {"application/json": {"schema": ERROR}}}
    assert list(b["post"]["responses"]) == [409, "422", 400]
    assert b["post"]["responses"][409] is declared_409
    header = a["post"]["parameters"][0]
    assert header["in"] == "header" and header["required"] is False
    assert header["schema"]["maxLength"] == 255


@pytest.mark.django_db
def test_expired_keys_are_deleted_in_batches(alice_co, charlie_co):
    now = timezone.now()
    for n in range(7):
        IdempotencyKey.objects.create(scope="creditor:1", key=f"old-{n}", fingerprint="0" * 64,
                                      status_code=201, body=b"{}",
                                      created_at=now - TTL - datetime.timedelta(minutes=n))
    fresh = IdempotencyKey.objects.create(scope="creditor:2", key="old-1", fingerprint="0" * 64,
                                          status_code=201, body=b"{}",
                                          created_at=now - TTL + datetime.timedelta(minutes=1))

    assert idempotency_keys_expire(now=now, batch_size=3) == 7
    assert list(IdempotencyKey.objects.all()) == [fresh]
    assert idempotency_keys_expire(now=now, batch_size=3) == 0


@pytest.mark.django_db
def test_the_beat_deletes_them_every_hour(settings):
    from ekrav import tasks

    IdempotencyKey.objects.create(scope="creditor:1", key="k", fingerprint="0" * 64,
                                  status_code=201, body=b"{}",
                                  created_at=timezone.now() - TTL - datetime.timedelta(hours=1))
    entry = settings.CELERY_BEAT_SCHEDULE["idempotency-keys-expire"]
    assert entry["task"] == tasks.idempotency_keys_expire_task.name
    assert len(entry["schedule"].hour) == 24 and len(entry["schedule"].minute) == 1

    tasks.idempotency_keys_expire_task()

    assert not IdempotencyKey.objects.exists()


def test_body_digest_is_sha256():
    assert idempotency.body_digest(b"x") == hashlib.sha256(b"x").digest()


# --- The view decorator on its own (RequestFactory; the API's use is tests/api) ------------------


def _error(request, status, code, message):
    return JsonResponse({"error": code, "message": message}, status=status)


def _writing_view(status):
    @idempotency.idempotent_posts(scope=lambda request: "tenant:1", error=_error)
    def view(request):
        AuditEntry.objects.create(actor_label="test", object_type="t", object_id="1",
                                  object_label="t", action="create")
        return JsonResponse({"entries": AuditEntry.objects.count()}, status=status)

    return view


def _upload(boundary: str, key="k"):
    body = encode_multipart(boundary, {"kind": "peppol", "file": SimpleUploadedFile(
        "a.xml", b"<Invoice/>", content_type="application/xml")})
    return RequestFactory().post("/api/v1/upload", body, headers={"Idempotency-Key": key},
                                 content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.django_db
def test_an_upload_retried_with_another_boundary_is_the_same_request():
    view = _writing_view(201)
    first = view(_upload("one-boundary"))
    retry = view(_upload("another-boundary"))

    assert retry.content == first.content and retry["Idempotent-Replayed"] == "true"
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_rolled_back_and_not_kept(status):
    request = RequestFactory().post("/x", b"{}", content_type="application/json",
                                    headers={"Idempotency-Key": "k"})

    assert _writing_view(status)(request).status_code == status

    assert not AuditEntry.objects.exists() and not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_without_a_scope_nothing_is_kept():
    view = idempotency.idempotent_posts(scope=lambda request: None, error=_error)(
        lambda request: JsonResponse({}, status=401))
    request = RequestFactory().post("/x", b"{}", content_type="application/json",
                                    headers={"Idempotency-Key": "k"})

    assert view(request).status_code == 401
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_staff_read_the_keys_in_the_admin(admin_client):
    stored = IdempotencyKey.objects.create(scope="creditor:1", key="order-17",
                                           fingerprint="0" * 64, status_code=201,
                                           content_type="application/json",
                                           body=b'{"id": 17}', created_at=timezone.now())

    listing = admin_client.get("/admin/ekrav/idempotencykey/")
    page = admin_client.get(f"/admin/ekrav/idempotencykey/{stored.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert "order-17" in listing.content.decode()
    assert "{&quot;id&quot;: 17}" in page.content.decode()
    assert admin_client.get("/admin/ekrav/idempotencykey/add/").status_code == 403
