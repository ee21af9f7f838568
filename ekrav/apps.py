from django.apps import AppConfig


class EkravConfig(AppConfig):
    name = "ekrav"
    verbose_name = "ekrav"
