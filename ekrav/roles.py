"""Staff roles. A case handler (handläggare) is staff in the *Handläggare* group: they see every
case, payment and letter, and do the case work — objections, plans, Kronofogden, unmatched
payments and refunds, letters, the claim thread — but do not change the law tables, the
creditors' companies, users, API keys or anyone's permissions, and delete nothing. That is the
superuser's (a few named people). The group's permissions are exactly ``HANDLER_PERMISSIONS``,
set again after every ``migrate`` (``handlers_group_sync``): a permission given by hand in the
admin does not survive, a new model's is added here, in review.
"""

GROUP = "Handläggare"

_VIEW = [
    "claims.claim", "claims.claimimport", "claims.ledgerentry", "claims.dispute",
    "claims.kronofogdenapplication", "claims.paymentplan", "claims.casemessage",
    "claims.statutoryfee", "claims.referencerate", "claims.surveillancepolicy",
    "creditors.creditor", "creditors.membership", "creditors.invitation",
    "creditors.agreementsignature", "creditors.bankgirochange",
    "debtors.debtor", "letters.letter", "letters.printbatch",
    "payments.bgmaximport", "payments.incomingpayment", "payments.paymentrequest",
    "payments.payoutfile", "payments.refund", "payments.settlement", "ekrav.auditentry",
]
_CHANGE = [
    "claims.claim", "claims.dispute", "claims.kronofogdenapplication", "claims.paymentplan",
    "debtors.debtor", "letters.letter", "letters.printbatch", "payments.incomingpayment",
    "payments.refund",
]
_ADD = ["claims.dispute", "claims.casemessage", "payments.bgmaximport"]

HANDLER_PERMISSIONS = sorted(
    {f"{model.split('.')[0]}.view_{model.split('.')[1]}" for model in _VIEW}
    | {f"{model.split('.')[0]}.change_{model.split('.')[1]}" for model in _CHANGE}
    | {f"{model.split('.')[0]}.add_{model.split('.')[1]}" for model in _ADD})


def handlers_group_sync(**_signal):
    """Create the handlers' group, or set its permissions back to ``HANDLER_PERMISSIONS``.
    Connected to ``post_migrate`` (ekrav.apps), when every model's permissions exist."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    wanted = Q()
    for name in HANDLER_PERMISSIONS:
        app_label, codename = name.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    permissions = list(Permission.objects.filter(wanted))
    if len(permissions) < len(HANDLER_PERMISSIONS):
        return  # a partial migrate (one app): the full one sets them
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(permissions)
