from django.urls import path

from creditors import views, views_bankid, views_partner

app_name = "creditors"
urlpatterns = [
    path("konto/bankid/", views_bankid.bankid_login, name="bankid_login"),
    path("konto/bankid/koppla/", views_bankid.bankid_link, name="bankid_link"),
    path("foretag/nytt/", views.onboard, name="onboard"),
    path("foretag/byt/", views.switch, name="switch"),
    path("foretag/", views.company, name="company"),
    path("foretag/avtal/", views_bankid.agreement, name="agreement"),
    path("foretag/bankgiro/", views_bankid.bankgiro, name="bankgiro"),
    path("foretag/kravpolicy/", views.policy, name="policy"),
    path("foretag/partner/<int:grant_id>/aterkalla/", views_partner.partner_revoke,
         name="partner_revoke"),
    path("partner/anslut/<str:token>/", views_partner.partner_connect, name="partner_connect"),
    path("anvandare/", views.users, name="users"),
    path("anvandare/<int:membership_id>/ta-bort/", views.user_remove, name="user_remove"),
    path("inbjudan/<str:token>/", views.invitation, name="invitation"),
    path("api-nycklar/", views.api_keys, name="api_keys"),
    path("api-nycklar/<int:key_id>/aterkalla/", views.api_key_delete, name="api_key_delete"),
]
