from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Ärenden"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from claims.models import ReferenceRate, StatutoryFee
        from ekrav.memo import memo_forget

        # A request that writes the law's tables reads them afresh (ekrav.memo).
        for model in (ReferenceRate, StatutoryFee):
            post_save.connect(memo_forget, sender=model, dispatch_uid=f"memo-{model.__name__}")
            post_delete.connect(memo_forget, sender=model,
                                dispatch_uid=f"memo-del-{model.__name__}")
