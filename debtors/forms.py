"""Mitt Ärende's forms. They check the shape of what was typed; the rules of the case (dates
against its invoices, the hold) are the services' (``debtors.services``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from debtors.selectors import normalize_number
from debtors.services import MESSAGE_MAX_LENGTH, NOTE_MAX_LENGTH
from ekrav.formfields import SekAmountField
from ekrav.identifiers import OCR_MAX_LENGTH
from ekrav.money import format_sek


class _NumberField(forms.CharField):
    """Digits as printed in a letter; spaces and dashes typed with them are dropped."""

    def to_python(self, value):
        value = normalize_number(super().to_python(value))
        if value and not (value.isascii() and value.isdigit()):
            raise forms.ValidationError(_("Enter the digits as they are printed in the letter."),
                                        code="invalid")
        return value


class OpenCaseForm(forms.Form):
    case_number = _NumberField(
        label=_("Case number"), max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    ocr = _NumberField(
        label=_("OCR number"), max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def clean_ocr(self):
        ocr = self.cleaned_data["ocr"]
        if len(ocr) > OCR_MAX_LENGTH:
            raise forms.ValidationError(_("Enter the digits as they are printed in the letter."),
                                        code="invalid")
        return ocr


class AlreadyPaidForm(forms.Form):
    paid_on = forms.DateField(label=_("The day you paid"),
                              widget=forms.DateInput(attrs={"type": "date"}))
    amount = SekAmountField(label=_("Amount you paid (SEK)"))
    note = forms.CharField(
        label=_("Anything we should know (optional)"), required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("For example how you paid, or to whom."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}))


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Your message"), max_length=MESSAGE_MAX_LENGTH,
        help_text=_("A case handler reads it and answers you."),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MESSAGE_MAX_LENGTH}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe): a list, each file checked as
    a FileField checks one; their content is checked by the service (claims.documents)."""

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class DisputeForm(forms.Form):
    """Bestrid kravet: why the debtor thinks the claim is wrong (inability to pay is no
    objection: that is an instalment plan or a message)."""

    reason = forms.ChoiceField(label=_("Why is the claim wrong?"), choices=[
        ("not_ordered", _("I did not order this")),
        ("not_delivered", _("It was not delivered, or not as agreed")),
        ("already_paid", _("I have already paid")),
        ("wrong_amount", _("The amount is wrong")),
        ("other", _("Something else")),
    ], widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Tell us what happened"), max_length=2000, required=False,
        help_text=_("Dates, what was agreed, and what you have already told the company."),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}))
    attachments = MultipleFileField(
        label=_("Documents (optional)"), required=False,
        help_text=_("A receipt, a photo or a letter: up to 3 files, PDF, JPEG or PNG, 5 MB each."),
        widget=MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}))

    def __init__(self, *args, invoices=(), **kwargs):
        """``invoices``: the case's invoices still owing (not withdrawn). With more than one,
        the debtor chooses which are objected to (all, by default): a partial objection."""
        super().__init__(*args, **kwargs)
        invoices = list(invoices)
        if len(invoices) > 1:
            self.fields["invoices"] = forms.MultipleChoiceField(
                label=_("Which invoices do you object to?"),
                choices=[(str(i.pk), _("Invoice %(number)s, %(amount)s") % {
                    "number": i.invoice_number, "amount": format_sek(i.amount_ore)})
                    for i in invoices],
                initial=[str(i.pk) for i in invoices],
                help_text=_("We stop asking for the invoices you tick while we look into your "
                            "objection. The others are still to be paid."),
                error_messages={"required": _("Tick at least one invoice.")},
                widget=forms.CheckboxSelectMultiple)
            self.order_fields(["invoices", "reason", "text", "attachments"])

    @property
    def invoice_ids(self) -> list[int] | None:
        """The invoices chosen, or None: the whole claim (no choice offered)."""
        chosen = self.cleaned_data.get("invoices")
        return [int(pk) for pk in chosen] if chosen else None


class PlanForm(forms.Form):
    """Ansök om avbetalningsplan."""

    months = forms.TypedChoiceField(label=_("Over how many months?"), coerce=int,
                                    choices=[(n, n) for n in range(1, 37)])
    first_due = forms.DateField(label=_("First instalment on"),
                                widget=forms.DateInput(attrs={"type": "date"}))
