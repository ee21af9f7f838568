"""The Kivra simulator's routes, mounted at /sim/kivra/ when SIMULATORS_ENABLED. The API paths
are Kivra's own (no trailing slash), so KIVRA_BASE_URL is all that changes between the two."""

from django.urls import path

from letters import kivra_simulator as sim

app_name = "kivra_sim"
urlpatterns = [
    path("v1/auth", sim.auth, name="auth"),
    path("v2/tenant/<str:tenant_key>/usermatch/ssn", sim.usermatch_ssn, name="usermatch_ssn"),
    path("v2/tenant/<str:tenant_key>/content", sim.content, name="content"),
    path("_control/recipients/<str:ssn>", sim.control_recipient, name="control_recipient"),
    path("_control/tokens/expire", sim.control_expire_tokens, name="control_expire_tokens"),
    path("_inbox/<str:ssn>", sim.inbox, name="inbox"),
]
