"""Webhooks in the portal (Företag → Webhooks): every member sees the endpoints and their
delivery log; signatories and administrators add, change, test and delete them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditors.decorators import creditor_required
from webhooks.forms import EndpointEditForm, EndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    WebhookError,
    delivery_redeliver,
    endpoint_create,
    endpoint_delete,
    endpoint_ping,
    endpoint_rotate_secret,
    endpoint_update,
)

LOG_SIZE = 50


def _show_errors(form, exc: WebhookError):
    for field, msgs in exc.errors.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


def _endpoint(request, endpoint_id) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint.objects.for_creditor(request.creditor),
                             pk=endpoint_id)


@creditor_required
def endpoints(request):
    can_manage = request.membership.can_manage
    form = EndpointForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                endpoint = endpoint_create(creditor=request.creditor, created_by=request.user,
                                           **form.cleaned_data)
            except WebhookError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, _("The endpoint was added. Its signing secret is "
                                            "on this page."))
                return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)
    return render(request, "webhooks/endpoints.html", {
        "endpoints": WebhookEndpoint.objects.for_creditor(request.creditor),
        "form": form, "can_manage": can_manage})


@creditor_required
def endpoint(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    can_manage = request.membership.can_manage
    initial = {"url": endpoint.url, "description": endpoint.description,
               "event_types": endpoint.event_types, "is_active": endpoint.is_active}
    form = EndpointEditForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                endpoint_update(endpoint=endpoint, **form.cleaned_data)
            except WebhookError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, _("The endpoint was saved."))
                return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)
    deliveries = (endpoint.deliveries.select_related("event")
                  .prefetch_related("attempt_log")[:LOG_SIZE])
    return render(request, "webhooks/endpoint.html", {
        "endpoint": endpoint, "form": form, "can_manage": can_manage,
        "deliveries": deliveries, "now": timezone.now()})


@creditor_required(manage=True)
@require_POST
def endpoint_rotate(request, endpoint_id):
    endpoint_rotate_secret(endpoint=_endpoint(request, endpoint_id), now=timezone.now())
    messages.success(request, _("A new secret was made. The old one also signs for 24 hours, "
                                "while your receiver switches over."))
    return redirect("webhooks:endpoint", endpoint_id=endpoint_id)


@creditor_required(manage=True)
@require_POST
def endpoint_test(request, endpoint_id):
    endpoint_ping(endpoint=_endpoint(request, endpoint_id), now=timezone.now())
    messages.success(request, _("A test event is on its way; it shows in the log below."))
    return redirect("webhooks:endpoint", endpoint_id=endpoint_id)


@creditor_required(manage=True)
@require_POST
def endpoint_remove(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    endpoint_delete(endpoint=endpoint)
    messages.success(request, _("The endpoint %(url)s was deleted.") % {"url": endpoint.url})
    return redirect("webhooks:endpoints")


@creditor_required(manage=True)
@require_POST
def redeliver(request, delivery_id):
    delivery = get_object_or_404(
        WebhookDelivery.objects.for_creditor(request.creditor).select_related("event"),
        pk=delivery_id)
    try:
        delivery = delivery_redeliver(delivery=delivery, now=timezone.now())
    except WebhookError as exc:
        messages.error(request, exc.message)
    if request.headers.get("HX-Request"):
        return render(request, "webhooks/_delivery.html",
                      {"d": delivery, "can_manage": True})
    return redirect("webhooks:endpoint", endpoint_id=delivery.endpoint_id)
