"""The Trustly and card simulators' routes, mounted at /sim/ when SIMULATORS_ENABLED:
/sim/trustly/ (TRUSTLY_BASE_URL; the API at ``api/1`` as at trustly.com) and /sim/card/
(CARD_BASE_URL)."""

from django.urls import path

from payments import card_simulator as card
from payments import trustly_simulator as trustly

app_name = "provider_sim"
urlpatterns = [
    path("trustly/api/1", trustly.api, name="trustly_api"),
    path("trustly/pay/<str:order_id>", trustly.pay, name="trustly_pay"),
    path("trustly/_control/redeliver/<str:order_id>", trustly.control_redeliver,
         name="trustly_control_redeliver"),
    path("trustly/_control/orders/<str:order_id>", trustly.control_order,
         name="trustly_control_order"),
    path("card/v1/sessions", card.sessions, name="card_sessions"),
    path("card/v1/sessions/<str:session_id>", card.session, name="card_session"),
    path("card/pay/<str:session_id>", card.pay, name="card_pay"),
    path("card/_control/redeliver/<str:session_id>", card.control_redeliver,
         name="card_control_redeliver"),
    path("card/_control/sessions/<str:session_id>", card.control_session,
         name="card_control_session"),
]
