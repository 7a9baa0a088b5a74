"""Forms of the HR pages (pair health, concerns). Shape of input only; the services do the writing."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Concern

UNRESOLVED = "unresolved"
ALL = "all"


class PairHealthFilterForm(forms.Form):
    program = forms.TypedChoiceField(label=_("Program"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, programs: list[dict], **kwargs):
        """`programs`: the programs to filter by, as programs.selectors.program_choices gives them."""
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", _("All programs"))] + [(p["pk"], p["name"]) for p in programs]

    def program_id(self) -> int | None:
        """The program asked for, or None for all (or for one that is not among them)."""
        return self.cleaned_data["program"] if self.is_valid() else None


class ConcernFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(UNRESOLVED, _("Open or in progress")), *Concern.Status.choices, (ALL, _("All"))],
        required=False,
    )
    pairing = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def status_value(self) -> str:
        """One of the choices; anything unknown or missing means "open or in progress"."""
        if self.is_valid() and self.cleaned_data["status"]:
            return self.cleaned_data["status"]
        return UNRESOLVED

    def pairing_id(self) -> int | None:
        return self.cleaned_data.get("pairing") if self.is_valid() else None


class ConcernHandleForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Concern.Status.choices)
    hr_notes = forms.CharField(
        label=_("HR notes (only HR reads them)"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you did and agreed, for the next person in HR who picks this up."),
    )
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, concern: Concern, **kwargs):
        kwargs.setdefault(
            "initial", {"status": concern.status, "hr_notes": concern.hr_notes, "version": concern.updated_at}
        )
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save status and notes")))
