from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.models import SUBSCRIBABLE


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500,
                          help_text=_("Where ekrav POSTs the events, e.g. "
                                      "https://example.se/ekrav/webhooks"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(t.value, t.label) for t in SUBSCRIBABLE],
        help_text=_("None chosen: every event, also those added later."))


class EndpointEditForm(EndpointForm):
    is_active = forms.BooleanField(label=_("Active"), required=False)
