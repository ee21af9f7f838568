from django.urls import path

from debtors import views

# Under /mitt-arende/ (ekrav.urls), the address printed on every letter.
app_name = "debtors"
urlpatterns = [
    path("", views.open_case, name="open"),
    path("arenden/", views.case_list, name="cases"),
    path("arenden/<int:claim_id>/", views.case_detail, name="case"),
    path("arenden/<int:claim_id>/brev/<int:letter_id>/pdf/", views.letter_pdf,
         name="letter_pdf"),
    path("arenden/<int:claim_id>/redan-betalat/", views.already_paid, name="already_paid"),
    path("arenden/<int:claim_id>/meddelande/", views.message, name="message"),
    path("arenden/<int:claim_id>/swish/", views.pay_swish, name="pay_swish"),
    path("arenden/<int:claim_id>/swish/<str:instruction_id>/", views.pay_swish_wait,
         name="pay_swish_wait"),
    path("arenden/<int:claim_id>/swish/<str:instruction_id>/status/", views.pay_swish_status,
         name="pay_swish_status"),
    path("stang/", views.close, name="close"),
]
