from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from common.text import in_sentence
from profiles.models import LEVEL_MAX, LEVEL_MIN

from .models import (
    AVAILABILITY_CHOICES,
    NOT_TIED_TO_PERFORMANCE,
    Acknowledgement,
    Enrollment,
    Program,
    Side,
    SurveyQuestion,
    Theme,
)
from .services import (
    EDITABLE_FIELDS,
    SURVEY_TEXT_MAX_LENGTH,
    EnrollmentAnswers,
    editable_fields,
    survey_answer_field,
)

PROGRAM_SECTIONS = [
    (_("Purpose"), ["name", "family", "description", "objectives", "mentee_hopes", "mentor_offers"]),
    (
        _("Dates and cadence"),
        [
            "starts_on",
            "ends_on",
            "enrollment_opens_on",
            "enrollment_closes_on",
            "cadence_days",
            "goal_review_weeks",
        ],
    ),
    (_("Reminders"), ["reminder_days_before", "send_hour"]),
    (_("Expectations"), ["hours_per_month", "meeting_minutes", "confidentiality_norms"]),
    (
        _("Success targets"),
        ["target_checkin_adherence_pct", "target_goal_completion_pct", "target_satisfaction"],
    ),
    (
        _("Matching rules"),
        [
            "min_level_gap",
            "mentor_capacity",
            "mentee_capacity",
            "exclude_same_department",
            "exclude_same_manager",
        ],
    ),
]


class ProgramForm(forms.ModelForm):
    """The whole program, in sections. Fields the program's state locks are shown disabled."""

    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Program
        fields = sorted(EDITABLE_FIELDS)
        widgets = {
            field: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for field in ("starts_on", "ends_on", "enrollment_opens_on", "enrollment_closes_on")
        } | {
            field: forms.Textarea(attrs={"rows": 3})
            for field in (
                "description",
                "objectives",
                "mentee_hopes",
                "mentor_offers",
                "confidentiality_norms",
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.updated_at
            allowed = editable_fields(self.instance)
            for name, field in self.fields.items():
                if name != "version" and name not in allowed:
                    field.disabled = True
                    field.help_text = _("Locked while the program is %(state)s.") % {
                        "state": in_sentence(self.instance.get_state_display())
                    }
        self.helper = FormHelper()
        self.helper.layout = Layout(
            *(Fieldset(title, *fields) for title, fields in PROGRAM_SECTIONS),
            "version",
            Submit("save", _("Save program")),
        )

    def clean(self):
        cleaned = super().clean()
        for start, end, message in [
            ("starts_on", "ends_on", _("The program must end after it starts.")),
            ("enrollment_opens_on", "enrollment_closes_on", _("Enrollment must close on or after it opens.")),
        ]:
            if cleaned.get(start) and cleaned.get(end) and cleaned[end] < cleaned[start]:
                self.add_error(end, message)
        if cleaned.get("starts_on") and cleaned.get("ends_on") and cleaned["ends_on"] == cleaned["starts_on"]:
            self.add_error("ends_on", _("The program must end after it starts."))
        return cleaned

    def program_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS if not self.fields[name].disabled}


class ThemeForm(forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["name", "discussion_guide"]
        widgets = {"discussion_guide": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save theme")))

    def validate_unique(self):
        # The service checks names case-insensitively and says so next to the field.
        pass


class AcknowledgementForm(forms.ModelForm):
    class Meta:
        model = Acknowledgement
        fields = ["kind", "title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save acknowledgement")))


# The sides as a person choosing one reads them: who shares what, and who is usually more junior.
ROLE_CHOICES = [
    (Side.MENTOR, _("Mentor (shares what they know, usually the more junior)")),
    (Side.MENTEE, _("Mentee (learns, usually the more senior)")),
]


class EnrollmentForm(forms.Form):
    role = forms.ChoiceField(label=_("I join as"), choices=ROLE_CHOICES, widget=forms.RadioSelect)
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Theme.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("As a mentor: what you can offer. As a mentee: what you want to learn."),
    )
    extra_topics = forms.CharField(
        label=_("Other topics"),
        required=False,
        max_length=300,
        help_text=_("Free tags, comma separated, e.g. short video, AI tools, inclusive hiring."),
    )
    hopes = forms.CharField(
        label=_("What you hope to get out of it"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Both sides learn: say what you hope to learn and what you hope to give."),
    )
    preferred_format = forms.ChoiceField(
        label=_("Preferred format"), choices=Enrollment._meta.get_field("preferred_format").choices
    )
    availability = forms.MultipleChoiceField(
        label=_("When you are usually free"),
        choices=AVAILABILITY_CHOICES,
        required=False,
        help_text=_(
            "In your own time zone: a morning is 8:00 to 12:00, an afternoon 13:00 to 17:00. Matching "
            "compares real hours, so a colleague in another time zone is free with you only when your "
            "hours overlap."
        ),
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.CharField(label=_("Languages"), max_length=200, help_text=_("Comma separated."))
    acknowledged = forms.ModelMultipleChoiceField(
        label=_("Before you join"),
        queryset=Acknowledgement.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    voluntary = forms.BooleanField(
        label=_("I take part by my own choice."),
        help_text=NOT_TIED_TO_PERFORMANCE,
        required=False,  # the service says why it is needed, next to the box
    )

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["topics"].queryset = program.themes.all()
        self.fields["acknowledged"].queryset = program.acknowledgements.all()
        self.fields["acknowledged"].label_from_instance = lambda a: f"{a.title}: {a.text}"
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Send my enrollment")))

    def answers(self) -> EnrollmentAnswers:
        data = self.cleaned_data
        return EnrollmentAnswers(
            role=data["role"],
            topics=list(data["topics"]),
            extra_topics=data["extra_topics"],
            hopes=data["hopes"],
            preferred_format=data["preferred_format"],
            availability=data["availability"],
            languages=data["languages"],
            acknowledged=list(data["acknowledged"]),
            voluntary=data["voluntary"],
        )

    @classmethod
    def initial_from(cls, enrollment: Enrollment) -> dict:
        return {
            "role": enrollment.role,
            "topics": list(enrollment.topics.all()),
            "extra_topics": enrollment.extra_topics,
            "hopes": enrollment.hopes,
            "preferred_format": enrollment.preferred_format,
            "availability": enrollment.availability,
            "languages": enrollment.languages,
            "acknowledged": list(enrollment.acknowledged.all()),
            "voluntary": enrollment.opted_in_at is not None,
        }


class DecisionForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (s.value, s.label)
            for s in (Enrollment.Status.APPROVED, Enrollment.Status.WAITLISTED, Enrollment.Status.DECLINED)
        ],
    )
    reason = forms.CharField(
        label=_("Reason (the person reads it)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProgramInviteForm(forms.Form):
    """Who HR invites to enroll: everyone with a login, or one department and a range of levels."""

    department = forms.ChoiceField(
        label=_("Department"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    min_level = forms.IntegerField(
        label=_("From level"),
        required=False,
        min_value=LEVEL_MIN,
        max_value=LEVEL_MAX,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    max_level = forms.IntegerField(
        label=_("To level"),
        required=False,
        min_value=LEVEL_MIN,
        max_value=LEVEL_MAX,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, departments: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("Every department"))] + [(d, d) for d in departments]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_level"), cleaned.get("max_level")
        if low is not None and high is not None and low > high:
            self.add_error("max_level", _("The highest level must be at least the lowest."))
        return cleaned


# --- Surveys --------------------------------------------------------------------------------------

RATING_LABELS = {
    1: _("1, very dissatisfied"),
    2: _("2"),
    3: _("3"),
    4: _("4"),
    5: _("5, very satisfied"),
}
SCALE_LABELS = {0: _("0, not at all likely"), 10: _("10, extremely likely")}
RADIO_GROUP_TEMPLATE = "programs/surveys/_radio_group.html"


class SurveyQuestionForm(forms.ModelForm):
    class Meta:
        model = SurveyQuestion
        fields = ["text", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save question")))


def _yes_no(value: str) -> bool:
    return value == "yes"


class SurveyResponseForm(forms.Form):
    """One field per question, in the survey's order: radios for ratings, scales and yes/no; a text box."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        layout = []
        Kind = SurveyQuestion.Kind
        for question in self.questions:
            name = survey_answer_field(question)
            required = question.is_required
            if question.kind == Kind.TEXT:
                field = forms.CharField(
                    max_length=SURVEY_TEXT_MAX_LENGTH,
                    widget=forms.Textarea(attrs={"rows": 4}),
                    help_text=_("Only HR reads what you write here."),
                )
                layout.append(name)
            else:
                if question.kind == Kind.YES_NO:
                    choices, coerce = [("yes", _("Yes")), ("no", _("No"))], _yes_no
                elif question.kind == Kind.RATING_1_5:
                    choices, coerce = [(n, RATING_LABELS[n]) for n in range(1, 6)], int
                else:
                    choices, coerce = [(n, SCALE_LABELS.get(n, str(n))) for n in range(11)], int
                field = forms.TypedChoiceField(
                    choices=choices, coerce=coerce, empty_value=None, widget=forms.RadioSelect
                )
                layout.append(Field(name, template=RADIO_GROUP_TEMPLATE))
            field.label = question.text
            field.required = required
            field.error_messages["required"] = _("Please answer this question.")
            self.fields[name] = field
        self.helper = FormHelper()
        self.helper.layout = Layout(*layout, Submit("send", _("Send my answers")))

    def answers(self) -> dict[int, object]:
        return {
            question.pk: self.cleaned_data.get(survey_answer_field(question)) for question in self.questions
        }
