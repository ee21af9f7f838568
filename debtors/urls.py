from django.urls import path

from debtors import views
from payments.models import PaymentRequest

CARD, TRUSTLY = PaymentRequest.Channel.CARD, PaymentRequest.Channel.TRUSTLY

# Under /mitt-arende/ (ekrav.urls), the address printed on every letter.
app_name = "debtors"
urlpatterns = [
    path("", views.open_case, name="open"),
    path("bankid/", views.open_bankid, name="open_bankid"),
    path("arenden/", views.case_list, name="cases"),
    path("arenden/<int:claim_id>/", views.case_detail, name="case"),
    path("arenden/<int:claim_id>/brev/<int:letter_id>/pdf/", views.letter_pdf,
         name="letter_pdf"),
    path("arenden/<int:claim_id>/redan-betalat/", views.already_paid, name="already_paid"),
    path("arenden/<int:claim_id>/meddelande/", views.message, name="message"),
    path("arenden/<int:claim_id>/bestrid/", views.dispute, name="dispute"),
    path("arenden/<int:claim_id>/avbetalningsplan/", views.plan, name="plan"),
    path("arenden/<int:claim_id>/swish/", views.pay_swish, name="pay_swish"),
    path("arenden/<int:claim_id>/swish/<str:instruction_id>/", views.pay_swish_wait,
         name="pay_swish_wait"),
    path("arenden/<int:claim_id>/swish/<str:instruction_id>/status/", views.pay_swish_status,
         name="pay_swish_status"),
    path("arenden/<int:claim_id>/kort/", views.pay_card, name="pay_card"),
    path("arenden/<int:claim_id>/kort/<str:instruction_id>/", views.pay_provider_wait,
         {"channel": CARD}, name="pay_card_wait"),
    path("arenden/<int:claim_id>/kort/<str:instruction_id>/status/",
         views.pay_provider_status, {"channel": CARD}, name="pay_card_status"),
    path("arenden/<int:claim_id>/trustly/", views.pay_trustly, name="pay_trustly"),
    path("arenden/<int:claim_id>/trustly/<str:instruction_id>/", views.pay_provider_wait,
         {"channel": TRUSTLY}, name="pay_trustly_wait"),
    path("arenden/<int:claim_id>/trustly/<str:instruction_id>/status/",
         views.pay_provider_status, {"channel": TRUSTLY}, name="pay_trustly_status"),
    path("stang/", views.close, name="close"),
]
