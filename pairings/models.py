from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.db import AddDays
from profiles.models import MeetingFormat, Person, User
from programs.models import Enrollment, Program, Side  # Side: the one definition, used by the pair's code too


def _weight(label, default=1):
    return models.DecimalField(
        label,
        max_digits=3,
        decimal_places=1,
        default=default,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )


class MatchingSettings(models.Model):
    """How a program matches: the score's weights, repeat pairs, and who chooses."""

    class Mode(models.TextChoices):
        OPTIMAL = "optimal", _("HR runs matching and publishes the best assignment")
        MENTEE_CHOICE = "mentee_choice", _("Each mentee picks from up to five mentors who suit them best")

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="matching_settings")
    mode = models.CharField(_("matching mode"), max_length=20, choices=Mode.choices, default=Mode.OPTIMAL)
    weight_topics = _weight(_("weight: shared topics"), default=3)
    weight_format = _weight(_("weight: meeting format"))
    weight_time_zone = _weight(_("weight: time zones close"))
    weight_availability = _weight(_("weight: free at the same times"))
    weight_language = _weight(_("weight: shared language"))
    avoid_previous = models.BooleanField(_("never pair two people who were paired before"), default=True)
    request_expiry_days = models.PositiveSmallIntegerField(
        _("days a mentor has to answer a request"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("matching settings")
        verbose_name_plural = _("matching settings")

    def __str__(self):
        return f"Matching settings of {self.program}"


class MatchRun(models.Model):
    """One run of the matching engine over a program's approved enrollments."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready to review")
        FAILED = "failed", _("Failed")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="match_runs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    weights = models.JSONField(default=dict)
    total_score = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Run {self.pk} of {self.program} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status not in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def is_reviewable(self) -> bool:
        """Finished and not yet published: HR may change its proposals, then publish."""
        return self.status == self.Status.DONE

    @property
    def has_failed(self) -> bool:
        return self.status == self.Status.FAILED


class Proposal(models.Model):
    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="proposals")
    mentor = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    mentee = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    components = models.JSONField(default=dict)
    explanation = models.TextField()
    pinned = models.BooleanField(default=False)

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "mentor", "mentee"], name="proposal_unique_pair")
        ]

    def __str__(self):
        return f"{self.mentor_id} + {self.mentee_id} ({self.score:.2f})"


class Unmatched(models.Model):
    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="unmatched")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    reason_code = models.CharField(max_length=40)
    reason = models.TextField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.enrollment_id}: {self.reason_code}"


class PairRule(models.Model):
    """HR's word on a pair for a program: keep it in every run (pinned) or never propose it (forbidden)."""

    class Kind(models.TextChoices):
        PINNED = "pinned", _("Pinned")
        FORBIDDEN = "forbidden", _("Forbidden")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="pair_rules")
    mentor = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    mentee = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "mentor", "mentee"], name="pair_rule_unique")
        ]

    def __str__(self):
        return f"{self.kind}: {self.mentor_id} + {self.mentee_id}"


class Pairing(models.Model):
    """A mentor's and a mentee's enrollments joined: both accept, agree, meet, and end without blame.

    "Proposed" is a Proposal of a match run; publishing turns proposals into pairings awaiting acceptance.
    """

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("Awaiting acceptance")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended early")

    LIVE = (Status.AWAITING, Status.ACTIVE)

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="pairings")
    mentor = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="mentor_pairings")
    mentee = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="mentee_pairings")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING)
    score = models.FloatField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    run = models.ForeignKey(
        MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairings"
    )
    mentor_accepted_at = models.DateTimeField(null=True, blank=True)
    mentee_accepted_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # Private to HR: why someone declined or ended. The partner never sees it.
    declined_side = models.CharField(max_length=10, choices=Side.choices, blank=True)
    closing_reason = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    conflict_flagged_at = models.DateTimeField(null=True, blank=True)
    conflict_reason = models.TextField(blank=True)
    # HR looked at a flagged pair and chose to keep it: later re-checks leave it alone.
    conflict_kept_at = models.DateTimeField(null=True, blank=True)
    # Kept up to date by the check-in services (through pairing_set_rhythm), so that pair health is one
    # indexed query at any size instead of an aggregate over every check-in.
    last_checkin_on = models.DateField(null=True, blank=True)
    next_checkin_due = models.DateField(null=True, blank=True, db_index=True)
    # Overdue by more than half a cadence from this day on: the "late" flag of pair health.
    late_from = models.DateField(null=True, blank=True)
    rating_trend = models.SmallIntegerField(default=0, help_text="-1 falling, 0 steady or unknown, 1 rising")
    # Pair health's order, stored so that a page of it is an index scan at any size: how many of the
    # at-risk flags hold (checkins.selectors' one definition works it out), and when a dated flag may
    # change next (a pair turning late, a cancellation leaving the 60 days). NULL: to be worked out again,
    # which the database marks whenever one of the flags' inputs changes (pairings migration 0004,
    # checkins migration 0011); pairings_risk_store alone writes a figure.
    risk = models.SmallIntegerField(null=True, blank=True, editable=False)
    risk_changes_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentor", "mentee"],
                condition=models.Q(status__in=["awaiting", "active"]),
                name="pairing_one_live_per_pair",
            ),
            models.CheckConstraint(condition=~models.Q(mentor=models.F("mentee")), name="pairing_two_people"),
        ]
        _active = models.Q(status="active")
        indexes = [
            # Pair health: at-risk first, then by next check-in due; for all programs and for one.
            models.Index(
                models.F("risk").desc(),
                "next_checkin_due",
                "id",
                condition=_active,
                name="pairing_health_order",
            ),
            models.Index(
                "program",
                models.F("risk").desc(),
                "next_checkin_due",
                "id",
                condition=_active,
                name="pairing_health_program",
            ),
            # The rows to work out again: marked (NULL), or a dated flag due to change.
            models.Index("id", condition=_active & models.Q(risk__isnull=True), name="pairing_risk_stale"),
            models.Index("risk_changes_at", condition=_active, name="pairing_risk_changes"),
        ]

    def __str__(self):
        return f"Pairing {self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def is_awaiting(self) -> bool:
        return self.status == self.Status.AWAITING

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def sides(self) -> list[tuple[str, Person, Person]]:
        """Each side with its person and their partner: (side, person, partner), mentor first."""
        mentor, mentee = self.mentor.person, self.mentee.person
        return [(Side.MENTOR, mentor, mentee), (Side.MENTEE, mentee, mentor)]

    def partner_of(self, side: str) -> Person:
        """The person on the other side from `side`."""
        return self.mentee.person if side == Side.MENTOR else self.mentor.person

    def has_accepted(self, side: str) -> bool:
        return getattr(self, f"{side}_accepted_at") is not None

    def offers_ending_to(self, side: str) -> bool:
        """Whether this side is offered "End the pairing": once it runs, or once they said yes and wait
        for their partner. Before they answer, their way out is "Say no" (one choice, not two)."""
        if self.is_awaiting:
            return self.has_accepted(side)
        return self.is_live

    @property
    def cadence_days(self) -> int:
        """In Python what cadence_expression() says in SQL: the agreement's cadence, else the program's."""
        agreement = getattr(self, "agreement", None)
        return agreement.cadence_days if agreement else self.program.cadence_days

    @property
    def meeting_format(self) -> str:
        """How the pair meets: as their agreement says, else by video (the agreement's own default).
        A check-in planned or logged starts from it."""
        agreement = getattr(self, "agreement", None)
        return agreement.meeting_format if agreement else MeetingFormat.VIDEO

    # The rhythm on a given day (the person's own: callers pass it), read off the stored next_checkin_due
    # and late_from, which pairing_set_rhythm computes by the one definition (late_from_expression).
    def is_overdue_on(self, day: date) -> bool:
        """Its check-in was due before `day`: the pair gets an "overdue" reminder."""
        return self.next_checkin_due is not None and day > self.next_checkin_due

    def is_late_on(self, day: date) -> bool:
        """Overdue by more than half a cadence on `day`: the "late" of pair health (late_q in SQL)."""
        return self.late_from is not None and self.late_from <= day

    def escalates_on(self, day: date) -> bool:
        """Overdue by more than its whole cadence on `day`: HR is told."""
        return self.next_checkin_due is not None and (day - self.next_checkin_due).days > self.cadence_days


# --- The pair's rhythm: one definition each of "cadence", "next due", "late" and "on cadence" ---------------
# Written as database expressions, so that the stored columns (pairing_set_rhythm), pair health, the
# reminders and the dashboards' history (a pair's rhythm as it stood at the end of a past week) all ask
# the same question of the same rule.


def cadence_expression(prefix: str = "") -> models.Expression:
    """Days between check-ins: the pair's agreement, else its program's default."""
    return Coalesce(models.F(f"{prefix}agreement__cadence_days"), models.F(f"{prefix}program__cadence_days"))


def next_due_expression(base, cadence) -> models.Expression:
    """The next check-in is due one cadence after the last one (or after the pair became active)."""
    return AddDays(base, cadence)


def late_from_expression(next_due, cadence) -> models.Expression:
    """A pair is late once its check-in is overdue by more than half a cadence: from this day on."""
    return AddDays(next_due, cadence / 2 + 1)


def risk_marked_by_database() -> bool:
    """Whether the database marks a pairing whose stored risk (Pairing.risk) is to be worked out again:
    the triggers of pairings migration 0004 and checkins migration 0011, on PostgreSQL. Elsewhere (the
    embedded SQLite default) every refresh works out every active pairing."""
    return connection.vendor == "postgresql"


def late_q(day: date, late_from: str = "late_from") -> models.Q:
    """Pairs late on `day`, by their late-from day (the stored column, or an annotation of that name)."""
    return models.Q(**{f"{late_from}__lte": day})


def on_cadence_q(day: date, late_from: str = "late_from") -> models.Q:
    """Live pairs that are not late on `day`: the dashboards' check-in adherence counts these."""
    return models.Q(**{f"{late_from}__isnull": True}) | models.Q(**{f"{late_from}__gt": day})


class Agreement(models.Model):
    """What the pair agrees together; both confirm it, and any change asks both to confirm again."""

    pairing = models.OneToOneField(Pairing, on_delete=models.CASCADE, related_name="agreement")
    cadence_days = models.PositiveSmallIntegerField(
        _("meet every (days)"), default=14, validators=[MinValueValidator(7), MaxValueValidator(60)]
    )
    meeting_format = models.CharField(
        _("how we meet"), max_length=20, choices=MeetingFormat.choices, default=MeetingFormat.VIDEO
    )
    confidentiality = models.TextField(
        _("confidentiality"),
        default=_("What we say stays between us, unless one of us is at risk. Either of us can talk to HR."),
    )
    off_limits = models.TextField(_("topics that are off-limits"), blank=True)
    mentor_confirmed_at = models.DateTimeField(null=True, blank=True)
    mentee_confirmed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Agreement of {self.pairing}"

    @property
    def is_confirmed(self) -> bool:
        return bool(self.mentor_confirmed_at and self.mentee_confirmed_at)


class Goal(models.Model):
    """A goal of one side of the pair: the senior's learning and the junior's gain count the same."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="goals")
    owner_side = models.CharField(_("whose goal"), max_length=10, choices=Side.choices)
    title = models.CharField(_("goal"), max_length=200)
    description = models.TextField(_("what success looks like"), blank=True, max_length=2000)
    target_date = models.DateField(_("target date"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["owner_side", "target_date", "pk"]

    def __str__(self):
        return self.title

    @property
    def is_mentors(self) -> bool:
        return self.owner_side == Side.MENTOR

    @classmethod
    def kept_q(cls) -> models.Q:
        """The goals a pair still works on or has reached: every one but those dropped."""
        return ~models.Q(status=cls.Status.DROPPED)


class MentorRequest(models.Model):
    """Mentee-choice mode: a mentee asks one of their best-suited mentors; the mentor answers in time."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the mentor")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mentor_requests")
    mentee = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    explanation = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentee"], condition=models.Q(status="pending"), name="mentor_request_one_pending"
            )
        ]

    def __str__(self):
        return f"Request {self.pk} ({self.status})"
