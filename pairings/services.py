"""Matching runs, HR review, publishing, acceptance, agreements, goals, ending and conflict checks."""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from common.services import check_version
from profiles.models import Person, User
from programs.models import Enrollment, Program

from . import matching, selectors
from .models import (
    Agreement,
    Goal,
    MatchingSettings,
    MatchRun,
    MentorRequest,
    Pairing,
    PairRule,
    Proposal,
    Side,
    Unmatched,
    cadence_expression,
    late_from_expression,
    next_due_expression,
)

RunStatus = MatchRun.Status

WEIGHT_FIELDS = [
    "weight_topics",
    "weight_format",
    "weight_time_zone",
    "weight_availability",
    "weight_language",
]


def _enqueue(task, *args) -> None:
    transaction.on_commit(lambda: task.delay(*args))


# --- Settings and runs ---------------------------------------------------------------------------------


@transaction.atomic
def matching_settings_update(*, program: Program, data: dict) -> MatchingSettings:
    """Save weights and options. Allowed until the program runs (rules are fixed once pairs meet)."""
    if program.state in {Program.State.RUNNING, Program.State.CLOSED}:
        raise ValidationError(_("Matching settings are fixed once the program runs."))
    settings = selectors.matching_settings_for(program=program)
    for field, value in data.items():
        setattr(settings, field, value)
    settings.full_clean()
    settings.save()
    return settings


def matching_preview(*, program: Program, weights: matching.Weights) -> dict:
    """What a run with these weights would give, without saving anything: HR sees the effect first."""
    data = selectors.matching_input(program=program) | {"weights": weights}
    result = matching.match(**data, at=timezone.now())
    current = selectors.match_run_latest(program=program)
    current_pairs = set(current.proposals.values_list("mentor_id", "mentee_id")) if current else set()
    new_pairs = {(p.mentor_enrollment_id, p.mentee_enrollment_id) for p in result.pairs}
    return {
        "pairs": len(result.pairs),
        "unmatched": len(result.unmatched),
        "total_score": result.total_score,
        "changed": len(new_pairs - current_pairs) if current else None,
    }


@transaction.atomic
def match_run_start(*, program: Program, actor: User) -> MatchRun:
    """Queue a run for a program in its matching state. A run already queued or running is returned as is."""
    from .tasks import run_matching

    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.state != Program.State.MATCHING:
        raise ValidationError(_("Matching runs while the program is in its matching state."))
    in_flight = program.match_runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
    if in_flight:
        return in_flight
    settings = selectors.matching_settings_for(program=program)
    run = MatchRun.objects.create(
        program=program,
        created_by=actor,
        weights={field: float(getattr(settings, field)) for field in WEIGHT_FIELDS},
    )
    _enqueue(run_matching, run.pk)
    return run


def _set_progress(run_id: int, progress: int) -> None:
    MatchRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(progress=progress)


def match_run_execute(*, run_id: int) -> MatchRun | None:
    """Run the engine for a queued run and store its proposals. Idempotent: only a queued run is claimed
    (a conditional update), so a retried or duplicated task does nothing the second time."""
    claimed = MatchRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=5
    )
    if not claimed:
        return None
    run = MatchRun.objects.select_related("program").get(pk=run_id)
    try:
        data = selectors.matching_input(program=run.program)
        _set_progress(run_id, 30)
        result = matching.match(**data, at=timezone.now())
        _set_progress(run_id, 80)
        with transaction.atomic():
            Proposal.objects.bulk_create(
                Proposal(
                    run=run,
                    mentor_id=p.mentor_enrollment_id,
                    mentee_id=p.mentee_enrollment_id,
                    score=p.score,
                    components=p.components,
                    explanation=p.explanation,
                    pinned=p.pinned,
                )
                for p in result.pairs
            )
            Unmatched.objects.bulk_create(
                Unmatched(run=run, enrollment_id=u.enrollment_id, reason_code=u.reason_code, reason=u.reason)
                for u in result.unmatched
            )
            MatchRun.objects.filter(pk=run_id).update(
                status=RunStatus.DONE,
                progress=100,
                total_score=result.total_score,
                finished_at=timezone.now(),
            )
    except Exception as exc:
        MatchRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise
    run.refresh_from_db()
    return run


# --- Review ---------------------------------------------------------------------------------------------


def _reviewable(run: MatchRun) -> None:
    if run.status != RunStatus.DONE:
        raise ValidationError(_("Only a finished, unpublished run can be changed."))


def _check_pair(program: Program, mentor: Enrollment, mentee: Enrollment) -> tuple[matching.Candidate, ...]:
    data = selectors.matching_input(program=program)
    mentor_c = selectors.candidate_of(mentor, capacity=1)
    mentee_c = selectors.candidate_of(mentee, capacity=1)
    codes = matching.eligibility_reasons(mentor_c, mentee_c, data["rules"], managers=data["managers"])
    reasons = [matching.describe_rule(code, mentor_c, mentee_c, data["rules"]) for code in codes]
    if reasons:
        raise ValidationError(
            _("%(mentor)s and %(mentee)s can't be paired: %(reasons)s.")
            % {
                "mentor": mentor.person.full_name,
                "mentee": mentee.person.full_name,
                "reasons": "; ".join(reasons),
            }
        )
    return mentor_c, mentee_c, data["weights"]


def _unmatch(run: MatchRun, proposal: Proposal, reason: str) -> None:
    Unmatched.objects.bulk_create(
        Unmatched(run=run, enrollment=enrollment, reason_code="removed_by_hr", reason=reason)
        for enrollment in (proposal.mentor, proposal.mentee)
    )
    proposal.delete()


@transaction.atomic
def proposal_remove(*, proposal: Proposal) -> None:
    """Take a proposal out of the run; both people go to the unmatched list, saying HR removed it."""
    _reviewable(proposal.run)
    _unmatch(proposal.run, proposal, _("HR removed this proposal during review."))


@transaction.atomic
def proposal_forbid(*, proposal: Proposal, actor: User) -> None:
    """Never propose this pair again in this program, and take it out of the run."""
    _reviewable(proposal.run)
    PairRule.objects.update_or_create(
        program=proposal.run.program,
        mentor=proposal.mentor,
        mentee=proposal.mentee,
        defaults={"kind": PairRule.Kind.FORBIDDEN, "created_by": actor},
    )
    _unmatch(proposal.run, proposal, _("HR forbade this pair; the next run leaves it out."))


@transaction.atomic
def proposal_pin(*, proposal: Proposal, actor: User, pinned: bool = True) -> Proposal:
    """Keep (or stop keeping) this pair in every later run of the program."""
    _reviewable(proposal.run)
    if pinned:
        PairRule.objects.update_or_create(
            program=proposal.run.program,
            mentor=proposal.mentor,
            mentee=proposal.mentee,
            defaults={"kind": PairRule.Kind.PINNED, "created_by": actor},
        )
    else:
        PairRule.objects.filter(
            program=proposal.run.program,
            mentor=proposal.mentor,
            mentee=proposal.mentee,
            kind=PairRule.Kind.PINNED,
        ).delete()
    proposal.pinned = pinned
    proposal.save(update_fields=["pinned"])
    return proposal


def _proposal_values(mentor_c, mentee_c, weights) -> dict:
    score, components = matching.score_pair(mentor_c, mentee_c, weights, at=timezone.now())
    return {
        "score": score,
        "components": components,
        "explanation": matching.explain(mentor_c, mentee_c, at=timezone.now()),
    }


@transaction.atomic
def proposal_swap(*, first: Proposal, second: Proposal) -> tuple[Proposal, Proposal]:
    """Give each of two mentors the other's mentee, if both new pairs keep every hard rule."""
    run = first.run
    _reviewable(run)
    if second.run_id != run.pk or first.pk == second.pk:
        raise ValidationError(_("Choose two different proposals of the same run."))
    a = _check_pair(run.program, first.mentor, second.mentee)
    b = _check_pair(run.program, second.mentor, first.mentee)
    first_mentee, second_mentee = first.mentee, second.mentee
    Proposal.objects.filter(pk__in=[first.pk, second.pk]).delete()
    new_first = Proposal.objects.create(
        run=run, mentor=first.mentor, mentee=second_mentee, **_proposal_values(*a)
    )
    new_second = Proposal.objects.create(
        run=run, mentor=second.mentor, mentee=first_mentee, **_proposal_values(*b)
    )
    return new_first, new_second


@transaction.atomic
def proposal_add(*, run: MatchRun, mentor: Enrollment, mentee: Enrollment) -> Proposal:
    """HR pairs two unmatched people by hand; the hard rules still hold."""
    _reviewable(run)
    busy = run.proposals.filter(mentor=mentor).count() >= run.program.mentor_capacity or (
        run.proposals.filter(mentee=mentee).count() >= run.program.mentee_capacity
    )
    if busy:
        raise ValidationError(_("One of them has no place left in this run."))
    values = _proposal_values(*_check_pair(run.program, mentor, mentee))
    proposal = Proposal.objects.create(run=run, mentor=mentor, mentee=mentee, **values)
    run.unmatched.filter(enrollment__in=[mentor, mentee]).delete()
    return proposal


@transaction.atomic
def match_run_publish(*, run: MatchRun, actor: User) -> list[Pairing]:
    """Turn a reviewed run's proposals into pairings awaiting both people's acceptance, and introduce them.

    Guarantees: done once (a published run can't publish again); other runs of the program are superseded.
    """
    from .tasks import send_pairing_introductions

    run = MatchRun.objects.select_for_update().select_related("program").get(pk=run.pk)
    _reviewable(run)
    if run.program.state != Program.State.MATCHING:
        raise ValidationError(_("Publish while the program is in its matching state."))
    proposals = list(run.proposals.select_related("mentor__person", "mentee__person"))
    taken = selectors.live_pairing_counts(program=run.program)
    live = set(
        Pairing.objects.filter(program=run.program, status__in=Pairing.LIVE).values_list(
            "mentor_id", "mentee_id"
        )
    )
    for proposal in proposals:
        taken[proposal.mentor_id] = taken.get(proposal.mentor_id, 0) + 1
        taken[proposal.mentee_id] = taken.get(proposal.mentee_id, 0) + 1
        over = taken[proposal.mentor_id] > run.program.mentor_capacity or (
            taken[proposal.mentee_id] > run.program.mentee_capacity
        )
        if over or (proposal.mentor_id, proposal.mentee_id) in live:
            raise ValidationError(
                _(
                    "Pairs changed since this run: %(mentor)s or %(mentee)s has been paired meanwhile. "
                    "Run matching again to publish."
                )
                % {"mentor": proposal.mentor.person.full_name, "mentee": proposal.mentee.person.full_name}
            )
    pairings = [
        Pairing.objects.create(
            program=run.program,
            mentor=proposal.mentor,
            mentee=proposal.mentee,
            score=proposal.score,
            explanation=proposal.explanation,
            run=run,
        )
        for proposal in proposals
    ]
    run.status = RunStatus.PUBLISHED
    run.published_at = timezone.now()
    run.save(update_fields=["status", "published_at"])
    run.program.match_runs.exclude(pk=run.pk).filter(status=RunStatus.DONE).update(
        status=RunStatus.SUPERSEDED
    )
    _enqueue(send_pairing_introductions, [p.pk for p in pairings])
    return pairings


# --- The pair's side --------------------------------------------------------------------------------------


def _side(pairing: Pairing, person: Person) -> str:
    side = selectors.side_of(pairing, person)
    if side is None:
        raise ValidationError(_("This is not your pairing."))
    return side


@transaction.atomic
def pairing_accept(*, pairing: Pairing, person: Person) -> Pairing:
    """One side says yes. When both have, the pairing is active and its agreement is ready to fill."""
    pairing = Pairing.objects.select_for_update().select_related("mentor", "mentee").get(pk=pairing.pk)
    side = _side(pairing, person)
    if pairing.status != Pairing.Status.AWAITING:
        raise ValidationError(_("This pairing is not waiting for an answer."))
    field = f"{side}_accepted_at"
    if getattr(pairing, field) is None:
        setattr(pairing, field, timezone.now())
    if pairing.mentor_accepted_at and pairing.mentee_accepted_at:
        _activate(pairing)
    pairing.save()
    if pairing.status == Pairing.Status.ACTIVE:
        pairing_set_rhythm(pairing=pairing, last_checkin_on=None, rating_trend=0)
    return pairing


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


@transaction.atomic
def pairing_decline(*, pairing: Pairing, person: Person, reason: str) -> Pairing:
    """One side says no. They go back to the pool; the reason is for HR only, never the partner."""
    pairing = Pairing.objects.select_for_update().get(pk=pairing.pk)
    side = _side(pairing, person)
    if pairing.status != Pairing.Status.AWAITING:
        raise ValidationError(_("This pairing is not waiting for an answer."))
    pairing.status = Pairing.Status.DECLINED
    pairing.declined_side = side
    pairing.closing_reason = reason.strip()
    pairing.ended_at = timezone.now()
    pairing.save()
    return pairing


@transaction.atomic
def pairing_end(*, pairing: Pairing, user: User, reason: str) -> Pairing:
    """Either side or HR ends a pairing, without blame. The reason stays with HR."""
    pairing = (
        Pairing.objects.select_for_update()
        .select_related("mentor__person", "mentee__person")
        .get(pk=pairing.pk)
    )
    person = Person.objects.filter(user=user).first()
    if not user.is_hr_admin and (person is None or selectors.side_of(pairing, person) is None):
        raise ValidationError(_("This is not your pairing."))
    if not pairing.is_live:
        raise ValidationError(_("This pairing has already ended."))
    pairing.status = Pairing.Status.ENDED
    pairing.closing_reason = reason.strip()
    pairing.ended_at = timezone.now()
    pairing.ended_by = user
    pairing.save()
    return pairing


@transaction.atomic
def pairings_complete_closed_programs() -> int:
    """The pairs of a closed program are over: an active pairing is completed, one still waiting for
    answers ends. Run on every tick (and safe to run twice: a conditional update). Returns how many."""
    closed = Pairing.objects.filter(program__state=Program.State.CLOSED)
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
    from .tasks import send_pairing_introductions

    if program.state not in {Program.State.MATCHING, Program.State.RUNNING}:
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
    _enqueue(send_pairing_introductions, [pairing.pk])
    return pairing


# --- Agreement and goals ----------------------------------------------------------------------------------


def _active(pairing: Pairing, person: Person) -> str:
    side = _side(pairing, person)
    if pairing.status != Pairing.Status.ACTIVE:
        raise ValidationError(_("The agreement is filled once both of you have accepted."))
    return side


@transaction.atomic
def agreement_save(
    *, pairing: Pairing, person: Person, data: dict, version: datetime | None = None
) -> Agreement:
    """Either side edits the agreement; any change asks both to confirm again."""
    _active(pairing, person)
    agreement = Agreement.objects.select_for_update().get(pairing=pairing)
    check_version(agreement, version, what=_("agreement"))
    changed = False
    for field, value in data.items():
        if getattr(agreement, field) != value:
            setattr(agreement, field, value)
            changed = True
    if changed:
        agreement.mentor_confirmed_at = agreement.mentee_confirmed_at = None
        agreement.full_clean()
        agreement.save()
        pairing.agreement = agreement
        pairing_set_rhythm(
            pairing=pairing, last_checkin_on=pairing.last_checkin_on, rating_trend=pairing.rating_trend
        )
    return agreement


@transaction.atomic
def agreement_confirm(*, pairing: Pairing, person: Person) -> Agreement:
    """One side confirms. Each side needs a goal of their own first: both learn, both set goals."""
    side = _active(pairing, person)
    agreement = Agreement.objects.select_for_update().get(pairing=pairing)
    open_goals = set(pairing.goals.exclude(status=Goal.Status.DROPPED).values_list("owner_side", flat=True))
    missing = [label for value, label in Side.choices if value not in open_goals]
    if missing:
        raise ValidationError(
            _("Before confirming, add at least one goal for each side (missing: %(sides)s).")
            % {"sides": ", ".join(str(m).lower() for m in missing)}
        )
    setattr(agreement, f"{side}_confirmed_at", timezone.now())
    agreement.save()
    return agreement


@transaction.atomic
def goal_save(
    *,
    pairing: Pairing,
    person: Person,
    goal: Goal | None,
    owner_side: str,
    title: str,
    description: str,
    target_date: date,
    version: datetime | None = None,
) -> Goal:
    """Add or edit a goal of either side. Both sides can write both sides' goals: they agree them together."""
    _active(pairing, person)
    if goal is None:
        goal = Goal(pairing=pairing)
    else:
        goal = Goal.objects.select_for_update().get(pk=goal.pk, pairing=pairing)
        check_version(goal, version, what=_("goal"))
    goal.owner_side, goal.title, goal.description, goal.target_date = (
        owner_side,
        title.strip(),
        description,
        target_date,
    )
    goal.full_clean()
    goal.save()
    return goal


# --- Conflicts after a directory change ------------------------------------------------------------------------


def _in_reporting_line(managers: dict[int, int | None], a: int, b: int) -> bool:
    return a in matching.reporting_line(b, managers) or b in matching.reporting_line(a, managers)


def pairing_conflicts_recheck() -> list[Pairing]:
    """Flag live pairings whose two people now share a reporting line (e.g. after an import changed managers).

    Idempotent: a pairing already flagged stays flagged until HR acts; HR is told once per new flag.
    """
    from .tasks import send_conflict_alerts

    flagged = []
    live = Pairing.objects.filter(
        status__in=Pairing.LIVE, conflict_flagged_at__isnull=True, conflict_kept_at__isnull=True
    ).select_related("mentor__person", "mentee__person")
    managers = selectors.manager_map()  # one query for the whole directory, not one per pair or level
    for pairing in live:
        if _in_reporting_line(managers, pairing.mentor.person_id, pairing.mentee.person_id):
            updated = Pairing.objects.filter(pk=pairing.pk, conflict_flagged_at__isnull=True).update(
                conflict_flagged_at=timezone.now(),
                conflict_reason=_("%(mentor)s and %(mentee)s are now in the same reporting line.")
                % {"mentor": pairing.mentor.person.full_name, "mentee": pairing.mentee.person.full_name},
            )
            if updated:
                flagged.append(pairing)
    if flagged:
        send_conflict_alerts.delay([p.pk for p in flagged])
    return flagged


@transaction.atomic
def pairing_conflict_keep(*, pairing: Pairing) -> Pairing:
    """HR has looked at a flagged pairing and keeps it: the flag clears (the choice is HR's to make)."""
    Pairing.objects.filter(pk=pairing.pk).update(conflict_flagged_at=None, conflict_kept_at=timezone.now())
    pairing.refresh_from_db()
    return pairing


# --- Mentee-choice mode -------------------------------------------------------------------------------------


def mentor_suggestions(*, mentee: Enrollment, limit: int = 5) -> list[dict]:
    """The mentee's best-suited eligible mentors with places left, best first, each with its explanation."""
    data = selectors.matching_input(program=mentee.program)
    mentee_c = next((c for c in data["mentees"] if c.enrollment_id == mentee.pk), None)
    if mentee_c is None:
        return []
    now = timezone.now()
    pending = set(
        MentorRequest.objects.filter(program=mentee.program, status=MentorRequest.Status.PENDING).values_list(
            "mentor_id", flat=True
        )
    )
    suggestions = []
    for mentor_c in data["mentors"]:
        if mentor_c.enrollment_id in pending:
            continue
        if matching.eligibility_reasons(mentor_c, mentee_c, data["rules"], managers=data["managers"]):
            continue
        score, _components = matching.score_pair(mentor_c, mentee_c, data["weights"], at=now)
        suggestions.append(
            {
                "mentor_id": mentor_c.enrollment_id,
                "name": mentor_c.name,
                "score": score,
                "explanation": matching.explain(mentor_c, mentee_c, at=now),
            }
        )
    suggestions.sort(key=lambda s: (-s["score"], s["mentor_id"]))
    return suggestions[:limit]


@transaction.atomic
def mentor_request_create(*, mentee: Enrollment, mentor: Enrollment) -> MentorRequest:
    """A mentee asks one of their suggested mentors. One open request at a time; it expires if unanswered."""
    program = mentee.program
    settings = selectors.matching_settings_for(program=program)
    if settings.mode != MatchingSettings.Mode.MENTEE_CHOICE or program.state != Program.State.MATCHING:
        raise ValidationError(_("Mentees choose only in a program that lets them, while it is matching."))
    if MentorRequest.objects.filter(mentee=mentee, status=MentorRequest.Status.PENDING).exists():
        raise ValidationError(_("You already have a request waiting for an answer."))
    suggestion = next((s for s in mentor_suggestions(mentee=mentee) if s["mentor_id"] == mentor.pk), None)
    if suggestion is None:
        raise ValidationError(_("This mentor is not among your suggestions any more. Please choose again."))
    return MentorRequest.objects.create(
        program=program,
        mentee=mentee,
        mentor=mentor,
        explanation=suggestion["explanation"],
        expires_at=timezone.now() + timedelta(days=settings.request_expiry_days),
    )


@transaction.atomic
def mentor_request_answer(*, request: MentorRequest, person: Person, accept: bool) -> MentorRequest:
    """The mentor answers. Accepting makes an active pairing: both chose each other."""
    request = (
        MentorRequest.objects.select_for_update()
        .select_related("mentor", "mentee", "program")
        .get(pk=request.pk)
    )
    if request.mentor.person_id != person.pk:
        raise ValidationError(_("This request is not for you."))
    if request.status != MentorRequest.Status.PENDING or request.expires_at <= timezone.now():
        raise ValidationError(_("This request is no longer open."))
    request.status = MentorRequest.Status.ACCEPTED if accept else MentorRequest.Status.DECLINED
    request.decided_at = timezone.now()
    request.save()
    if accept:
        now = timezone.now()
        pairing = Pairing.objects.create(
            program=request.program,
            mentor=request.mentor,
            mentee=request.mentee,
            explanation=request.explanation,
            mentor_accepted_at=now,
            mentee_accepted_at=now,
        )
        _activate(pairing)
        pairing.save()
        pairing_set_rhythm(pairing=pairing, last_checkin_on=None, rating_trend=0)
    return request


def mentor_requests_expire() -> int:
    """Close requests nobody answered in time (run on every tick; a conditional update, so idempotent)."""
    return MentorRequest.objects.filter(
        status=MentorRequest.Status.PENDING, expires_at__lte=timezone.now()
    ).update(status=MentorRequest.Status.EXPIRED)
