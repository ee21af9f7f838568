from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditors.models import Creditor, Membership
from ekrav.money import MoneyError, format_amount, parse_sek
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


class PolicyForm(forms.Form):
    """Kravpolicy: how the company's claims are collected, within what the law allows."""

    reminder_deadline_days = forms.IntegerField(
        label=_("Days to pay after the reminder"), min_value=1, max_value=30)
    demand_deadline_days = forms.IntegerField(
        label=_("Days to pay after the collection demand"), min_value=8, max_value=30,
        help_text=_("At least 8 days (good collection practice)."))
    grace_days = forms.IntegerField(
        label=_("Days of grace for payments in transit"), min_value=0, max_value=10)
    charge_reminder_fee = forms.BooleanField(
        label=_("Charge the reminder fee where it was agreed"), required=False)
    interest_enabled = forms.BooleanField(label=_("Charge late-payment interest"),
                                          required=False)
    decide_automatically = forms.BooleanField(
        label=_("Decide after the collection demand by these rules"), required=False,
        help_text=_("A solvent debtor owing at least the amount below goes to Kronofogden; "
                    "a smaller claim, or a debtor who cannot pay, to long-term surveillance. "
                    "Anything else waits for you under Decisions."))
    kronofogden_min_capital = forms.CharField(
        label=_("Apply to Kronofogden from this capital (kr)"), max_length=20)
    plan_max_months = forms.IntegerField(
        label=_("Instalment plans the debtor may set up alone: at most (months)"),
        min_value=0, max_value=36,
        help_text=_("0: every plan waits for you under Decisions."))
    plan_min_instalment = forms.CharField(
        label=_("… and at least (kr a month)"), max_length=20)

    @classmethod
    def of(cls, policy, data=None):
        return cls(data, initial={
            "reminder_deadline_days": policy.reminder_deadline_days,
            "demand_deadline_days": policy.demand_deadline_days,
            "grace_days": policy.grace_days, "charge_reminder_fee": policy.charge_reminder_fee,
            "interest_enabled": policy.interest_enabled,
            "decide_automatically": policy.decide_automatically,
            "kronofogden_min_capital": format_amount(policy.kronofogden_min_capital_ore)
            .removesuffix("\xa0kr"),
            "plan_max_months": policy.plan_max_months,
            "plan_min_instalment": format_amount(policy.plan_min_instalment_ore)
            .removesuffix("\xa0kr")})

    def clean_kronofogden_min_capital(self):
        return self._kronor("kronofogden_min_capital")

    def clean_plan_min_instalment(self):
        return self._kronor("plan_min_instalment")

    def _kronor(self, field):
        try:
            return parse_sek(self.cleaned_data[field], allow_zero=True)
        except MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None
