"""API v1: a creditor's system (or a partner acting for it) manages its webhook endpoints.

``GET/POST /v1/webhooks``, ``GET/DELETE /v1/webhooks/{id}``. The secret is in the answer to
the POST only (the portal shows it again to the signatory and administrators). Mounted on the
claims API (``ekrav.api_urls``): its key authentication, English and error envelope.
"""

import datetime
from typing import Annotated, Literal, Optional

from ninja import Field, Path, Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import BaseModel

from claims.api import MAX_ID, Text, _error, _errors, _validation_error
from webhooks.models import SUBSCRIBABLE, WebhookEndpoint
from webhooks.services import WebhookError, endpoint_create, endpoint_delete

router = Router(tags=["webhooks"])
EventTypeName = Literal[tuple(str(t) for t in SUBSCRIBABLE)]  # type: ignore[valid-type]
EndpointId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


class WebhookEndpointIn(BaseModel):
    url: Text(500, description="https:// and a public address (http:// only in development).")
    description: Optional[Text(200)] = None
    event_types: list[EventTypeName] = Field(
        default_factory=list, description="The events to send; empty: all, also later ones.")


class WebhookEndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    created_at: datetime.datetime


class WebhookEndpointCreatedOut(WebhookEndpointOut):
    secret: str = Field(..., description="The signing secret (whsec_…): shown this once.")


def _out(endpoint: WebhookEndpoint, *, secret=False) -> dict:
    out = {"id": endpoint.pk, "url": endpoint.url, "description": endpoint.description,
           "event_types": endpoint.event_types, "is_active": endpoint.is_active,
           "created_at": endpoint.created_at}
    return {**out, "secret": endpoint.secret} if secret else out


def _not_found(request):
    return _error(request, 404, "not_found", "No such webhook endpoint.")


@router.get("/webhooks", operation_id="webhooks_list", summary="List webhook endpoints",
            response={200: list[WebhookEndpointOut], **_errors(401)})
def webhooks_list(request):
    return [_out(e) for e in WebhookEndpoint.objects.for_creditor(request.auth)]


@router.post("/webhooks", operation_id="webhook_create", summary="Add a webhook endpoint",
             response={201: WebhookEndpointCreatedOut, **_errors(400, 401, 422)})
def webhook_create(request, payload: WebhookEndpointIn):
    """Events are then POSTed to `url`, signed with the returned secret (see `webhooks`)."""
    try:
        endpoint = endpoint_create(creditor=request.auth, url=payload.url,
                                   description=payload.description or "",
                                   event_types=payload.event_types)
    except WebhookError as exc:
        return _validation_error(request, exc.errors)
    return HttpStatus(201, _out(endpoint, secret=True))


@router.get("/webhooks/{id}", operation_id="webhook_get", summary="Get a webhook endpoint",
            response={200: WebhookEndpointOut, **_errors(401, 404, 422)})
def webhook_get(request, id: EndpointId):  # noqa: A002 - as the claims' routes
    endpoint = WebhookEndpoint.objects.for_creditor(request.auth).filter(pk=id).first()
    return _not_found(request) if endpoint is None else _out(endpoint)


@router.delete("/webhooks/{id}", operation_id="webhook_delete",
               summary="Delete a webhook endpoint", response={204: None, **_errors(401, 404, 422)})
def webhook_delete(request, id: EndpointId):  # noqa: A002
    endpoint = WebhookEndpoint.objects.for_creditor(request.auth).filter(pk=id).first()
    if endpoint is None:
        return _not_found(request)
    endpoint_delete(endpoint=endpoint)
    return HttpStatus(204, None)
