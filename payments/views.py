"""Providers calling ekrav: Swish's callback when a payment request ends, the card
provider's webhook and Trustly's notifications.

The callback is a trigger, not the truth (payments.swish): it must describe the request as
ekrav created it (else 400, nothing booked), and then only Swish's own status read is booked.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import card, swish, trustly
from payments.models import PaymentRequest
from payments.services import (card_webhook_receive, swish_callback_receive,
                               trustly_notification_receive)

log = logging.getLogger(__name__)


@transaction.non_atomic_requests  # no database lock is held while Swish is asked
@csrf_exempt  # Swish posts from outside; what it says is checked, then read again from Swish
@require_POST
def swish_callback(request, instruction_id):
    client = swish.SwishClient.from_settings()
    if client is None:
        return HttpResponse(status=404)
    try:
        settled = swish_callback_receive(client=client, instruction_id=instruction_id,
                                         body=request.body, today=timezone.localdate())
    except PaymentRequest.DoesNotExist:
        return HttpResponse(status=404)
    except swish.SwishCallbackRejected as exc:
        log.warning("Swish callback for %s refused: %s", instruction_id, exc)
        return HttpResponseBadRequest("callback refused")
    except swish.SwishUnavailable as exc:
        # Not settled: answer so that Swish calls again (the debtor's page also polls).
        log.warning("Swish callback for %s: status not readable: %s", instruction_id, exc)
        return HttpResponse(status=503)
    log.info("Swish callback for %s: %s", instruction_id, settled.status)
    return HttpResponse(status=200)


@transaction.non_atomic_requests  # the row lock is taken (briefly) in the service
@csrf_exempt  # the provider posts from outside; the signature and the row are checked
@require_POST
def card_webhook(request, instruction_id):
    """The card provider's webhook: signed (Card-Signature), about the session and amount
    ekrav created, within the tolerance; a paid one books once."""
    if not settings.CARD_BASE_URL:
        return HttpResponse(status=404)
    try:
        settled = card_webhook_receive(
            instruction_id=instruction_id, body=request.body,
            header=request.headers.get(card.SIGNATURE_HEADER),
            secret=settings.CARD_WEBHOOK_SECRET,
            tolerance_seconds=settings.CARD_WEBHOOK_TOLERANCE, today=timezone.localdate())
    except PaymentRequest.DoesNotExist:
        return HttpResponse(status=404)
    except card.CardWebhookRejected as exc:
        log.warning("Card webhook for %s refused: %s", instruction_id, exc)
        return HttpResponseBadRequest("webhook refused")
    log.info("Card webhook for %s: %s", instruction_id, settled.status)
    return HttpResponse(status=200)


@transaction.non_atomic_requests
@csrf_exempt  # Trustly posts from outside; its RSA signature and the row are checked
@require_POST
def trustly_notification(request, instruction_id):
    """Trustly's notification (pending, credit, cancel, ...): signed by Trustly, about the
    message and amount ekrav created; answered with the signed OK, a repeated one too."""
    if not settings.TRUSTLY_BASE_URL:
        return HttpResponse(status=404)
    try:
        settled, notification = trustly_notification_receive(
            instruction_id=instruction_id, body=request.body, today=timezone.localdate())
    except PaymentRequest.DoesNotExist:
        return HttpResponse(status=404)
    except trustly.TrustlyNotificationRejected as exc:
        log.warning("Trustly notification for %s refused: %s", instruction_id, exc)
        return HttpResponseBadRequest("notification refused")
    log.info("Trustly %s notification for %s: %s", notification.method, instruction_id,
             settled.status)
    return HttpResponse(trustly.notification_response(notification=notification),
                        content_type="application/json")
