from datetime import timedelta

import pytest
from django.utils import timezone

from checkins import services


def reflection(**overrides):
    values = {
        "learned": "LEARNED-x",
        "change_next_time": "CHANGE-x",
        "rating": 4,
        "private_notes": "PRIVATE-x",
    }
    return services.ReflectionInput(**(values | overrides))


def log_checkin(pairing, person, *, happened_on=None, **overrides):
    """Log a plain check-in through the service: 30 minutes by video, no themes, a default reflection."""
    values = {
        "happened_on": happened_on or timezone.localdate(),
        "duration_minutes": 30,
        "meeting_format": "video",
        "themes": [],
        "shared_notes": "",
        "reflection": reflection(),
    }
    return services.checkin_log(pairing=pairing, person=person, **(values | overrides))


@pytest.fixture
def checkin(active_pairing, mentor):
    return services.checkin_log(
        pairing=active_pairing,
        person=mentor.person,
        happened_on=timezone.localdate() - timedelta(days=1),
        duration_minutes=45,
        meeting_format="video",
        themes=list(active_pairing.program.themes.all()[:1]),
        shared_notes="SHARED-x",
        reflection=reflection(private_notes="PRIVATE-mentor", rating=2),
    )


def cancel_meeting(pairing, person, *, by=None, new_starts_at=None):
    """Plan a video meeting in 3 days through the service, then cancel it (or move it to new_starts_at),
    asked by `by` (the planner unless given)."""
    meeting = services.meeting_plan(
        pairing=pairing,
        person=person,
        starts_at=timezone.now() + timedelta(days=3),
        duration_minutes=45,
        meeting_format="video",
    )
    return services.meeting_cancel(meeting=meeting, person=by or person, new_starts_at=new_starts_at)
