from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Agreement, Goal, MatchingSettings


class MatchingSettingsForm(forms.ModelForm):
    class Meta:
        model = MatchingSettings
        fields = [
            "mode",
            "weight_topics",
            "weight_format",
            "weight_time_zone",
            "weight_availability",
            "weight_language",
            "avoid_previous",
            "request_expiry_days",
        ]
        widgets = {"mode": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        preview = Submit("preview", _("Preview the effect"))
        # Submit's css_class adds to its btn-primary, which gave blue text on a blue fill: replace it.
        preview.field_classes = "btn btn-outline-primary"
        self.helper.add_input(preview)
        self.helper.add_input(Submit("save", _("Save settings")))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (only HR reads this; it is never shown to your partner)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AgreementForm(forms.ModelForm):
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Agreement
        fields = ["cadence_days", "meeting_format", "confidentiality", "off_limits"]
        widgets = {
            "confidentiality": forms.Textarea(attrs={"rows": 2}),
            "off_limits": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.updated_at
        self.helper = FormHelper()
        self.helper.form_tag = False


class GoalForm(forms.ModelForm):
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Goal
        fields = ["owner_side", "title", "description", "target_date"]
        widgets = {
            "target_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"owner_side": _("Whose goal")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.updated_at
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save goal")))


class ManualPairForm(forms.Form):
    """One choice among the pairs the hard rules allow, grouped by mentor (pairings.selectors)."""

    pair = forms.ChoiceField(label=_("Pair"), help_text=_("Only pairs that keep every hard rule are listed."))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_value = {f"{c.mentor_id}:{c.mentee_id}": c for c in choices}
        grouped: dict[str, list[tuple[str, str]]] = {}
        for value, choice in self.by_value.items():
            grouped.setdefault(_("Mentor: %(name)s") % {"name": choice.mentor_label}, []).append(
                (value, _("with %(name)s") % {"name": choice.mentee_label})
            )
        self.fields["pair"].choices = [("", _("Choose a mentor and a mentee")), *grouped.items()]
        self.fields["pair"].widget.attrs["class"] = "form-select"
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Pair them")))

    def pair_ids(self) -> tuple[int, int]:
        choice = self.by_value[self.cleaned_data["pair"]]
        return choice.mentor_id, choice.mentee_id
