from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditors.models import Creditor, Membership
from creditors.onboarding import parse_onboarding


class OnboardingForm(forms.Form):
    """Kom igång: the company, its payout account and its contact person."""

    organisation_number = forms.CharField(
        label=_("Organisation number"), max_length=20,
        help_text=_("For a sole trader (enskild firma): the owner's personnummer."))
    form = forms.ChoiceField(label=_("Company form"), choices=Creditor.Form.choices)
    name = forms.CharField(label=_("Company name"), max_length=200)
    street = forms.CharField(label=_("Street address"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=8)
    city = forms.CharField(label=_("City"), max_length=100)
    bankgiro = forms.CharField(label=_("Bankgiro for payouts"), max_length=12)
    f_tax_confirmed = forms.BooleanField(
        label=_("The company is approved for F-tax (F-skatt)"), required=False)
    report_email = forms.EmailField(label=_("E-mail for payment reports"))
    default_invoice_text = forms.CharField(
        label=_("Default \"the invoice concerns\" text"), max_length=200, required=False,
        help_text=_("Printed on letters so the debtor recognises the claim, e.g. "
                    "\"Plumbing work\"."))
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    contact_personnummer = forms.CharField(label=_("Contact person's personnummer"),
                                           max_length=13)
    contact_phone = forms.CharField(label=_("Contact person's phone"), max_length=20)

    def clean(self):
        data = dict(self.data.items())
        data["f_tax_confirmed"] = self.cleaned_data.get("f_tax_confirmed", False)
        parsed, errors = parse_onboarding(data, today=timezone.localdate())
        for field, messages in errors.items():
            for message in messages:
                if field in self.fields and field not in self._errors:
                    self.add_error(field, message)
                elif field not in self.fields:
                    self.add_error(None, message)
        self.parsed = parsed
        return self.cleaned_data


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=[
        (Membership.Role.USER, _("User: registers and follows claims")),
        (Membership.Role.ADMIN, _("Administrator: also invites users and manages API keys")),
    ])


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("For example the invoicing system that will use it."))
