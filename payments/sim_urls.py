"""The Swish simulator's routes, mounted at /sim/swish/ when SIMULATORS_ENABLED. The API paths
are Swish's own below its ``/api`` root (no trailing slash), so SWISH_BASE_URL is all that
changes between the simulator and cpc.getswish.net/swish-cpcapi/api."""

from django.urls import path

from payments import swish_simulator as sim

app_name = "swish_sim"
urlpatterns = [
    path("v2/paymentrequests/<str:instruction_id>", sim.payment_request_v2,
         name="payment_request_v2"),
    path("v1/paymentrequests/<str:instruction_id>", sim.payment_request_v1,
         name="payment_request_v1"),
    path("_control/next", sim.control_next, name="control_next"),
    path("_control/pay/<str:instruction_id>", sim.control_pay, name="control_pay"),
    path("_control/redeliver/<str:instruction_id>", sim.control_redeliver,
         name="control_redeliver"),
    path("_control/paymentrequests/<str:instruction_id>", sim.control_state,
         name="control_state"),
]
