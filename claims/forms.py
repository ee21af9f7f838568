from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.documents import invoice_pdf_error
from claims.models import Status
from claims.registration import parse_registration
from claims.services import duplicate_invoice_error
from debtors.models import Debtor


class ClaimForm(forms.Form):
    """Skapa nytt krav: one overdue invoice against one debtor."""

    debtor_kind = forms.ChoiceField(label=_("The debtor is a"), choices=Debtor.Kind.choices,
                                    widget=forms.RadioSelect, initial=Debtor.Kind.PERSON)
    debtor_identity_number = forms.CharField(
        label=_("Personnummer or organisation number"), max_length=20,
        help_text=_("A samordningsnummer is accepted too. Debtors abroad are not handled."))
    debtor_name = forms.CharField(label=_("Name"), max_length=200)
    debtor_street = forms.CharField(label=_("Street address"), max_length=200)
    debtor_postal_code = forms.CharField(label=_("Postal code"), max_length=8)
    debtor_city = forms.CharField(label=_("City"), max_length=100)
    debtor_email = forms.CharField(label=_("E-mail (optional)"), max_length=254, required=False)
    debtor_phone = forms.CharField(label=_("Phone (optional)"), max_length=20, required=False)
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=50)
    invoice_date = forms.DateField(label=_("Invoice date"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    due_date = forms.DateField(label=_("Due date"),
                               widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.CharField(
        label=_("Amount to be paid (SEK)"), max_length=20,
        help_text=_("Enter the amount you want paid, i.e. after any ROT/RUT deduction."))
    description = forms.CharField(label=_("The invoice concerns"), max_length=200)
    reminder_fee_agreed = forms.BooleanField(
        label=_("A reminder fee was agreed in the invoice terms"), required=False)
    pdf = forms.FileField(label=_("Invoice (PDF, at most 10 MB, optional)"), required=False)

    def __init__(self, *args, creditor, **kwargs):
        super().__init__(*args, **kwargs)
        self.creditor = creditor
        if creditor.default_invoice_text and not self.is_bound:
            self.fields["description"].initial = creditor.default_invoice_text

    def clean_pdf(self):
        upload = self.cleaned_data.get("pdf")
        if upload:
            error = invoice_pdf_error(upload)
            if error:
                raise forms.ValidationError(error)
        return upload

    def clean(self):
        data = {name: self.data.get(name, "") for name in self.fields if name != "pdf"}
        data["reminder_fee_agreed"] = self.cleaned_data.get("reminder_fee_agreed", False)
        parsed, errors = parse_registration(data, today=timezone.localdate())
        for field, messages in errors.items():
            target = field if field in self.fields else None
            if target is None or target not in self._errors:
                for message in messages:
                    self.add_error(target, message)
        if parsed is not None:
            duplicate = duplicate_invoice_error(self.creditor, parsed.invoice.invoice_number)
            if duplicate:
                self.add_error("invoice_number", duplicate)
        self.registration = parsed
        return self.cleaned_data


class ClaimFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + list(Status.choices))
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class DirectPaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount (SEK)"), max_length=20)
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))


class CaseMessageForm(forms.Form):
    text = forms.CharField(label=_("Message to our case handlers"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}))
