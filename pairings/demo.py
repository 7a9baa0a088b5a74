"""Demo pairs: the autumn and the past spring cohorts are matched, published, accepted and agreed, through
the services; the past cohort's pairs are completed once HR has closed it."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from profiles.models import User
from programs import services as program_services
from programs.demo import AUTUMN, PAST
from programs.models import Enrollment, Program

from . import services
from .models import Pairing, PairRule, Side

DEMO_PAIRS = [("mentor@example.com", "mentee@example.com"), ("mentor2@example.com", "mentee2@example.com")]
GOALS = {
    Side.MENTEE: [
        (
            "Use an AI assistant for my weekly reporting",
            "I draft my weekly update with it and know its limits.",
        ),
        ("Understand how under-30 customers find us", "I can name three channels and what works on each."),
    ],
    Side.MENTOR: [
        ("Learn how a budget is built and defended", "I can explain our planning cycle to my team."),
        ("Present my work to a leadership audience", "I present once at a department meeting."),
    ],
}


def seed_pairings(*, hr: User) -> list[Program]:
    return [_run_cohort(hr=hr, name=PAST), _run_cohort(hr=hr, name=AUTUMN)]


def complete_past_cohort() -> None:
    """Once HR closed the past cohort, its pairs are completed (as the tick does), on its last day."""
    program = Program.objects.get(name=PAST)
    if program.state != Program.State.CLOSED:
        return
    services.pairings_complete_closed_programs()
    ended = timezone.make_aware(datetime.combine(program.ends_on, time(17)))
    Pairing.objects.filter(program=program, status=Pairing.Status.COMPLETED).exclude(ended_at=ended).update(
        ended_at=ended
    )


def _run_cohort(*, hr: User, name: str) -> Program:
    program = Program.objects.get(name=name)
    if program.state != Program.State.MATCHING:
        return program  # done on an earlier run: seeding is idempotent
    for mentor_email, mentee_email in DEMO_PAIRS if name == AUTUMN else ():
        PairRule.objects.get_or_create(
            program=program,
            mentor=Enrollment.objects.get(program=program, person__email=mentor_email),
            mentee=Enrollment.objects.get(program=program, person__email=mentee_email),
            defaults={"kind": PairRule.Kind.PINNED, "created_by": hr},
        )
    run = services.match_run_start(program=program, actor=hr)
    run = services.match_run_execute(run_id=run.pk)
    pairings = services.match_run_publish(run=run, actor=hr)
    target = program.starts_on + timedelta(days=150)
    for pairing in pairings:
        for enrollment in (pairing.mentor, pairing.mentee):
            pairing = services.pairing_accept(pairing=pairing, person=enrollment.person)
        for side, goals in GOALS.items():
            for title, description in goals:
                services.goal_save(
                    pairing=pairing,
                    person=pairing.mentor.person,
                    goal=None,
                    owner_side=side,
                    title=title,
                    description=description,
                    target_date=target,
                )
        for enrollment in (pairing.mentor, pairing.mentee):
            services.agreement_confirm(pairing=pairing, person=enrollment.person)
    # The pairs met from the program's start: their history begins there.
    started = timezone.make_aware(datetime.combine(program.starts_on, time(10)))
    Pairing.objects.filter(program=program).update(
        created_at=started, activated_at=started + timedelta(days=3)
    )
    return program_services.program_transition(program=program, to_state=Program.State.RUNNING)
