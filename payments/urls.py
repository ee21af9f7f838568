"""Under /betalning/ (ekrav.urls): the addresses payment providers call."""

from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("swish/callback/<str:instruction_id>/", views.swish_callback, name="swish_callback"),
]
