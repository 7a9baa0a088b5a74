from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles.models import MeetingFormat, Person, User

DEFAULT_THEMES = [
    (_("New technology"), _("Which tools does the junior use every day that the senior has never tried?")),
    (_("Marketing strategies"), _("How do people of the junior's circle discover and choose products?")),
    (_("Workplace culture"), _("What makes a team a place where people speak up?")),
    (_("Diversity and inclusion"), _("Whose voice is missing from the decisions the senior takes?")),
]
NOT_TIED_TO_PERFORMANCE = _(
    "Taking part is voluntary and is not tied to performance reviews, pay or promotion, for either side."
)


class Program(models.Model):
    """A reverse-mentoring program (one cohort): its purpose, rules, dates and lifecycle."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ENROLLING = "enrolling", _("Enrolling")
        MATCHING = "matching", _("Matching")
        RUNNING = "running", _("Running")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200)
    family = models.CharField(
        _("program family"),
        max_length=200,
        blank=True,
        help_text=_(
            'Cohorts of the same program share this name (for example "Reverse mentoring"), so that the '
            "dashboards can combine and compare them. Empty: the program stands on its own."
        ),
    )
    description = models.TextField(_("description"), help_text=_("Why this program exists, in a few lines."))
    objectives = models.TextField(_("objectives"), blank=True)
    mentee_hopes = models.TextField(
        _("what mentees hope to learn"), blank=True, help_text=_("What the senior leaders hope to learn.")
    )
    mentor_offers = models.TextField(
        _("what mentors can offer"), blank=True, help_text=_("What the junior colleagues can teach.")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    cadence_days = models.PositiveSmallIntegerField(
        _("check-in cadence (days)"),
        default=14,
        validators=[MinValueValidator(7), MaxValueValidator(90)],
        help_text=_("How often each pair checks in. Every 2 weeks by default."),
    )
    goal_review_weeks = models.PositiveSmallIntegerField(
        _("goal review every (weeks)"),
        default=6,
        validators=[MinValueValidator(2), MaxValueValidator(26)],
        help_text=_("Both sides are asked where each goal stands this often."),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("remind this many days before a check-in"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )
    send_hour = models.PositiveSmallIntegerField(
        _("send reminders at (local hour)"),
        default=9,
        validators=[MinValueValidator(6), MaxValueValidator(20)],
        help_text=_("Reminders go out at this hour of each person's own time zone, on working days."),
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    enrollment_opens_on = models.DateField(_("enrollment opens on"), null=True, blank=True)
    enrollment_closes_on = models.DateField(_("enrollment closes on"), null=True, blank=True)

    hours_per_month = models.PositiveSmallIntegerField(
        _("time per month (hours)"), default=2, validators=[MinValueValidator(1), MaxValueValidator(40)]
    )
    meeting_minutes = models.PositiveSmallIntegerField(
        _("meeting length (minutes)"), default=45, validators=[MinValueValidator(15), MaxValueValidator(240)]
    )
    confidentiality_norms = models.TextField(
        _("confidentiality norms"),
        default=_(
            "What is said in a check-in stays in the pair. Private notes are the author's alone. "
            "HR sees dates and statuses, never what was said."
        ),
    )

    target_checkin_adherence_pct = models.PositiveSmallIntegerField(
        _("target check-in adherence (%)"), default=80, validators=[MaxValueValidator(100)]
    )
    target_goal_completion_pct = models.PositiveSmallIntegerField(
        _("target goal completion (%)"), default=70, validators=[MaxValueValidator(100)]
    )
    target_satisfaction = models.DecimalField(
        _("target satisfaction (1-5)"),
        max_digits=2,
        decimal_places=1,
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )

    min_level_gap = models.PositiveSmallIntegerField(
        _("minimum level gap"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
        help_text=_("The mentee's level must be at least this much above the mentor's."),
    )
    mentor_capacity = models.PositiveSmallIntegerField(
        _("mentees per mentor"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    mentee_capacity = models.PositiveSmallIntegerField(
        _("mentors per mentee"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    exclude_same_department = models.BooleanField(_("never pair people of the same department"), default=True)
    exclude_same_manager = models.BooleanField(_("never pair people with the same manager"), default=True)

    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("program")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gt=models.F("starts_on")),
                name="program_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(enrollment_opens_on__isnull=True)
                | models.Q(enrollment_closes_on__isnull=True)
                | models.Q(enrollment_closes_on__gte=models.F("enrollment_opens_on")),
                name="program_enrollment_window_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    # What the program's state allows: the services enforce these, views and templates read them.
    @property
    def decides_enrollments(self) -> bool:
        """HR approves, declines or waitlists while enrolling or matching."""
        return self.state in {self.State.ENROLLING, self.State.MATCHING}

    @property
    def allows_pairing(self) -> bool:
        """Pairs are made (a run published, or by hand) while matching or running."""
        return self.state in {self.State.MATCHING, self.State.RUNNING}

    @property
    def can_archive(self) -> bool:
        """A closed program, or a draft nobody enrolled in (one HR discarded), leaves the lists."""
        if self.is_archived:
            return False
        return self.state == self.State.CLOSED or (
            self.state == self.State.DRAFT and not self.enrollments.exists()
        )

    def closes_too_early(self, today) -> bool:
        """A program closes once it has started: before its start date, closing would be a mistake."""
        return self.starts_on is not None and today < self.starts_on

    @property
    def family_name(self) -> str:
        """The family the dashboards file this cohort under: its own name when it has none."""
        return self.family or self.name


class ProgramInvitation(models.Model):
    """HR invited a person to enroll in a program: the top of the dashboards' enrollment funnel.

    The message itself is a row of the notification outbox, planned from this row on the next tick.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="program_invitations")
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    audience = models.CharField(_("who was invited"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("program invitation")
        constraints = [models.UniqueConstraint(fields=["program", "person"], name="program_invitation_once")]

    def __str__(self):
        return f"{self.person_id} invited to {self.program_id}"


class Theme(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(_("theme"), max_length=100)
    discussion_guide = models.TextField(_("discussion guide"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="theme_unique_name_per_program")
        ]

    def __str__(self):
        return self.name


class Acknowledgement(models.Model):
    """Something each participant must confirm before enrolling (code of conduct, a training done)."""

    class Kind(models.TextChoices):
        CODE_OF_CONDUCT = "code_of_conduct", _("Code of conduct")
        TRAINING = "training", _("Prerequisite training")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="acknowledgements")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("what the participant confirms"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title


class Side(models.TextChoices):
    """The two sides of every enrollment, pairing, goal and survey response: the one definition."""

    MENTOR = "mentor", _("Mentor")
    MENTEE = "mentee", _("Mentee")


class Enrollment(models.Model):
    """A Person in a Program as mentor (the junior) or mentee (the senior), by their own choice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        WAITLISTED = "waitlisted", _("Waitlisted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="enrollments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enrollments")
    role = models.CharField(_("I join as"), max_length=10, choices=Side.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    topics = models.ManyToManyField(Theme, verbose_name=_("topics"), blank=True, related_name="enrollments")
    extra_topics = models.CharField(
        _("other topics"), max_length=300, blank=True, help_text=_("Free tags, comma separated.")
    )
    hopes = models.TextField(_("what I hope to get out of it"), max_length=2000)
    preferred_format = models.CharField(_("preferred format"), max_length=20, choices=MeetingFormat.choices)
    availability = models.JSONField(_("availability"), default=list, blank=True)
    languages = models.CharField(_("languages"), max_length=200, help_text=_("Comma separated."))
    acknowledged = models.ManyToManyField(Acknowledgement, blank=True, related_name="+")
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the person ticked "I take part by my own choice; it has nothing to do with advancement".
    opted_in_at = models.DateTimeField(_("opted in"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enrollment")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "person"], name="enrollment_one_per_person_per_program"
            )
        ]

    def __str__(self):
        return f"{self.person} in {self.program} as {self.role}"

    @property
    def is_mentor(self) -> bool:
        return self.role == Side.MENTOR

    @property
    def is_out(self) -> bool:
        return self.status in {self.Status.DECLINED, self.Status.WITHDRAWN}

    @property
    def can_change(self) -> bool:
        """The person may change their answers: the program still enrolls and they are not out."""
        return self.program.state == Program.State.ENROLLING and not self.is_out

    @property
    def can_withdraw(self) -> bool:
        """The person may withdraw until matching is done."""
        return self.program.decides_enrollments and self.status != self.Status.WITHDRAWN

    @property
    def can_be_decided(self) -> bool:
        return self.program.decides_enrollments and self.status != self.Status.WITHDRAWN


# What a free slot means, in the person's own time zone: the matching engine compares these hours as
# real moments (a Berlin morning and a New York morning barely overlap), and the form says them.
SLOT_HOURS = {"am": (8, 12), "pm": (13, 17)}
SLOT_DAYS = ("mon", "tue", "wed", "thu", "fri")

AVAILABILITY_CHOICES = [
    (f"{day}_{part}", label)
    for day, day_label in [
        ("mon", _("Monday")),
        ("tue", _("Tuesday")),
        ("wed", _("Wednesday")),
        ("thu", _("Thursday")),
        ("fri", _("Friday")),
    ]
    for part, label in [
        ("am", _("%(day)s morning") % {"day": day_label}),
        ("pm", _("%(day)s afternoon") % {"day": day_label}),
    ]
]


# --- Surveys --------------------------------------------------------------------------------------
# A mid-point and a closing survey per program. Answers are private to HR; leaders see aggregates only,
# and never a figure drawn from fewer than 5 people (see selectors.survey_aggregates).


class Survey(models.Model):
    class Kind(models.TextChoices):
        MID_POINT = "mid_point", _("Mid-point survey")
        CLOSING = "closing", _("Closing survey")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="surveys")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        ordering = ["opens_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["program", "kind"], name="survey_one_per_kind_per_program"),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")), name="survey_closes_after_opening"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.program}"

    def is_open_on(self, day) -> bool:
        return self.opens_on <= day <= self.closes_on


class SurveyQuestion(models.Model):
    """One question of a survey. The four standard ones come with the survey; HR may add more."""

    class Kind(models.TextChoices):
        RATING_1_5 = "rating_1_5", _("Rating from 1 to 5")
        YES_NO = "yes_no", _("Yes or no")
        SCALE_0_10 = "scale_0_10", _("Scale from 0 to 10")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind of answer"), max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    is_standard = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("survey question")
        ordering = ["position", "pk"]
        constraints = [
            # One standard question per kind: that is how the aggregates find satisfaction, "I use something
            # I learned" and "would recommend".
            models.UniqueConstraint(
                fields=["survey", "kind"],
                condition=models.Q(is_standard=True),
                name="survey_question_one_standard_per_kind",
            )
        ]

    def __str__(self):
        return self.text

    @property
    def is_required(self) -> bool:
        # The standard free-text box stays optional: a forced comment invites "n/a", not an opinion.
        return self.is_standard and self.kind != self.Kind.TEXT


class SurveyResponse(models.Model):
    """One person's answers to one survey. Private to HR; the side comes from their enrollment role."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="survey_responses")
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "person"], name="survey_response_one_per_person")
        ]

    def __str__(self):
        return f"Response {self.pk} to {self.survey}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    # PROTECT: a question with answers can't go (the service refuses it first, with a message).
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    value_int = models.SmallIntegerField(null=True, blank=True)
    value_bool = models.BooleanField(null=True, blank=True)
    value_text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("survey answer")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_one_per_question"),
            models.CheckConstraint(
                condition=models.Q(value_int__isnull=True) | models.Q(value_int__gte=0, value_int__lte=10),
                name="survey_answer_value_int_0_to_10",
            ),
        ]

    def __str__(self):
        return f"Answer to {self.question_id} in response {self.response_id}"
