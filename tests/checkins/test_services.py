from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from checkins import services
from checkins.models import Cancellation, CheckIn, Concern, GoalUpdate, Meeting, Reflection
from pairings import services as pairing_services
from pairings.models import Goal, Pairing
from tests.checkins.conftest import log_checkin, reflection

pytestmark = pytest.mark.django_db


def _goal(pairing, person, side="mentee"):
    return pairing_services.goal_save(
        pairing=pairing,
        person=person,
        goal=None,
        owner_side=side,
        title=f"{side} goal",
        description="",
        target_date=timezone.localdate() + timedelta(days=60),
    )


def test_logging_a_checkin_records_one_side_and_moves_the_rhythm(checkin, active_pairing, mentor):
    assert checkin.reflections.count() == 1
    assert checkin.reflections.get().side == "mentor"
    active_pairing.refresh_from_db()
    assert active_pairing.last_checkin_on == checkin.happened_on
    assert active_pairing.next_checkin_due == checkin.happened_on + timedelta(
        days=active_pairing.cadence_days
    )


def test_the_partner_adds_their_side_once(checkin, mentee):
    services.reflection_add(checkin=checkin, person=mentee.person, reflection=reflection())
    with pytest.raises(ValidationError, match="already added your side"):
        services.reflection_add(checkin=checkin, person=mentee.person, reflection=reflection())
    assert set(checkin.reflections.values_list("side", flat=True)) == {"mentor", "mentee"}


def test_both_sides_must_say_what_they_learned(active_pairing, mentor):
    with pytest.raises(ValidationError) as refused:
        log_checkin(active_pairing, mentor.person, reflection=reflection(learned="  "))
    assert "learned" in refused.value.error_dict
    assert not CheckIn.objects.exists()  # all or nothing


def test_no_checkin_in_the_future_and_none_by_outsiders(active_pairing, mentor, other_participant):
    with pytest.raises(ValidationError):
        log_checkin(active_pairing, mentor.person, happened_on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError, match="not your pairing"):
        log_checkin(active_pairing, other_participant.person)


def test_goal_progress_through_a_checkin_and_a_review(active_pairing, mentor, mentee):
    goal = _goal(active_pairing, mentor.person)
    log_checkin(
        active_pairing,
        mentee.person,
        goal_updates=[services.GoalProgress(goal=goal, progress=40, status="open")],
    )
    services.goal_review(
        pairing=active_pairing,
        person=mentor.person,
        updates=[services.GoalProgress(goal=goal, progress=100, status="done")],
    )
    goal.refresh_from_db()
    assert (goal.progress, goal.status) == (100, Goal.Status.DONE)
    assert list(GoalUpdate.objects.order_by("created_at").values_list("side", "progress")) == [
        ("mentee", 40),
        ("mentor", 100),
    ]


def test_cancellations_record_who_asked(active_pairing, mentor, mentee):
    meeting = services.meeting_plan(
        pairing=active_pairing,
        person=mentor.person,
        starts_at=timezone.now() + timedelta(days=3),
        duration_minutes=45,
        meeting_format="video",
    )
    services.meeting_cancel(
        meeting=meeting, person=mentee.person, new_starts_at=timezone.now() + timedelta(days=5)
    )
    services.meeting_cancel(meeting=meeting, person=mentee.person)
    assert list(Cancellation.objects.order_by("created_at").values_list("kind", "asked_by_side")) == [
        ("rescheduled", "mentee"),
        ("cancelled", "mentee"),
    ]
    assert Meeting.objects.get().status == Meeting.Status.CANCELLED
    with pytest.raises(ValidationError):
        services.meeting_cancel(meeting=meeting, person=mentor.person)


def test_logging_a_planned_meeting_marks_it_held(active_pairing, mentor):
    meeting = services.meeting_plan(
        pairing=active_pairing,
        person=mentor.person,
        starts_at=timezone.now() + timedelta(hours=1),
        duration_minutes=30,
        meeting_format="chat",
    )
    log_checkin(active_pairing, mentor.person, meeting_format="chat", meeting=meeting)
    assert Meeting.objects.get().status == Meeting.Status.HELD


def test_only_the_senior_records_you_said_we_did(active_pairing, mentor, mentee):
    with pytest.raises(ValidationError, match="senior"):
        services.action_record(pairing=active_pairing, person=mentor.person, kind="tool", title="AI notes")
    action = services.action_record(
        pairing=active_pairing,
        person=mentee.person,
        kind="tool",
        title="AI meeting notes for my staff",
        measured_effect="2 h a week saved",
        shareable=True,
    )
    assert action.shareable


def test_concerns_are_raised_in_confidence_and_handled_by_hr(active_pairing, mentor, hr_admin, mentee):
    concern = services.concern_raise(
        pairing=active_pairing, person=mentor.person, kind="concern", text="He talks over me."
    )
    assert concern.raised_by_side == "mentor" and concern.status == Concern.Status.OPEN
    with pytest.raises(ValidationError, match="Only HR"):
        services.concern_update(concern=concern, user=mentee, status="resolved", hr_notes="")
    concern = services.concern_update(
        concern=concern, user=hr_admin, status="in_progress", hr_notes="Talked to both."
    )
    assert concern.handled_by == hr_admin


def test_two_people_editing_shared_notes_never_overwrite_each_other(checkin, mentor, mentee):
    opened = checkin.updated_at
    services.checkin_update_shared_notes(
        checkin=checkin, person=mentor.person, shared_notes="Mentor's text", version=opened
    )
    with pytest.raises(ValidationError, match="after you opened it"):
        services.checkin_update_shared_notes(
            checkin=checkin, person=mentee.person, shared_notes="Mentee's text", version=opened
        )
    assert CheckIn.objects.get().shared_notes == "Mentor's text"


def test_only_the_author_edits_a_reflection(checkin, mentee):
    mine = Reflection.objects.get(checkin=checkin)
    with pytest.raises(ValidationError, match="Only its author"):
        services.reflection_update(reflection=mine, person=mentee.person, data=reflection())


def test_falling_ratings_are_flagged_as_a_trend(active_pairing, mentor, mentee):
    today = timezone.localdate()
    for days_ago, rating in [(40, 5), (30, 5), (20, 2), (10, 2)]:
        checkin = log_checkin(
            active_pairing,
            mentor.person,
            happened_on=today - timedelta(days=days_ago),
            reflection=reflection(rating=rating),
        )
        services.reflection_add(checkin=checkin, person=mentee.person, reflection=reflection(rating=rating))
    assert Pairing.objects.get(pk=active_pairing.pk).rating_trend == -1
