from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Seniority grades. "Reverse" mentoring is defined by career level, never by age: there is no
# birth date, age or generation field anywhere in Twoway.
LEVEL_MIN = 1
LEVEL_MAX = 9

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in available_timezones())


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A login account. The email is the identifier; there are no usernames."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("support staff"), default=False, help_text=_("Can log into the support (Django admin) site.")
    )
    is_hr_admin = models.BooleanField(
        _("HR admin"), default=False, help_text=_("Runs programs, the directory, matching and pair health.")
    )
    is_leader = models.BooleanField(
        _("leader"), default=False, help_text=_("Sees the success dashboards (aggregates only).")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("The language of pages and emails; empty: the browser's (emails: the site's)."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name.split(" ")[0] if self.full_name else "") or self.email


class Person(models.Model):
    """An entry of the employee directory, with at most one login account. Leavers are inactive."""

    email = models.EmailField(_("email"))
    full_name = models.CharField(_("full name"), max_length=200)
    job_title = models.CharField(_("job title"), max_length=200)
    department = models.CharField(_("department"), max_length=120, db_index=True)
    location = models.CharField(_("location"), max_length=120, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", choices=TIME_ZONE_CHOICES)
    level = models.PositiveSmallIntegerField(
        _("level"),
        validators=[MinValueValidator(LEVEL_MIN), MaxValueValidator(LEVEL_MAX)],
        help_text=_("Seniority grade, %(min)s (entry) to %(max)s (executive).")
        % {"min": LEVEL_MIN, "max": LEVEL_MAX},
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    is_active = models.BooleanField(_("active"), default=True)
    employee_id = models.CharField(_("employee id"), max_length=64, blank=True)
    # The identity provider's own id for this person, when SCIM provisions the directory (externalId).
    scim_external_id = models.CharField(_("identity provider id"), max_length=200, blank=True, db_index=True)
    user = models.OneToOneField(
        User, verbose_name=_("login"), null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name"]
        indexes = [
            # The directory's order (and the enrollment lists'): a page of 50 walks it instead of sorting
            # 100,000 people.
            models.Index(fields=["full_name", "id"], name="person_by_name"),
            # Leavers, a few percent of the directory: pair health flags the pairs they are still in.
            models.Index(fields=["id"], condition=models.Q(is_active=False), name="person_leavers"),
            # The directory's count of people in it (its default view): read from this index alone, not
            # from every row (7 ms instead of 17 ms at 100,000).
            models.Index(fields=["id"], condition=models.Q(is_active=True), name="person_active"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_ci_unique"),
            models.UniqueConstraint(
                fields=["employee_id"], condition=~models.Q(employee_id=""), name="person_employee_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=LEVEL_MIN, level__lte=LEVEL_MAX), name="person_level_in_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("pk")), name="person_not_own_manager"
            ),
        ]

    def __str__(self):
        return self.full_name


# What the directory history follows: the facts "promoted" and "left" are read off these.
HISTORY_FIELDS = ("level", "department", "location", "manager_id", "is_active")


class PersonHistory(models.Model):
    """One stretch of a person's directory record: their level, department, location, manager and whether
    they work here, from valid_from up to the day before valid_to (still current when valid_to is empty).

    Written by profiles.services.directory_history_record whenever the directory changes (the import, the
    support admin), so that "promoted" and "left" are facts with dates rather than guesses. Nobody is
    deleted: a leaver's history ends with a stretch that says they are inactive.
    """

    class Source(models.TextChoices):
        START = "start", _("Start of the directory history")
        IMPORT = "import", _("Directory import")
        SUPPORT = "support", _("Support admin")
        PROVISIONING = "scim", _("Identity provider (SCIM)")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="history")
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("level"))
    department = models.CharField(_("department"), max_length=120)
    location = models.CharField(_("location"), max_length=120, blank=True)
    manager = models.ForeignKey(
        Person, verbose_name=_("manager"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("active"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("directory history")
        verbose_name_plural = _("directory history")
        ordering = ["person_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["person", "valid_from"], name="person_history_one_per_day"),
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(valid_to__isnull=True), name="person_history_one_open"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="person_history_ends_after_start",
            ),
        ]
        # "Who was at level L in department D on day X" reads stretches by their dates.
        indexes = [models.Index(fields=["valid_from", "valid_to"], name="person_history_dates")]

    def __str__(self):
        return f"{self.person_id} from {self.valid_from}"


class Invitation(models.Model):
    """HR invites a directory Person to sign up. The link carries a random token; only its hash is kept."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, verbose_name=_("invited by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(_("times sent"), default=0)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            # At most one open (neither accepted nor revoked) invitation per person.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_person",
            )
        ]

    def __str__(self):
        return f"{self.email} ({self.status_label})"

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        EXPIRED = "expired", _("Expired")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    @staticmethod
    def expired(expires_at, now=None) -> bool:
        """Whether a link that expires at `expires_at` no longer works (at `now`, default now)."""
        return expires_at <= (now or timezone.now())

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expired(self.expires_at):
            return self.Status.EXPIRED
        return self.Status.OPEN

    @property
    def status_label(self) -> str:
        return self.Status(self.status).label

    # The badge's style of each status (the classes are the product's status colours).
    BADGES = {
        Status.OPEN: "status-waitlisted",
        Status.EXPIRED: "status-pending",
        Status.ACCEPTED: "status-approved",
    }

    @property
    def badge_class(self) -> str:
        return self.BADGES.get(self.status, "status-withdrawn")


class MeetingFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    CHAT = "chat", _("Chat")
    HYBRID = "hybrid", _("Hybrid")


class Profile(models.Model):
    """What a participant says about themself; visible to HR and, once paired, to their partner."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="profile")
    about = models.TextField(_("about me"), blank=True, max_length=2000)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    languages = models.CharField(
        _("languages"),
        max_length=200,
        blank=True,
        help_text=_("Languages you can mentor in, comma separated."),
    )
    preferred_format = models.CharField(
        _("preferred meeting format"), max_length=20, choices=MeetingFormat.choices, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")

    def __str__(self):
        return str(self.person)


# --- The notification outbox ------------------------------------------------------------------------------
# Every email and in-app message is a row here, planned inside the transaction of the event that causes
# it (profiles.outbox.planning) and delivered once by the outbox's sweep (profiles.outbox.delivery). It
# lives with the people it is written to, below every app that writes to them.


class Notification(models.Model):
    """One message on one channel: shown in the app and, unless skipped, emailed, once; or sent once to
    the person in Slack, or to HR's Teams channel (`channel`).

    Unique on (recipient, kind, subject, period, channel), so planning the same thing twice creates nothing.
    Email delivery moves pending -> sending -> sent, or failed after retries, or skipped. A row is only
    ever claimed from pending; one whose send was cut off (a worker killed, the server's answer lost) is
    "may have been sent" until a person looks: it is never sent again on its own.
    """

    class Kind(models.TextChoices):
        # Reminders and prompts, planned by the tick from what is due
        CHECKIN_UPCOMING = "checkin_upcoming", _("Check-in coming up")
        CHECKIN_OVERDUE = "checkin_overdue", _("Check-in overdue")
        HR_OVERDUE = "hr_overdue", _("A pair is overdue by two cadences (to HR)")
        GOAL_REVIEW = "goal_review", _("Goal review")
        ACCEPTANCE_PENDING = "acceptance_pending", _("Pairing waiting for your answer")
        AGREEMENT_PENDING = "agreement_pending", _("Agreement waiting for confirmation")
        SURVEY = "survey", _("Survey invitation")
        INACTIVITY = "inactivity", _("No check-in for three weeks")
        HR_DIGEST = "hr_digest", _("Weekly digest for HR")
        PROGRAM_INVITATION = "program_invitation", _("Invitation to enroll in a program")
        MONTHLY_REPORT = "monthly_report", _("Monthly success report (leaders and HR)")
        # What happened to you, planned by the event itself
        INVITATION = "invitation", _("Invitation to Twoway")
        ACCOUNT = "account", _("Your login: confirming your address, resetting your password")
        ENROLLMENT_DECIDED = "enrollment_decided", _("Your enrollment was decided")
        PAIRING_PROPOSED = "pairing_proposed", _("Introduction to a proposed partner")
        PAIRING_ACCEPTED = "pairing_accepted", _("Your partner said yes")
        MENTOR_REQUESTED = "mentor_requested", _("A mentee asks you to mentor them")
        REQUEST_ANSWERED = "request_answered", _("A mentor answered your request")
        AGREEMENT_CHANGED = "agreement_changed", _("Your agreement changed and waits for you")
        MEETING_PLANNED = "meeting_planned", _("A check-in was planned")
        MEETING_MOVED = "meeting_moved", _("A check-in was moved")
        MEETING_CANCELLED = "meeting_cancelled", _("A check-in was cancelled")
        PAIRING_ENDED = "pairing_ended", _("Your pairing ended")
        CONFLICT_FLAGGED = "conflict_flagged", _("A pair now shares a reporting line (to HR)")
        CONCERN_RAISED = "concern_raised", _("A new concern (to HR)")
        OUTBOX_FAILED = "outbox_failed", _("Messages that could not be sent (to HR)")
        IMPORT_HELD = "import_held", _("A directory file held for you to confirm (to HR)")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SLACK = "slack", _("Slack")
        TEAMS = "teams", _("Microsoft Teams (HR channel)")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        UNCERTAIN = "uncertain", _("May have been sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    # Empty for an account email to a login that is not in the directory. No index of its own: the
    # recipient leads notification_once and notification_unread, which answer "this person's rows"
    # (a person's list, a deletion's cascade), and every row written (three times a message: planned,
    # sending, sent) would pay for a third index of the same column (a tenth of a claim's WAL).
    recipient = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    email = models.EmailField(
        blank=True, help_text="Where the email goes (the recipient's address when planned)"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject = models.CharField(max_length=60, help_text="What it is about, e.g. pairing:12 or survey:3")
    period = models.CharField(max_length=40, help_text="What makes it a new message: a day, a week, a state")
    title = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=500)
    why = models.CharField(max_length=300, help_text="Why the app sent it, in plain words")
    in_app = models.BooleanField(default=True, help_text="Shown in the person's notifications too")
    # Each channel of a message is its own row, sent and retried on its own: the email row is also the
    # in-app one; a Slack row goes to the same person, a Teams row (no recipient) to HR's channel.
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    due_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    skip_reason = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-due_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject", "period", "channel"], name="notification_once"
            ),
            # HR's Teams channel gets one card per event, however many HR admins hear of it.
            models.UniqueConstraint(
                fields=["kind", "subject", "period"],
                condition=models.Q(channel="teams"),
                name="notification_teams_once",
            ),
        ]
        indexes = [
            # The sweep claims "the next due pending row" one at a time: this index answers it without a
            # sort. Pending rows only: a claimed row leaves it, and the claims of a large sweep do not walk
            # past the entries of the rows claimed before them (in an index of every state they stayed,
            # dead, until a vacuum: each claim of a 20,000-row sweep cost four times its first).
            models.Index(
                fields=["due_at", "id"], condition=models.Q(state="pending"), name="notification_claim_order"
            ),
            # What HR's outbox page looks for: rows being sent (a stale claim), failed or may have been sent.
            models.Index(
                fields=["state", "due_at"],
                condition=models.Q(state__in=["sending", "failed", "uncertain"]),
                name="notification_attention",
            ),
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]

    def __str__(self):
        return f"{self.kind} to {self.recipient_id or self.email} ({self.state})"


class NotificationPreference(models.Model):
    """A person's choice to receive a kind by email and/or in Slack (in the app it always shows)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=30, choices=Notification.Kind.choices)
    email = models.BooleanField(default=True)
    slack = models.BooleanField(default=False)  # a direct message from Twoway's Slack app too

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="notification_preference_once")
        ]

    def __str__(self):
        return f"{self.person_id} {self.kind}: {self.email}"


class AuditEvent(models.Model):
    """One thing done that a security review asks about: who, what, when (UTC), from where.

    Never the text of a note or a concern: `detail` holds counts and ids only. Append-only for the app
    (profiles.audit; on PostgreSQL a trigger refuses UPDATE and DELETE). The actor is kept as an id,
    not a link, so erasing a person leaves their rows, and the name shown is whatever their directory
    entry says now ("Erased person #12" once erased)."""

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        SIGN_OUT = "sign_out", _("Signed out")
        MFA_CHANGED = "mfa_changed", _("Second factor changed")
        ROLE_CHANGED = "role_changed", _("Roles changed")
        DIRECTORY_IMPORTED = "directory_imported", _("Directory imported")
        MATCH_RUN_STARTED = "match_run_started", _("Matching run started")
        MATCH_RUN_PUBLISHED = "match_run_published", _("Matching run published")
        PAIRING_ENDED = "pairing_ended", _("Pairing ended")
        EXPORTED = "exported", _("Figures exported")
        CONCERN_VIEWED = "concern_viewed", _("Concern viewed")
        CONCERN_HANDLED = "concern_handled", _("Concern handled")
        DATA_EXPORTED = "data_exported", _("Personal data downloaded")
        PERSON_ERASED = "person_erased", _("Person erased")
        API_TOKEN_CREATED = "api_token_created", _("API token created")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
        API_CALLED = "api_called", _("API called")
        PERSON_PROVISIONED = "person_provisioned", _("Person provisioned (SCIM)")

    at = models.DateTimeField(_("when (UTC)"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("who (login id)"), null=True, blank=True, db_index=True)
    action = models.CharField(_("what"), max_length=32, choices=Action.choices, db_index=True)
    target = models.CharField(_("on"), max_length=100, blank=True)  # "pairing:12", "concern:3"
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"


class DirectoryImport(models.Model):
    """A large directory import, confirmed by HR and written by a Celery job (profiles.services).

    Holds the file's text until the job is done (then it is cleared: the directory has it), the counts
    the preview showed (the job refuses if the directory changed since), and what happened."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Importing")
        HELD = "held", _("Held for HR to confirm")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Nothing imported")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Uploaded by HR")
        FOLDER = "folder", _("HR system file drop")

    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    deactivate_missing = models.BooleanField(default=False)
    expected_counts = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)  # counts, or {"message": ..., "errors": [...]}
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    held_reason = models.TextField(blank=True)  # why a dropped file waits for HR instead of being applied

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Import {self.pk} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED}


class ApiToken(models.Model):
    """A key an HR admin made for a script or an integration: what it may do (scopes), shown by its
    prefix only. The secret itself is never stored: only its SHA-256, checked on every call."""

    class Scope(models.TextChoices):
        READ_DIRECTORY = "directory:read", _("Read the directory")
        WRITE_DIRECTORY = "directory:write", _("Write the directory (provisioning)")
        READ_REPORTS = "reports:read", _("Read the dashboard figures")
        READ_AUDIT = "audit:read", _("Read the audit log")

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
