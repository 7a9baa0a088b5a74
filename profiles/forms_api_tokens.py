"""The HR page's form for a new API token: a name, its scopes, and an optional last day."""

from datetime import datetime, time, timedelta

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .models import ApiToken


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy(
            'What uses it, so that you know what breaks if you revoke it: "Okta", "BI export".'
        ),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What it may do"),
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Only what the script needs. Read the dashboard figures sees no one's name."),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Works until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("It stops working at the end of this day. Empty: until you revoke it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, in the HR admin's time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
