from django.urls import path

from webhooks import receiver_simulator as sim

app_name = "webhooks_sim"
urlpatterns = [path("<slug:name>/", sim.receiver, name="receiver")]
