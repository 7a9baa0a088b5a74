"""Months of believable history for the demo's running cohort, through the services: check-ins with
both sides' reflections, goal progress, a planned next meeting, a moved meeting, "you said, we did"
actions, a concern, and a few pairs that drift (overdue, falling ratings) so pair health has work."""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from pairings.models import Pairing
from programs.demo import AUTUMN

from . import services
from .models import CheckIn

LEARNED = {
    "mentor": [
        "How a budget trade-off is argued at the top: fewer projects, better funded.",
        "Why the leadership team moved the launch: it was about supplier risk, not marketing.",
        "That asking 'what would change your mind?' opens a discussion with a senior leader.",
        "How to present a problem with two options and a recommendation.",
    ],
    "mentee": [
        "How my teams actually use AI assistants, and where they don't trust them.",
        "That short video is where under-30 customers compare products before buying.",
        "Our onboarding feels anonymous to new joiners; a buddy in week one matters.",
        "Shared documents beat long email threads for my team's weekly updates.",
    ],
}
CHANGE = [
    "Send the agenda a day earlier.",
    "Less slides, more trying things live.",
    "Keep ten minutes for questions.",
]


def _on_a_working_day(moment: datetime) -> datetime:
    """The same time on the next working day, if `moment` falls on a weekend: nobody meets on Sunday."""
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    return moment


def seed_history() -> None:
    pairings = list(
        Pairing.objects.filter(program__name=AUTUMN, status=Pairing.Status.ACTIVE)
        .select_related("program", "mentor__person", "mentee__person", "agreement")
        .order_by("pk")
    )
    if not pairings or CheckIn.objects.filter(pairing__in=pairings).exists():
        return  # idempotent: history is written once
    rng = random.Random(21)  # noqa: S311 - demo data
    today = timezone.localdate()
    themes = list(pairings[0].program.themes.all())
    for index, pairing in enumerate(pairings):
        demo = pairing.mentor.person.email.startswith("mentor")
        drifting = not demo and index % 4 == 1  # stopped meeting a while ago
        falling = not demo and index % 4 == 2  # ratings going down
        start = pairing.activated_at.date()
        days = list(range(7, (today - start).days, pairing.cadence_days))
        if drifting:
            days = days[:2]
        goals = list(pairing.goals.all())
        for number, offset in enumerate(days):
            if falling:
                rating = 5 - min(number, 3)
            elif demo:
                rating = 4 if number < 2 else 5  # getting better as they get to know each other
            else:
                rating = 4 + number % 2
            sides = [("mentor", pairing.mentor.person), ("mentee", pairing.mentee.person)]
            if number % 2:
                sides.reverse()  # either side logs
            (first_side, first), (_second_side, second) = sides
            progress = min(100, 20 * (number + 1))
            checkin = services.checkin_log(
                pairing=pairing,
                person=first,
                happened_on=start + timedelta(days=offset),
                duration_minutes=rng.choice([30, 45, 45, 60]),
                meeting_format=pairing.agreement.meeting_format,
                themes=rng.sample(themes, k=2),
                shared_notes=rng.choice(
                    [
                        "Tried two AI tools live.",
                        "Walked through the Q3 plan.",
                        "Looked at our TikTok together.",
                    ]
                ),
                reflection=_reflection(rng, first_side, rating),
                goal_updates=[
                    services.GoalProgress(
                        goal=g, progress=progress, status="done" if progress == 100 else "open"
                    )
                    for g in goals
                    if g.owner_side == first_side
                ],
            )
            if (
                number < len(days) - 1 or demo
            ):  # the latest one waits for the partner's side, except demo pairs
                services.reflection_add(
                    checkin=checkin, person=second, reflection=_reflection(rng, _second_side, rating)
                )
        if demo or index % 3 == 0:
            meeting = services.meeting_plan(
                pairing=pairing,
                person=pairing.mentor.person,
                starts_at=_on_a_working_day(
                    timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=4, hours=2)
                ),
                duration_minutes=45,
                meeting_format=pairing.agreement.meeting_format,
            )
            if not demo:
                # The senior asked to move it: pair health shows who keeps meetings.
                services.meeting_cancel(
                    meeting=meeting,
                    person=pairing.mentee.person,
                    new_starts_at=_on_a_working_day(meeting.starts_at + timedelta(days=2)),
                )
                services.meeting_cancel(
                    meeting=meeting,
                    person=pairing.mentee.person,
                    new_starts_at=_on_a_working_day(meeting.starts_at + timedelta(days=3)),
                )
        if demo:
            services.action_record(
                pairing=pairing,
                person=pairing.mentee.person,
                kind="tool",
                title="My leadership team now drafts its weekly update with an AI assistant",
                measured_effect="About 2 hours a week saved across the team",
                shareable=True,
            )
        elif index == 3:
            services.concern_raise(
                pairing=pairing,
                person=pairing.mentor.person,
                kind="concern",
                text="Our last two meetings were cut short and I don't feel heard. I'd like advice.",
            )


def _reflection(rng, side, rating):
    return services.ReflectionInput(
        learned=rng.choice(LEARNED[side]),
        change_next_time=rng.choice(CHANGE),
        rating=rating,
        private_notes="Felt more confident this time." if side == "mentor" else "",
    )
