from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One change to a creditor, claim, payment or payout: who (a user, an API key, the
    system), when, what (the fields, before and after) and from where (the address). Written by
    ekrav.audit; append-only, read by staff in the admin."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("user"))
    actor_label = models.CharField(_("who"), max_length=200)
    ip_address = models.CharField(_("from address"), max_length=45, blank=True)
    path = models.CharField(_("request"), max_length=300, blank=True)
    object_type = models.CharField(_("what"), max_length=60)
    object_id = models.CharField(_("id"), max_length=40)
    object_label = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("the audit trail is append-only")


class IdempotencyKey(models.Model):
    """An API POST's Idempotency-Key and the first response it got, replayed to a retry
    (ekrav.idempotency). Written in the same transaction as the request's writes; deleted
    after 24 hours by beat."""

    scope = models.CharField(_("scope"), max_length=100,
                             help_text=_("Whose key it is, e.g. creditor:42."))
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64,
                                   help_text=_("SHA-256 of the method, path and body."))
    status_code = models.PositiveSmallIntegerField(_("status"))
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    body = models.BinaryField(_("body"))
    # The clean-up's range scan (ekrav.idempotency.idempotency_keys_expire).
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["scope", "key"],
                                               name="idempotency_key_once_per_scope")]

    def __str__(self):
        return f"{self.scope} {self.key}"
