"""Matching runs: settings, the engine's run, HR's review of its proposals, and publishing them."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles import audit
from profiles.models import AuditEvent, User
from profiles.outbox import notify
from programs.models import Enrollment, Program

from .. import matching, messages, selectors
from ..models import (
    MatchingSettings,
    MatchRun,
    Pairing,
    PairRule,
    Proposal,
    Unmatched,
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
    settings, _created = MatchingSettings.objects.select_for_update().get_or_create(program=program)
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
    from ..tasks import run_matching  # noqa: PLC0415 - tasks import the services

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
    audit.record(AuditEvent.Action.MATCH_RUN_STARTED, actor=actor, target=f"run:{run.pk}", program=program.pk)
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
    if not run.is_reviewable:
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
    pairings = Pairing.objects.bulk_create(
        Pairing(
            program=run.program,
            mentor=proposal.mentor,
            mentee=proposal.mentee,
            score=proposal.score,
            explanation=proposal.explanation,
            run=run,
        )
        for proposal in proposals
    )
    run.status = RunStatus.PUBLISHED
    run.published_at = timezone.now()
    run.save(update_fields=["status", "published_at"])
    run.program.match_runs.exclude(pk=run.pk).filter(status=RunStatus.DONE).update(
        status=RunStatus.SUPERSEDED
    )
    # Each of them meets their partner: two outbox rows per pairing, planned with the pairings themselves.
    notify(*(message for pairing in pairings for message in messages.introductions(pairing)))
    audit.record(
        AuditEvent.Action.MATCH_RUN_PUBLISHED,
        actor=actor,
        target=f"run:{run.pk}",
        program=run.program_id,
        pairings=len(pairings),
    )
    return pairings
