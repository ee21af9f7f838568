"""A webhook receiver for development (mounted at /sim/webhooks/ with SIMULATORS_ENABLED):
register ``http://127.0.0.1:8000/sim/webhooks/<name>/`` as an endpoint, press *Skicka en
testhändelse*, and ``GET`` the same URL to see what arrived (the last 50 requests, with their
headers). ``?status=500`` in the registered URL makes it fail, to watch the retries.

State lives in the default cache: it is a stand-in, not a record. It checks no signature (it
knows no secret); ``webhooks.signing.verify`` is what a receiver runs.
"""

import json

from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

KEEP = 50
HEADERS = ("Ekrav-Event", "Ekrav-Event-Id", "Ekrav-Delivery", "Ekrav-Signature",
           "Content-Type", "User-Agent")


def _key(name: str) -> str:
    return f"sim:webhooks:{name}"


@csrf_exempt
def receiver(request, name):
    if request.method == "GET":
        return JsonResponse({"received": cache.get(_key(name), [])})
    if request.method != "POST":
        return HttpResponse(status=405)
    try:
        body = json.loads(request.body)
    except ValueError:
        body = request.body.decode("utf-8", "replace")[:2000]
    received = [{"headers": {h: request.headers.get(h, "") for h in HEADERS}, "body": body},
                *cache.get(_key(name), [])][:KEEP]
    cache.set(_key(name), received, timeout=24 * 3600)
    status = request.GET.get("status", "200")
    return HttpResponse("ok", status=int(status) if status.isdigit() and
                        100 <= int(status) <= 599 else 200)
