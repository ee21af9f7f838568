from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from ekrav import health
from ekrav.staff_mfa import admin_login

# The admin logs in through allauth, so a handler's TOTP code is asked for (ekrav.staff_mfa).
admin.site.login = admin_login

urlpatterns = [
    # Liveness and readiness (ekrav.health; its middleware answers GET and HEAD first).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("konto/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("ekrav.api_urls")),
    path("mitt-arende/", include("debtors.urls")),
    path("betalning/", include("payments.urls")),
    path("", include("creditors.urls")),
    path("", include("webhooks.urls")),
    path("", include("claims.urls")),
    path("", include("letters.urls")),
    path("", include("payments.portal_urls")),
]

if settings.SIMULATORS_ENABLED:
    # Local stand-ins for outside systems, spoken to over real HTTP (ARCHITECTURE.md decision 8).
    urlpatterns.append(path("sim/kivra/", include("letters.sim_urls")))
    urlpatterns.append(path("sim/swish/", include("payments.sim_urls")))
    urlpatterns.append(path("sim/bankid/", include("ekrav.bankid_sim_urls")))
    urlpatterns.append(path("sim/kreditupplysning/", include("claims.sim_urls")))
    urlpatterns.append(path("sim/webhooks/", include("webhooks.sim_urls")))
    urlpatterns.append(path("sim/", include("payments.provider_sim_urls")))
