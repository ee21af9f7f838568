"""The audit trail (issue 6): every change to creditors, claims, payments and payouts, with who
made it, when, what changed and from where. Append-only (``ekrav.models.AuditEntry``), read by
staff in the admin.

- **Who and from where** come from the request (``AuditMiddleware``: the user, or the API key
  the API authenticated, and the client address as allauth reads it) or, outside a request
  (beat, the worker, a management command), "system".
- **What** is recorded for every save and delete of the models in ``AUDITED`` (Django's model
  signals, the values as loaded compared with the values saved) and, where a service moves a
  row with a compare-and-set ``update()`` that sends no signal, by ``record`` in that service
  (a claim's status: claims.services._set_status).
- Bulk writes of the hot paths (the tick's steps, a BgMax file's payments) are not one entry
  per row: the act that caused them is (the import by a handler; the tick is "system"), and
  each claim's event timeline and ledger say the rest, row by row, append-only themselves.
"""

from __future__ import annotations

import contextvars
import datetime
import decimal

from django.core.exceptions import PermissionDenied
from django.db.models.signals import post_delete, post_init, post_save

_actor = contextvars.ContextVar("ekrav_audit_actor", default=None)

# app_label.ModelName of what the trail covers.
AUDITED = (
    "creditors.Creditor", "creditors.Membership", "creditors.Invitation", "creditors.ApiKey",
    "creditors.CollectionPolicy", "creditors.UserIdentity", "creditors.AgreementSignature",
    "creditors.BankgiroChange", "creditors.Partner", "creditors.PartnerApiKey",
    "creditors.PartnerGrant", "creditors.PartnerOnboarding",
    "claims.Claim", "claims.Invoice", "claims.Dispute", "claims.PaymentPlan",
    "claims.KronofogdenApplication", "claims.Decision",
    "payments.IncomingPayment", "payments.BgmaxImport", "payments.Refund",
    "payments.Settlement", "payments.PayoutFile",
)
# Never written into the trail: secrets and evidence blobs (their existence is recorded).
_WITHHELD = {"key_hash", "token_digest", "token_hash", "signature", "ocsp_response", "xml", "text",
             "password"}


class Actor(dict):
    """{"user_id", "label", "ip", "path"}."""


def set_actor(*, user=None, label: str = "", ip: str = "", path: str = ""):
    """Who acts from here on in this request or task; returns a token for ``reset``."""
    return _actor.set(Actor(user_id=getattr(user, "pk", None),
                            label=label or (getattr(user, "email", "") or "system"),
                            ip=ip, path=path[:300]))


def current_actor() -> Actor:
    return _actor.get() or Actor(user_id=None, label="system", ip="", path="")


class AuditMiddleware:
    """Names the request's actor for the trail: the logged-in user (or, until the API's key is
    read, "anonymous"), the client's address and the request line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from allauth.account.adapter import get_adapter

        user = request.user if getattr(request, "user", None) and \
            request.user.is_authenticated else None
        try:
            ip = get_adapter(request).get_client_ip(request) or ""
        except PermissionDenied:  # no address at all (allauth refuses to guess): say none
            ip = ""
        token = set_actor(user=user, label=getattr(user, "email", "") or "anonymous",
                          ip=ip, path=f"{request.method} {request.path}")
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)


def api_key_acts(key) -> None:
    """The API authenticated ``key``: it is the actor for the rest of the request."""
    actor = current_actor()
    set_actor(label=f"API key {key}", ip=actor["ip"], path=actor["path"])


def partner_key_acts(key, creditor=None) -> None:
    """The API authenticated a partner's ``key``, acting for ``creditor`` (issue 7): both are
    named, so the trail tells the partner's acts from the creditor's own."""
    actor = current_actor()
    label = f"Partner API key {key.prefix}… ({key.partner})"
    set_actor(label=f"{label} for {creditor}" if creditor else label, ip=actor["ip"],
              path=actor["path"])


def record(instance, action: str, changes: dict) -> None:
    """One entry for ``instance`` (a model object), now, by the current actor."""
    from ekrav.models import AuditEntry

    actor = current_actor()
    AuditEntry.objects.create(
        actor_id=actor["user_id"], actor_label=actor["label"][:200], ip_address=actor["ip"],
        path=actor["path"], object_type=f"{instance._meta.app_label}.{instance._meta.model_name}",
        object_id=str(instance.pk), object_label=str(instance)[:200], action=action,
        changes={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()})


def _plain(value):
    """A value as JSON holds it: dates, decimals, files (their name) and the like as text."""
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    if isinstance(value, (datetime.date, datetime.datetime, decimal.Decimal)):
        return str(value)
    return str(getattr(value, "name", value))


def _values(instance) -> dict:
    """The fields the instance holds (a deferred field is not read: that would query)."""
    held = instance.__dict__
    return {f.attname: held[f.attname] for f in instance._meta.concrete_fields
            if f.attname in held and f.attname not in _WITHHELD}


def _loaded(sender, instance, **_kwargs):
    instance._audit_loaded = _values(instance) if instance.pk is not None else None


def _saved(sender, instance, created, raw=False, **_kwargs):
    if raw:  # loading fixtures
        return
    now = _values(instance)
    before = getattr(instance, "_audit_loaded", None)
    if created or before is None:
        record(instance, "create", {k: (None, v) for k, v in now.items() if v not in (None, "")})
    else:
        changes = {k: (before[k], v) for k, v in now.items() if k in before and before[k] != v}
        if changes:
            record(instance, "update", changes)
    instance._audit_loaded = now


def _deleted(sender, instance, **_kwargs):
    record(instance, "delete", {})


def connect() -> None:
    """Hook the trail to the audited models (ekrav.apps, once)."""
    from django.apps import apps

    for name in AUDITED:
        model = apps.get_model(name)
        uid = f"ekrav.audit.{name}"
        post_init.connect(_loaded, sender=model, dispatch_uid=uid + ".init")
        post_save.connect(_saved, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid + ".delete")
