# The API lives in claims/api.py (django-ninja); this indirection keeps ekrav/urls.py small.
from django.http import JsonResponse
from django.urls import path, re_path

from claims.api import api


def api_not_found(request, rest=""):
    """An unknown path under /api/ answers in the API's own error envelope, not Django's HTML."""
    return JsonResponse({"error": "not_found", "message": "No such endpoint.", "fields": {}},
                        status=404)


urlpatterns = [path("", api.urls), re_path(r"^(?P<rest>.*)$", api_not_found)]
