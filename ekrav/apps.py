from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EkravConfig(AppConfig):
    name = "ekrav"
    verbose_name = "ekrav"

    def ready(self):
        from ekrav import audit
        from ekrav.roles import handlers_group_sync

        audit.connect()
        # After every migrate, once each model's permissions exist: the handlers' group.
        post_migrate.connect(handlers_group_sync, dispatch_uid="ekrav.handlers_group")
