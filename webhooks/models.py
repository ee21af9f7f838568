"""Webhooks (issue 7): a creditor's endpoints, the outbox of events for them, and each event's
delivery to each endpoint with every attempt.

Above ``creditors`` and below ``claims`` in the import order: claims, letters and payments
write an event with ``webhooks.services.event_emit`` in their own transaction (the outbox), and
the worker delivers it after commit.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class EventType(models.TextChoices):
    CLAIM_REGISTERED = "claim.registered", _("Claim registered")
    CLAIM_STATUS_CHANGED = "claim.status_changed", _("Claim status changed")
    DECISION_NEEDED = "claim.decision_needed", _("Decision needed")
    LETTER_SENT = "letter.sent", _("Letter sent")
    PAYMENT_RECEIVED = "payment.received", _("Payment received")
    SETTLEMENT_PAID = "settlement.paid", _("Settlement paid")
    PING = "ping", _("Test event")


# The types an endpoint can subscribe to (a ping goes only to the endpoint it tests).
SUBSCRIBABLE = [t for t in EventType if t != EventType.PING]


class EndpointQuerySet(models.QuerySet):
    def for_creditor(self, creditor):
        """The one door to a creditor's endpoints: another tenant's is simply not there."""
        return self.filter(creditor=creditor)


class WebhookEndpoint(models.Model):
    """A URL of the creditor's (or of its integration partner) that events are POSTed to."""

    creditor = models.ForeignKey("creditors.Creditor", on_delete=models.CASCADE,
                                 related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Empty: every event type, also those added later.
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    secret = models.CharField(max_length=100, default=new_secret)
    # After a rotation the old secret signs too, until it expires (receivers switch over).
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def secrets_at(self, now) -> list[str]:
        """The secrets that sign a delivery at ``now``: the current one, and during the overlap
        after a rotation the previous one."""
        if self.previous_secret and self.previous_secret_expires_at and \
                now < self.previous_secret_expires_at:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookEvent(models.Model):
    """The outbox: one fact, once. ``key`` is the fact's natural key (the same registration,
    payment or letter emitted twice is one event)."""

    creditor = models.ForeignKey("creditors.Creditor", on_delete=models.CASCADE,
                                 related_name="webhook_events")
    public_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=40, choices=EventType.choices)
    key = models.CharField(max_length=200)
    payload = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [models.UniqueConstraint(fields=["creditor", "key"],
                                               name="webhook_event_once")]

    def __str__(self):
        return f"{self.public_id} {self.type}"


class DeliveryQuerySet(models.QuerySet):
    def for_creditor(self, creditor):
        return self.filter(endpoint__creditor=creditor)


class WebhookDelivery(models.Model):
    """One event to one endpoint: pending until a 2xx answer, retried with backoff."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.PENDING)
    # Attempts since the delivery was (re)queued: the backoff's step.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"],
                                               name="webhook_delivery_once")]
        indexes = [
            # The beat sweep (webhooks.services.deliveries_due): only the pending few.
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                         condition=models.Q(state="pending")),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One POST of a delivery, for the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempt_log")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.CharField(max_length=1024, blank=True)
    manual = models.BooleanField(default=False)  # "Skicka igen" in the portal

    class Meta:
        ordering = ["-started_at", "-id"]

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
