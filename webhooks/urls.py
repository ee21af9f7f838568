from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("foretag/webhooks/", views.endpoints, name="endpoints"),
    path("foretag/webhooks/<int:endpoint_id>/", views.endpoint, name="endpoint"),
    path("foretag/webhooks/<int:endpoint_id>/ny-hemlighet/", views.endpoint_rotate,
         name="rotate"),
    path("foretag/webhooks/<int:endpoint_id>/testa/", views.endpoint_test, name="test"),
    path("foretag/webhooks/<int:endpoint_id>/ta-bort/", views.endpoint_remove, name="delete"),
    path("foretag/webhooks/leveranser/<int:delivery_id>/skicka-igen/", views.redeliver,
         name="redeliver"),
]
