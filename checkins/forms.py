from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.once import FIELD, SavedOnce
from pairings.models import Goal
from profiles.models import MeetingFormat

from .models import Action, Concern, Reflection

RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


class ReflectionFields(forms.Form):
    """One side's reflection: learned and change are shared with the partner; rating and notes are not."""

    learned = forms.CharField(
        label=_("What I learned"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your partner sees this."),
    )
    change_next_time = forms.CharField(
        label=_("What I would change next time"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Your partner sees this."),
    )
    rating = forms.TypedChoiceField(
        label=_("How did it go? (1 = poorly, 5 = very well)"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("Only you see your rating; the program sees averages only."),
    )
    private_notes = forms.CharField(
        label=_("Private notes"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only you see these. Not your partner, not HR."),
    )

    def __init__(self, *args, ask_fit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if ask_fit:
            # After the pair's first check-in only (selectors.asks_fit).
            self.fields["fit"] = forms.ChoiceField(
                label=_("Is this pairing a good fit for you?"),
                choices=Reflection.Fit.choices,
                required=False,
                widget=forms.RadioSelect,
                help_text=_(
                    "Only you see your answer. If you say no, HR sees that someone in this pair doubts the "
                    "fit, not who or why, and can help, for example with a new partner."
                ),
            )

    @property
    def reflection_fields(self) -> list[str]:
        return [
            f for f in ("learned", "change_next_time", "rating", "fit", "private_notes") if f in self.fields
        ]


def add_goal_fields(form: forms.Form, goals: list[Goal]) -> list[tuple[Goal, str, str]]:
    """A progress and a status field per goal, named goal_<id>_progress / goal_<id>_status."""
    rows = []
    for goal in goals:
        progress, status = f"goal_{goal.pk}_progress", f"goal_{goal.pk}_status"
        form.fields[progress] = forms.IntegerField(
            label=_("Progress of “%(title)s” (%%)") % {"title": goal.title},
            min_value=0,
            max_value=100,
            initial=goal.progress,
        )
        form.fields[status] = forms.ChoiceField(
            label=_("Status of “%(title)s”") % {"title": goal.title},
            choices=Goal.Status.choices,
            initial=goal.status,
        )
        rows.append((goal, progress, status))
    return rows


class CheckInForm(SavedOnce, ReflectionFields):
    happened_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    duration_minutes = forms.IntegerField(
        label=_("How long (minutes)"), min_value=5, max_value=480, initial=45
    )
    meeting_format = forms.ChoiceField(label=_("Format"), choices=MeetingFormat.choices)
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes covered"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    shared_notes = forms.CharField(
        label=_("Shared notes"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Both of you see these; HR never does."),
    )

    field_order = ["happened_on", "duration_minutes", "meeting_format", "themes", "shared_notes"]

    def __init__(self, *args, pairing, goals, **kwargs):
        super().__init__(*args, ask_fit=not pairing.checkins.exists(), **kwargs)
        self.fields["themes"].queryset = pairing.program.themes.all()
        self.fields["happened_on"].initial = timezone.localdate()
        self.fields["meeting_format"].initial = pairing.meeting_format
        # The browser's date picker offers only the days the service accepts (matched on .. today).
        self.fields["happened_on"].widget.attrs.update(
            min=timezone.localdate(pairing.created_at).isoformat(), max=timezone.localdate().isoformat()
        )
        self.goal_rows = add_goal_fields(self, goals)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            FIELD,
            Fieldset(
                _("The meeting"),
                "happened_on",
                "duration_minutes",
                "meeting_format",
                "themes",
                "shared_notes",
            ),
            Fieldset(_("Your side"), *self.reflection_fields),
            *(
                [Fieldset(_("Goals"), *[f for _g, p, s in self.goal_rows for f in (p, s)])]
                if self.goal_rows
                else []
            ),
            Submit("save", _("Log the check-in")),
        )


class ReflectionForm(ReflectionFields):
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, goals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.goal_rows = add_goal_fields(self, list(goals))
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save my side")))


class SharedNotesForm(forms.Form):
    shared_notes = forms.CharField(
        label=_("Shared notes"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 6})
    )
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save shared notes")))


class GoalReviewForm(forms.Form):
    def __init__(self, *args, goals, **kwargs):
        super().__init__(*args, **kwargs)
        self.goal_rows = add_goal_fields(self, goals)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save where our goals stand")))


class MeetingForm(SavedOnce, forms.Form):
    starts_at = forms.DateTimeField(
        label=_("When (your time zone)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=10, max_value=240, initial=45
    )
    meeting_format = forms.ChoiceField(label=_("Format"), choices=MeetingFormat.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Plan it")))


class MeetingChangeForm(forms.Form):
    """Move a planned check-in or cancel it, saying why: the partner is told both."""

    MOVE, CANCEL = "move", "cancel"
    change = forms.ChoiceField(
        label=_("What do you want to do?"),
        choices=[(MOVE, _("Move it to a new time")), (CANCEL, _("Cancel it"))],
        widget=forms.RadioSelect,
    )
    new_starts_at = forms.DateTimeField(
        label=_("New time (your time zone)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
        help_text=_("Only when you move it."),
    )
    reason = forms.CharField(
        label=_("Why (optional)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Your partner sees this; HR does not."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Confirm")))

    def clean(self):
        data = super().clean()
        if (
            data.get("change") == self.MOVE
            and not data.get("new_starts_at")
            and "new_starts_at" not in self.errors
        ):
            self.add_error("new_starts_at", _("Choose the new time, or choose to cancel it."))
        if data.get("change") == self.CANCEL:
            data["new_starts_at"] = None
        return data


class ActionForm(SavedOnce, forms.ModelForm):
    """What the senior changed: a new one, or one they come back to (say whether it helped)."""

    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Action
        fields = ["kind", "theme", "title", "description", "effect", "measured_effect", "shareable"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "effect": forms.RadioSelect}

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = program.themes.all()
        self.fields["theme"].empty_label = _("None in particular")
        if self.instance.pk:
            self.fields["version"].initial = self.instance.updated_at
            del self.fields[FIELD]  # an edit is saved under its version, and saving it twice is harmless
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save") if self.instance.pk else _("Record it")))

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ConcernForm(SavedOnce, forms.ModelForm):
    class Meta:
        model = Concern
        fields = ["kind", "text"]
        widgets = {"kind": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Send to HR in confidence")))
