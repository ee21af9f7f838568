"""The creditor portal's settlements and payments (ekrav.urls includes these at the root)."""

from django.urls import path

from payments import portal_views

app_name = "money"
urlpatterns = [
    path("avrakningar/", portal_views.settlement_list, name="settlements"),
    path("avrakningar/<int:settlement_id>/pdf/", portal_views.settlement_pdf,
         name="settlement_pdf"),
    path("betalningar/", portal_views.payment_list, name="payments"),
]
