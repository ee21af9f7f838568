from django.urls import path

from letters import views

app_name = "letters"
urlpatterns = [
    path("arenden/<int:claim_id>/brev/<int:letter_id>/pdf/", views.letter_pdf, name="pdf"),
    path("brev/", views.letter_templates, name="templates"),
    # One route per template, no parameter: there is nothing of anyone's to guess here.
    path("brev/exempel/paminnelse.pdf", views.letter_preview, {"kind": "reminder"},
         name="preview_reminder"),
    path("brev/exempel/inkassokrav.pdf", views.letter_preview, {"kind": "demand"},
         name="preview_demand"),
]
