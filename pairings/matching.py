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

import itertools
import time
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

import lap
import numpy as np
from scipy.optimize import linear_sum_assignment, linprog
from scipy.sparse import coo_array

from .explanations import (
    _capacity_text,
    _explain,
    _no_partner_text,
    describe_rule,
)
from .matching_base import (
    COMPONENTS,
    ELIGIBILITY_BASELINE,
    FORMAT_SCORES,
    FORMATS,
    MAX_TIME_ZONE_HOURS,
    MENTEE,
    MENTOR,
    METHOD_ASSIGNMENT,
    METHOD_LINEAR_PROGRAM,
    PAIR_RULES,
    REASON_CAPACITY_TAKEN,
    REASON_NO_ELIGIBLE_PARTNER,
    RULE_CAPACITY,
    RULE_FORBIDDEN,
    RULE_LEVEL_GAP,
    RULE_PREVIOUS_PAIR,
    RULE_REPORTING_LINE,
    RULE_SAME_DEPARTMENT,
    RULE_SAME_MANAGER,
    RULE_SAME_PERSON,
    SCORE_SCALE,
    TOPICS_FOR_FULL_MARK,
    Candidate,
    MatchResult,
    ProposedPair,
    Rules,
    Unmatched,
    Weights,
    _utc_offset_hours,
    candidate_from_answers,
    free_intervals,
    normalise_label,
    reference_monday,
)

# A program repeats the same few hundred labels thousands of times: normalise each once.
_normalised = lru_cache(maxsize=65_536)(normalise_label)

# --- Encoding --------------------------------------------------------------------------------------------


class _Vocabulary:
    """Labels -> bit positions, shared by both sides so bitmasks can be AND-ed."""

    def __init__(self, labels: Iterable[str]):
        self.index = {label: k for k, label in enumerate(sorted(set(labels)))}
        self.words = max(1, (len(self.index) + 63) // 64)

    def encode(self, label_sets: Sequence[Iterable[str]]) -> tuple[np.ndarray, np.ndarray]:
        rows: list[int] = []
        positions: list[int] = []
        for row, labels in enumerate(label_sets):
            found = {self.index[label] for label in labels if label in self.index}
            rows.extend([row] * len(found))
            positions.extend(found)
        return _bitmasks(len(label_sets), self.words, rows, positions), np.bincount(
            np.asarray(rows, dtype=np.int64), minlength=len(label_sets)
        ).astype(np.int64)


def _bitmasks(count: int, words: int, rows: list[int], positions: list[int]) -> np.ndarray:
    """count x words uint64 bitmasks with bit `positions[k]` set in row `rows[k]`."""
    bits = np.zeros((count, words), dtype=np.uint64)
    if rows:
        # Each (row, bit) once, so that adding the bits of one word is OR-ing them.
        cells = np.unique(
            np.asarray(rows, dtype=np.int64) * (64 * words) + np.asarray(positions, dtype=np.int64)
        )
        row, position = np.divmod(cells, 64 * words)
        np.add.at(
            bits,
            (row, position >> 6),
            np.left_shift(np.uint64(1), (position & 63).astype(np.uint64)),
        )
    return bits


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
    slot_bits: list[np.ndarray]  # free time: one bitmask array per segment length (_FreeTime)
    slot_count: np.ndarray  # free quarter-hours in the week
    slot_lengths: list[int]  # the segment length of each bitmask array
    language_bits: np.ndarray
    language_count: np.ndarray
    capacity: np.ndarray

    def __len__(self):
        return len(self.candidates)


@dataclass
class _Context:
    topics: _Vocabulary
    free_time: "_FreeTime"
    languages: _Vocabulary
    departments: dict[str, int]
    offsets: dict[str, float]
    at: datetime
    monday: date  # of the reference week in which free time is compared (matching_base.free_quarters)


def _intervals(candidate: Candidate, monday: date) -> tuple[tuple[int, int], ...]:
    return free_intervals(candidate.availability, candidate.time_zone, monday)


class _FreeTime:
    """Everyone's free time as bitmasks of one week's elementary segments, for a weighted popcount.

    The start and end of every free slot (in UTC quarter-hours) cut the week into segments that each
    person either covers whole or not at all. Segments are grouped by length, so the quarter-hours two
    people share are sum(length * popcount(a & b)) over the groups: a few 64-bit words per person whatever
    the time zones, where one bit per quarter-hour would take fifteen.
    """

    def __init__(self, candidates: Iterable[Candidate], monday: date):
        self.monday = monday
        self.boundaries = sorted(
            {x for c in candidates for interval in _intervals(c, monday) for x in interval}
        )
        lengths = [b - a for a, b in itertools.pairwise(self.boundaries)]
        self.lengths = sorted(set(lengths))
        group_of = {length: g for g, length in enumerate(self.lengths)}
        counters = [0] * len(self.lengths)
        self.place: list[tuple[int, int]] = []  # segment -> (group, bit position in that group)
        for length in lengths:
            group = group_of[length]
            self.place.append((group, counters[group]))
            counters[group] += 1
        self.words = [max(1, (n + 63) // 64) for n in counters]

    def encode(self, candidates: Sequence[Candidate]) -> tuple[list[np.ndarray], np.ndarray]:
        rows: list[list[int]] = [[] for _ in self.words]
        positions: list[list[int]] = [[] for _ in self.words]
        quarters = np.zeros(len(candidates), dtype=np.int64)
        for row, candidate in enumerate(candidates):
            for first, after in _intervals(candidate, self.monday):
                quarters[row] += after - first
                for segment in range(
                    bisect_left(self.boundaries, first), bisect_left(self.boundaries, after)
                ):
                    group, position = self.place[segment]
                    rows[group].append(row)
                    positions[group].append(position)
        groups = [
            _bitmasks(len(candidates), words, group_rows, group_positions)
            for words, group_rows, group_positions in zip(self.words, rows, positions, strict=True)
        ]
        return groups, quarters


def _context(groups: Sequence[Sequence[Candidate]], at: datetime) -> _Context:
    everyone = [c for group in groups for c in group]
    departments = sorted({_department_key(c.department) for c in everyone} - {""})
    monday = reference_monday(at)
    return _Context(
        topics=_Vocabulary(_normalised(t) for c in everyone for t in c.topics),
        free_time=_FreeTime(everyone, monday),
        languages=_Vocabulary(_normalised(lang) for c in everyone for lang in c.languages),
        departments={d: k for k, d in enumerate(departments)},
        offsets={},
        at=at,
        monday=monday,
    )


def _encode(candidates: list[Candidate], context: _Context) -> _Side:
    for c in candidates:
        if c.preferred_format not in FORMATS:
            raise ValueError(f"Enrollment {c.enrollment_id}: unknown format {c.preferred_format!r}.")
        if c.capacity < 1:
            raise ValueError(f"Enrollment {c.enrollment_id}: capacity must be at least 1.")
    topic_bits, topic_count = context.topics.encode([{_normalised(t) for t in c.topics} for c in candidates])
    slot_bits, slot_count = context.free_time.encode(candidates)
    language_bits, language_count = context.languages.encode(
        [{_normalised(lang) for lang in c.languages} for c in candidates]
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
        slot_lengths=context.free_time.lengths,
        language_bits=language_bits,
        language_count=language_count,
        capacity=np.array([c.capacity for c in candidates], dtype=np.int64),
    )


def _check_at(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("`at` must be an aware datetime.")
    return at.astimezone(UTC)


# --- Scores ----------------------------------------------------------------------------------------------


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

    shared_slots = 0
    for length, bits_a, bits_b in zip(
        mentors.slot_lengths, mentors.slot_bits, mentees.slot_bits, strict=True
    ):
        shared_slots = shared_slots + length * _common(bits_a, bits_b, rows, cols)
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


# Cells scored per block: the components' temporaries of one block stay in the CPU cache (and the memory
# of a 5,000 x 5,000 run stays at the result's), where all pairs at once took a dozen full-size arrays.
_BLOCK_CELLS = 1 << 16


def _score_matrix(
    mentors: _Side, mentees: _Side, weights: Weights, *, block_cells: int = _BLOCK_CELLS
) -> np.ndarray:
    """score_units of every (mentor, mentee) pair, by _components a block of rows at a time (element by
    element the same arithmetic, so the same figures as scoring all pairs at once)."""
    n, m = len(mentors), len(mentees)
    scores = np.empty((n, m), dtype=np.int64)
    step = max(1, block_cells // max(1, m))
    cols = np.arange(m)[None, :]
    for start in range(0, n, step):
        rows = np.arange(start, min(n, start + step))[:, None]
        scores[start : start + step] = _components(mentors, mentees, rows, cols, weights)["score_units"]
    return scores


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


def eligible_pairs(
    mentors: Sequence[Candidate],
    mentees: Sequence[Candidate],
    rules: Rules,
    *,
    managers: Mapping[int, int | None] | None = None,
) -> list[tuple[int, int]]:
    """Every (mentor index, mentee index) pair that breaks no hard rule, by the same rule matrices
    eligibility_reasons and match() use (one pass over all pairs, not one call per pair)."""
    if not mentors or not mentees:
        return []
    context = _context([mentors, mentees], datetime.now(UTC))
    side_a, side_b = _encode(list(mentors), context), _encode(list(mentees), context)
    directory = _effective_managers(managers or {}, [*mentors, *mentees])
    broken = _violations(side_a, side_b, rules, directory)
    allowed = ~np.logical_or.reduce([broken[code] for code in PAIR_RULES])
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(allowed), strict=True)]


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


# --- Optimisation ----------------------------------------------------------------------------------------


def _optimise(
    score_units: np.ndarray,
    allowed: np.ndarray,
    row_capacity: np.ndarray,
    col_capacity: np.ndarray,
    method: str | None = None,
    solver: str | None = None,
) -> tuple[list[tuple[int, int]], str]:
    """Maximum-total b-matching over `allowed` cells. Returns the chosen (row, col) cells and the method.

    Slot expansion + linear_sum_assignment is exact unless some allowed cell has capacity > 1 on both
    sides (the same pair could fill two slots); then solve the b-matching LP, whose constraint matrix is
    totally unimodular, with the HiGHS dual simplex, whose optimum is a vertex and hence integral.
    `solver` (tests only) forces SOLVER_SCIPY or SOLVER_LAPJV for the assignment (see _assignment).
    """
    allowed = allowed & (row_capacity[:, None] > 0) & (col_capacity[None, :] > 0)
    rows = np.flatnonzero(allowed.any(axis=1))
    cols = np.flatnonzero(allowed.any(axis=0))
    if method is None:
        doubled = allowed & (row_capacity[:, None] > 1) & (col_capacity[None, :] > 1)
        method = METHOD_LINEAR_PROGRAM if doubled.any() else METHOD_ASSIGNMENT
    if rows.size == 0:
        return [], method
    whole = rows.size == allowed.shape[0] and cols.size == allowed.shape[1]
    sub_allowed = allowed if whole else allowed[np.ix_(rows, cols)]
    sub_scores = score_units if whole else score_units[np.ix_(rows, cols)]
    if method == METHOD_ASSIGNMENT:
        slot_rows = np.repeat(np.arange(rows.size), row_capacity[rows])
        slot_cols = np.repeat(np.arange(cols.size), col_capacity[cols])
        # Eligible scores are >= the baseline > 0, so cost -score; ineligible cost 0, dropped after.
        cost = np.negative(sub_scores, dtype=np.float64)
        cost[~sub_allowed] = 0.0
        if slot_rows.size > rows.size or slot_cols.size > cols.size:
            cost = cost[np.ix_(slot_rows, slot_cols)]
        chosen_r, chosen_c = _assignment(cost, solver)
        keep = sub_allowed[slot_rows[chosen_r], slot_cols[chosen_c]]
        cells = set(
            zip(
                rows[slot_rows[chosen_r[keep]]].tolist(),
                cols[slot_cols[chosen_c[keep]]].tolist(),
                strict=True,
            )
        )
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


SOLVER_SCIPY = "scipy"
SOLVER_LAPJV = "lapjv"
# From this many rows (and columns) on a square-ish problem goes to LAPJV; smaller ones keep scipy's
# solver, as they always had (the same pairs where several sets of pairs share the best total).
_LAPJV_FROM = 1000
_LAPJV_SHAPE = 1.25  # at most this much longer than wide: LAPJV pads to a square


def _assignment(cost: np.ndarray, solver: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of a minimum-cost assignment of min(rows, columns) cells (as linear_sum_assignment).

    Both solvers are exact; they differ in speed and, where several assignments share the least cost,
    in which one they return. scipy's shortest augmenting path (no initialisation) is fast on clearly
    rectangular problems (mentors with two places: every row soon finds a free column) but slow on
    large square ones (6 s at 5,000 x 5,000); LAPJV's column reduction and augmenting row reduction
    settle most rows before its shortest paths, 2 to 3 times faster there, but it pads a rectangle to a
    square (a 10,000 x 5,000 problem takes it a minute).
    """
    short, long = sorted(cost.shape)
    if solver is None:
        solver = SOLVER_LAPJV if short >= _LAPJV_FROM and long <= _LAPJV_SHAPE * short else SOLVER_SCIPY
    if solver == SOLVER_SCIPY or short == 0:
        return linear_sum_assignment(cost)
    _total, row_to_col, _col_to_row = lap.lapjv(np.ascontiguousarray(cost), extend_cost=long != short)
    chosen_r = np.flatnonzero(row_to_col >= 0)
    return chosen_r, row_to_col[chosen_r].astype(np.int64)


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

    scores = _score_matrix(side_a, side_b, weights)
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


# Part of the engine's public face (matching.X), defined with the data and the words it shares.
__all__ = [
    "COMPONENTS",
    "Candidate",
    "FORMATS",
    "Rules",
    "Weights",
    "candidate_from_answers",
    "describe_rule",
    "eligibility_reasons",
    "explain",
    "match",
    "reporting_line",
    "score_pair",
]
