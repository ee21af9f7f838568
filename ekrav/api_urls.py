# The API lives in claims/api.py (django-ninja); this indirection keeps ekrav/urls.py small.
from django.http import JsonResponse
from django.urls import path, re_path

from claims.api import api
from webhooks.api import router as webhooks_router

# The webhook endpoints' operations (issue 7) sit above claims.api, which they build on.
api.add_router("/v1", webhooks_router)


def api_not_found(request, rest=""):
    """An unknown path under /api/ answers in the API's own error envelope, not Django's HTML."""
    return JsonResponse({"error": "not_found", "message": "No such endpoint.", "fields": {}},
                        status=404)


urlpatterns = [path("", api.urls), re_path(r"^(?P<rest>.*)$", api_not_found)]
