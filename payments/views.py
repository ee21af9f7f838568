"""Providers calling ekrav: Swish's callback when a payment request ends.

The callback is a trigger, not the truth (payments.swish): it must describe the request as
ekrav created it (else 400, nothing booked), and then only Swish's own status read is booked.
"""

import logging

from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import swish
from payments.models import PaymentRequest
from payments.services import swish_callback_receive

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
