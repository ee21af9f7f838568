"""Every write of the webhooks room: endpoints, the outbox (``event_emit``), deliveries.

The outbox: a source (a claim registered, a letter sent, ...) calls ``event_emit`` or
``events_emit`` inside its own transaction; the event and one delivery per subscribed
endpoint are written there, and the delivery is queued with ``transaction.on_commit``. A
rolled-back fact sends nothing; a fact emitted twice (its natural ``key``) is one event. A
creditor without an endpoint for the type costs one query and writes nothing.

Delivery: ``delivery_send`` claims a pending, due delivery (``select_for_update(skip_locked)``
and a short lease, so two workers never POST it at once), posts it outside any transaction,
and records the attempt. 2xx is delivered; anything else is retried after ``BACKOFF``, then
failed. The beat sweep (``deliveries_due``) picks up what a lost task or a retry left.
"""

import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditors.models import Creditor
from ekrav.errors import DomainError
from webhooks import payloads, signing
from webhooks.addresses import AddressError, CheckedTransport, check_form, check_url
from webhooks.models import (
    SUBSCRIBABLE,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_secret,
)

log = logging.getLogger(__name__)

# After the n-th failed attempt the next comes BACKOFF[n - 1] later; after the last, failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=6), timedelta(hours=24))
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 5.0
# A claimed delivery is not claimed again for this long: far beyond the POST's timeout.
LEASE = timedelta(minutes=2)
EXCERPT_BYTES = 1024
ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS = 10
QUEUE_CHUNK = 50  # deliveries per task
KEY_CHUNK = 500


class WebhookError(DomainError):
    pass


# --- Endpoints ---------------------------------------------------------------------------------


def _clean(url: str, description: str, event_types) -> dict:
    url, errors = (url or "").strip(), {}
    try:
        check_url(url)
    except AddressError as exc:
        errors["url"] = [str(exc)]
    if len(url) > 500:
        errors["url"] = [_("At most %(n)d characters.") % {"n": 500}]
    unknown = set(event_types or ()) - set(SUBSCRIBABLE)
    if unknown:
        errors["event_types"] = [_("Unknown event type: %(types)s.")
                                 % {"types": ", ".join(sorted(unknown))}]
    if errors:
        raise WebhookError(errors)
    return {"url": url, "description": (description or "").strip()[:200],
            "event_types": sorted(set(event_types or ()))}


@transaction.atomic
def endpoint_create(*, creditor, url: str, description: str = "", event_types=(),
                    created_by=None) -> WebhookEndpoint:
    fields = _clean(url, description, event_types)
    # The creditor's row, locked: two additions at once cannot pass the limit together.
    Creditor.objects.select_for_update().filter(pk=creditor.pk).first()
    if WebhookEndpoint.objects.for_creditor(creditor).count() >= MAX_ENDPOINTS:
        raise WebhookError({"url": [_("At most %(n)d endpoints per company.")
                                    % {"n": MAX_ENDPOINTS}]}, code="too_many")
    return WebhookEndpoint.objects.create(creditor=creditor, created_by=created_by, **fields)


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, url: str, description: str, event_types,
                    is_active: bool) -> WebhookEndpoint:
    fields = _clean(url, description, event_types)
    for name, value in {**fields, "is_active": is_active}.items():
        setattr(endpoint, name, value)
    endpoint.save(update_fields=[*fields, "is_active"])
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now) -> WebhookEndpoint:
    """A new secret; the old one still signs (a second ``v1``) for ``ROTATION_OVERLAP``."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()  # its deliveries and their log go with it


@transaction.atomic
def endpoint_ping(*, endpoint: WebhookEndpoint, now) -> WebhookDelivery:
    """A test event to this endpoint alone (whatever it subscribes to)."""
    event = _event(endpoint.creditor_id, endpoint.creditor.organisation_number, EventType.PING,
                   f"ping:{secrets.token_hex(8)}", payloads.ping(endpoint), now)
    event.save()
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint,
                                              next_attempt_at=now, created_at=now)
    _queue_on_commit([delivery.pk])
    return delivery


# --- The outbox --------------------------------------------------------------------------------


def subscribers(creditor_ids, types) -> dict[int, list[WebhookEndpoint]]:
    """The active endpoints of these creditors that want any of ``types``: one query."""
    found: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(creditor_id__in=set(creditor_ids),
                                                   is_active=True):
        if any(endpoint.wants(t) for t in types):
            found.setdefault(endpoint.creditor_id, []).append(endpoint)
    return found


def _subscribed_rows(claims) -> list[dict]:
    """The ``values()`` rows of those of ``claims`` whose creditor has an active endpoint. The
    endpoints are read first (a small table): with none, a bulk path's 100,000 claims are not
    looked at again (bench/bgmax_import.py)."""
    creditor_ids = set(WebhookEndpoint.objects.filter(is_active=True)
                       .values_list("creditor_id", flat=True))
    if not creditor_ids:
        return []
    return list(claims.filter(creditor_id__in=creditor_ids).values(
        "pk", "case_number", "ocr", "status", "creditor_id"))


@dataclass(frozen=True)
class Emission:
    creditor_id: int
    type: str
    key: str
    data: dict


def _event(creditor_id, organisation_number, type_, key, data, now) -> WebhookEvent:
    public_id = "evt_" + secrets.token_hex(12)
    payload = {"id": public_id, "type": str(type_), "created": now.isoformat(),
               "creditor": {"organisation_number": organisation_number}, "data": data}
    return WebhookEvent(creditor_id=creditor_id, public_id=public_id, type=str(type_),
                        key=f"{type_}:{key}"[:200], payload=payload, created_at=now)


def event_emit(*, creditor, type, data, key, now=None) -> int:  # noqa: A002 - the event's
    """One fact for ``creditor``'s endpoints; returns the deliveries written (0: nobody
    subscribes, or the fact was emitted before)."""
    return events_emit(emissions=[Emission(creditor.pk, type, key, data)], now=now,
                       organisation_numbers={creditor.pk: creditor.organisation_number})


def events_emit(*, emissions: list[Emission], now=None, endpoints=None,
                organisation_numbers=None) -> int:
    """Many facts, in a few statements: what ``event_emit`` writes, for each."""
    if not emissions:
        return 0
    now = now or timezone.now()
    if endpoints is None:
        endpoints = subscribers({e.creditor_id for e in emissions}, {e.type for e in emissions})
    wanted = [e for e in emissions
              if any(p.wants(e.type) for p in endpoints.get(e.creditor_id, ()))]
    if not wanted:
        return 0
    numbers = organisation_numbers or dict(
        Creditor.objects.filter(pk__in={e.creditor_id for e in wanted})
        .values_list("pk", "organisation_number"))
    events, seen = [], _emitted(wanted)
    for e in wanted:
        event = _event(e.creditor_id, numbers[e.creditor_id], e.type, e.key, e.data, now)
        if (e.creditor_id, event.key) not in seen:
            seen.add((e.creditor_id, event.key))
            events.append(event)
    events = _insert_events(events)
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint=p, next_attempt_at=now, created_at=now)
         for event in events for p in endpoints[event.creditor_id] if p.wants(event.type)],
        batch_size=1000)
    _queue_on_commit([d.pk for d in deliveries])
    return len(deliveries)


def _emitted(emissions) -> set[tuple[int, str]]:
    """The (creditor, key) of these facts already in the outbox."""
    keys = list({f"{e.type}:{e.key}"[:200] for e in emissions})
    found = set()
    for start in range(0, len(keys), KEY_CHUNK):
        found |= set(WebhookEvent.objects.filter(
            creditor_id__in={e.creditor_id for e in emissions},
            key__in=keys[start:start + KEY_CHUNK]).values_list("creditor_id", "key"))
    return found


def _insert_events(events) -> list[WebhookEvent]:
    try:
        with transaction.atomic():
            return WebhookEvent.objects.bulk_create(events, batch_size=1000)
    except IntegrityError:
        # The same fact emitted at the same moment by another transaction: theirs stands.
        saved = []
        for event in events:
            try:
                with transaction.atomic():
                    event.save(force_insert=True)
                saved.append(event)
            except IntegrityError:
                pass
        return saved


def claim_events_emit(*, claims, type, key, data, now=None) -> int:  # noqa: A002
    """An event per claim of the queryset ``claims`` (the bulk paths: a tick's batch, a
    payment file's claims): ``key(row)`` and ``data(row, ref)`` of each claim's
    ``values()`` row. Only claims of creditors with an endpoint are read at all."""
    rows = _subscribed_rows(claims)
    if not rows:
        return 0
    return events_emit(now=now, emissions=[
        Emission(row["creditor_id"], type, key(row), data(row, payloads.claim_ref_of_row(row)))
        for row in rows])


def registrations_emit(*, creditor, registered, now=None) -> int:
    """``claim.registered`` of each invoice registered (``claims.services.Registered``)."""
    registered = list(registered)
    if not registered:
        return 0
    endpoints = subscribers([creditor.pk], [EventType.CLAIM_REGISTERED])
    if not endpoints:
        return 0
    return events_emit(
        now=now, endpoints=endpoints,
        organisation_numbers={creditor.pk: creditor.organisation_number},
        emissions=[Emission(creditor.pk, EventType.CLAIM_REGISTERED, f"invoice:{r.invoice.pk}",
                            payloads.claim_registered(r.claim, r.invoice, joined=r.joined))
                   for r in registered])


def payments_received_emit(*, claims, payments, results, before, on, now=None) -> int:
    """``payment.received`` of each payment booked now (``results[i].booked``, of
    ``payments[i]``), and ``claim.status_changed`` of each claim it paid in full (``before``:
    {claim id: status before the batch}). One query when no creditor subscribes."""
    rows = {row["pk"]: row for row in _subscribed_rows(claims)}
    if not rows:
        return 0
    emissions, closed = [], set()
    for p, r in zip(payments, results):
        if not getattr(r, "booked", False) or p.claim_id not in rows:
            continue
        row = rows[p.claim_id]
        ref = payloads.claim_ref_of_row(row)
        emissions.append(Emission(row["creditor_id"], EventType.PAYMENT_RECEIVED, p.key,
                                  payloads.payment_received(
                                      ref, amount_ore=p.amount_ore, paid_on=p.paid_on,
                                      source=p.source, surplus_ore=r.surplus_ore,
                                      closed=r.closed)))
        if r.closed and before[p.claim_id] != row["status"] and p.claim_id not in closed:
            closed.add(p.claim_id)
            change = f"{p.claim_id}:{before[p.claim_id]}>{row['status']}:{on.isoformat()}"
            emissions.append(Emission(row["creditor_id"], EventType.CLAIM_STATUS_CHANGED,
                                      change, payloads.status_changed(
                                          ref, previous=str(before[p.claim_id]))))
    return events_emit(emissions=emissions, now=now)


def status_changes_emit(*, claims, previous, on, now=None) -> int:
    """``claim.status_changed`` for each claim of ``claims`` that moved from ``previous`` (a
    status, or {claim id: status}) on the day ``on``, and ``claim.decision_needed`` for those
    now awaiting the creditor's decision."""
    rows = _subscribed_rows(claims)
    if not rows:
        return 0
    emissions = []
    for row in rows:
        old = previous[row["pk"]] if isinstance(previous, dict) else previous
        ref = payloads.claim_ref_of_row(row)
        change = f"{row['pk']}:{old}>{row['status']}:{on.isoformat()}"
        emissions.append(Emission(row["creditor_id"], EventType.CLAIM_STATUS_CHANGED, change,
                                  payloads.status_changed(ref, previous=str(old))))
        if row["status"] == "awaiting_decision":
            emissions.append(Emission(row["creditor_id"], EventType.DECISION_NEEDED,
                                      f"{row['pk']}:{on.isoformat()}",
                                      payloads.decision_needed(ref)))
    return events_emit(emissions=emissions, now=now)


def status_change_emit(*, claim, previous, now=None) -> int:
    """``status_changes_emit`` of one claim in memory (``claims.services._set_status``)."""
    now = now or timezone.now()
    if not subscribers([claim.creditor_id], [EventType.CLAIM_STATUS_CHANGED,
                                             EventType.DECISION_NEEDED]):
        return 0
    ref = payloads.claim_ref(claim)
    # Unique to the moment: the same change can happen again later (a plan broken twice).
    change = f"{claim.pk}:{previous}>{claim.status}:{now.isoformat()}"
    emissions = [Emission(claim.creditor_id, EventType.CLAIM_STATUS_CHANGED, change,
                          payloads.status_changed(ref, previous=str(previous)))]
    if claim.status == "awaiting_decision":
        emissions.append(Emission(claim.creditor_id, EventType.DECISION_NEEDED, change,
                                  payloads.decision_needed(ref)))
    return events_emit(emissions=emissions, now=now)


def letters_sent_emit(*, letters, channel=None, sent_on=None, now=None) -> int:
    """``letter.sent`` of letters just marked sent (their ``claim`` loaded); ``channel`` and
    ``sent_on`` when they were set by an ``update()`` the objects have not seen."""
    letters = list(letters)
    if not letters:
        return 0
    endpoints = subscribers({letter.claim.creditor_id for letter in letters},
                            [EventType.LETTER_SENT])
    if not endpoints:
        return 0
    return events_emit(now=now, endpoints=endpoints, emissions=[
        Emission(letter.claim.creditor_id, EventType.LETTER_SENT, str(letter.pk),
                 payloads.letter_sent(payloads.claim_ref(letter.claim), letter,
                                      channel=channel, sent_on=sent_on))
        for letter in letters if letter.claim.creditor_id in endpoints])


# --- Delivery ----------------------------------------------------------------------------------


def _queue_on_commit(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(lambda: deliveries_queue(ids))


def deliveries_queue(ids: list[int]) -> None:
    """Hand deliveries to the worker; a broker that is down leaves them to the beat sweep."""
    from webhooks.tasks import deliveries_send_task

    for start in range(0, len(ids), QUEUE_CHUNK):
        try:
            deliveries_send_task.delay(ids[start:start + QUEUE_CHUNK])
        except Exception:  # noqa: BLE001 - the sweep sends them; the fact is committed
            log.warning("webhook deliveries not queued; the sweep will send them",
                        exc_info=True)
            return


def deliveries_due(*, now, limit: int = 1000) -> list[int]:
    """Pending deliveries whose time has come (the partial index ``webhook_delivery_due``)."""
    return list(WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING,
                                               next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def _claim(delivery_id: int, now) -> WebhookDelivery | None:
    """The delivery, if pending and due, leased to this worker (no other takes it meanwhile)."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("event", "endpoint")
                    .filter(pk=delivery_id, state=WebhookDelivery.State.PENDING,
                            next_attempt_at__lte=now).first())
        if delivery is None:
            return None
        moved = WebhookDelivery.objects.filter(
            pk=delivery.pk, state=WebhookDelivery.State.PENDING,
            next_attempt_at=delivery.next_attempt_at).update(next_attempt_at=now + LEASE)
        return delivery if moved == 1 else None


def body_of(event: WebhookEvent) -> bytes:
    return json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")).encode()


def request_headers(delivery: WebhookDelivery, body: bytes, now) -> dict:
    timestamp = int(now.timestamp())
    return {"Content-Type": "application/json", "User-Agent": "ekrav-webhooks/1",
            "Ekrav-Event": delivery.event.type, "Ekrav-Event-Id": delivery.event.public_id,
            "Ekrav-Delivery": str(delivery.pk),
            signing.HEADER: signing.signature_header(delivery.endpoint.secrets_at(now),
                                                     timestamp, body)}


@dataclass
class Outcome:
    status_code: int | None = None
    error: str = ""
    excerpt: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(delivery: WebhookDelivery, now, client: httpx.Client) -> Outcome:
    body = body_of(delivery.event)
    started = time.monotonic()
    outcome = Outcome()
    try:
        # The form here; the addresses when the client connects (CheckedTransport), to the
        # very addresses it checked.
        check_form(delivery.endpoint.url)
        with client.stream("POST", delivery.endpoint.url, content=body,
                           headers=request_headers(delivery, body, now)) as response:
            outcome.status_code = response.status_code
            excerpt = b""
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
            outcome.excerpt = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
        if not outcome.ok:
            outcome.error = f"HTTP {outcome.status_code}"
    except AddressError as exc:
        outcome.error = str(exc)
    except httpx.TimeoutException:
        outcome.error = _("No answer within %(n)d seconds.") % {"n": TIMEOUT_SECONDS}
    except httpx.HTTPError as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"[:300]
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def http_client() -> httpx.Client:
    """The only client a delivery is posted with: it connects to checked addresses alone."""
    # Never follow a redirect: the endpoint is the address that was checked and shown.
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False,
                        transport=CheckedTransport())


def delivery_send(*, delivery_id: int, now=None, client: httpx.Client | None = None) -> str:
    """POST one delivery if it is due and nobody else is sending it; returns its state after
    (or "skipped"). ``client``: one ``http_client()`` shared by a task's deliveries."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    if not delivery.endpoint.is_active:
        outcome = Outcome(error=_("The endpoint is disabled."))
    else:
        own = client is None
        client = client or http_client()
        try:
            outcome = _post(delivery, now, client)
        finally:
            if own:
                client.close()
    return _record(delivery, outcome, now)


@transaction.atomic
def _record(delivery: WebhookDelivery, outcome: Outcome, now) -> str:
    S = WebhookDelivery.State
    # Locked: the endpoint (and its deliveries) cannot be deleted under the attempt's row.
    if not WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk).exists():
        return "deleted"
    WebhookAttempt.objects.create(delivery=delivery, started_at=now,
                                  duration_ms=outcome.duration_ms,
                                  status_code=outcome.status_code, error=outcome.error[:300],
                                  response_excerpt=outcome.excerpt[:EXCERPT_BYTES])
    attempts = delivery.attempts + 1
    changes = {"attempts": attempts, "last_status_code": outcome.status_code,
               "last_error": outcome.error[:300]}
    if outcome.ok:
        changes.update(state=S.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif attempts >= MAX_ATTEMPTS or not delivery.endpoint.is_active:
        changes.update(state=S.FAILED, next_attempt_at=None)
    else:
        changes.update(next_attempt_at=now + BACKOFF[attempts - 1])
    WebhookDelivery.objects.filter(pk=delivery.pk, state=S.PENDING).update(**changes)
    return changes.get("state", S.PENDING)


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, now) -> WebhookDelivery:
    """Skicka igen: send the event to the endpoint again now, with a fresh round of retries;
    the earlier attempts stay in the log. A pending delivery is on its way already."""
    moved = WebhookDelivery.objects.filter(pk=delivery.pk).exclude(
        state=WebhookDelivery.State.PENDING).update(
        state=WebhookDelivery.State.PENDING, attempts=0, next_attempt_at=now)
    if moved != 1:
        raise WebhookError({"delivery": [_("This delivery is already waiting to be sent.")]},
                           code="pending")
    delivery.refresh_from_db()
    _queue_on_commit([delivery.pk])
    return delivery
