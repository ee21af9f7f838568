"""Under /betalning/ (ekrav.urls): the addresses payment providers call."""

from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("swish/callback/<str:instruction_id>/", views.swish_callback, name="swish_callback"),
    path("kort/webhook/<str:instruction_id>/", views.card_webhook, name="card_webhook"),
    path("trustly/notification/<str:instruction_id>/", views.trustly_notification,
         name="trustly_notification"),
]
