from django.urls import path

from claims import views

app_name = "claims"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("statistik/", views.dashboard, name="dashboard"),
    path("arenden/nytt/", views.claim_new, name="new"),
    path("arenden/nytt/plan/", views.claim_plan_preview, name="plan_preview"),
    path("arenden/<int:claim_id>/", views.claim_detail, name="detail"),
    path("arenden/<int:claim_id>/aterkalla/", views.claim_withdraw_view, name="withdraw"),
    path("arenden/<int:claim_id>/meddelanden/", views.claim_message_view, name="message"),
    path("arenden/<int:claim_id>/betalning/", views.claim_payment_view, name="payment"),
    path("arenden/<int:claim_id>/fakturor/<int:invoice_id>/pdf/", views.invoice_pdf,
         name="invoice_pdf"),
]

from claims import views_decisions, views_import  # noqa: E402  (their own modules)

urlpatterns += [
    path("import/", views_import.import_upload, name="import"),
    path("import/<int:import_id>/", views_import.import_detail, name="import_detail"),
    path("import/<int:import_id>/bekrafta/", views_import.import_confirm, name="import_confirm"),
    path("import/<int:import_id>/status/", views_import.import_status, name="import_status"),
]

from claims import views_peppol  # noqa: E402

urlpatterns += [
    path("e-faktura/", views_peppol.peppol_upload, name="peppol"),
    path("e-faktura/<str:batch>/", views_peppol.peppol_preview, name="peppol_preview"),
    path("e-faktura/<str:batch>/bekrafta/", views_peppol.peppol_confirm, name="peppol_confirm"),
]

urlpatterns += [
    path("beslut/", views_decisions.decisions, name="decisions"),
    path("beslut/<int:claim_id>/", views_decisions.decision_make, name="decide"),
    path("beslut/avbetalningsplan/<int:plan_id>/", views_decisions.plan_answer,
         name="plan_answer"),
    path("bestridanden/", views_decisions.disputes, name="disputes"),
    path("bestridanden/bilagor/<int:attachment_id>/", views_decisions.dispute_attachment,
         name="dispute_attachment"),
    path("bestridanden/<int:dispute_id>/", views_decisions.dispute_position,
         name="dispute_position"),
]
