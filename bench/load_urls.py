"""bench/load_test.py's URLconf: every route of ekrav.urls, and the baseline the pages are
measured against: a minimal Django view behind the same middleware, workers and database
connection settings, which reads nothing and renders nothing."""

from django.http import HttpResponse
from django.urls import include, path

BASELINE_PATH = "/bench/baseline/"


def baseline(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path(BASELINE_PATH.strip("/") + "/", baseline),
    path("", include("ekrav.urls")),
]
