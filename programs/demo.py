"""Demo programs on top of the demo company: built through the services, as HR would, and idempotent.

- Spring 2027 cohort: enrolling, with approved juniors and seniors and a few decisions left for HR.
- Winter pilot: in its matching state, approved people ready for HR to run matching.
- Autumn 2026 cohort: started in September; the pairings demo matches and runs it.
- Autumn 2027 cohort: a draft, duplicated from the spring one.
- Spring 2026 cohort: the cohort before, closed a month ago, with its closing survey answered: the
  leaders' dashboard has a finished program to show.
"""

import random
from datetime import timedelta

from django.utils import timezone

from profiles.models import Person, User

from . import services
from .models import Enrollment, Program, Side

SPRING = "Reverse mentoring · Spring 2027 cohort"
NEXT = "Reverse mentoring · Autumn 2027 cohort"
WINTER = "Tech immersion for leaders · Winter pilot"
AUTUMN = "Reverse mentoring · Autumn 2026 cohort"
PAST = "Reverse mentoring · Spring 2026 cohort"
FAMILIES = {
    SPRING: "Reverse mentoring",
    NEXT: "Reverse mentoring",
    AUTUMN: "Reverse mentoring",
    PAST: "Reverse mentoring",
    WINTER: "Tech immersion for leaders",
}
PAST_STARTED_DAYS_AGO = 240
PAST_ENDED_DAYS_AGO = 30
DEMO_MENTORS = ["mentor@example.com", "mentor2@example.com"]
DEMO_MENTEES = ["mentee@example.com", "mentee2@example.com"]
EXTRA_TOPICS = [
    "AI tools",
    "short video",
    "inclusive hiring",
    "remote rituals",
    "gaming",
    "podcasts",
    "no-code",
]
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
PURPOSE = {
    "description": (
        "Junior colleagues mentor members of the leadership team on technology, social trends and culture. "
        "Both sides set goals and both say what they learned."
    ),
    "objectives": "Leaders adopt at least one new practice each; juniors gain visibility and advice.",
    "mentee_hopes": "New tools, how customers under 30 choose, what an inclusive team feels like.",
    "mentor_offers": "Daily use of AI and social tools, fresh eyes on our culture, honest feedback.",
}


def seed_programs(*, hr: User) -> list[Program]:
    people = list(Person.objects.filter(is_active=True).order_by("employee_id"))
    juniors = [p for p in people if p.level <= 3 and p.email not in DEMO_MENTORS]
    seniors = [p for p in people if p.level >= 6 and p.email not in DEMO_MENTEES]
    demo_mentors = sorted((p for p in people if p.email in DEMO_MENTORS), key=lambda p: p.email)
    demo_mentees = sorted((p for p in people if p.email in DEMO_MENTEES), key=lambda p: p.email)

    spring = _ensure_program(
        hr,
        SPRING,
        starts_in_days=21,
        mentors=demo_mentors + juniors[::9][:16],
        mentees=demo_mentees + seniors[:12],
        undecided=3,
        seed=7,
    )
    winter = _ensure_program(
        hr,
        WINTER,
        starts_in_days=10,
        mentors=juniors[3::7][:14],
        mentees=seniors[12:22],
        undecided=0,
        seed=11,
        then=[Program.State.MATCHING],
    )
    autumn = _ensure_program(
        hr,
        AUTUMN,
        starts_in_days=-75,  # started in September: months of history for the pairs
        mentors=demo_mentors + juniors[5::11][:8],
        mentees=demo_mentees + seniors[22:32],
        undecided=0,
        seed=13,
        then=[Program.State.MATCHING],
    )
    # The cohort before: it ran from eight months ago until a month ago. It is created in its matching
    # state with an end a week ahead, so that its closing survey is open while the demo answers it, and is
    # closed afterwards (close_past_cohort).
    past = _ensure_program(
        hr,
        PAST,
        starts_in_days=-PAST_STARTED_DAYS_AGO,
        runs_days=PAST_STARTED_DAYS_AGO + 7,
        mentors=juniors[1::6][:18],
        mentees=seniors[:16],
        undecided=0,
        seed=17,
        then=[Program.State.MATCHING],
    )
    if not Program.objects.filter(name=NEXT).exists():
        copy = services.program_duplicate(program=spring, actor=hr)
        Program.objects.filter(pk=copy.pk).update(name=NEXT)
    for name, family in FAMILIES.items():
        Program.objects.filter(name=name, family="").update(family=family)
    # Everyone with a login who hasn't enrolled in the spring cohort yet is invited to.
    if services.enrollment_window_open(spring):
        services.program_invite(program=spring, actor=hr)
    return [past, spring, winter, autumn]


def answer_past_closing_survey(*, respondents: list[Person]) -> None:
    """Most of the past cohort answered its closing survey (through the service, while it is open)."""
    program = Program.objects.get(name=PAST)
    survey = program.surveys.filter(kind="closing").first()
    if survey is None or survey.responses.exists():
        return
    rng = random.Random(29)  # noqa: S311 - demo data
    questions = {q.kind: q for q in survey.questions.all()}
    for index, person in enumerate(respondents):
        happy = index % 7 != 3  # most were glad they took part
        answers = {
            questions["rating_1_5"].pk: rng.choice([4, 5, 5]) if happy else rng.choice([2, 3]),
            questions["yes_no"].pk: happy or rng.random() < 0.3,
            questions["scale_0_10"].pk: rng.choice([8, 9, 10, 10]) if happy else rng.choice([4, 6, 7]),
        }
        services.survey_respond(survey=survey, person=person, answers=answers)


def close_past_cohort() -> Program:
    """The past cohort ended a month ago, its closing survey closed since: HR moves it to closed."""
    program = Program.objects.get(name=PAST)
    if program.state != Program.State.RUNNING:
        return program
    today = timezone.localdate()
    program = services.program_update(
        program=program, data={"ends_on": today - timedelta(days=PAST_ENDED_DAYS_AGO)}
    )
    # Its surveys ran on its real dates (they were answered while open, then the demo moved them back).
    for survey in program.surveys.all():
        length = survey.closes_on - survey.opens_on
        closes = today - timedelta(days=PAST_ENDED_DAYS_AGO - 14) if survey.kind == "closing" else None
        if closes is not None:
            program.surveys.filter(pk=survey.pk).update(opens_on=closes - length, closes_on=closes)
    return services.program_transition(program=program, to_state=Program.State.CLOSED)


def _ensure_program(
    hr, name, *, starts_in_days, mentors, mentees, undecided, seed, then=(), runs_days=180
) -> Program:
    """Create the program once: open it, enroll people by their own answers, decide, then move it on.

    The enrollment window is open while people enroll (the service refuses anything else); a program
    that started in the past gets its real dates afterwards, as HR would have set them back then.
    """
    program = Program.objects.filter(name=name).first()
    if program is not None:
        return program
    today = timezone.localdate()
    program = services.program_create(
        actor=hr,
        data=PURPOSE
        | {
            "name": name,
            "starts_on": today + timedelta(days=max(starts_in_days, 1)),
            "ends_on": today + timedelta(days=max(starts_in_days, 1) + 180),
            "enrollment_opens_on": today - timedelta(days=10),
            "enrollment_closes_on": today + timedelta(days=max(starts_in_days - 7, 0)),
        },
    )
    program = services.program_transition(program=program, to_state=Program.State.ENROLLING)
    _enroll(program, hr, mentors, mentees, undecided, random.Random(seed))  # noqa: S311 - demo data
    if starts_in_days < 0:
        start = today + timedelta(days=starts_in_days)
        program = services.program_update(
            program=program,
            data={
                "starts_on": start,
                "ends_on": start + timedelta(days=runs_days),
                "enrollment_opens_on": start - timedelta(days=30),
                "enrollment_closes_on": start - timedelta(days=7),
            },
        )
    for state in then:
        program = services.program_transition(program=program, to_state=state)
    return program


def _enroll(program, hr, mentors, mentees, undecided, rng) -> None:
    themes = list(program.themes.all())
    acknowledgements = list(program.acknowledgements.all())
    for role, group, hopes in ((Side.MENTOR, mentors, MENTOR_HOPES), (Side.MENTEE, mentees, MENTEE_HOPES)):
        for index, person in enumerate(group):
            answers = services.EnrollmentAnswers(
                role=role,
                topics=rng.sample(themes, k=2),
                extra_topics=", ".join(rng.sample(EXTRA_TOPICS, k=2)),
                hopes=rng.choice(hopes),
                preferred_format=rng.choice(["video", "in_person", "hybrid", "chat"]),
                availability=rng.sample(["mon_am", "tue_pm", "wed_am", "thu_pm", "fri_am"], k=3),
                languages=rng.choice(["English", "English, Spanish", "English, German", "English, Hindi"]),
                acknowledged=acknowledgements,
                voluntary=True,
            )
            enrollment = services.enrollment_create(program=program, person=person, answers=answers)
            left = len(group) - index  # the last `undecided` of each side wait for HR in the demo
            if left > undecided:
                services.enrollment_decide(enrollment=enrollment, actor=hr, status=Enrollment.Status.APPROVED)
            elif left == 1 and role == Side.MENTEE:
                services.enrollment_decide(
                    enrollment=enrollment,
                    actor=hr,
                    status=Enrollment.Status.DECLINED,
                    reason="You lead the program's sponsor team; we'd love you as a mentee next cohort.",
                )
            elif left == 1:
                services.enrollment_decide(
                    enrollment=enrollment, actor=hr, status=Enrollment.Status.WAITLISTED
                )
