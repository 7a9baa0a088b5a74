"""Benchmark: the matching engine (pairings.matching.match) at 2,000 x 2,000 and 5,000 x 5,000.

Budgets (issue 15), with every hard rule on and the optimum (not a heuristic):
  - 2,000 mentors x 2,000 mentees (a directory of 10,000 people): median <= 1 s;
  - 5,000 mentors x 5,000 mentees (a directory of 50,000 people): median <= 5 s, and the process's
    memory at most 2 GiB above what it held before matching.

The engine is pure (no ORM), so this benchmark needs no database and creates none; it loads the
project's settings (without connecting to anything) only because the engine reads the apps' choices and
the explanations' gettext calls need them.

For each size it generates, from a fixed seed, a company tree (CEO, 10 department heads, directors,
senior managers, managers, individual contributors: reporting lines 6 deep), then enrolls the mentors
(levels 1-4) and mentees (levels 5-9) with 30 topic labels, 10 availability slots, 6 time zones and
4 languages, 1% of mentors with a pair HR forbade and 5% with a previous pair. Each of these runs in a
fresh Python process of its own:
  - mentor capacity 1, mentee capacity 1;
  - mentor capacity 2, mentee capacity 1 (suffix _cap2).
After one untimed warm-up it times match() --runs times (whole call: rules, scores, assignment,
explanations of the chosen pairs, reasons for the unmatched).

Memory, peak_mib: the process's peak resident set (getrusage(RUSAGE_SELF).ru_maxrss, read in that fresh
process after the timed runs) minus its resident set just before the warm-up (/proc/self/statm), i.e.
what matching adds on top of the interpreter, Django and the generated candidates. One more untimed run
under tracemalloc prints the peak of Python and numpy allocations (numpy reports to tracemalloc) as a
cross-check.

    .venv/bin/python bench/matching.py [--sizes 2000,5000] [--runs 5] [--seed 7]
"""

import argparse
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

import os  # noqa: E402
import secrets  # noqa: E402

import django  # noqa: E402

# The engine needs no database, but its modules read the apps' models (Side, the slot hours): the
# project's settings, loaded without connecting to anything.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")
django.setup()

from pairings.matching import Rules, Weights, candidate_from_answers, match  # noqa: E402

DEPARTMENTS = [
    "Engineering",
    "Marketing",
    "Finance",
    "Sales",
    "Operations",
    "People & Culture",
    "Legal",
    "Product",
    "Customer Care",
    "Data",
]
TIME_ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Singapore",
]
LANGUAGES = ["English", "Spanish", "German", "French"]
THEMES = ["New technology", "Marketing strategies", "Workplace culture", "Diversity and inclusion"]
FREE_TAGS = [
    "AI tools",
    "short video",
    "inclusive hiring",
    "remote work",
    "mental health",
    "social media",
    "gaming",
    "open source",
    "sustainability",
    "podcasts",
    "no-code",
    "data privacy",
    "creator economy",
    "hybrid meetings",
    "accessibility",
    "crypto",
    "e-sports",
    "side projects",
    "learning apps",
    "employer brand",
    "Gen Z shopping",
    "climate tech",
    "cybersecurity",
    "prompting",
    "async writing",
    "feedback culture",
]
SLOTS = [f"{day}_{part}" for day in ("mon", "tue", "wed", "thu", "fri") for part in ("am", "pm")]
FORMATS = ["in_person", "video", "chat", "hybrid"]


def make_directory(rng: random.Random, size: int) -> list[dict]:
    """A company tree: CEO -> 10 heads -> 5 directors -> 4 senior managers -> 6 managers -> ICs."""
    people: list[dict] = []

    def add(level, department, manager_id, zone):
        person = {
            "id": len(people) + 1,
            "level": level,
            "department": department,
            "manager_id": manager_id,
            "time_zone": zone,
        }
        people.append(person)
        return person

    ceo = add(9, "Executive", None, "Europe/Berlin")
    managers = []
    for department in DEPARTMENTS:
        head = add(8, department, ceo["id"], rng.choice(TIME_ZONES))
        for _ in range(5):
            director = add(rng.choice([7, 8]), department, head["id"], rng.choice(TIME_ZONES))
            for _ in range(4):
                senior = add(rng.choice([6, 7]), department, director["id"], director["time_zone"])
                for _ in range(6):
                    managers.append(add(rng.choice([5, 6]), department, senior["id"], senior["time_zone"]))
    while len(people) < size:
        boss = rng.choice(managers)
        level = rng.choices([1, 2, 3, 4, 5, 6], weights=[20, 25, 25, 15, 10, 5])[0]
        zone = boss["time_zone"] if rng.random() < 0.8 else rng.choice(TIME_ZONES)
        add(level, boss["department"], boss["id"], zone)
    return people


def make_candidates(rng: random.Random, people: list[dict], *, mentors: int, mentees: int):
    juniors = [p for p in people if p["level"] <= 4]
    seniors = [p for p in people if p["level"] >= 5]
    chosen_mentors = rng.sample(juniors, mentors)
    chosen_mentees = rng.sample(seniors, mentees)
    next_id = iter(range(1, mentors + mentees + 1))

    def candidate(person, capacity):
        languages = ["English"] if rng.random() < 0.85 else []
        languages += rng.sample(LANGUAGES[1:], rng.choice([0, 0, 1, 2]))
        if not languages:
            languages = [rng.choice(LANGUAGES[1:])]
        return candidate_from_answers(
            enrollment_id=next(next_id),
            person_id=person["id"],
            name=f"Person {person['id']}",
            level=person["level"],
            department=person["department"],
            manager_id=person["manager_id"],
            time_zone=person["time_zone"],
            theme_names=rng.sample(THEMES, rng.randint(1, 3)),
            extra_topics=", ".join(rng.sample(FREE_TAGS, rng.randint(0, 4))),
            preferred_format=rng.choice(FORMATS),
            availability=rng.sample(SLOTS, rng.randint(2, 6)),
            languages=", ".join(languages),
            capacity=capacity,
        )

    return [candidate(p, 1) for p in chosen_mentors], [candidate(p, 1) for p in chosen_mentees]


def with_capacity(candidates, capacity):
    from dataclasses import replace

    return [replace(c, capacity=capacity) for c in candidates]


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


BUDGET_SECONDS = {2000: 1.0, 5000: 5.0}
BUDGET_PEAK_MIB = {5000: 2048}


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run(label, suffix, *, size, mentors, mentees, rules, managers, at, runs):
    import resource
    import tracemalloc

    weights = Weights()
    print(f"{label}: {len(mentors)} mentors x {len(mentees)} mentees; 1 warm-up, then {runs} timed runs")
    before_mib = resident_mib()
    kwargs = dict(mentors=mentors, mentees=mentees, rules=rules, weights=weights, managers=managers, at=at)
    result = match(**kwargs)
    durations, phases = [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = match(**kwargs)
        durations.append(time.perf_counter() - started)
        phases.append(result.timings)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before_mib  # Linux: KiB
    del result
    tracemalloc.start()
    result = match(**kwargs)
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for phase in ("prepare", "score", "assign", "explain"):
        print(f"  median {phase}: {statistics.median(t[phase] for t in phases):.3f} s")
    median = statistics.median(durations)
    reasons = {}
    for item in result.unmatched:
        reasons[item.reason_code] = reasons.get(item.reason_code, 0) + 1
    print(f"  method: {result.method}; unmatched by reason: {reasons}")
    budget = BUDGET_SECONDS.get(size)
    if budget is not None:
        verdict = "within" if median <= budget else "OVER"
        print(f"  median {median:.3f} s: {verdict} the {budget:g} s budget")
    print(
        f"  memory: peak resident set {peak_mib:.0f} MiB above the {before_mib:.0f} MiB held before "
        f"matching; tracemalloc peak of one run {traced_peak / 2**20:.0f} MiB"
    )
    if size in BUDGET_PEAK_MIB:
        verdict = "within" if peak_mib <= BUDGET_PEAK_MIB[size] else "OVER"
        print(f"  peak {peak_mib:.0f} MiB: {verdict} the {BUDGET_PEAK_MIB[size]} MiB budget")
    print(f"RESULT matching_{size}_seconds{suffix}={median:.3f} s")
    print(f"RESULT matching_{size}_p95_seconds{suffix}={p95(durations):.3f} s")
    print(f"RESULT matching_{size}_peak_mib{suffix}={peak_mib:.0f} MiB")
    print(f"RESULT matching_{size}_total_score{suffix}={result.total_score:.4f}")
    print(f"RESULT matching_{size}_pairs{suffix}={len(result.pairs)}")


def measure(size, people_count, mentor_capacity, runs, seed):
    """One size and one capacity, in this (fresh) process."""
    rng = random.Random(seed)
    people = make_directory(rng, people_count)
    mentors, mentees = make_candidates(rng, people, mentors=size, mentees=size)
    managers = {p["id"]: p["manager_id"] for p in people}
    enrolled = {c.person_id: c.enrollment_id for c in mentors} | {
        c.person_id: c.enrollment_id for c in mentees
    }
    mentor_ids = [c.enrollment_id for c in mentors]
    mentee_ids = [c.enrollment_id for c in mentees]
    # HR forbade 1% of mentors one mentee each; 5% of the mentors met a mentee in an earlier program.
    forbidden = frozenset(
        (rng.choice(mentor_ids), rng.choice(mentee_ids)) for _ in range(len(mentors) // 100)
    )
    previous = frozenset(
        (rng.choice(mentors).person_id, rng.choice(mentees).person_id) for _ in range(len(mentors) // 20)
    )
    rules = Rules(
        min_level_gap=2,
        exclude_same_department=True,
        exclude_same_manager=True,
        forbidden=forbidden,
        previous=previous,
        avoid_previous=True,
    )
    at = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)  # between the US and EU daylight-saving switches
    depth = max(len(_line(p["id"], managers)) for p in people)
    print(
        f"Directory: {len(people)} people, {len(DEPARTMENTS)} departments, reporting lines up to {depth} deep; "
        f"{len(enrolled)} enrolled; {len(THEMES) + len(FREE_TAGS)} topic labels, {len(SLOTS)} slots, "
        f"{len(TIME_ZONES)} time zones, {len(LANGUAGES)} languages; all hard rules on (gap 2)."
    )
    if mentor_capacity == 1:
        label, suffix = "Capacity 1/1", ""
    else:
        label, suffix = f"Mentor capacity {mentor_capacity}, mentee capacity 1", f"_cap{mentor_capacity}"
        mentors = with_capacity(mentors, mentor_capacity)
    run(
        label,
        suffix,
        size=size,
        mentors=mentors,
        mentees=mentees,
        rules=rules,
        managers=managers,
        at=at,
        runs=runs,
    )


def directory_size(size: int) -> int:
    # 10,000 people up to 2,000 pairs, as before; 10 people per mentor beyond (50,000 for 5,000: enough
    # seniors at levels 5-9 for 5,000 mentees).
    return 10_000 if size <= 2_000 else 10 * size


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2000,5000", help="mentors (= mentees) per run, comma separated")
    parser.add_argument("--capacities", default="1,2", help="mentor capacities to run, comma separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    # Internal: one size and capacity in this process (the parent starts one process for each).
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.only:
        size, capacity = (int(x) for x in args.only.split(":"))
        measure(size, directory_size(size), capacity, args.runs, args.seed)
        return
    print("No database needed: the matching engine is pure; none is created.")
    print("Each size and capacity runs in a fresh process, so that its peak memory is its own.")
    for size in (int(x) for x in args.sizes.split(",")):
        for capacity in (int(x) for x in args.capacities.split(",")):
            command = [sys.executable, __file__, "--only", f"{size}:{capacity}"]
            command += ["--runs", str(args.runs), "--seed", str(args.seed)]
            sys.stdout.flush()
            subprocess.run(command, check=True)  # noqa: S603 (our own script, our arguments)


def _line(person_id, managers):
    depth, boss = 1, managers.get(person_id)
    while boss is not None:
        depth, boss = depth + 1, managers.get(boss)
    return range(depth)


if __name__ == "__main__":
    main()
