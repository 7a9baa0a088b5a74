"""Months of believable history for the demo's cohorts, through the services: check-ins with both sides'
reflections, goal progress, planned and moved meetings, "you said, we did" changes (with the theme they
come from and whether they helped), a concern, and a few pairs that drift (overdue, falling ratings) so
that pair health has work. The running cohort's history runs to today; the past cohort's to its end."""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from pairings.models import Pairing, Side
from programs.demo import AUTUMN, PAST, PAST_ENDED_DAYS_AGO

from . import services
from .models import Action, Cancellation, CheckIn

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


CHANGES = [
    ("tool", "My team drafts its weekly update with an AI assistant", "About 2 hours a week saved", "helped"),
    ("decision", "A junior colleague now sits on every hiring panel I chair", "", "helped"),
    ("policy", "Our meetings start with the quietest voices", "More people speak in each meeting", "helped"),
    (
        "tool",
        "We moved the team's updates from email to chat",
        "Half the email, by the team's count",
        "helped",
    ),
    ("decision", "Our next campaign was tested on short video first", "", "too_early"),
    ("other", "I told the reverse-mentoring story at the town hall", "", "too_early"),
    ("policy", "New joiners get a buddy in their first week", "", "helped"),
    ("tool", "I tried a no-code tool for the quarterly report", "", "no_effect"),
]


def seed_history() -> None:
    today = timezone.localdate()
    _seed_cohort(PAST, last_day=today - timedelta(days=PAST_ENDED_DAYS_AGO + 2), seed=23, running=False)
    _seed_cohort(AUTUMN, last_day=today, seed=21, running=True)


def _seed_cohort(name: str, *, last_day, seed: int, running: bool) -> None:
    pairings = list(
        Pairing.objects.filter(program__name=name, status=Pairing.Status.ACTIVE)
        .select_related("program", "mentor__person", "mentee__person", "agreement")
        .order_by("pk")
    )
    if not pairings or CheckIn.objects.filter(pairing__in=pairings).exists():
        return  # idempotent: history is written once
    rng = random.Random(seed)  # noqa: S311 - demo data
    today = last_day
    themes = list(pairings[0].program.themes.all())
    for index, pairing in enumerate(pairings):
        demo = pairing.mentor.person.email.startswith("mentor")
        every = 4 if running else 7  # the past cohort went better: fewer pairs drifted
        drifting = not demo and index % every == 1  # stopped meeting a while ago
        falling = not demo and index % every == 2  # ratings going down
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
            sides = [(side, person) for side, person, _partner in pairing.sides()]
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
                # The two sides don't always see a meeting the same way.
                partner_rating = rating if number % 3 else min(5, rating + 1)
                services.reflection_add(
                    checkin=checkin, person=second, reflection=_reflection(rng, _second_side, partner_rating)
                )
        if not running:
            _past_changes(pairing, index, rng, themes)
            continue
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
                # Asked for over the last weeks (the demo records them now).
                Cancellation.objects.filter(meeting=meeting).update(
                    created_at=timezone.now() - timedelta(days=12)
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


def _past_changes(pairing, index: int, rng, themes) -> None:
    """What the seniors of the past cohort changed, and whether it helped; most chose to share it."""
    for number in range(1 + index % 2):
        kind, title, effect_text, effect = CHANGES[(index + number * 3) % len(CHANGES)]
        action = services.action_record(
            pairing=pairing,
            person=pairing.mentee.person,
            kind=kind,
            title=title,
            measured_effect=effect_text,
            theme=themes[(index + number) % len(themes)],
            effect=effect,
            shareable=rng.random() < 0.7,
        )
        # Recorded while the program ran, a few weeks into the pair's work (the demo writes it now).
        started = pairing.activated_at
        Action.objects.filter(pk=action.pk).update(
            created_at=started + timedelta(days=40 + 30 * number + 9 * (index % 5))
        )


def _reflection(rng, side, rating):
    return services.ReflectionInput(
        learned=rng.choice(LEARNED[side]),
        change_next_time=rng.choice(CHANGE),
        rating=rating,
        private_notes="Felt more confident this time." if side == Side.MENTOR else "",
    )
