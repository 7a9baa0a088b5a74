from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pairings.models import Goal, Pairing, Side
from profiles.models import MeetingFormat, Person, User
from programs.models import Program, Theme


class Heartbeat(models.Model):
    """When a periodic process last proved it was alive (one row per process name, e.g. "beat")."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    last_beat_at = models.DateTimeField(_("last beat"))

    class Meta:
        verbose_name = _("heartbeat")

    def __str__(self):
        return f"{self.name} @ {self.last_beat_at:%Y-%m-%d %H:%M:%S}"


# --- The pair's relationship: meetings, check-ins, reflections, actions, concerns ---------------------


class Meeting(models.Model):
    """A planned check-in: when the pair means to meet. It becomes held when a check-in is logged."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), default=45, validators=[MinValueValidator(10), MaxValueValidator(240)]
    )
    meeting_format = models.CharField(_("format"), max_length=20, choices=MeetingFormat.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    planned_by_side = models.CharField(max_length=10, choices=Side.choices)
    # The calendar invitation's SEQUENCE: one more on every move or cancellation, so calendars replace
    # the event they hold (same UID) instead of adding a second one.
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["pairing", "status", "starts_at"])]

    def __str__(self):
        return f"Meeting {self.pk} of pairing {self.pairing_id} at {self.starts_at:%Y-%m-%d %H:%M}"


class Cancellation(models.Model):
    """A cancelled or moved meeting, with who asked: does each side keep its meetings?"""

    class Kind(models.TextChoices):
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Rescheduled")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="cancellations")
    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="cancellations")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    asked_by_side = models.CharField(_("asked by"), max_length=10, choices=Side.choices)
    previous_starts_at = models.DateTimeField()
    new_starts_at = models.DateTimeField(null=True, blank=True)
    # Why, in the asker's words, for their partner (the pair's, like a shared note: HR never sees it).
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["pairing", "created_at"])]

    def __str__(self):
        return f"{self.kind} by {self.asked_by_side}"


class CheckIn(models.Model):
    """A check-in that happened. Each side adds a Reflection; shared notes belong to the pair."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="checkins")
    meeting = models.OneToOneField(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkin"
    )
    happened_on = models.DateField(_("date"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("how long (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    meeting_format = models.CharField(_("format"), max_length=20, choices=MeetingFormat.choices)
    themes = models.ManyToManyField(Theme, verbose_name=_("themes covered"), blank=True, related_name="+")
    shared_notes = models.TextField(_("shared notes (both of you see them)"), blank=True, max_length=10000)
    logged_by_side = models.CharField(max_length=10, choices=Side.choices)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-happened_on", "-pk"]
        indexes = [models.Index(fields=["pairing", "-happened_on"])]

    def __str__(self):
        return f"Check-in {self.pk} on {self.happened_on}"


class Reflection(models.Model):
    """One side's view of a check-in. learned/change are the pair's; rating and private notes the author's."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="reflections")
    side = models.CharField(max_length=10, choices=Side.choices)
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    learned = models.TextField(_("what I learned"), max_length=5000)
    change_next_time = models.TextField(_("what I would change next time"), blank=True, max_length=5000)
    rating = models.PositiveSmallIntegerField(
        _("how it went (1-5), only you see it"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    private_notes = models.TextField(_("private notes (only you see them)"), blank=True, max_length=10000)

    class Fit(models.TextChoices):
        GOOD = "good", _("Yes, it fits")
        UNSURE = "unsure", _("Not sure yet")
        POOR = "poor", _("No, it does not fit")

    # Asked after the pair's first check-in. The answer is the author's; HR learns only that someone in
    # the pair answered "no" (pair health's "doubts the fit"), never who.
    fit = models.CharField(_("is this pairing a good fit?"), max_length=10, choices=Fit.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["checkin", "side"], name="reflection_one_per_side")]
        indexes = [
            # Pair health's "someone doubts the fit": the few "no" answers among millions of reflections.
            models.Index(fields=["checkin"], condition=models.Q(fit="poor"), name="reflection_poor_fit"),
        ]

    def __str__(self):
        return f"{self.side} reflection on {self.checkin_id}"


class GoalUpdate(models.Model):
    """Where a goal stood at a check-in or a goal review, as one side saw it."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="updates")
    checkin = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    progress = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    status = models.CharField(max_length=10, choices=Goal.Status.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.goal_id}: {self.progress}%"


class Action(models.Model):
    """ "You said, we did": what the senior changed because of the mentoring."""

    class Kind(models.TextChoices):
        DECISION = "decision", _("A decision")
        TOOL = "tool", _("A tool adopted")
        POLICY = "policy", _("A policy or practice")
        OTHER = "other", _("Something else")

    class Effect(models.TextChoices):
        HELPED = "helped", _("It helped")
        TOO_EARLY = "too_early", _("Too early to tell")
        NO_EFFECT = "no_effect", _("It has not helped")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("what changed"), max_length=10, choices=Kind.choices)
    theme = models.ForeignKey(
        Theme,
        verbose_name=_("theme it comes from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("in a line"), max_length=200)
    description = models.TextField(_("what you did, and why"), blank=True, max_length=5000)
    effect = models.CharField(
        _("did it help?"),
        max_length=10,
        choices=Effect.choices,
        default=Effect.TOO_EARLY,
        help_text=_("You can come back and change this when you know more."),
    )
    measured_effect = models.CharField(_("measured effect (optional)"), max_length=300, blank=True)
    shareable = models.BooleanField(
        _("share on the leaders' dashboard"),
        default=False,
        help_text=_("Only the line above and its effect are shared, without names."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # The dashboards list the latest changes seniors chose to share.
        indexes = [
            models.Index(
                fields=["-created_at"], condition=models.Q(shareable=True), name="action_shared_latest"
            )
        ]

    def __str__(self):
        return self.title


class Concern(models.Model):
    """Raised to HR in confidence: the partner never sees it."""

    class Kind(models.TextChoices):
        CONCERN = "concern", _("A concern")
        END_REQUEST = "end_request", _("Please end this pairing, without blame")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="concerns")
    raised_by = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    raised_by_side = models.CharField(max_length=10, choices=Side.choices)
    kind = models.CharField(_("what you need"), max_length=12, choices=Kind.choices, default=Kind.CONCERN)
    text = models.TextField(_("what happened (only HR reads this)"), max_length=10000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    hr_notes = models.TextField(_("HR notes"), blank=True)
    handled_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "-created_at"]
        indexes = [models.Index(fields=["pairing", "status"])]

    def __str__(self):
        return f"Concern {self.pk} ({self.status})"

    @property
    def raised_by_mentor(self) -> bool:
        return self.raised_by_side == Side.MENTOR


# --- Dashboard rollups ------------------------------------------------------------------------------------
# What the leaders' dashboards read: sums and counts of people, rebuilt as a whole by a Celery task
# (checkins.dashboard.rollup), so that a page never aggregates raw check-ins. A row is one program (or
# every program at once: program empty, each person counted once), one period, one side and one
# department and location of that side's people (empty: all of them). Nothing here names a person.


class Grain(models.TextChoices):
    TOTAL = "total", _("To date")
    MONTH = "month", _("Month")
    WEEK = "week", _("Week")


class DashboardRollup(models.Model):
    program = models.ForeignKey(Program, null=True, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=5, choices=Grain.choices)
    period = models.DateField(
        null=True, help_text="First day of the week (a Monday) or month; empty for to date"
    )
    side = models.CharField(max_length=10, choices=Side.choices, blank=True, help_text="Empty: both sides")
    # NULL is "every department (location)"; "" would be a real, blank location.
    department = models.CharField(max_length=120, null=True)  # noqa: DJ001
    location = models.CharField(max_length=120, null=True)  # noqa: DJ001

    # People of this side in a live pairing during the period (to date: ever)
    people = models.PositiveIntegerField(default=0)
    # The enrollment funnel, to date (invited has no side: it is on the both-sides row)
    invited = models.PositiveIntegerField(default=0)
    enrolled = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    active = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    # Pairs as they stood at the end of the period (to date: now), each pair counted on each side
    live_end = models.PositiveIntegerField(default=0)
    on_cadence_end = models.PositiveIntegerField(default=0)
    at_risk_end = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0, help_text="Pairs that began or ended in the period")
    # Check-ins held in the period, and this side's ratings of them
    checkins = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)
    people_met = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_n = models.PositiveIntegerField(default=0)
    raters = models.PositiveIntegerField(default=0)
    # Meetings cancelled or moved in the period: asked by this side, and by either side
    cancelled = models.PositiveIntegerField(default=0)
    moved = models.PositiveIntegerField(default=0)
    cancellations_all = models.PositiveIntegerField(default=0)
    # This side's goals, to date
    goals_set = models.PositiveIntegerField(default=0)
    goals_done = models.PositiveIntegerField(default=0)
    goals_dropped = models.PositiveIntegerField(default=0)
    goal_owners = models.PositiveIntegerField(default=0)
    # The latest closed survey of each program, to date: this side's respondents
    respondents = models.PositiveIntegerField(default=0)
    sat_sum = models.PositiveIntegerField(default=0)
    sat_n = models.PositiveIntegerField(default=0)
    learned_yes = models.PositiveIntegerField(default=0)
    learned_n = models.PositiveIntegerField(default=0)
    rec_n = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["program", "grain", "department", "location"], name="rollup_lookup")]

    def __str__(self):
        return f"{self.program_id} {self.grain} {self.period} {self.side}"


class ActionRollup(models.Model):
    """ "You said, we did" counted by theme and effect: the changes seniors recorded, never who."""

    program = models.ForeignKey(Program, null=True, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=5, choices=Grain.choices)
    period = models.DateField(null=True)
    # NULL is "every theme (department, location)"; "" is a change with no theme given.
    theme = models.CharField(max_length=100, null=True)  # noqa: DJ001
    effect = models.CharField(max_length=10, blank=True, help_text="Empty: every effect")
    department = models.CharField(max_length=120, null=True)  # noqa: DJ001
    location = models.CharField(max_length=120, null=True)  # noqa: DJ001
    actions = models.PositiveIntegerField(default=0)
    seniors = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["program", "grain", "department", "location"], name="action_rollup_lookup")
        ]

    def __str__(self):
        return f"{self.program_id} {self.theme}: {self.actions}"


class OutcomeRollup(models.Model):
    """Results: the junior mentors of a program, and a comparison group of people who never took part,
    by level, department and location on the day the program started: how many were still active and
    how many at a higher level since (from the directory history)."""

    class Group(models.TextChoices):
        MENTORS = "mentors", _("Junior mentors")
        COMPARISON = "comparison", _("Comparison group")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=10, choices=Group.choices)
    start = models.DateField()
    end = models.DateField()
    level = models.PositiveSmallIntegerField()
    department = models.CharField(max_length=120)
    location = models.CharField(max_length=120, null=True)  # noqa: DJ001 - NULL: every location
    people = models.PositiveIntegerField(default=0)
    retained = models.PositiveIntegerField(default=0)
    promoted = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["program", "group"], name="outcome_rollup_lookup")]

    def __str__(self):
        return f"{self.program_id} {self.group} L{self.level} {self.department}"
