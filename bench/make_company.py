"""Bench fixture: builds the reference company on PostgreSQL, fast, by writing straight to the tables.

This is a benchmark fixture, not app code: it bypasses the services (no validation, no signals, no
emails) and COPYs generated rows into the tables, with the ids chosen here, then resets the id sequences
and runs VACUUM ANALYZE. Table and column names come from the Django models, so a renamed field fails
loudly here, and a new NOT NULL column is filled with the field's default (or fails loudly if it has none).

The reference company (--employees 10000, scale 1), deterministic for a given day (seeded random; dates
are relative to today so that check-ins are recent and planned meetings are ahead):
  - 10,000 people: CEO, 8 department heads, directors, senior managers, managers, individual
    contributors (a reporting line 6 deep), in six time zones;
  - about 300 logins: participants, 5 HR admins, 5 leaders;
  - 20 programs (15 running, 3 closed, 2 enrolling), each with 4 themes and 2 acknowledgements;
  - about 11,000 enrollments; 5,000 pairings (mostly active, some ended early, completed, awaiting or
    declined), each with an agreement, mentees of levels 3-9 with mentors of levels 1-2 (at most two
    active pairings per person); 15,000 goals;
  - 200,000 x scale check-ins over the last 12 months, with a reflection from each side (ratings 1-5;
    5% with one side only), themes, goal updates, held meetings for a quarter of them;
  - planned meetings ahead, cancellations (4% of active pairs cancel repeatedly), actions, a few
    hundred concerns;
  - the pairings' rhythm fields (last_checkin_on, next_checkin_due, late_from, rating_trend) computed
    from those check-ins exactly as checkins.services does: about 10% of active pairs are late; 8% are
    made to fall, and with the ratings' noise about 17% show falling ratings.

The enterprise company (--employees 100000) is the same company ten times over: 100,000 people (the
same six levels of reporting line, with about 3 times as many directors and as many managers per senior
manager, so that teams keep their size), 50,000 pairs in the same 20 programs (so each program is ten
times as big), 2,000,000 check-ins, 150,000 goals, about 3,000 logins and the directory history
(promotions and leavers) of 100,000 people. Any --employees gives one pair for every
two people and 40 x --scale check-ins per pair; --employees 10000 is the reference company, unchanged.
Budgets: the reference company in at most 3 minutes, the enterprise one in at most 10 minutes.

The tables of at least 100,000 rows are loaded without their indexes, unique constraints and foreign
keys, which are made again (and the foreign keys checked, in one join each) after the COPY: otherwise
every row queues a deferred foreign-key check until the commit, which took minutes for the enterprise
company.

    .venv/bin/python bench/make_company.py [--employees 10000] [--scale 1] [--database twoway_bench_company]
        [--keep]

Importable: pages.py calls build(employees=..., scale=..., database=...) (Django must not be set up on
another server). The database is created (any old one of that name is dropped), migrated and filled.
"""

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

DEFAULT_DATABASE = "twoway_bench_company"
SEED = 2026
CHECKINS_PER_PAIR = 40  # x scale: 200,000 check-ins for 5,000 pairs at scale 1
REFERENCE_EMPLOYEES = 10_000  # the reference company; 5,000 pairs and 200,000 check-ins
ENTERPRISE_EMPLOYEES = 100_000
BUDGET_SECONDS = {REFERENCE_EMPLOYEES: 180.0, ENTERPRISE_EMPLOYEES: 600.0}
BULK_ROWS = 100_000  # tables this big are loaded without their indexes and foreign keys (see load)
BENCH_PASSWORD = "twoway-bench"  # noqa: S105 - the kept bench database's logins; bench data only

LEARNED = [
    "How the team uses short videos to explain a release.",
    "Why juniors skip the intranet and ask in chat instead.",
    "Three AI tools the support team tries every week.",
    "What makes a meeting feel safe to disagree in.",
    "How candidates compare our careers page with others.",
    "That our expense tool is the first thing new hires complain about.",
    "How to read a product's reviews before a launch decision.",
    "What an inclusive stand-up looks like across time zones.",
]
CHANGE = ["", "", "Send the agenda the day before.", "Shorter, more often.", "Try a screen share next time."]
SHARED_NOTES = [
    "",
    "Next: a demo of the team's board.",
    "Follow-up on the hiring panel idea.",
    "Agreed to try it.",
]
PRIVATE = ["", "", "", "I talked too much again.", "Ask about the budget side next time."]
GOALS = [
    "Use one AI assistant every week for a month",
    "Understand how our juniors choose where to work",
    "Run a team meeting where everyone speaks",
    "Present to the leadership team with confidence",
    "Learn how the company decides its budget",
    "Try the team's chat tool instead of email",
]
ACTIONS = [
    ("tool", "Moved the team's updates from email to chat"),
    ("decision", "Added a junior to the hiring panel"),
    ("policy", "Meetings start with a round of the quietest voices"),
    ("other", "Shared the reverse-mentoring story at the town hall"),
]
CONCERNS = ["We keep missing our check-ins.", "I do not feel heard in our meetings.", "Scheduling is hard."]
FORMATS = ["video", "video", "video", "in_person", "chat", "hybrid"]
AVAILABILITY = [f"{day}_{part}" for day in ("mon", "tue", "wed", "thu", "fri") for part in ("am", "pm")]


# --- Generated rows -----------------------------------------------------------------------------------


class Table:
    """Rows for one model, as tuples in `fields` order; "id" first, chosen here."""

    def __init__(self, model, *fields: str):
        self.model, self.fields, self.rows = model, ("id", *fields), []

    def add(self, *values) -> int:
        pk = len(self.rows) + 1
        self.rows.append((pk, *values))
        return pk


@dataclass(slots=True)
class Employee:
    pk: int
    level: int
    department: str
    manager: int | None
    email: str
    name: str


@dataclass(slots=True)
class Pair:
    pk: int
    program: "Prog"
    mentor: Employee
    mentee: Employee
    mentor_enrollment: int
    mentee_enrollment: int
    status: str
    cadence: int
    meeting_format: str
    created_at: datetime
    activated_at: datetime | None = None
    ended_at: datetime | None = None
    span: tuple[date, date] | None = None  # first and last day of its check-ins
    falling: bool = False
    checkins: list[tuple[int, date]] = field(default_factory=list)  # (pk, day), oldest first
    means: dict[int, float] = field(default_factory=dict)  # check-in pk -> mean rating
    goals: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Prog:
    pk: int
    state: str
    cadence: int
    starts_on: date
    ends_on: date
    themes: list[int] = field(default_factory=list)
    acks: list[int] = field(default_factory=list)
    pairs: int = 0


def generate(*, scale: float, pairs: int, people: int, programs: int, seed: int, today: date) -> list[Table]:
    from checkins.models import Action, Cancellation, CheckIn, Concern, GoalUpdate, Meeting, Reflection
    from pairings.models import Agreement, Goal, Pairing
    from profiles.demo.company import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, LOCATIONS
    from profiles.models import Person, PersonHistory, Profile, User
    from programs.models import (
        DEFAULT_THEMES,
        Acknowledgement,
        Enrollment,
        Program,
        Survey,
        SurveyAnswer,
        SurveyQuestion,
        SurveyResponse,
        Theme,
    )
    from programs.services import DEFAULT_ACKNOWLEDGEMENTS, STANDARD_SURVEY_QUESTIONS

    rng = random.Random(seed)  # noqa: S311 - bench data, not security
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)

    def at(day: date, hour: int = 10) -> datetime:
        return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)

    # --- People: a six-level org chart ------------------------------------------------------------------
    person_table = Table(
        Person, "email", "full_name", "job_title", "department", "location", "time_zone", "level"
    )
    person_table.fields += ("manager", "employee_id", "user", "created_at", "updated_at")
    staff: list[Employee] = []
    joined = now - timedelta(days=700)

    def hire(level, department, title, manager: Employee | None, home=None) -> Employee:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        home = home if home and rng.random() < 0.7 else rng.choice(LOCATIONS)
        n = len(person_table.rows)
        email = f"{first.lower()}.{last.lower().replace(' ', '')}.{n}@bench.example"
        row = [email, f"{first} {last}", title, department, home[0], home[1], level]
        row += [manager.pk if manager else None, f"C{n:05d}", None, joined, joined]
        pk = person_table.add(*row)
        employee = Employee(pk, level, department, manager.pk if manager else None, email, f"{first} {last}")
        staff.append(employee)
        return employee

    homes: dict[int, tuple[str, str]] = {}
    ceo = hire(9, "Executive Office", "Chief Executive Officer", None)
    managers: list[tuple[Employee, str]] = []
    # A bigger company has more directors and managers, so that teams stay the size they are (about 13).
    span = max(1.0, people / REFERENCE_EMPLOYEES) ** 0.5
    for department, (ic_title, area) in [*DEPARTMENTS.items(), ("Legal", ("Counsel", "Legal"))]:
        home = rng.choice(LOCATIONS)
        head = hire(8, department, f"Chief {area} Officer", ceo, home)
        for _ in range(round(4 * span)):
            director = hire(7, department, f"Director of {area}", head, home)
            homes[director.pk] = rng.choice(LOCATIONS)
            for _ in range(4):
                senior = hire(6, department, f"Senior {area} Manager", director, homes[director.pk])
                for _ in range(round(5 * span)):
                    managers.append(
                        (hire(5, department, f"{area} Manager", senior, homes[director.pk]), ic_title)
                    )
    while len(staff) < people:
        manager, ic_title = managers[len(staff) % len(managers)]
        level = rng.choice([1, 1, 2, 2, 3, 4])
        home = (person_table.rows[manager.pk - 1][5], person_table.rows[manager.pk - 1][6])
        hire(level, manager.department, f"{ic_title} (L{level})", manager, home)
    del staff[people:], person_table.rows[people:]

    # --- Logins: HR admins and leaders now, participants once pairs exist --------------------------------
    user_table = Table(User, "email", "full_name", "password", "is_hr_admin", "is_leader", "date_joined")
    from django.contrib.auth.hashers import make_password

    password = make_password(BENCH_PASSWORD)
    user_of: dict[int, int] = {}

    def give_login(employee: Employee, *, hr=False, leader=False) -> int:
        if employee.pk not in user_of:
            user_of[employee.pk] = user_table.add(employee.email, employee.name, password, hr, leader, joined)
        return user_of[employee.pk]

    hr_users = [give_login(e, hr=True) for e in staff if e.department == "People & Culture" and e.level == 6][
        :5
    ]
    for employee in [e for e in staff if e.level == 8][:5]:
        give_login(employee, leader=True)

    # --- Programs, themes, acknowledgements -----------------------------------------------------------------
    program_table = Table(Program, "name", "description", "state", "cadence_days", "starts_on", "ends_on")
    program_table.fields += (
        "enrollment_opens_on",
        "enrollment_closes_on",
        "created_by",
        "created_at",
        "family",
    )
    theme_table = Table(Theme, "program", "name", "discussion_guide", "position")
    ack_table = Table(Acknowledgement, "program", "kind", "title", "text", "position")
    closed, enrolling = programs * 3 // 20, programs // 10
    progs: list[Prog] = []
    for i in range(programs):
        state = "closed" if i < closed else ("enrolling" if i >= programs - enrolling else "running")
        cadence = rng.choice([14, 14, 14, 14, 7, 21, 28])
        if state == "closed":
            starts, ends = (
                today - timedelta(days=rng.randint(330, 360)),
                today - timedelta(days=rng.randint(20, 90)),
            )
        elif state == "running":
            starts = today - timedelta(days=rng.randint(45, 330))
            ends = starts + timedelta(days=365)
        else:
            starts = today + timedelta(days=rng.randint(20, 60))
            ends = starts + timedelta(days=365)
        opens, closes = starts - timedelta(days=45), starts - timedelta(days=10)
        pk = program_table.add(
            f"Reverse mentoring, cohort {i + 1}",
            "Senior leaders learn from junior colleagues; both sides set goals.",
            state,
            cadence,
            starts,
            ends,
            opens,
            closes,
            hr_users[i % len(hr_users)] if hr_users else None,
            at(opens - timedelta(days=20)),
            "Tech immersion for leaders" if i % 4 == 3 else "Reverse mentoring",
        )
        prog = Prog(pk, state, cadence, starts, ends)
        for position, (name, guide) in enumerate(DEFAULT_THEMES):
            prog.themes.append(theme_table.add(pk, str(name), str(guide), position))
        for position, (kind, title, text) in enumerate(DEFAULT_ACKNOWLEDGEMENTS):
            prog.acks.append(ack_table.add(pk, str(kind), str(title), str(text), position))
        progs.append(prog)

    # --- Enrollments and pairings ---------------------------------------------------------------------------
    enrollment_table = Table(Enrollment, "program", "person", "role", "status", "hopes", "preferred_format")
    enrollment_table.fields += ("availability", "languages", "decided_by", "decided_at", "created_at")
    topics = Table(Enrollment.topics.through, "enrollment", "theme")
    acknowledged = Table(Enrollment.acknowledged.through, "enrollment", "acknowledgement")
    # Mentees (the seniors) are levels 3-9, mentors levels 1-2: the default minimum gap of 2 always holds
    # for level 1, and for level 2 from level 4. The least-used people are picked first, so that nobody
    # is in more than about two pairings at a time.
    seniors = [e for e in staff if e.level >= 3]
    juniors = [e for e in staff if e.level <= 2]
    uses: dict[int, int] = dict.fromkeys((e.pk for e in staff), 0)

    def least_used(pool: list[Employee]) -> list[Employee]:
        return sorted(pool, key=lambda e: (uses[e.pk], rng.random()))

    with_pairs = [p for p in progs if p.state != "enrolling"]
    weights = [rng.uniform(0.5, 1.5) for _ in with_pairs]
    for prog, weight in zip(with_pairs, weights, strict=True):
        prog.pairs = int(pairs * weight / sum(weights))
    for i in range(pairs - sum(p.pairs for p in with_pairs)):
        with_pairs[i % len(with_pairs)].pairs += 1

    def enroll(prog: Prog, employee: Employee, role: str, status: str) -> int:
        created = at(prog.starts_on - timedelta(days=rng.randint(12, 44)))
        decided = status != "pending"
        pk = enrollment_table.add(
            prog.pk,
            employee.pk,
            role,
            status,
            "Learn how the other generation of the company works.",
            rng.choice(FORMATS),
            json.dumps(rng.sample(AVAILABILITY, rng.randint(2, 5))),
            rng.choice(["English", "English", "English, Spanish", "English, German"]),
            hr_users[0] if decided and hr_users else None,
            created + timedelta(days=2) if decided else None,
            created,
        )
        for theme in rng.sample(prog.themes, rng.randint(1, 2)):
            topics.add(pk, theme)
        if status != "pending":
            for ack in prog.acks:
                acknowledged.add(pk, ack)
        return pk

    pair_list: list[Pair] = []
    for prog in progs:
        mentees = least_used(seniors)
        pool = least_used(juniors)[::-1]  # the least used last: popped first
        enrolled = set()
        for mentee in mentees[: prog.pairs]:
            for tries in range(len(pool)):  # the program's rules: level gap, other department and manager
                mentor = pool[-1 - tries]
                if (
                    mentee.level - mentor.level >= 2
                    and mentor.department != mentee.department
                    and mentor.manager != mentee.manager
                ):
                    pool.pop(-1 - tries)
                    break
            else:
                break
            enrolled |= {mentor.pk, mentee.pk}
            uses[mentor.pk] += 1
            uses[mentee.pk] += 1
            if prog.state == "closed":
                status = "completed" if rng.random() < 0.85 else "ended"
            else:
                status = rng.choices(["active", "ended", "awaiting", "declined"], [92, 4, 2.5, 1.5])[0]
            pair_list.append(
                Pair(
                    pk=len(pair_list) + 1,
                    program=prog,
                    mentor=mentor,
                    mentee=mentee,
                    mentor_enrollment=enroll(prog, mentor, "mentor", "approved"),
                    mentee_enrollment=enroll(prog, mentee, "mentee", "approved"),
                    status=status,
                    cadence=prog.cadence if rng.random() < 0.85 else rng.choice([7, 14, 21, 28]),
                    meeting_format=rng.choice(FORMATS),
                    created_at=at(prog.starts_on - timedelta(days=7)),
                )
            )
        # Enrolled but not paired: the waitlist, the undecided, the withdrawn; an enrolling program's crowd.
        extra = max(2, prog.pairs // 7) if prog.state != "enrolling" else max(4, pairs // 16)
        for employee in rng.sample(staff, extra):
            if employee.pk not in enrolled:
                enrolled.add(employee.pk)
                role = "mentee" if employee.level >= 3 else "mentor"
                if prog.state == "enrolling":
                    status = rng.choices(["pending", "approved"], [2, 1])[0]
                else:
                    status = rng.choice(["waitlisted", "declined", "withdrawn", "pending"])
                enroll(prog, employee, role, status)

    # --- Check-ins: 40 x scale per pair on average, spread over each pair's months together ------------------
    for pair in pair_list:
        if pair.status in ("awaiting", "declined"):
            continue
        pair.activated_at = pair.created_at + timedelta(days=rng.randint(2, 10), hours=rng.randint(0, 6))
        first = pair.activated_at.date() + timedelta(days=rng.randint(3, 10))
        if pair.status == "active":
            late = rng.random() < 0.10
            back = (
                rng.randint(2 * pair.cadence, 2 * pair.cadence + 60)
                if late
                else rng.randint(0, pair.cadence - 2)
            )
            last = today - timedelta(days=back)
            pair.falling = rng.random() < 0.08
        elif pair.status == "completed":
            pair.ended_at = at(pair.program.ends_on, 16)
            last = pair.program.ends_on - timedelta(days=rng.randint(0, 10))
        else:
            stop = (today - pair.activated_at.date()).days * rng.uniform(0.3, 0.8)
            last = pair.activated_at.date() + timedelta(days=int(stop))
            pair.ended_at = at(last + timedelta(days=rng.randint(5, 20)), 15)
            if pair.ended_at > now:
                pair.ended_at = now - timedelta(hours=2)
        pair.span = (min(first, last), last)
    spanned = [p for p in pair_list if p.span]
    target = round(CHECKINS_PER_PAIR * scale * pairs)
    total_days = sum((p.span[1] - p.span[0]).days + 1 for p in spanned)
    quotas = [target * ((p.span[1] - p.span[0]).days + 1) / total_days for p in spanned]
    counts = [int(q) for q in quotas]
    by_fraction = sorted(range(len(spanned)), key=lambda i: counts[i] - quotas[i])
    for i in by_fraction[: target - sum(counts)]:
        counts[i] += 1

    checkin_table = Table(CheckIn, "pairing", "meeting", "happened_on", "duration_minutes", "meeting_format")
    checkin_table.fields += ("shared_notes", "logged_by_side", "created_at", "updated_at")
    checkin_themes = Table(CheckIn.themes.through, "checkin", "theme")
    reflection_table = Table(Reflection, "checkin", "side", "author", "learned", "change_next_time", "rating")
    reflection_table.fields += ("private_notes", "created_at", "updated_at")
    meeting_table = Table(Meeting, "pairing", "starts_at", "duration_minutes", "meeting_format", "status")
    meeting_table.fields += ("planned_by_side", "created_at")
    random_ = rng.random
    for pair, count in zip(spanned, counts, strict=True):
        start, last = pair.span
        days = (last - start).days
        base = rng.uniform(3.2, 4.6)
        authors = (("mentor", pair.mentor.pk), ("mentee", pair.mentee.pk))
        for j in range(count):
            if count == 1 or j == count - 1:
                day = last
            else:
                day = start + timedelta(days=min(days, int((j + random_() * 0.6) * days / (count - 1))))
            side = "mentor" if random_() < 0.5 else "mentee"
            created = at(day, 17)
            meeting = None
            if random_() < 0.25:
                meeting = meeting_table.add(
                    pair.pk, at(day), 45, pair.meeting_format, "held", side, created - timedelta(days=7)
                )
            pk = checkin_table.add(
                pair.pk,
                meeting,
                day,
                rng.choice((30, 45, 45, 60, 90)),
                pair.meeting_format,
                SHARED_NOTES[j % len(SHARED_NOTES)],
                side,
                created,
                created,
            )
            pair.checkins.append((pk, day))
            r = random_()
            if r < 0.5:
                checkin_themes.add(pk, pair.program.themes[j % 4])
            elif r < 0.65:
                checkin_themes.add(pk, pair.program.themes[j % 4])
                checkin_themes.add(pk, pair.program.themes[(j + 1) % 4])
            mean = base
            if pair.falling and j >= count - 4:
                mean = base + 0.6 if j < count - 2 else base - 1.6
            ratings = []
            one_side = random_() < 0.05
            for who, author in authors:
                if one_side and who != side:
                    continue
                rating = min(5, max(1, round(rng.gauss(mean, 0.45))))
                ratings.append(rating)
                reflection_table.add(
                    pk,
                    who,
                    author,
                    LEARNED[(pk + len(ratings)) % len(LEARNED)],
                    CHANGE[pk % len(CHANGE)],
                    rating,
                    PRIVATE[(pk + len(ratings)) % len(PRIVATE)],
                    created + timedelta(hours=len(ratings)),
                    created + timedelta(hours=len(ratings)),
                )
            pair.means[pk] = sum(ratings) / len(ratings)

    # --- Planned meetings, cancellations ------------------------------------------------------------------
    cancellation_table = Table(
        Cancellation, "meeting", "pairing", "kind", "asked_by_side", "previous_starts_at"
    )
    cancellation_table.fields += ("new_starts_at", "created_at")

    def cancel(pair: Pair, created: datetime) -> None:
        previous = created + timedelta(days=rng.randint(1, 4))
        moved = rng.random() < 0.4
        new = previous + timedelta(days=rng.randint(3, 10)) if moved else None
        status = "cancelled" if not moved else ("planned" if new > now else "held")
        side = rng.choice(("mentor", "mentee"))
        meeting = meeting_table.add(
            pair.pk, new or previous, 45, pair.meeting_format, status, side, created - timedelta(days=5)
        )
        kind = "rescheduled" if moved else "cancelled"
        cancellation_table.add(meeting, pair.pk, kind, side, previous, new, created)

    for pair in pair_list:
        if pair.status == "active" and rng.random() < 0.6:
            starts = now + timedelta(days=rng.randint(1, 20), hours=rng.randint(-3, 5))
            side = rng.choice(("mentor", "mentee"))
            meeting_table.add(
                pair.pk, starts, 45, pair.meeting_format, "planned", side, now - timedelta(days=3)
            )
        if not pair.checkins:
            continue
        if rng.random() < 0.15:
            day = pair.checkins[rng.randrange(len(pair.checkins))][1]
            cancel(pair, at(day) - timedelta(days=3))
        if pair.status == "active" and rng.random() < 0.04:
            for _ in range(rng.randint(2, 3)):
                cancel(pair, now - timedelta(days=rng.randint(1, 50), hours=rng.randint(0, 8)))

    # --- Goals and their updates, actions, concerns -----------------------------------------------------------
    goal_table = Table(Goal, "pairing", "owner_side", "title", "description", "target_date", "status")
    goal_table.fields += ("progress", "created_at", "updated_at")
    goal_update_table = Table(GoalUpdate, "goal", "checkin", "side", "progress", "status", "created_at")
    action_table = Table(
        Action, "pairing", "kind", "title", "description", "shareable", "created_at", "theme", "effect"
    )
    concern_table = Table(Concern, "pairing", "raised_by", "raised_by_side", "kind", "text", "status")
    concern_table.fields += ("handled_by", "created_at", "updated_at")
    for pair in pair_list:
        start = pair.activated_at or pair.created_at
        for owner in ("mentee", "mentor", rng.choice(("mentee", "mentor"))):
            if pair.status == "completed":
                status = "done" if rng.random() < 0.75 else "dropped"
            elif pair.status == "active":
                status = rng.choices(["open", "done", "dropped"], [70, 20, 10])[0]
            else:
                status = "open"
            progress = 100 if status == "done" else rng.randint(0, 90)
            touched = min(now, start + timedelta(days=3 + rng.randint(0, max(0, (now - start).days))))
            if pair.status == "active":
                touched = now - timedelta(days=rng.randint(0, 70))
            pair.goals.append(
                goal_table.add(
                    pair.pk,
                    owner,
                    rng.choice(GOALS),
                    "",
                    start.date() + timedelta(days=rng.randint(60, 240)),
                    status,
                    progress,
                    start + timedelta(days=3),
                    max(touched, start + timedelta(days=3)),
                )
            )
        for j, (checkin, day) in enumerate(pair.checkins):
            if random_() < 0.25:
                progress = min(100, 10 + 90 * j // len(pair.checkins))
                goal_update_table.add(
                    pair.goals[j % 3],
                    checkin,
                    rng.choice(("mentor", "mentee")),
                    progress,
                    "open",
                    at(day, 18),
                )
        if len(pair.checkins) >= 2 and rng.random() < 0.25:
            for _ in range(rng.randint(1, 3)):
                kind, title = rng.choice(ACTIONS)
                day = pair.checkins[rng.randrange(len(pair.checkins))][1]
                effect = rng.choices(["helped", "too_early", "no_effect"], [60, 30, 10])[0]
                theme = rng.choice(pair.program.themes) if rng.random() < 0.9 else None
                action_table.add(pair.pk, kind, title, "", rng.random() < 0.5, at(day, 19), theme, effect)
        if pair.checkins and rng.random() < 0.06:
            side = rng.choice(("mentor", "mentee"))
            raised_by = pair.mentor if side == "mentor" else pair.mentee
            status = rng.choices(["open", "in_progress", "resolved"], [40, 20, 40])[0]
            created = at(pair.checkins[-1][1], 20)
            concern_table.add(
                pair.pk,
                raised_by.pk,
                side,
                "end_request" if rng.random() < 0.15 else "concern",
                rng.choice(CONCERNS),
                status,
                hr_users[0] if status != "open" and hr_users else None,
                created,
                created,
            )

    # --- Participants' logins: the busiest people of active pairs, then others ------------------------------
    busiest: dict[int, int] = {}
    for pair in pair_list:
        if pair.status == "active":
            for employee in (pair.mentor, pair.mentee):
                busiest[employee.pk] = busiest.get(employee.pk, 0) + len(pair.checkins)
    participants = sorted(busiest, key=lambda pk: (-busiest[pk], pk))
    # About 300 logins for the reference company, in proportion for a bigger or smaller one.
    others = round(280 * people / REFERENCE_EMPLOYEES)
    chosen = participants[:20] + rng.sample(participants[20:], min(others, max(0, len(participants) - 20)))
    profile_table = Table(
        Profile, "person", "about", "pronouns", "languages", "preferred_format", "updated_at"
    )
    for pk in chosen:
        give_login(staff[pk - 1])
        profile_table.add(pk, "Happy to learn both ways.", "", "English", rng.choice(FORMATS), joined)
    user_column = person_table.fields.index("user")
    for person_pk, user_pk in user_of.items():
        row = list(person_table.rows[person_pk - 1])
        row[user_column] = user_pk
        person_table.rows[person_pk - 1] = tuple(row)

    # --- Pairings and agreements, with the rhythm fields as checkins.services computes them -----------------
    pairing_table = Table(Pairing, "program", "mentor", "mentee", "status", "score", "explanation")
    pairing_table.fields += ("mentor_accepted_at", "mentee_accepted_at", "activated_at", "declined_side")
    pairing_table.fields += ("closing_reason", "ended_at", "last_checkin_on", "next_checkin_due")
    pairing_table.fields += ("late_from", "rating_trend", "created_at", "updated_at")
    agreement_table = Table(Agreement, "pairing", "cadence_days", "meeting_format", "off_limits")
    agreement_table.fields += ("mentor_confirmed_at", "mentee_confirmed_at", "updated_at")
    for pair in pair_list:
        last_on = pair.checkins[-1][1] if pair.checkins else None
        next_due = late_from = None
        if pair.activated_at:
            next_due = (last_on or pair.activated_at.date()) + timedelta(days=pair.cadence)
            late_from = next_due + timedelta(days=pair.cadence // 2 + 1)
        means = [pair.means[pk] for pk, _day in reversed(pair.checkins[-4:])]
        trend = 0
        if len(means) >= 4:
            recent, before = (means[0] + means[1]) / 2, (means[2] + means[3]) / 2
            trend = -1 if recent <= before - 0.5 else (1 if recent >= before + 0.5 else 0)
        accepted = pair.created_at + timedelta(days=1)
        declined = pair.status == "declined"
        pairing_table.add(
            pair.program.pk,
            pair.mentor_enrollment,
            pair.mentee_enrollment,
            pair.status,
            round(rng.uniform(0.4, 0.95), 3),
            "Shared topics, close time zones, free at the same times.",
            accepted if pair.status != "awaiting" or rng.random() < 0.5 else None,
            accepted + timedelta(days=1) if pair.activated_at else None,
            pair.activated_at,
            "mentee" if declined else "",
            "Schedules did not work out." if pair.status in ("ended", "declined") else "",
            pair.ended_at or (accepted + timedelta(days=2) if declined else None),
            last_on,
            next_due,
            late_from,
            trend,
            pair.created_at,
            pair.ended_at or pair.activated_at or pair.created_at,
        )
        confirmed = pair.activated_at + timedelta(days=2) if pair.activated_at else None
        agreement_table.add(
            pair.pk, pair.cadence, pair.meeting_format, "", confirmed, confirmed, confirmed or now
        )

    # --- Directory history: everyone from the day they joined; promotions and leavers since -------------
    # Juniors who mentored are promoted a little more often and leave a little less, as a program that
    # works would show; leavers are never people in a pair still running.
    history_table = Table(
        PersonHistory, "person", "valid_from", "valid_to", "level", "department", "location", "manager"
    )
    history_table.fields += ("is_active", "source", "recorded_at")
    person_table.fields += ("is_active",)
    mentored = {pair.mentor.pk for pair in pair_list if pair.activated_at}
    running = {
        e.pk
        for pair in pair_list
        if pair.status in ("active", "awaiting")
        for e in (pair.mentor, pair.mentee)
    }
    logins = set(user_of)
    level_at = person_table.fields.index("level")
    for index, row in enumerate(person_table.rows):
        pk, level = row[0], row[level_at]
        employee = staff[index]
        values = (employee.department, row[person_table.fields.index("location")], employee.manager)
        start = joined.date()
        junior = level <= 3
        promote_rate = (0.18 if pk in mentored else 0.08) if junior else 0.04
        leave_rate = (0.05 if pk in mentored else 0.10) if junior else 0.04
        change = None
        if level >= 2 and rng.random() < promote_rate:
            change = "promoted"
        elif pk not in running and pk not in logins and level <= 6 and rng.random() < leave_rate:
            change = "left"
        active = True
        if change is None:
            history_table.add(pk, start, None, level, *values, True, "start", joined)
        else:
            day = today - timedelta(days=rng.randint(5, 330))
            before_level = level - 1 if change == "promoted" else level
            history_table.add(pk, start, day, before_level, *values, True, "start", joined)
            active = change != "left"
            history_table.add(pk, day, None, level, *values, active, "import", at(day, 8))
        person_table.rows[index] = (*row, active)

    # --- Closing surveys of the closed programs, most participants answering --------------------------------
    survey_table = Table(Survey, "program", "kind", "opens_on", "closes_on", "created_at")
    question_table = Table(SurveyQuestion, "survey", "text", "kind", "position", "is_standard")
    response_table = Table(SurveyResponse, "survey", "person", "side", "submitted_at")
    answer_table = Table(SurveyAnswer, "response", "question", "value_int", "value_bool", "value_text")
    for prog in progs:
        if prog.state != "closed":
            continue
        closes = min(prog.ends_on + timedelta(days=10), today - timedelta(days=1))
        survey = survey_table.add(prog.pk, "closing", closes - timedelta(days=24), closes, at(prog.starts_on))
        questions = {
            str(kind): question_table.add(survey, str(text), str(kind), position, True)
            for position, (kind, text) in enumerate(STANDARD_SURVEY_QUESTIONS)
        }
        for pair in (p for p in pair_list if p.program is prog and p.activated_at):
            for side, person in (("mentor", pair.mentor), ("mentee", pair.mentee)):
                if rng.random() >= 0.7:
                    continue
                response = response_table.add(survey, person.pk, side, at(closes - timedelta(days=3)))
                happy = rng.random() < 0.8
                answer_table.add(
                    response,
                    questions["rating_1_5"],
                    rng.choice([4, 5]) if happy else rng.choice([2, 3]),
                    None,
                    "",
                )
                answer_table.add(response, questions["yes_no"], None, happy or rng.random() < 0.3, "")
                answer_table.add(
                    response,
                    questions["scale_0_10"],
                    rng.choice([8, 9, 10]) if happy else rng.choice([3, 5, 7]),
                    None,
                    "",
                )

    return [
        user_table,
        person_table,
        history_table,
        profile_table,
        program_table,
        theme_table,
        ack_table,
        enrollment_table,
        topics,
        acknowledged,
        pairing_table,
        agreement_table,
        goal_table,
        meeting_table,
        cancellation_table,
        checkin_table,
        checkin_themes,
        reflection_table,
        goal_update_table,
        action_table,
        concern_table,
        survey_table,
        question_table,
        response_table,
        answer_table,
    ]


# --- Loading --------------------------------------------------------------------------------------------


def _column_defaults(model, given: tuple[str, ...], now: datetime) -> tuple[list[str], tuple]:
    """Columns the generator leaves out that still need a value: the field's default, "" for text."""
    from django.db.models import NOT_PROVIDED, JSONField
    from django.utils.functional import Promise

    given_fields = {model._meta.get_field(name) for name in given}
    columns, values = [], []
    for model_field in model._meta.concrete_fields:
        if (
            model_field in given_fields
            or getattr(model_field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED
        ):
            continue
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            value = now
        elif model_field.has_default() or (model_field.empty_strings_allowed and not model_field.null):
            value = model_field.get_default()
            if isinstance(model_field, JSONField):
                value = json.dumps(value)
            elif isinstance(value, Promise):
                value = str(value)
        elif model_field.null:
            continue
        else:
            raise RuntimeError(f"make_company does not fill {model.__name__}.{model_field.name}: add it")
        columns.append(model_field.column)
        values.append(value)
    return columns, tuple(values)


def _set_aside(cursor, tables: list[str]) -> list[str]:
    """Drop the foreign keys, unique constraints and indexes (all but the primary key) of `tables`;
    returns the statements that make them again, as the migrations made them.

    Each row COPYed into a table with a deferred foreign key queues a check (a lookup and a row lock in
    the table it points to) until the commit: millions of them for the enterprise company, and an index
    is cheaper built once than grown row by row. Made again after the COPY, a foreign key checks every row
    in one join, so a row pointing nowhere still fails the build loudly."""
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
        FROM pg_constraint c
        WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
        ORDER BY c.contype DESC
        """,
        [tables],
    )
    constraints = cursor.fetchall()  # unique first: a foreign key elsewhere may need one back
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype <> 'f')
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _definition, _kind in reversed(constraints):  # foreign keys first
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    remake = [definition for _name, definition in indexes]
    remake += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition, _k in constraints
    ]
    return remake


def load(tables: list[Table], *, now: datetime, verbose: bool = True) -> None:
    """COPY every table in one transaction, then move the id sequences past the ids used here. The
    tables of at least BULK_ROWS rows are loaded without their indexes and foreign keys, made again
    after the COPY (see _set_aside)."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from psycopg import sql

    bulky = [t.model._meta.db_table for t in tables if len(t.rows) >= BULK_ROWS]
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        remake = _set_aside(cursor, bulky) if bulky else []
        for table in tables:
            started = time.perf_counter()
            meta = table.model._meta
            columns = [meta.get_field(name).column for name in table.fields]
            extra_columns, extra = _column_defaults(table.model, table.fields, now)
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(meta.db_table),
                sql.SQL(", ").join(map(sql.Identifier, columns + extra_columns)),
            )
            with raw.copy(statement) as copy:
                write = copy.write_row
                if extra:
                    for row in table.rows:
                        write(row + extra)
                else:
                    for row in table.rows:
                        write(row)
            if verbose:
                took = time.perf_counter() - started
                print(f"  {meta.db_table}: {len(table.rows):,} rows in {took:.1f} s", flush=True)
        if remake:
            started = time.perf_counter()
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in remake:
                cursor.execute(statement)
            if verbose:
                took = time.perf_counter() - started
                print(f"  {len(remake)} indexes and constraints of {len(bulky)} tables in {took:.1f} s")
        for statement in connection.ops.sequence_reset_sql(no_style(), [t.model for t in tables]):
            cursor.execute(statement)


def _plural(model) -> str:
    meta = model._meta
    if meta.auto_created:  # a many-to-many table: enrollment_topics, checkin_themes, ...
        return meta.db_table.removeprefix(f"{meta.app_label}_")
    return "people" if meta.model_name == "person" else f"{meta.model_name}s"


def build(
    *,
    employees: int = REFERENCE_EMPLOYEES,
    scale: float = 1.0,
    database: str = DEFAULT_DATABASE,
    pairs: int | None = None,
    people: int | None = None,
    programs: int = 20,
    seed: int = SEED,
    verbose: bool = True,
) -> dict[str, float]:
    """(Re)create `database`, migrate it and fill it with the company of `employees` people: one pair
    for every two of them, 40 x `scale` check-ins per pair (`pairs` and `people` set either apart, for
    a tiny company). Returns row counts and timings."""
    people = people if people is not None else employees
    pairs = pairs if pairs is not None else employees // 2

    def say(message):
        if verbose:
            print(message, flush=True)

    started = time.perf_counter()
    say(f"Creating database {database} on {_common.server_host()} ...")
    _common.create_database(database)
    _common.setup_django(database)
    say("Migrating ...")
    _common.migrate()
    migrated = time.perf_counter()

    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    say(f"Generating the company (scale {scale}, {pairs:,} pairs, {people:,} people) ...")
    tables = generate(scale=scale, pairs=pairs, people=people, programs=programs, seed=seed, today=today)
    generated = time.perf_counter()
    say(f"  generated in {generated - migrated:.1f} s; loading with COPY ...")
    load(tables, now=datetime(today.year, today.month, today.day, 12, tzinfo=UTC), verbose=verbose)
    loaded = time.perf_counter()
    say("VACUUM ANALYZE ...")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    analyzed = time.perf_counter()
    # Pair health's stored order, as the app works it out on its first read (or the dashboards' rollup
    # every 15 minutes does): done here so that a benchmark measures the pages, not this one-off.
    from checkins.selectors import refresh_stored_risk

    stored = refresh_stored_risk()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE pairings_pairing")
    finished = time.perf_counter()
    say(f"  pair health's risk of {stored:,} active pairs stored in {finished - analyzed:.1f} s")
    result = {f"rows_{_plural(t.model)}": len(t.rows) for t in tables}
    result.update(
        migrate_seconds=migrated - started,
        generate_seconds=generated - migrated,
        load_seconds=loaded - generated,
        analyze_seconds=analyzed - loaded,
        risk_seconds=finished - analyzed,
        seconds=finished - started,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--employees",
        type=int,
        default=REFERENCE_EMPLOYEES,
        help="people; pairs are half as many, with 40 check-ins each (x --scale)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="check-ins per pair: 40 x scale")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database (to explore or for pages.py)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    try:
        result = build(employees=args.employees, scale=args.scale, database=args.database, seed=args.seed)
    finally:
        if not args.keep:
            print(f"Dropping database {args.database} ...")
            _common.drop_database(args.database)
    seconds = result.pop("seconds")
    size = f"{args.employees:,} people, check-ins x {args.scale:g}"
    budget = BUDGET_SECONDS.get(args.employees)
    if budget is not None:
        verdict = "within" if seconds <= budget else "OVER"
        print(f"Built in {seconds:.1f} s: {verdict} the {budget:.0f} s budget ({size}).")
    else:
        print(f"Built in {seconds:.1f} s ({size}).")
    if args.keep:
        print(f"Kept: DATABASE_URL={_common.with_database(_common.SERVER_URL, args.database)}")
        print(f"  logins: any participant, HR admin or leader email, password {BENCH_PASSWORD}")
    # The reference company's figures keep their names; another size says its own in each name.
    prefix = (
        "make_company" if args.employees == REFERENCE_EMPLOYEES else f"make_company_{_size(args.employees)}"
    )
    print(f"RESULT {prefix}_seconds={seconds:.1f} s")
    for name in ("migrate", "generate", "load", "analyze", "risk"):
        print(f"RESULT {prefix}_{name}_seconds={result.pop(f'{name}_seconds'):.1f} s")
    suffix = "" if args.employees == REFERENCE_EMPLOYEES else f"_{_size(args.employees)}"
    for name, count in result.items():
        print(f"RESULT {name}{suffix}={count} rows")


def _size(employees: int) -> str:
    return f"{employees // 1000}k" if employees % 1000 == 0 else str(employees)


if __name__ == "__main__":
    main()
