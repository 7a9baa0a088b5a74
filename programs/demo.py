"""Demo programs on top of the demo company: built through the services, as HR would, and idempotent."""

import random
from datetime import timedelta

from django.utils import timezone

from profiles.models import Person, User

from . import services
from .models import Enrollment, Program

SPRING = "Reverse mentoring · Spring 2027 cohort"
NEXT = "Reverse mentoring · Autumn 2027 cohort"
DEMO_MENTORS = ["mentor@example.com", "mentor2@example.com"]
DEMO_MENTEES = ["mentee@example.com", "mentee2@example.com"]
EXTRA_TOPICS = ["AI tools", "short video", "inclusive hiring", "remote rituals", "gaming", "podcasts", "no-code"]
MENTOR_HOPES = [
    "Show how my generation discovers products, and learn how big decisions get made.",
    "Teach the AI tools I use daily; I hope to understand strategy from the inside.",
    "Share what makes a team feel inclusive to new joiners, and get advice on my career path.",
]
MENTEE_HOPES = [
    "Understand the tools my teams use without me, and hear honestly how my decisions land.",
    "Learn how younger customers see our brand; I can offer what I know of leading through change.",
    "See our culture through the eyes of someone who joined last year.",
]


def seed_programs(*, hr: User) -> list[Program]:
    rng = random.Random(7)  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    spring = Program.objects.filter(name=SPRING).first()
    if spring is None:
        spring = services.program_create(
            actor=hr,
            data={
                "name": SPRING,
                "description": (
                    "Junior colleagues mentor members of the leadership team on technology, social trends and "
                    "culture. Both sides set goals and both say what they learned."
                ),
                "objectives": "Leaders adopt at least one new practice each; juniors gain visibility and advice.",
                "mentee_hopes": "New tools, how customers under 30 choose, what an inclusive team feels like.",
                "mentor_offers": "Daily use of AI and social tools, fresh eyes on our culture, honest feedback.",
                "starts_on": today + timedelta(days=21),
                "ends_on": today + timedelta(days=21 + 180),
                "enrollment_opens_on": today - timedelta(days=10),
                "enrollment_closes_on": today + timedelta(days=14),
            },
        )
        spring = services.program_transition(program=spring, to_state=Program.State.ENROLLING)
    if not Program.objects.filter(name=NEXT).exists():
        services.program_duplicate(program=spring, actor=hr)
        Program.objects.filter(name=f"{SPRING} (next cohort)").update(name=NEXT)
    _enroll_people(spring, hr, rng)
    return [spring]


def _enroll_people(program: Program, hr: User, rng: random.Random) -> None:
    people = Person.objects.filter(is_active=True).order_by("employee_id")
    juniors = [p for p in people if p.level <= 3 and p.email not in DEMO_MENTORS][::9][:16]
    seniors = [p for p in people if p.level >= 7 and p.email not in DEMO_MENTEES][:13]
    mentors = list(Person.objects.filter(email__in=DEMO_MENTORS).order_by("email")) + juniors
    mentees = list(Person.objects.filter(email__in=DEMO_MENTEES).order_by("email")) + seniors
    themes = list(program.themes.all())
    acknowledgements = list(program.acknowledgements.all())
    already = set(Enrollment.objects.filter(program=program).values_list("person_id", flat=True))
    for role, group, hopes in (("mentor", mentors, MENTOR_HOPES), ("mentee", mentees, MENTEE_HOPES)):
        for index, person in enumerate(group):
            if person.pk in already:
                continue
            answers = services.EnrollmentAnswers(
                role=role,
                topics=rng.sample(themes, k=2),
                extra_topics=", ".join(rng.sample(EXTRA_TOPICS, k=2)),
                hopes=rng.choice(hopes),
                preferred_format=rng.choice(["video", "in_person", "hybrid", "chat"]),
                availability=rng.sample(["mon_am", "tue_pm", "wed_am", "thu_pm", "fri_am"], k=3),
                languages=rng.choice(["English", "English, Spanish", "English, German", "English, Hindi"]),
                acknowledged=acknowledgements,
            )
            enrollment = services.enrollment_create(program=program, person=person, answers=answers)
            # The last few of each side are left for HR to decide in the demo.
            if index < len(group) - 3:
                services.enrollment_decide(enrollment=enrollment, actor=hr, status=Enrollment.Status.APPROVED)
            elif index == len(group) - 1 and role == "mentee":
                services.enrollment_decide(
                    enrollment=enrollment,
                    actor=hr,
                    status=Enrollment.Status.DECLINED,
                    reason="You lead the program's sponsor team; we'd love you as a mentee next cohort.",
                )
            elif index == len(group) - 1:
                services.enrollment_decide(enrollment=enrollment, actor=hr, status=Enrollment.Status.WAITLISTED)
