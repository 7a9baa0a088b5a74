from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from pairings import services
from pairings.models import Agreement, MatchRun, Pairing, PairRule, Proposal
from profiles.services import directory_import
from tests.delivery import deliver
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _run(program, hr):
    run = services.match_run_start(program=program, actor=hr)
    return services.match_run_execute(run_id=run.pk)


def test_a_run_proposes_the_best_pairs_and_explains_them(matching_program, hr_admin):
    run = _run(matching_program, hr_admin)
    assert run.status == MatchRun.Status.DONE and run.progress == 100
    proposals = list(run.proposals.select_related("mentor__person", "mentee__person"))
    assert len(proposals) == 2
    for proposal in proposals:
        assert proposal.mentee.person.level - proposal.mentor.person.level >= matching_program.min_level_gap
        assert proposal.explanation
    assert run.total_score == pytest.approx(sum(p.score for p in proposals))


def test_executing_a_run_twice_does_nothing_the_second_time(matching_program, hr_admin):
    run = services.match_run_start(program=matching_program, actor=hr_admin)
    assert services.match_run_start(program=matching_program, actor=hr_admin) == run  # one in flight
    services.match_run_execute(run_id=run.pk)
    assert services.match_run_execute(run_id=run.pk) is None
    assert Proposal.objects.filter(run=run).count() == 2


def test_matching_runs_only_in_the_matching_state(matching_program, hr_admin):
    from programs import services as program_services

    program_services.program_transition(program=matching_program, to_state="enrolling")
    with pytest.raises(ValidationError, match="matching state"):
        services.match_run_start(program=matching_program, actor=hr_admin)


def test_forbid_removes_the_pair_and_later_runs_keep_it_out(matching_program, hr_admin):
    run = _run(matching_program, hr_admin)
    proposal = run.proposals.first()
    pair = (proposal.mentor_id, proposal.mentee_id)
    services.proposal_forbid(proposal=proposal, actor=hr_admin)
    assert run.unmatched.count() == 2
    assert PairRule.objects.filter(kind="forbidden").count() == 1
    later = _run(matching_program, hr_admin)
    assert pair not in set(later.proposals.values_list("mentor_id", "mentee_id"))


def test_pin_keeps_a_pair_in_later_runs(matching_program, hr_admin):
    run = _run(matching_program, hr_admin)
    proposal = run.proposals.order_by("score").first()  # pin the weaker one
    services.proposal_pin(proposal=proposal, actor=hr_admin)
    later = _run(matching_program, hr_admin)
    kept = later.proposals.get(mentor=proposal.mentor)
    assert kept.mentee_id == proposal.mentee_id and kept.pinned


def test_swap_keeps_hard_rules_and_recomputes(matching_program, hr_admin):
    run = _run(matching_program, hr_admin)
    first, second = run.proposals.all()
    new_first, new_second = services.proposal_swap(first=first, second=second)
    assert new_first.mentee_id == second.mentee_id and new_second.mentee_id == first.mentee_id
    assert new_first.explanation and new_first.score > 0


def test_swap_that_breaks_a_rule_is_refused(matching_program, hr_admin, mentor):
    run = _run(matching_program, hr_admin)
    first, second = run.proposals.all()
    # Put the second mentee under the first mentor: now they share a reporting line.
    second.mentee.person.manager = first.mentor.person
    second.mentee.person.save()
    with pytest.raises(ValidationError, match="reporting line"):
        services.proposal_swap(first=first, second=second)
    assert run.proposals.count() == 2  # nothing half-done


def test_publish_creates_awaiting_pairings_introduces_both_and_supersedes(
    matching_program, hr_admin, django_capture_on_commit_callbacks, celery_eager
):
    old = _run(matching_program, hr_admin)
    run = _run(matching_program, hr_admin)
    with django_capture_on_commit_callbacks(execute=True):
        pairings = services.match_run_publish(run=run, actor=hr_admin)
    assert {p.status for p in pairings} == {Pairing.Status.AWAITING}
    deliver()
    assert len(mail.outbox) == 4  # each person of each pair
    assert "Meet your reverse-mentoring partner" in mail.outbox[0].subject
    assert mail.outbox[0].alternatives  # an HTML part too
    old.refresh_from_db()
    assert old.status == MatchRun.Status.SUPERSEDED
    with pytest.raises(ValidationError):
        services.match_run_publish(run=run, actor=hr_admin)


def test_both_must_accept_before_the_pairing_is_active(published_pairing, mentor, mentee):
    pairing = services.pairing_accept(pairing=published_pairing, person=mentor.person)
    assert pairing.status == Pairing.Status.AWAITING
    pairing = services.pairing_accept(pairing=pairing, person=mentee.person)
    assert pairing.status == Pairing.Status.ACTIVE
    assert Agreement.objects.filter(pairing=pairing).exists()


def test_outsiders_cannot_answer_for_a_pair(published_pairing, other_participant):
    with pytest.raises(ValidationError, match="not your pairing"):
        services.pairing_accept(pairing=published_pairing, person=other_participant.person)


def test_a_decline_returns_the_person_to_the_pool_with_a_private_reason(
    published_pairing, mentee, matching_program, hr_admin
):
    pairing = services.pairing_decline(
        pairing=published_pairing, person=mentee.person, reason="Clash with a reorg."
    )
    assert pairing.status == Pairing.Status.DECLINED and pairing.declined_side == "mentee"
    with pytest.raises(ValidationError):
        services.pairing_accept(pairing=pairing, person=mentee.person)
    run = _run(matching_program, hr_admin)  # the mentee is back in the pool
    assert run.proposals.filter(mentee__person=mentee.person).exists()


def test_agreement_needs_goals_on_both_sides_and_a_change_asks_both_again(active_pairing, mentor, mentee):
    with pytest.raises(ValidationError, match="at least one goal for each side"):
        services.agreement_confirm(pairing=active_pairing, person=mentor.person)
    target = timezone.localdate() + timedelta(days=90)
    for side in ("mentor", "mentee"):
        services.goal_save(
            pairing=active_pairing,
            person=mentor.person,
            goal=None,
            owner_side=side,
            title=f"{side} goal",
            description="",
            target_date=target,
        )
    services.agreement_confirm(pairing=active_pairing, person=mentor.person)
    agreement = services.agreement_confirm(pairing=active_pairing, person=mentee.person)
    assert agreement.is_confirmed
    agreement = services.agreement_save(
        pairing=active_pairing, person=mentee.person, data={"off_limits": "Pay"}
    )
    assert not agreement.mentor_confirmed_at and not agreement.mentee_confirmed_at


def test_a_stale_agreement_edit_is_refused(active_pairing, mentor, mentee):
    opened = active_pairing.agreement.updated_at
    services.agreement_save(
        pairing=active_pairing, person=mentor.person, data={"off_limits": "Pay"}, version=opened
    )
    with pytest.raises(ValidationError, match="Someone saved this agreement after you opened it"):
        services.agreement_save(
            pairing=active_pairing, person=mentee.person, data={"off_limits": "Health"}, version=opened
        )
    active_pairing.agreement.refresh_from_db()
    assert active_pairing.agreement.off_limits == "Pay"


def test_either_side_or_hr_ends_without_blame(active_pairing, mentor, other_participant, hr_admin):
    with pytest.raises(ValidationError):
        services.pairing_end(pairing=active_pairing, user=other_participant, reason="")
    pairing = services.pairing_end(pairing=active_pairing, user=mentor, reason="We met our goals early.")
    assert pairing.status == Pairing.Status.ENDED and pairing.ended_by == mentor
    with pytest.raises(ValidationError, match="already ended"):
        services.pairing_end(pairing=pairing, user=hr_admin, reason="")


def test_rematch_after_an_end(active_pairing, matching_program, mentor, hr_admin):
    services.pairing_end(pairing=active_pairing, user=hr_admin, reason="")
    second_senior = matching_program.enrollments.get(person__email="senior.two@example.com")
    mentor_e = matching_program.enrollments.get(person=mentor.person)
    pairing = services.pairing_create_manual(
        program=matching_program, mentor=mentor_e, mentee=second_senior, actor=hr_admin
    )
    assert pairing.status == Pairing.Status.AWAITING and pairing.explanation
    with pytest.raises(ValidationError, match="no place left"):
        services.pairing_create_manual(
            program=matching_program, mentor=mentor_e, mentee=second_senior, actor=hr_admin
        )


def test_manual_pair_keeps_the_level_gap(matching_program, hr_admin, mentor, other_participant):
    from programs.models import Enrollment

    junior = Enrollment.objects.get(program=matching_program, person=other_participant.person)
    also_junior = PersonFactory(level=2, department="Legal")
    fake_mentee = Enrollment.objects.create(
        program=matching_program,
        person=also_junior,
        role="mentee",
        status="approved",
        hopes="x",
        preferred_format="video",
        languages="en",
    )
    with pytest.raises(ValidationError, match="can't be paired"):
        services.pairing_create_manual(
            program=matching_program, mentor=junior, mentee=fake_mentee, actor=hr_admin
        )


def test_conflict_recheck_flags_a_pair_put_in_one_line_by_an_import(
    active_pairing, mentor, mentee, celery_eager
):
    # HR imports a directory where the junior now reports to the senior.
    rows = ["email,full_name,job_title,department,level,manager_email"]
    for person in (mentee.person, mentor.person):
        manager = mentee.person.email if person == mentor.person else ""
        rows.append(
            f"{person.email},{person.full_name},{person.job_title},{person.department},{person.level},{manager}"
        )
    result = directory_import(data="\n".join(rows))
    assert not result.errors, result.errors
    flagged = services.pairing_conflicts_recheck()
    assert [p.pk for p in flagged] == [active_pairing.pk]
    assert services.pairing_conflicts_recheck() == []  # flagged once, HR told once
    deliver()
    assert len([m for m in mail.outbox if "reporting line" in m.subject]) == 1
    pairing = services.pairing_conflict_keep(pairing=active_pairing)
    assert pairing.conflict_flagged_at is None
    assert services.pairing_conflicts_recheck() == []  # kept by HR: not flagged again


def test_publish_is_refused_when_pairs_changed_since_the_run(matching_program, hr_admin, mentor, mentee):
    run = _run(matching_program, hr_admin)
    proposal = run.proposals.get(mentor__person=mentor.person)
    services.pairing_create_manual(
        program=matching_program, mentor=proposal.mentor, mentee=proposal.mentee, actor=hr_admin
    )
    with pytest.raises(ValidationError, match="Run matching again"):
        services.match_run_publish(run=run, actor=hr_admin)
    assert Pairing.objects.count() == 1  # nothing half-published
    assert MatchRun.objects.get(pk=run.pk).status == MatchRun.Status.DONE
