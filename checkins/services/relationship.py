"""Writes of the pair's relationship: meetings, check-ins, reflections, goals, actions, concerns.

Every function checks who is asking: only the two people of a pairing write its check-ins; only HR
handles concerns. What each side writes privately (rating, private notes) never leaves its author.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.services import check_version
from pairings.models import Pairing, Side
from pairings.services import GoalProgress, goal_progress_record, pairing_set_rhythm, participant_side
from profiles import audit
from profiles.models import AuditEvent, Notification, Person, User
from profiles.outbox import notify, withdraw
from programs.models import Theme

from .. import messages
from ..models import Action, Cancellation, CheckIn, Concern, GoalUpdate, Heartbeat, Meeting, Reflection

BEAT = "beat"
Kind = Notification.Kind

__all__ = [
    "BEAT",
    "CHECKINS_FOR_A_TREND",
    "GoalProgress",
    "ReflectionInput",
    "action_record",
    "action_update",
    "checkin_log",
    "checkin_update_shared_notes",
    "concern_raise",
    "concern_update",
    "goal_review",
    "heartbeat_record",
    "meeting_cancel",
    "meeting_plan",
    "reflection_add",
    "reflection_update",
]


def heartbeat_record(*, name: str = BEAT) -> Heartbeat:
    """Record that `name` is alive now. Idempotent: one row per name, moved forward in place."""
    heartbeat, _created = Heartbeat.objects.update_or_create(
        name=name, defaults={"last_beat_at": timezone.now()}
    )
    return heartbeat


def _side(pairing: Pairing, person: Person, *, active: bool = True) -> str:
    return participant_side(pairing=pairing, person=person, require_active=active)


# --- Meetings ------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_plan(
    *, pairing: Pairing, person: Person, starts_at: datetime, duration_minutes: int, meeting_format: str
) -> Meeting:
    """Plan the next check-in. Times are stored in UTC; each person sees them in their own zone."""
    side = _side(pairing, person)
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("Choose a time in the future.")})
    meeting = Meeting(
        pairing=pairing,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        meeting_format=meeting_format,
        planned_by_side=side,
    )
    meeting.full_clean()
    meeting.save()
    notify(*messages.meeting_changed(meeting, by_side=side, kind=Kind.MEETING_PLANNED))
    return meeting


@transaction.atomic
def meeting_cancel(
    *, meeting: Meeting, person: Person, new_starts_at: datetime | None = None, reason: str = ""
) -> Meeting:
    """Cancel a planned meeting, or move it when a new time is given; who asked, and why if they said,
    is recorded either way and told to the partner with the updated calendar invitation."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("pairing__program", "pairing__mentor__person", "pairing__mentee__person")
        .get(pk=meeting.pk)
    )
    side = _side(meeting.pairing, person)
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError(_("Only a planned meeting can be cancelled or moved."))
    if new_starts_at is not None and new_starts_at <= timezone.now():
        raise ValidationError({"new_starts_at": _("Choose a time in the future.")})
    Cancellation.objects.create(
        meeting=meeting,
        pairing=meeting.pairing,
        kind=Cancellation.Kind.RESCHEDULED if new_starts_at else Cancellation.Kind.CANCELLED,
        asked_by_side=side,
        previous_starts_at=meeting.starts_at,
        new_starts_at=new_starts_at,
        reason=reason.strip()[:300],
    )
    previous = meeting.starts_at
    if new_starts_at:
        meeting.starts_at = new_starts_at
    else:
        meeting.status = Meeting.Status.CANCELLED
    meeting.sequence += 1  # the calendar invitation replaces the one the partner holds
    meeting.save()
    kind = Kind.MEETING_MOVED if new_starts_at else Kind.MEETING_CANCELLED
    notify(
        *messages.meeting_changed(meeting, by_side=side, kind=kind, previous=previous, reason=reason.strip())
    )
    return meeting


# The rating trend compares the two latest check-ins with the two before them.
CHECKINS_FOR_A_TREND = 4


def _refresh_rhythm(pairing: Pairing) -> None:
    """Last check-in, next one due, and whether ratings fall: the mean of the two latest check-ins'
    ratings against the two before them (a drop of half a point or more counts as falling)."""
    latest = list(
        CheckIn.objects.filter(pairing=pairing)
        .order_by("-happened_on", "-pk")
        .values_list("pk", "happened_on")[:CHECKINS_FOR_A_TREND]
    )
    ratings: dict[int, list[int]] = {}
    for checkin_id, rating in Reflection.objects.filter(checkin_id__in=[c for c, _d in latest]).values_list(
        "checkin_id", "rating"
    ):
        ratings.setdefault(checkin_id, []).append(rating)
    means = [sum(r) / len(r) for c, _d in latest if (r := ratings.get(c))]
    trend = 0
    if len(means) >= CHECKINS_FOR_A_TREND:
        recent, before = (means[0] + means[1]) / 2, (means[2] + means[3]) / 2
        trend = -1 if recent <= before - 0.5 else (1 if recent >= before + 0.5 else 0)
    pairing_set_rhythm(pairing=pairing, last_checkin_on=latest[0][1] if latest else None, rating_trend=trend)


# --- Check-ins -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReflectionInput:
    learned: str
    change_next_time: str
    rating: int
    private_notes: str = ""
    fit: str = ""  # Reflection.Fit, asked after the first check-in only


def _reflect(checkin: CheckIn, side: str, person: Person, data: ReflectionInput) -> Reflection:
    if not data.learned.strip():
        raise ValidationError({"learned": _("Say in a line or two what you learned: both sides learn.")})
    reflection = Reflection(
        checkin=checkin,
        side=side,
        author=person,
        learned=data.learned.strip(),
        change_next_time=data.change_next_time.strip(),
        rating=data.rating,
        private_notes=data.private_notes.strip(),
        fit=data.fit,
    )
    reflection.full_clean(exclude=["checkin", "author"])
    try:
        with transaction.atomic():
            reflection.save()
    except IntegrityError:
        raise ValidationError(
            _("You have already added your side to this check-in; edit it instead.")
        ) from None
    return reflection


def _update_goals(pairing: Pairing, side: str, checkin: CheckIn | None, updates: list[GoalProgress]) -> None:
    """Progress is written by the pairings service; this app keeps who reported it, and when."""
    for goal in goal_progress_record(pairing=pairing, updates=updates):
        GoalUpdate.objects.create(
            goal=goal, checkin=checkin, side=side, progress=goal.progress, status=goal.status
        )


@transaction.atomic
def checkin_log(
    *,
    pairing: Pairing,
    person: Person,
    happened_on: date,
    duration_minutes: int,
    meeting_format: str,
    themes: list[Theme],
    shared_notes: str,
    reflection: ReflectionInput,
    goal_updates: list[GoalProgress] = (),
    meeting: Meeting | None = None,
) -> CheckIn:
    """Log a check-in that happened, with the logger's own side. The partner is then asked for theirs.

    Guarantees: all or nothing (check-in, reflection, goal updates); never in the future; a planned
    meeting it answers is marked held.
    """
    side = _side(pairing, person)
    if happened_on > timezone.localdate():
        raise ValidationError({"happened_on": _("A check-in is logged once it has happened.")})
    matched_on = timezone.localdate(pairing.created_at)
    if happened_on < matched_on:
        raise ValidationError(
            {
                "happened_on": _("The pair was matched on %(date)s: a check-in cannot be before that.")
                % {"date": date_format(matched_on)}
            }
        )
    if any(theme.program_id != pairing.program_id for theme in themes):
        raise ValidationError({"themes": _("Choose themes of this program.")})
    checkin = CheckIn(
        pairing=pairing,
        happened_on=happened_on,
        duration_minutes=duration_minutes,
        meeting_format=meeting_format,
        shared_notes=shared_notes.strip(),
        logged_by_side=side,
    )
    if meeting is not None:
        if meeting.pairing_id != pairing.pk or meeting.status != Meeting.Status.PLANNED:
            raise ValidationError(_("That meeting is not a planned meeting of this pairing."))
        checkin.meeting = meeting
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.HELD)
    checkin.full_clean(exclude=["pairing", "meeting"])
    checkin.save()
    checkin.themes.set(themes)
    _reflect(checkin, side, person, reflection)
    _update_goals(pairing, side, checkin, list(goal_updates))
    _refresh_rhythm(pairing)
    # The reminders this check-in answers are taken back; the next are planned from the new due date.
    withdraw(
        subjects=[f"pairing:{pairing.pk}"],
        kinds=messages.CHECKIN_REMINDERS,
        reason=_("a check-in was logged"),
    )
    return checkin


@transaction.atomic
def reflection_add(
    *, checkin: CheckIn, person: Person, reflection: ReflectionInput, goal_updates: list[GoalProgress] = ()
) -> Reflection:
    """The partner adds their side to a logged check-in."""
    side = _side(checkin.pairing, person)
    result = _reflect(checkin, side, person, reflection)
    _update_goals(checkin.pairing, side, checkin, list(goal_updates))
    _refresh_rhythm(checkin.pairing)
    return result


@transaction.atomic
def reflection_update(
    *, reflection: Reflection, person: Person, data: ReflectionInput, version: datetime | None = None
) -> Reflection:
    """The author edits their own reflection; nobody else can."""
    reflection = Reflection.objects.select_for_update().get(pk=reflection.pk)
    if reflection.author_id != person.pk:
        raise ValidationError(_("Only its author can change a reflection."))
    check_version(reflection, version, what=_("reflection"))
    reflection.learned, reflection.change_next_time = data.learned.strip(), data.change_next_time.strip()
    reflection.rating, reflection.private_notes = data.rating, data.private_notes.strip()
    reflection.fit = data.fit or reflection.fit
    reflection.full_clean()
    reflection.save()
    _refresh_rhythm(reflection.checkin.pairing)
    return reflection


@transaction.atomic
def checkin_update_shared_notes(
    *, checkin: CheckIn, person: Person, shared_notes: str, version: datetime | None = None
) -> CheckIn:
    """Either side edits the pair's shared notes; a stale form is refused, so nobody overwrites the other."""
    checkin = CheckIn.objects.select_for_update().select_related("pairing").get(pk=checkin.pk)
    _side(checkin.pairing, person, active=False)
    check_version(checkin, version, what=_("check-in"))
    checkin.shared_notes = shared_notes.strip()
    checkin.save(update_fields=["shared_notes", "updated_at"])
    return checkin


@transaction.atomic
def goal_review(*, pairing: Pairing, person: Person, updates: list[GoalProgress]) -> None:
    """A goal review outside a check-in: where each goal stands, from one side."""
    side = _side(pairing, person)
    _update_goals(pairing, side, None, updates)


# --- "You said, we did" and concerns -------------------------------------------------------------------


def _senior(pairing: Pairing, person: Person) -> None:
    if _side(pairing, person, active=False) != Side.MENTEE:
        raise ValidationError(_("The senior of the pair records what they changed."))


def _theme_of_program(pairing: Pairing, theme: Theme | None) -> None:
    if theme is not None and theme.program_id != pairing.program_id:
        raise ValidationError({"theme": _("Choose a theme of this program.")})


@transaction.atomic
def action_record(
    *,
    pairing: Pairing,
    person: Person,
    kind: str,
    title: str,
    description: str = "",
    measured_effect: str = "",
    shareable: bool = False,
    theme: Theme | None = None,
    effect: str = Action.Effect.TOO_EARLY,
) -> Action:
    """The senior records what they changed because of the mentoring, and whether it helped; the mentor
    sees it. Leaders see it counted by theme and effect, and its line only when the senior shares it."""
    _senior(pairing, person)
    _theme_of_program(pairing, theme)
    action = Action(
        pairing=pairing,
        kind=kind,
        theme=theme,
        title=title.strip(),
        description=description.strip(),
        effect=effect,
        measured_effect=measured_effect.strip(),
        shareable=shareable,
    )
    action.full_clean(exclude=["pairing"])
    action.save()
    return action


@transaction.atomic
def action_update(
    *,
    action: Action,
    person: Person,
    data: dict,
    version: datetime | None = None,
) -> Action:
    """The senior comes back to a change: whether it helped, its measured effect, whether to share it."""
    action = Action.objects.select_for_update().select_related("pairing").get(pk=action.pk)
    _senior(action.pairing, person)
    check_version(action, version, what=_("change"))
    _theme_of_program(action.pairing, data.get("theme", action.theme))
    for field, value in data.items():
        setattr(action, field, value.strip() if isinstance(value, str) and field != "effect" else value)
    action.full_clean(exclude=["pairing"])
    action.save()
    return action


@transaction.atomic
def concern_raise(*, pairing: Pairing, person: Person, kind: str, text: str) -> Concern:
    """Raise a concern to HR in confidence; the partner is never told."""
    side = _side(pairing, person, active=False)
    if not text.strip():
        raise ValidationError({"text": _("Tell HR what happened, in your own words.")})
    concern = Concern(pairing=pairing, raised_by=person, raised_by_side=side, kind=kind, text=text.strip())
    concern.full_clean(exclude=["pairing", "raised_by"])
    concern.save()
    # HR hears at once, not at the weekly digest; the partner is never told.
    notify(*messages.concern_raised(concern), at_once=True)
    return concern


@transaction.atomic
def concern_update(
    *, concern: Concern, user: User, status: str, hr_notes: str, version: datetime | None = None
) -> Concern:
    """HR moves a concern along and keeps notes. Only HR admins handle concerns."""
    if not user.is_hr_admin:
        raise ValidationError(_("Only HR handles concerns."))
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    check_version(concern, version, what=_("concern"))
    concern.status, concern.hr_notes, concern.handled_by = status, hr_notes.strip(), user
    concern.full_clean()
    concern.save()
    audit.record(AuditEvent.Action.CONCERN_HANDLED, actor=user, target=f"concern:{concern.pk}", status=status)
    return concern
