"""The credit bureau simulator's routes, mounted at /sim/kreditupplysning/ when
SIMULATORS_ENABLED. The API path is the protocol's own (no trailing slash), so
CREDITINFO_BASE_URL is all that changes between the simulator and a bureau."""

from django.urls import path

from claims import creditinfo_simulator as sim

app_name = "creditinfo_sim"
urlpatterns = [
    path("v1/reports", sim.reports, name="reports"),
    path("_control/subjects/<str:identity>", sim.control_subject, name="control_subject"),
]
