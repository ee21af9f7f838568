"""The BankID simulator's routes, mounted at /sim/bankid/ when SIMULATORS_ENABLED. The API
paths are BankID's own (``rp/v6.0/<method>``, no trailing slash), so BANKID_BASE_URL is all
that changes between the simulator and appapi2.bankid.com/rp/v6.0."""

from django.urls import path

from ekrav import bankid_simulator as sim

app_name = "bankid_sim"
urlpatterns = [
    path("rp/v6.0/auth", sim.auth, name="auth"),
    path("rp/v6.0/sign", sim.sign, name="sign"),
    path("rp/v6.0/collect", sim.collect, name="collect"),
    path("rp/v6.0/cancel", sim.cancel, name="cancel"),
    path("app/", sim.app, name="app"),
    path("_control/next", sim.control_next, name="control_next"),
    path("_control/orders/<str:order_ref>", sim.control_order, name="control_order"),
    path("_control/orders/<str:order_ref>/start", sim.control_start, name="control_start"),
    path("_control/orders/<str:order_ref>/complete", sim.control_complete,
         name="control_complete"),
    path("_control/orders/<str:order_ref>/fail", sim.control_fail, name="control_fail"),
]
