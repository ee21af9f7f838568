from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # A pending invitation (followed before logging in) comes first.
        pending = request.session.pop("pending_invitation", None)
        if pending:
            return reverse("creditors:invitation", args=[pending])
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        pending = request.session.pop("pending_invitation", None)
        if pending:
            return reverse("creditors:invitation", args=[pending])
        return reverse("creditors:onboard")
