"""A pairing's life: each side's answer, its rhythm, its stored risk, ending it, and the conflict checks after a
directory change."""

from collections.abc import Callable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import DateField, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from common.db import among_ids
from profiles import audit
from profiles.models import AuditEvent, Notification, Person, User
from profiles.outbox import notify, withdraw
from programs.models import Enrollment, Program

from .. import matching, messages, selectors
from ..models import (
    Agreement,
    Pairing,
    cadence_expression,
    late_from_expression,
    next_due_expression,
    risk_marked_by_database,
)
from .runs import _check_pair, _proposal_values

Kind = Notification.Kind


# --- The pair's side --------------------------------------------------------------------------------------


def participant_side(
    *, pairing: Pairing, person: Person, require_active: bool = False, not_active: str = ""
) -> str:
    """The person's side in the pairing, for a write of theirs: someone else's pairing is refused, and so
    is one that is not active when the write needs it to be (with `not_active` as the reason, if given)."""
    side = selectors.side_of(pairing, person)
    if side is None:
        raise ValidationError(_("This is not your pairing."))
    if require_active and not pairing.is_active:
        raise ValidationError(not_active or _("This pairing is not active."))
    return side


def _side(pairing: Pairing, person: Person) -> str:
    return participant_side(pairing=pairing, person=person)


@transaction.atomic
def pairing_accept(*, pairing: Pairing, person: Person) -> Pairing:
    """One side says yes. When both have, the pairing is active and its agreement is ready to fill."""
    pairing = _locked(pairing)
    side = _side(pairing, person)
    if not pairing.is_awaiting:
        raise ValidationError(_("This pairing is not waiting for an answer."))
    if pairing.has_accepted(side):
        return pairing  # said twice (a double click, a second tab): nothing new to tell anyone
    setattr(pairing, f"{side}_accepted_at", timezone.now())
    if pairing.mentor_accepted_at and pairing.mentee_accepted_at:
        _activate(pairing)
    pairing.save()
    if pairing.is_active:
        pairing_set_rhythm(pairing=pairing, last_checkin_on=None, rating_trend=0)
    withdraw(
        subjects=[messages.subject(pairing)],
        kinds=[Kind.ACCEPTANCE_PENDING],
        recipient=person,
        reason=_("answered"),
    )
    notify(*messages.accepted(pairing, side))
    return pairing


def _locked(pairing: Pairing) -> Pairing:
    """The pairing locked for this change, with the people its messages name."""
    return (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("program", "mentor__person", "mentee__person")
        .get(pk=pairing.pk)
    )


def _over(pairing_ids: list[int]) -> None:
    """A pairing is over: reminders about it that have not gone yet are taken back."""
    withdraw(
        subjects=[f"pairing:{pk}" for pk in pairing_ids],
        kinds=messages.PAIRING_REMINDERS,
        reason=_("the pairing ended"),
    )


def _activate(pairing: Pairing) -> None:
    """Both said yes: the pairing is active (saved by the caller), its agreement ready to fill."""
    pairing.status = Pairing.Status.ACTIVE
    pairing.activated_at = timezone.now()
    Agreement.objects.get_or_create(pairing=pairing, defaults={"cadence_days": pairing.program.cadence_days})


def pairing_set_rhythm(*, pairing: Pairing, last_checkin_on: date | None, rating_trend: int) -> Pairing:
    """Record the pair's rhythm, as the check-in services computed it: last check-in, next due, trend.

    Next due and late-from come from the one definition of each (models.next_due_expression and
    models.late_from_expression), in the same statement, from the last check-in or the day it began.
    """
    base = last_checkin_on or (pairing.activated_at.date() if pairing.activated_at else timezone.localdate())
    cadence = cadence_expression()
    rows = Pairing.objects.filter(pk=pairing.pk)
    # The cadence reads the agreement and the program: an UPDATE cannot join, so the new values are
    # read as a subquery of the same row.
    rhythm = rows.annotate(
        due=next_due_expression(Value(base, output_field=DateField()), cadence),
        late=late_from_expression(
            next_due_expression(Value(base, output_field=DateField()), cadence), cadence
        ),
    )
    rows.update(
        last_checkin_on=last_checkin_on,
        next_checkin_due=Subquery(rhythm.values("due")[:1]),
        late_from=Subquery(rhythm.values("late")[:1]),
        rating_trend=rating_trend,
    )
    pairing.refresh_from_db()
    return pairing


def pairings_risk_store(
    *, now: datetime, worked_out: Callable[[QuerySet[Pairing]], QuerySet[Pairing]]
) -> int:
    """Store pair health's order (Pairing.risk, risk_changes_at) on the active pairings the database marked
    (NULL: an input of a flag changed) or whose dated flag is due (risk_changes_at <= now), as `worked_out`
    says: checkins' one definition of "at risk", annotating `risk_now` and `changes_at` on a queryset of
    pairings. Returns how many rows it stored; cheap when nothing changed (one index scan finds no row).

    The rows are taken FOR UPDATE SKIP LOCKED: a row a writer is marking right now is left for the next
    refresh (it stays marked), and the figures are read in a later statement than the lock, so they see
    every change committed before it (see checkins migration 0011). Only this service stores a figure:
    it says so to the pairing's trigger (migration 0004) for its own transaction."""
    active = Pairing.objects.filter(status=Pairing.Status.ACTIVE).order_by()

    def figures():  # built only when there is something to store: building it costs some milliseconds
        live = worked_out(Pairing.objects.filter(pk=OuterRef("pk"))).order_by()
        return {
            "risk": Subquery(live.values("risk_now")[:1]),
            "risk_changes_at": Subquery(live.values("changes_at")[:1]),
        }

    if not risk_marked_by_database():
        return active.update(**figures())
    with transaction.atomic():
        due = list(
            active.filter(Q(risk__isnull=True) | Q(risk_changes_at__lte=now))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not due:
            return 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('twoway.risk_refresh', 'on', true)")
        try:
            return Pairing.objects.filter(among_ids(Pairing, "id", due)).update(**figures())
        finally:  # for the rest of an outer transaction, if there is one
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('twoway.risk_refresh', 'off', true)")


@transaction.atomic
def pairing_decline(*, pairing: Pairing, person: Person, reason: str) -> Pairing:
    """One side says no. They go back to the pool; the reason is for HR only, never the partner."""
    pairing = _locked(pairing)
    side = _side(pairing, person)
    if not pairing.is_awaiting:
        raise ValidationError(_("This pairing is not waiting for an answer."))
    pairing.status = Pairing.Status.DECLINED
    pairing.declined_side = side
    pairing.closing_reason = reason.strip()
    pairing.ended_at = timezone.now()
    pairing.save()
    _over([pairing.pk])
    notify(*messages.ended(pairing, by_side=side, declined=True))
    return pairing


@transaction.atomic
def pairing_end(*, pairing: Pairing, user: User, reason: str) -> Pairing:
    """Either side or HR ends a pairing, without blame. The reason stays with HR."""
    pairing = _locked(pairing)
    person = Person.objects.filter(user=user).first()
    side = selectors.side_of(pairing, person) if person else None
    if not user.is_hr_admin and side is None:
        raise ValidationError(_("This is not your pairing."))
    if not pairing.is_live:
        raise ValidationError(_("This pairing has already ended."))
    pairing.status = Pairing.Status.ENDED
    pairing.closing_reason = reason.strip()
    pairing.ended_at = timezone.now()
    pairing.ended_by = user
    pairing.save()
    _over([pairing.pk])
    # The partner hears it (both of them, when HR ended it); the reason stays with HR.
    notify(*messages.ended(pairing, by_side=side))
    audit.record(
        AuditEvent.Action.PAIRING_ENDED, actor=user, target=f"pairing:{pairing.pk}", by_side=side or "hr"
    )
    return pairing


@transaction.atomic
def pairings_complete_closed_programs() -> int:
    """The pairs of a closed program are over: an active pairing is completed, one still waiting for
    answers ends. Run on every tick (and safe to run twice: a conditional update). Returns how many."""
    closed = Pairing.objects.filter(program__state=Program.State.CLOSED)
    _over(list(closed.filter(status__in=Pairing.LIVE).values_list("pk", flat=True)))
    now = timezone.now()
    completed = closed.filter(status=Pairing.Status.ACTIVE).update(
        status=Pairing.Status.COMPLETED, ended_at=now
    )
    ended = closed.filter(status=Pairing.Status.AWAITING).update(
        status=Pairing.Status.ENDED,
        ended_at=now,
        closing_reason=_("The program closed before both had answered."),
    )
    return completed + ended


@transaction.atomic
def pairing_create_manual(
    *, program: Program, mentor: Enrollment, mentee: Enrollment, actor: User
) -> Pairing:
    """HR re-matches by hand (e.g. after a pairing ended): hard rules and capacity still hold."""
    if not program.allows_pairing:
        raise ValidationError(_("Pairs are made while the program is matching or running."))
    if mentor.program_id != program.pk or mentee.program_id != program.pk:
        raise ValidationError(_("Both people must be enrolled in this program."))
    taken = selectors.live_pairing_counts(program=program)
    if any(selectors.places_left(program=program, enrollment=e, taken=taken) <= 0 for e in (mentor, mentee)):
        raise ValidationError(_("One of them has no place left in this program."))
    mentor_c, mentee_c, weights = _check_pair(program, mentor, mentee)
    values = _proposal_values(mentor_c, mentee_c, weights)
    pairing = Pairing.objects.create(
        program=program,
        mentor=mentor,
        mentee=mentee,
        score=values["score"],
        explanation=values["explanation"],
    )
    notify(*messages.introductions(pairing))
    return pairing


# --- Conflicts after a directory change ------------------------------------------------------------------------


def _in_reporting_line(managers: dict[int, int | None], a: int, b: int) -> bool:
    return a in matching.reporting_line(b, managers) or b in matching.reporting_line(a, managers)


def pairing_conflicts_recheck() -> list[Pairing]:
    """Flag live pairings whose two people now share a reporting line (e.g. after an import changed managers).

    Idempotent: a pairing already flagged stays flagged until HR acts; HR is told once per new flag.
    """
    flagged = []
    live = Pairing.objects.filter(
        status__in=Pairing.LIVE, conflict_flagged_at__isnull=True, conflict_kept_at__isnull=True
    ).select_related("program", "mentor__person", "mentee__person")
    managers = selectors.manager_map()  # one query for the whole directory, not one per pair or level
    for pairing in live:
        if _in_reporting_line(managers, pairing.mentor.person_id, pairing.mentee.person_id):
            with transaction.atomic():
                updated = Pairing.objects.filter(pk=pairing.pk, conflict_flagged_at__isnull=True).update(
                    conflict_flagged_at=timezone.now(),
                    conflict_reason=_("%(mentor)s and %(mentee)s are now in the same reporting line.")
                    % {"mentor": pairing.mentor.person.full_name, "mentee": pairing.mentee.person.full_name},
                )
                if updated:
                    # HR hears at once, once per new flag: the conditional update above sets it once.
                    pairing.refresh_from_db(fields=["conflict_flagged_at", "conflict_reason"])
                    notify(*messages.conflicts_flagged([pairing]), at_once=True)
                    flagged.append(pairing)
    return flagged


@transaction.atomic
def pairing_conflict_keep(*, pairing: Pairing) -> Pairing:
    """HR has looked at a flagged pairing and keeps it: the flag clears (the choice is HR's to make)."""
    Pairing.objects.filter(pk=pairing.pk).update(conflict_flagged_at=None, conflict_kept_at=timezone.now())
    pairing.refresh_from_db()
    return pairing
