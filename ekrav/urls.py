from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("konto/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("ekrav.api_urls")),
    path("", include("creditors.urls")),
    path("", include("claims.urls")),
]
