"""The matching engine: proposes mentor/mentee pairs for one program. Pure: no ORM, no I/O.

The service layer turns approved Enrollments into `Candidate`s and the Program's rules into `Rules`, then
calls `match()`. What the engine guarantees:

- Hard rules are never broken, pinned pairs included (a pinned pair that breaks one raises ValueError):
  1. the mentee's level is at least `min_level_gap` above the mentor's ("reverse" is career level,
     never age); 2. neither is in the other's reporting line, at any depth; 3. capacities, and the same
     pair at most once; 4. different departments / not the same direct manager (when the program says
     so); 5. not a pair HR forbade, nor (when asked) a pair that met in an earlier program; 6. not the
     same person.
- Among all sets of pairs that keep the hard rules and the capacities (pinned pairs kept), the result
  has the highest total score. Each eligible pair scores an eligibility baseline of 1.0 plus its
  weighted soft components (topics, format, time zone, availability, language), rounded to 4
  decimals. The baseline makes every eligible pair worth more than no pair, so the optimum pairs as
  many people as it can unless a few strong pairs are worth more than many weak ones.
- The result is the same for the same input, whatever the order of the candidates.
- Every person left without a pair gets a reason that is true: no eligible partner at all (with
  counts per rule), or every eligible partner's places are taken.

Explanations are translatable (gettext); they are built for the chosen pairs only.
"""

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from django.utils.text import get_text_list
from django.utils.translation import gettext, gettext_lazy, ngettext, ngettext_lazy
from scipy.optimize import linear_sum_assignment, linprog
from scipy.sparse import coo_array

from programs.models import Side

FORMATS = ("in_person", "video", "chat", "hybrid")
FORMAT_LABELS = {
    "in_person": gettext_lazy("in person"),
    "video": gettext_lazy("video"),
    "chat": gettext_lazy("chat"),
    "hybrid": gettext_lazy("hybrid"),
}
DAY_LABELS = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}
# Same msgids as programs.models.AVAILABILITY_CHOICES, so one translation serves both.
PART_LABELS = {"am": gettext_lazy("%(day)s morning"), "pm": gettext_lazy("%(day)s afternoon")}

# Every eligible pair is worth this much before its soft score: see the module docstring.
ELIGIBILITY_BASELINE = 1.0
# Scores are rounded to 4 decimals and optimised as integers of 1/10,000, so totals are exact.
SCORE_SCALE = 10_000
MAX_TIME_ZONE_HOURS = 12.0
TOPICS_FOR_FULL_MARK = 3

# Hard-rule codes, in the order used to count why someone has no eligible partner.
RULE_LEVEL_GAP = "level_gap"
RULE_REPORTING_LINE = "reporting_line"
RULE_CAPACITY = "capacity"  # only for pinned pairs: capacity is otherwise the optimiser's constraint
RULE_SAME_DEPARTMENT = "same_department"
RULE_SAME_MANAGER = "same_manager"
RULE_FORBIDDEN = "forbidden"
RULE_PREVIOUS_PAIR = "previous_pair"
RULE_SAME_PERSON = "same_person"
PAIR_RULES = (
    RULE_LEVEL_GAP,
    RULE_REPORTING_LINE,
    RULE_SAME_DEPARTMENT,
    RULE_SAME_MANAGER,
    RULE_FORBIDDEN,
    RULE_PREVIOUS_PAIR,
    RULE_SAME_PERSON,
)

REASON_NO_ELIGIBLE_PARTNER = "no_eligible_partner"
REASON_CAPACITY_TAKEN = "capacity_taken"

MENTOR = Side.MENTOR
MENTEE = Side.MENTEE

METHOD_ASSIGNMENT = "assignment"
METHOD_LINEAR_PROGRAM = "linear_program"

COMPONENTS = ("topics", "format", "time_zone", "availability", "language")


def normalise_label(text: str) -> str:
    """A topic or language as the engine compares it: casefolded, trimmed, inner spaces collapsed."""
    return " ".join(str(text).split()).casefold()


def split_comma_text(text: str) -> list[str]:
    """'English, Spanish ,' -> ['English', 'Spanish'] (display forms, blanks dropped)."""
    return [" ".join(part.split()) for part in (text or "").split(",") if part.strip()]


@dataclass(frozen=True)
class Candidate:
    """One enrollment, as the engine sees it."""

    enrollment_id: int
    person_id: int
    name: str  # for explanations only
    level: int
    department: str
    manager_id: int | None  # Person id of the direct manager
    time_zone: str  # IANA name
    topics: frozenset[str]  # normalised labels (see normalise_label)
    preferred_format: str  # in_person | video | chat | hybrid
    availability: frozenset[str]  # slot codes such as "mon_am"
    languages: frozenset[str]  # normalised labels
    capacity: int = 1
    # Display forms, normalised label -> as the person typed it / as the theme is named.
    topic_labels: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    language_labels: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


def candidate_from_answers(
    *,
    enrollment_id: int,
    person_id: int,
    name: str,
    level: int,
    department: str,
    manager_id: int | None,
    time_zone: str,
    theme_names: Iterable[str] = (),
    extra_topics: str = "",
    preferred_format: str,
    availability: Iterable[str] = (),
    languages: str = "",
    capacity: int = 1,
) -> Candidate:
    """Build a Candidate from an Enrollment's answers: themes + comma-separated free tags, languages."""
    topic_labels: dict[str, str] = {}
    for label in [*theme_names, *split_comma_text(extra_topics)]:
        key = normalise_label(label)
        if key:
            topic_labels.setdefault(key, " ".join(str(label).split()))
    language_labels: dict[str, str] = {}
    for label in split_comma_text(languages):
        language_labels.setdefault(normalise_label(label), label)
    return Candidate(
        enrollment_id=enrollment_id,
        person_id=person_id,
        name=name,
        level=level,
        department=department,
        manager_id=manager_id,
        time_zone=time_zone,
        topics=frozenset(topic_labels),
        preferred_format=preferred_format,
        availability=frozenset(availability),
        languages=frozenset(language_labels),
        capacity=capacity,
        topic_labels=topic_labels,
        language_labels=language_labels,
    )


@dataclass(frozen=True)
class Rules:
    min_level_gap: int
    exclude_same_department: bool = True
    exclude_same_manager: bool = True
    forbidden: frozenset[tuple[int, int]] = frozenset()  # (mentor enrollment_id, mentee enrollment_id)
    previous: frozenset[tuple[int, int]] = frozenset()  # (mentor person_id, mentee person_id)
    avoid_previous: bool = False


@dataclass(frozen=True)
class Weights:
    topics: float = 3.0
    format: float = 1.0
    time_zone: float = 1.0
    availability: float = 1.0
    language: float = 1.0

    def __post_init__(self):
        for name in COMPONENTS:
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"Weight {name!r} must be a finite number >= 0, not {value!r}.")


@dataclass(frozen=True)
class ProposedPair:
    mentor_enrollment_id: int
    mentee_enrollment_id: int
    score: float
    components: dict[str, float]  # weighted contribution of each component, and the baseline
    explanation: str
    pinned: bool = False


@dataclass(frozen=True)
class Unmatched:
    enrollment_id: int
    side: str  # "mentor" | "mentee"
    reason_code: str  # REASON_NO_ELIGIBLE_PARTNER | REASON_CAPACITY_TAKEN
    reason: str
    # For no_eligible_partner: how many of the other side each rule ruled out (first failing rule).
    excluded_by_rule: dict[str, int] = field(default_factory=dict)
    eligible_partners: int = 0


@dataclass(frozen=True)
class MatchResult:
    pairs: list[ProposedPair]  # sorted by (mentor enrollment id, mentee enrollment id)
    unmatched: list[Unmatched]  # candidates with no pair at all; mentors first, then by enrollment id
    total_score: float
    method: str = METHOD_ASSIGNMENT  # which exact optimiser ran
    timings: dict[str, float] = field(default_factory=dict, compare=False)  # seconds per phase


# --- Encoding --------------------------------------------------------------------------------------------


class _Vocabulary:
    """Labels -> bit positions, shared by both sides so bitmasks can be AND-ed."""

    def __init__(self, labels: Iterable[str]):
        self.index = {label: k for k, label in enumerate(sorted(set(labels)))}
        self.words = max(1, (len(self.index) + 63) // 64)

    def encode(self, label_sets: Sequence[Iterable[str]]) -> tuple[np.ndarray, np.ndarray]:
        bits = np.zeros((len(label_sets), self.words), dtype=np.uint64)
        counts = np.zeros(len(label_sets), dtype=np.int64)
        for row, labels in enumerate(label_sets):
            positions = {self.index[label] for label in labels if label in self.index}
            counts[row] = len(positions)
            for position in positions:
                bits[row, position >> 6] |= np.uint64(1) << np.uint64(position & 63)
        return bits, counts


def _utc_offset_hours(zone: str, at: datetime, cache: dict[str, float]) -> float:
    if zone not in cache:
        try:
            offset = at.astimezone(ZoneInfo(zone)).utcoffset()
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"Unknown time zone {zone!r}.") from error
        cache[zone] = offset.total_seconds() / 3600.0
    return cache[zone]


def _department_key(department: str) -> str:
    # A blank department is unknown, never "the same" as another blank one.
    return " ".join((department or "").split()).casefold()


@dataclass
class _Side:
    candidates: list[Candidate]
    enrollment: np.ndarray
    person: np.ndarray
    level: np.ndarray
    department: np.ndarray  # code, -1 = blank
    manager: np.ndarray
    has_manager: np.ndarray
    offset: np.ndarray  # UTC offset in hours at `at`
    format: np.ndarray  # index in FORMATS
    topic_bits: np.ndarray
    topic_count: np.ndarray
    slot_bits: np.ndarray
    slot_count: np.ndarray
    language_bits: np.ndarray
    language_count: np.ndarray
    capacity: np.ndarray

    def __len__(self):
        return len(self.candidates)


@dataclass
class _Context:
    topics: _Vocabulary
    slots: _Vocabulary
    languages: _Vocabulary
    departments: dict[str, int]
    offsets: dict[str, float]
    at: datetime


def _context(groups: Sequence[Sequence[Candidate]], at: datetime) -> _Context:
    everyone = [c for group in groups for c in group]
    departments = sorted({_department_key(c.department) for c in everyone} - {""})
    return _Context(
        topics=_Vocabulary(normalise_label(t) for c in everyone for t in c.topics),
        slots=_Vocabulary(s for c in everyone for s in c.availability),
        languages=_Vocabulary(normalise_label(lang) for c in everyone for lang in c.languages),
        departments={d: k for k, d in enumerate(departments)},
        offsets={},
        at=at,
    )


def _encode(candidates: list[Candidate], context: _Context) -> _Side:
    for c in candidates:
        if c.preferred_format not in FORMATS:
            raise ValueError(f"Enrollment {c.enrollment_id}: unknown format {c.preferred_format!r}.")
        if c.capacity < 1:
            raise ValueError(f"Enrollment {c.enrollment_id}: capacity must be at least 1.")
    topic_bits, topic_count = context.topics.encode(
        [{normalise_label(t) for t in c.topics} for c in candidates]
    )
    slot_bits, slot_count = context.slots.encode([c.availability for c in candidates])
    language_bits, language_count = context.languages.encode(
        [{normalise_label(lang) for lang in c.languages} for c in candidates]
    )
    return _Side(
        candidates=candidates,
        enrollment=np.array([c.enrollment_id for c in candidates], dtype=np.int64),
        person=np.array([c.person_id for c in candidates], dtype=np.int64),
        level=np.array([c.level for c in candidates], dtype=np.int64),
        department=np.array(
            [context.departments.get(_department_key(c.department), -1) for c in candidates], dtype=np.int64
        ),
        manager=np.array(
            [c.manager_id if c.manager_id is not None else 0 for c in candidates], dtype=np.int64
        ),
        has_manager=np.array([c.manager_id is not None for c in candidates], dtype=bool),
        offset=np.array([_utc_offset_hours(c.time_zone, context.at, context.offsets) for c in candidates]),
        format=np.array([FORMATS.index(c.preferred_format) for c in candidates], dtype=np.int64),
        topic_bits=topic_bits,
        topic_count=topic_count,
        slot_bits=slot_bits,
        slot_count=slot_count,
        language_bits=language_bits,
        language_count=language_count,
        capacity=np.array([c.capacity for c in candidates], dtype=np.int64),
    )


def _check_at(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("`at` must be an aware datetime.")
    return at.astimezone(UTC)


# --- Scores ----------------------------------------------------------------------------------------------


def _format_table() -> np.ndarray:
    table = np.zeros((len(FORMATS), len(FORMATS)))
    for i, a in enumerate(FORMATS):
        for j, b in enumerate(FORMATS):
            if a == b:
                table[i, j] = 1.0
            elif {a, b} in ({"hybrid", "in_person"}, {"hybrid", "video"}):
                table[i, j] = 0.5
    return table


FORMAT_SCORES = _format_table()


def _common(bits_a: np.ndarray, bits_b: np.ndarray, rows, cols) -> np.ndarray:
    """How many labels each (row, col) shares; rows/cols index arrays already shaped to broadcast."""
    count = None
    for word in range(bits_a.shape[1]):
        shared = np.bitwise_count(bits_a[rows, word] & bits_b[cols, word]).astype(np.int64)
        count = shared if count is None else count + shared
    return count


def _components(mentors: _Side, mentees: _Side, rows, cols, weights: Weights) -> dict[str, np.ndarray]:
    """Weighted components for every (rows, cols) combination (broadcast), and the rounded total.

    The one implementation behind the score matrix, the chosen pairs and score_pair, so they agree
    to the last digit.
    """
    shared_topics = _common(mentors.topic_bits, mentees.topic_bits, rows, cols)
    wanted = np.maximum(1, np.minimum(TOPICS_FOR_FULL_MARK, mentees.topic_count[cols]))
    topics = np.minimum(shared_topics / wanted, 1.0)

    format_ = FORMAT_SCORES[mentors.format[rows], mentees.format[cols]]

    hours = np.abs(mentors.offset[rows] - mentees.offset[cols])
    time_zone = 1.0 - np.minimum(hours, MAX_TIME_ZONE_HOURS) / MAX_TIME_ZONE_HOURS

    shared_slots = _common(mentors.slot_bits, mentees.slot_bits, rows, cols)
    fewest_slots = np.minimum(mentors.slot_count[rows], mentees.slot_count[cols])
    availability = np.where(fewest_slots > 0, shared_slots / np.maximum(1, fewest_slots), 0.0)

    language = (_common(mentors.language_bits, mentees.language_bits, rows, cols) > 0).astype(np.float64)

    weighted = {
        "topics": weights.topics * topics,
        "format": weights.format * format_,
        "time_zone": weights.time_zone * time_zone,
        "availability": weights.availability * availability,
        "language": weights.language * language,
    }
    raw = ELIGIBILITY_BASELINE + weighted["topics"]
    for name in COMPONENTS[1:]:
        raw = raw + weighted[name]
    weighted["score_units"] = np.rint(raw * SCORE_SCALE).astype(np.int64)
    return weighted


# --- Hard rules ------------------------------------------------------------------------------------------


def _effective_managers(
    managers: Mapping[int, int | None], candidates: Iterable[Candidate]
) -> Mapping[int, int | None]:
    missing = {c.person_id: c.manager_id for c in candidates if c.person_id not in managers}
    if not missing:
        return managers
    return {**missing, **managers}


def reporting_line(person_id: int, managers: Mapping[int, int | None]) -> list[int]:
    """Everyone above person_id, nearest first. Stops at the top or where a (bad) cycle closes."""
    above: list[int] = []
    seen = {person_id}
    boss = managers.get(person_id)
    while boss is not None and boss not in seen:
        above.append(boss)
        seen.add(boss)
        boss = managers.get(boss)
    if boss is not None and boss == person_id:
        above.append(person_id)  # a cycle through the person: they are above themselves
    return above


def _violations(mentors: _Side, mentees: _Side, rules: Rules, managers: Mapping) -> dict[str, np.ndarray]:
    """One boolean matrix per pair rule: True where the (mentor, mentee) pair breaks it."""
    n, m = len(mentors), len(mentees)
    rows, cols = np.arange(n)[:, None], np.arange(m)[None, :]
    broken: dict[str, np.ndarray] = {}
    broken[RULE_LEVEL_GAP] = (mentees.level[cols] - mentors.level[rows]) < rules.min_level_gap

    # Walk up once per candidate; only ancestors enrolled on the other side mark a pair: O(N x depth).
    line = np.zeros((n, m), dtype=bool)
    mentees_by_person: dict[int, list[int]] = {}
    for j, c in enumerate(mentees.candidates):
        mentees_by_person.setdefault(c.person_id, []).append(j)
    mentors_by_person: dict[int, list[int]] = {}
    for i, c in enumerate(mentors.candidates):
        mentors_by_person.setdefault(c.person_id, []).append(i)
    for i, c in enumerate(mentors.candidates):
        for boss in reporting_line(c.person_id, managers):
            for j in mentees_by_person.get(boss, ()):
                line[i, j] = True
    for j, c in enumerate(mentees.candidates):
        for boss in reporting_line(c.person_id, managers):
            for i in mentors_by_person.get(boss, ()):
                line[i, j] = True
    broken[RULE_REPORTING_LINE] = line

    if rules.exclude_same_department:
        broken[RULE_SAME_DEPARTMENT] = (mentors.department[rows] == mentees.department[cols]) & (
            mentors.department[rows] >= 0
        )
    else:
        broken[RULE_SAME_DEPARTMENT] = np.zeros((n, m), dtype=bool)
    if rules.exclude_same_manager:
        broken[RULE_SAME_MANAGER] = (
            (mentors.manager[rows] == mentees.manager[cols])
            & mentors.has_manager[rows]
            & mentees.has_manager[cols]
        )
    else:
        broken[RULE_SAME_MANAGER] = np.zeros((n, m), dtype=bool)

    forbidden = np.zeros((n, m), dtype=bool)
    if rules.forbidden:
        mentor_at = {int(e): i for i, e in enumerate(mentors.enrollment)}
        mentee_at = {int(e): j for j, e in enumerate(mentees.enrollment)}
        for mentor_id, mentee_id in rules.forbidden:
            if mentor_id in mentor_at and mentee_id in mentee_at:
                forbidden[mentor_at[mentor_id], mentee_at[mentee_id]] = True
    broken[RULE_FORBIDDEN] = forbidden

    previous = np.zeros((n, m), dtype=bool)
    if rules.avoid_previous:
        for mentor_person, mentee_person in rules.previous:
            for i in mentors_by_person.get(mentor_person, ()):
                for j in mentees_by_person.get(mentee_person, ()):
                    previous[i, j] = True
    broken[RULE_PREVIOUS_PAIR] = previous

    broken[RULE_SAME_PERSON] = mentors.person[rows] == mentees.person[cols]
    return broken


# --- Public helpers for the service layer ----------------------------------------------------------------


def eligibility_reasons(
    mentor: Candidate,
    mentee: Candidate,
    rules: Rules,
    *,
    managers: Mapping[int, int | None] | None = None,
) -> list[str]:
    """The hard rules (codes, in PAIR_RULES order) this pair breaks; empty means eligible.

    `managers` (person id -> manager person id, whole directory) lets the reporting-line rule follow
    people who are not enrolled; without it only the two candidates' own manager_id links are known.
    Capacity is not a property of one pair: check it where pairs are counted.
    """
    context = _context([[mentor], [mentee]], datetime.now(UTC))
    side_a, side_b = _encode([mentor], context), _encode([mentee], context)
    directory = _effective_managers(managers or {}, [mentor, mentee])
    broken = _violations(side_a, side_b, rules, directory)
    return [code for code in PAIR_RULES if broken[code][0, 0]]


def score_pair(
    mentor: Candidate, mentee: Candidate, weights: Weights, *, at: datetime
) -> tuple[float, dict[str, float]]:
    """(score, weighted components incl. the baseline) of one pair, exactly as match() scores it.

    It does not check eligibility: call eligibility_reasons for that.
    """
    context = _context([[mentor], [mentee]], _check_at(at))
    side_a, side_b = _encode([mentor], context), _encode([mentee], context)
    values = _components(side_a, side_b, np.array([0]), np.array([0]), weights)
    return _pair_figures(values, 0)


def explain(mentor: Candidate, mentee: Candidate, *, at: datetime) -> str:
    """The plain-words explanation match() gives this pair (what they share, what they lack)."""
    return _explain(mentor, mentee, _check_at(at), {})


def _pair_figures(values: dict[str, np.ndarray], k: int) -> tuple[float, dict[str, float]]:
    components = {"baseline": ELIGIBILITY_BASELINE}
    for name in COMPONENTS:
        components[name] = round(float(values[name][k]), 4)
    return int(values["score_units"][k]) / SCORE_SCALE, components


def describe_rule(code: str, mentor: Candidate, mentee: Candidate, rules: Rules) -> str:
    """A plain sentence for why this pair breaks the hard rule `code`."""
    if code == RULE_LEVEL_GAP:
        return gettext(
            "the mentee's level (%(mentee_level)d) is not at least %(gap)d above the mentor's (%(mentor_level)d)"
        ) % {"mentee_level": mentee.level, "mentor_level": mentor.level, "gap": rules.min_level_gap}
    texts = {
        RULE_REPORTING_LINE: gettext("one of them is in the other's reporting line"),
        RULE_CAPACITY: gettext("one of them has no place left"),
        RULE_SAME_DEPARTMENT: gettext("both are in the same department"),
        RULE_SAME_MANAGER: gettext("both have the same manager"),
        RULE_FORBIDDEN: gettext("HR ruled this pair out"),
        RULE_PREVIOUS_PAIR: gettext("they were paired before"),
        RULE_SAME_PERSON: gettext("it is the same person"),
    }
    return texts[code]


# --- Optimisation ----------------------------------------------------------------------------------------


def _optimise(
    score_units: np.ndarray,
    allowed: np.ndarray,
    row_capacity: np.ndarray,
    col_capacity: np.ndarray,
    method: str | None = None,
) -> tuple[list[tuple[int, int]], str]:
    """Maximum-total b-matching over `allowed` cells. Returns the chosen (row, col) cells and the method.

    Slot expansion + linear_sum_assignment is exact unless some allowed cell has capacity > 1 on both
    sides (the same pair could fill two slots); then solve the b-matching LP, whose constraint matrix is
    totally unimodular, with the HiGHS dual simplex, whose optimum is a vertex and hence integral.
    """
    allowed = allowed & (row_capacity[:, None] > 0) & (col_capacity[None, :] > 0)
    rows = np.flatnonzero(allowed.any(axis=1))
    cols = np.flatnonzero(allowed.any(axis=0))
    if method is None:
        doubled = allowed & (row_capacity[:, None] > 1) & (col_capacity[None, :] > 1)
        method = METHOD_LINEAR_PROGRAM if doubled.any() else METHOD_ASSIGNMENT
    if rows.size == 0:
        return [], method
    sub_allowed = allowed[np.ix_(rows, cols)]
    sub_scores = score_units[np.ix_(rows, cols)]
    if method == METHOD_ASSIGNMENT:
        slot_rows = np.repeat(np.arange(rows.size), row_capacity[rows])
        slot_cols = np.repeat(np.arange(cols.size), col_capacity[cols])
        # Eligible scores are >= the baseline > 0, so cost -score; ineligible cost 0, dropped after.
        cost = np.where(sub_allowed, -sub_scores, 0)[np.ix_(slot_rows, slot_cols)]
        chosen_r, chosen_c = linear_sum_assignment(cost)
        cells = {
            (int(rows[slot_rows[r]]), int(cols[slot_cols[c]]))
            for r, c in zip(chosen_r, chosen_c, strict=True)
            if sub_allowed[slot_rows[r], slot_cols[c]]
        }
        return sorted(cells), method

    edge_r, edge_c = np.nonzero(sub_allowed)
    count = edge_r.size
    edges = np.arange(count)
    constraints = coo_array(
        (
            np.ones(2 * count),
            (np.concatenate([edge_r, rows.size + edge_c]), np.concatenate([edges, edges])),
        ),
        shape=(rows.size + cols.size, count),
    ).tocsr()
    limits = np.concatenate([row_capacity[rows], col_capacity[cols]]).astype(np.float64)
    solution = linprog(
        -sub_scores[edge_r, edge_c].astype(np.float64),
        A_ub=constraints,
        b_ub=limits,
        bounds=(0, 1),
        method="highs-ds",
    )
    if solution.status != 0:
        raise RuntimeError(f"The matching LP did not solve: {solution.message}")
    chosen = np.rint(solution.x)
    if np.abs(solution.x - chosen).max(initial=0.0) > 1e-6:
        raise RuntimeError("The matching LP returned a fractional solution.")
    picked = np.flatnonzero(chosen > 0.5)
    return sorted((int(rows[edge_r[k]]), int(cols[edge_c[k]])) for k in picked), method


# --- Explanations ----------------------------------------------------------------------------------------


def _slot_order(code: str) -> tuple[int, int, str]:
    day, _, part = code.partition("_")
    days = list(DAY_LABELS)
    parts = list(PART_LABELS)
    return (days.index(day) if day in days else 99, parts.index(part) if part in parts else 99, code)


def slot_label(code: str) -> str:
    day, _, part = code.partition("_")
    if day in DAY_LABELS and part in PART_LABELS:
        return str(PART_LABELS[part]) % {"day": DAY_LABELS[day]}
    return code


def _display(labels: Iterable[str], *maps: Mapping[str, str]) -> list[str]:
    shown = []
    for label in labels:
        for mapping in maps:
            if label in mapping:
                shown.append(mapping[label])
                break
        else:
            shown.append(label)
    return shown


def _hours_text(hours: float) -> str:
    return f"{hours:g}"


def _explain(mentor: Candidate, mentee: Candidate, at: datetime, offsets: dict[str, float]) -> str:
    parts = []
    shared = sorted({normalise_label(t) for t in mentor.topics} & {normalise_label(t) for t in mentee.topics})
    if shared:
        names = sorted(_display(shared, mentee.topic_labels, mentor.topic_labels), key=str.casefold)
        parts.append(
            ngettext("shares %(count)d topic: %(topics)s", "shares %(count)d topics: %(topics)s", len(names))
            % {"count": len(names), "topics": ", ".join(names)}
        )
    else:
        parts.append(gettext("no shared topic"))

    a, b = mentor.preferred_format, mentee.preferred_format
    if a == b:
        parts.append(gettext("both prefer %(format)s") % {"format": FORMAT_LABELS[a]})
    elif FORMAT_SCORES[FORMATS.index(a), FORMATS.index(b)] > 0:
        parts.append(
            gettext("formats partly fit (%(mentor)s for the mentor, %(mentee)s for the mentee)")
            % {"mentor": FORMAT_LABELS[a], "mentee": FORMAT_LABELS[b]}
        )
    else:
        parts.append(
            gettext("formats differ (%(mentor)s for the mentor, %(mentee)s for the mentee)")
            % {"mentor": FORMAT_LABELS[a], "mentee": FORMAT_LABELS[b]}
        )

    hours = abs(
        _utc_offset_hours(mentor.time_zone, at, offsets) - _utc_offset_hours(mentee.time_zone, at, offsets)
    )
    if hours == 0:
        parts.append(gettext("no time difference"))
    else:
        parts.append(gettext("%(hours)s h apart") % {"hours": _hours_text(hours)})

    if not mentor.availability or not mentee.availability:
        parts.append(gettext("availability not given by both"))
    else:
        slots = sorted(mentor.availability & mentee.availability, key=_slot_order)
        if not slots:
            parts.append(gettext("no common free slot"))
        elif len(slots) <= 3:
            parts.append(
                gettext("both free on %(slots)s")
                % {"slots": get_text_list([slot_label(s) for s in slots], gettext("and"))}
            )
        else:
            parts.append(
                ngettext(
                    "both free on %(slots)s and %(count)d other slot",
                    "both free on %(slots)s and %(count)d other slots",
                    len(slots) - 2,
                )
                % {"slots": ", ".join(slot_label(s) for s in slots[:2]), "count": len(slots) - 2}
            )

    languages = sorted(
        {normalise_label(x) for x in mentor.languages} & {normalise_label(x) for x in mentee.languages}
    )
    if languages:
        names = [
            name[:1].upper() + name[1:]
            for name in _display(languages, mentee.language_labels, mentor.language_labels)
        ]
        parts.append(
            gettext("both speak %(languages)s") % {"languages": get_text_list(names, gettext("and"))}
        )
    else:
        parts.append(gettext("no common language"))

    sentence = "; ".join(str(p) for p in parts)
    return sentence[:1].upper() + sentence[1:] + "."


# ngettext_lazy(..., "count"): the plural is chosen when formatted with {"count": n}.
_EXCLUDED_TEXTS = {
    MENTOR: {
        RULE_REPORTING_LINE: ngettext_lazy(
            "%(count)d is in the same reporting line", "%(count)d are in the same reporting line", "count"
        ),
        RULE_SAME_DEPARTMENT: ngettext_lazy(
            "%(count)d is in the same department", "%(count)d are in the same department", "count"
        ),
        RULE_SAME_MANAGER: ngettext_lazy(
            "%(count)d has the same manager", "%(count)d have the same manager", "count"
        ),
        RULE_FORBIDDEN: ngettext_lazy(
            "%(count)d was ruled out by HR", "%(count)d were ruled out by HR", "count"
        ),
        RULE_PREVIOUS_PAIR: ngettext_lazy(
            "%(count)d was paired with this mentor before",
            "%(count)d were paired with this mentor before",
            "count",
        ),
        RULE_SAME_PERSON: ngettext_lazy(
            "%(count)d is the same person", "%(count)d are the same person", "count"
        ),
    },
    MENTEE: {
        RULE_REPORTING_LINE: ngettext_lazy(
            "%(count)d is in the same reporting line", "%(count)d are in the same reporting line", "count"
        ),
        RULE_SAME_DEPARTMENT: ngettext_lazy(
            "%(count)d is in the same department", "%(count)d are in the same department", "count"
        ),
        RULE_SAME_MANAGER: ngettext_lazy(
            "%(count)d has the same manager", "%(count)d have the same manager", "count"
        ),
        RULE_FORBIDDEN: ngettext_lazy(
            "%(count)d was ruled out by HR", "%(count)d were ruled out by HR", "count"
        ),
        RULE_PREVIOUS_PAIR: ngettext_lazy(
            "%(count)d was paired with this mentee before",
            "%(count)d were paired with this mentee before",
            "count",
        ),
        RULE_SAME_PERSON: ngettext_lazy(
            "%(count)d is the same person", "%(count)d are the same person", "count"
        ),
    },
}


def _no_partner_text(side: str, candidate: Candidate, counts: dict[str, int], rules: Rules) -> str:
    if not counts:
        if side == MENTOR:
            return gettext("There are no mentees to pair with.")
        return gettext("There are no mentors to pair with.")
    fragments = []
    for code, count in counts.items():
        if code == RULE_LEVEL_GAP and side == MENTOR:
            fragments.append(
                ngettext(
                    "%(count)d is below level %(needed)d (%(gap)d above this mentor's level %(level)d)",
                    "%(count)d are below level %(needed)d (%(gap)d above this mentor's level %(level)d)",
                    count,
                )
                % {
                    "count": count,
                    "needed": candidate.level + rules.min_level_gap,
                    "gap": rules.min_level_gap,
                    "level": candidate.level,
                }
            )
        elif code == RULE_LEVEL_GAP:
            fragments.append(
                ngettext(
                    "%(count)d is above level %(needed)d (%(gap)d below this mentee's level %(level)d)",
                    "%(count)d are above level %(needed)d (%(gap)d below this mentee's level %(level)d)",
                    count,
                )
                % {
                    "count": count,
                    "needed": candidate.level - rules.min_level_gap,
                    "gap": rules.min_level_gap,
                    "level": candidate.level,
                }
            )
        else:
            fragments.append(str(_EXCLUDED_TEXTS[side][code] % {"count": count}))
    lead = gettext("No mentee is eligible") if side == MENTOR else gettext("No mentor is eligible")
    return lead + ": " + ", ".join(fragments) + "."


def _capacity_text(side: str, eligible: int, all_by_pins: bool) -> str:
    if side == MENTOR:
        if all_by_pins:
            text = ngettext(
                "The one eligible mentee is fully taken by pairs HR pinned.",
                "All %(count)d eligible mentees are fully taken by pairs HR pinned.",
                eligible,
            )
        else:
            text = ngettext(
                "The one eligible mentee was paired with someone else: the best total for the program left no place.",
                "All %(count)d eligible mentees were paired with others: "
                "the best total for the program left no place.",
                eligible,
            )
    elif all_by_pins:
        text = ngettext(
            "The one eligible mentor is fully taken by pairs HR pinned.",
            "All %(count)d eligible mentors are fully taken by pairs HR pinned.",
            eligible,
        )
    else:
        text = ngettext(
            "The one eligible mentor was paired with someone else: the best total for the program left no place.",
            "All %(count)d eligible mentors were paired with others: the best total for the program left no place.",
            eligible,
        )
    return text % {"count": eligible}


# --- The engine ------------------------------------------------------------------------------------------


def _sorted_unique(candidates: Sequence[Candidate], side: str) -> list[Candidate]:
    ordered = sorted(candidates, key=lambda c: c.enrollment_id)
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if previous.enrollment_id == current.enrollment_id:
            raise ValueError(f"Enrollment {current.enrollment_id} appears twice among the {side}s.")
    return ordered


def match(
    *,
    mentors: Sequence[Candidate],
    mentees: Sequence[Candidate],
    rules: Rules,
    weights: Weights,
    managers: Mapping[int, int | None],
    pinned: Iterable[tuple[int, int]] = (),
    at: datetime,
) -> MatchResult:
    """Propose the pairs with the highest total score that keep every hard rule (see module docstring).

    `managers`: person id -> manager person id for the whole directory (a candidate missing from it
    falls back to its own manager_id). `pinned`: (mentor enrollment id, mentee enrollment id) pairs HR
    fixed; they are kept and the rest is optimised around them. Raises ValueError for a pinned pair
    that names an unknown enrollment or breaks a hard rule (the message names the rule), for unknown
    formats or time zones, duplicate enrollment ids, capacities below 1, or a naive `at`.
    """
    started = time.perf_counter()
    at = _check_at(at)
    mentor_list = _sorted_unique(mentors, MENTOR)
    mentee_list = _sorted_unique(mentees, MENTEE)
    context = _context([mentor_list, mentee_list], at)
    side_a = _encode(mentor_list, context)
    side_b = _encode(mentee_list, context)
    directory = _effective_managers(managers, [*mentor_list, *mentee_list])
    broken = _violations(side_a, side_b, rules, directory)
    eligible = np.zeros((len(side_a), len(side_b)), dtype=bool)
    for matrix in broken.values():
        eligible |= matrix
    eligible = ~eligible
    prepared = time.perf_counter()

    # Pinned pairs: validated, kept, and their places taken before optimising.
    mentor_at = {c.enrollment_id: i for i, c in enumerate(mentor_list)}
    mentee_at = {c.enrollment_id: j for j, c in enumerate(mentee_list)}
    row_capacity = side_a.capacity.copy()
    col_capacity = side_b.capacity.copy()
    pinned_cells: list[tuple[int, int]] = []
    for mentor_id, mentee_id in sorted(set(pinned)):
        if mentor_id not in mentor_at:
            raise ValueError(f"Pinned pair ({mentor_id}, {mentee_id}): no mentor enrollment {mentor_id}.")
        if mentee_id not in mentee_at:
            raise ValueError(f"Pinned pair ({mentor_id}, {mentee_id}): no mentee enrollment {mentee_id}.")
        i, j = mentor_at[mentor_id], mentee_at[mentee_id]
        codes = [code for code in PAIR_RULES if broken[code][i, j]]
        if not codes and (row_capacity[i] < 1 or col_capacity[j] < 1):
            codes = [RULE_CAPACITY]
        if codes:
            reasons = "; ".join(
                f"{code}: {describe_rule(code, mentor_list[i], mentee_list[j], rules)}" for code in codes
            )
            raise ValueError(f"Pinned pair ({mentor_id}, {mentee_id}) breaks a hard rule: {reasons}.")
        row_capacity[i] -= 1
        col_capacity[j] -= 1
        pinned_cells.append((i, j))

    rows, cols = np.arange(len(side_a))[:, None], np.arange(len(side_b))[None, :]
    scores = _components(side_a, side_b, rows, cols, weights)["score_units"]
    scored = time.perf_counter()

    open_cells = eligible.copy()
    for i, j in pinned_cells:
        open_cells[i, j] = False  # the same pair at most once
    chosen, method = _optimise(scores, open_cells, row_capacity, col_capacity)
    assigned = time.perf_counter()

    pinned_set = set(pinned_cells)
    cells = sorted([*pinned_cells, *chosen])
    pair_rows = np.array([i for i, _ in cells], dtype=np.int64)
    pair_cols = np.array([j for _, j in cells], dtype=np.int64)
    values = _components(side_a, side_b, pair_rows, pair_cols, weights)
    pairs = []
    for k, (i, j) in enumerate(cells):
        score, components = _pair_figures(values, k)
        pairs.append(
            ProposedPair(
                mentor_enrollment_id=mentor_list[i].enrollment_id,
                mentee_enrollment_id=mentee_list[j].enrollment_id,
                score=score,
                components=components,
                explanation=_explain(mentor_list[i], mentee_list[j], at, context.offsets),
                pinned=(i, j) in pinned_set,
            )
        )
    total_units = int(values["score_units"].sum()) if cells else 0

    unmatched = _unmatched(
        mentor_list, mentee_list, side_a, side_b, broken, eligible, cells, pinned_cells, rules
    )
    finished = time.perf_counter()
    return MatchResult(
        pairs=pairs,
        unmatched=unmatched,
        total_score=total_units / SCORE_SCALE,
        method=method,
        timings={
            "prepare": prepared - started,
            "score": scored - prepared,
            "assign": assigned - scored,
            "explain": finished - assigned,
            "total": finished - started,
        },
    )


def _unmatched(mentor_list, mentee_list, side_a, side_b, broken, eligible, cells, pinned_cells, rules):
    used_a = np.zeros(len(side_a), dtype=np.int64)
    used_b = np.zeros(len(side_b), dtype=np.int64)
    pinned_a = np.zeros(len(side_a), dtype=np.int64)
    pinned_b = np.zeros(len(side_b), dtype=np.int64)
    for i, j in cells:
        used_a[i] += 1
        used_b[j] += 1
    for i, j in pinned_cells:
        pinned_a[i] += 1
        pinned_b[j] += 1

    result = []
    for side, own, other_capacity, other_used, other_pinned, used in (
        (MENTOR, mentor_list, side_b.capacity, used_b, pinned_b, used_a),
        (MENTEE, mentee_list, side_a.capacity, used_a, pinned_a, used_b),
    ):
        for index, candidate in enumerate(own):
            if used[index]:
                continue
            partners = eligible[index] if side == MENTOR else eligible[:, index]
            if not partners.any():
                counts: dict[str, int] = {}
                remaining = np.ones(partners.shape, dtype=bool)
                for code in PAIR_RULES:
                    matrix = broken[code][index] if side == MENTOR else broken[code][:, index]
                    count = int((matrix & remaining).sum())
                    remaining &= ~matrix
                    if count:
                        counts[code] = count
                result.append(
                    Unmatched(
                        enrollment_id=candidate.enrollment_id,
                        side=side,
                        reason_code=REASON_NO_ELIGIBLE_PARTNER,
                        reason=_no_partner_text(side, candidate, counts, rules),
                        excluded_by_rule=counts,
                    )
                )
                continue
            partner_index = np.flatnonzero(partners)
            full = other_used[partner_index] >= other_capacity[partner_index]
            if not full.all():  # cannot happen at an optimum: every eligible pair adds value
                raise RuntimeError(
                    f"Enrollment {candidate.enrollment_id} was left alone next to a free eligible partner."
                )
            all_by_pins = bool((other_pinned[partner_index] >= other_capacity[partner_index]).all())
            result.append(
                Unmatched(
                    enrollment_id=candidate.enrollment_id,
                    side=side,
                    reason_code=REASON_CAPACITY_TAKEN,
                    reason=_capacity_text(side, int(partner_index.size), all_by_pins),
                    eligible_partners=int(partner_index.size),
                )
            )
    return result
