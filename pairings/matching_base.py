"""What the matching engine and its explanations share: candidates, rules and weights, the codes of
each hard rule and reason, and the labels and scores of formats and time zones. Pure: no ORM, no I/O."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from django.utils.translation import gettext_lazy

from programs.models import SLOT_DAYS, SLOT_HOURS, Side

SLOT_DAY_INDEX = {day: index for index, day in enumerate(SLOT_DAYS)}

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


# --- Free time as real moments ---------------------------------------------------------------------------
# A slot ("mon_am") is hours of the person's own day (programs.models.SLOT_HOURS). To compare two people in
# different zones, each slot becomes the quarter-hours it covers in UTC, in one reference week: the week
# (Monday to Sunday, by the UTC calendar) that contains the run's moment `at`, with each zone's offset of
# that very day (so daylight saving is right). Quarter-hours, not hours: India is 5:30 ahead, Nepal 5:45.

QUARTER = timedelta(minutes=15)


def reference_monday(at: datetime) -> date:
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


@lru_cache(maxsize=4096)
def free_intervals(slots: frozenset[str], zone: str, monday: date) -> tuple[tuple[int, int], ...]:
    """The slots of this zone as sorted (first, after-last) quarter-hours, counted from `monday` 00:00 UTC."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"Unknown time zone {zone!r}.") from error
    origin = datetime.combine(monday, time(0), tzinfo=UTC)
    intervals = []
    for code in slots:
        day, _sep, part = code.partition("_")
        if day not in SLOT_DAY_INDEX or part not in SLOT_HOURS:
            continue
        start_hour, end_hour = SLOT_HOURS[part]
        local_day = monday + timedelta(days=SLOT_DAY_INDEX[day])
        start = datetime.combine(local_day, time(start_hour), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(local_day, time(end_hour), tzinfo=tz).astimezone(UTC)
        intervals.append((int((start - origin) / QUARTER), int((end - origin) / QUARTER)))
    return tuple(sorted(intervals))


def free_quarters(slots: frozenset[str], zone: str, monday: date) -> frozenset[int]:
    """The quarter-hours (counted from `monday` 00:00 UTC) that these slots of this zone cover."""
    return frozenset(q for first, after in free_intervals(slots, zone, monday) for q in range(first, after))


def shared_intervals(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """Where two sorted, non-overlapping interval lists overlap, merged into runs."""
    shared: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        first, after = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if first < after:
            if shared and shared[-1][1] == first:
                shared[-1] = (shared[-1][0], after)
            else:
                shared.append((first, after))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return shared


def quarter_moment(quarter: int, monday: date) -> datetime:
    """The UTC moment a quarter-hour index stands for."""
    return datetime.combine(monday, time(0), tzinfo=UTC) + quarter * QUARTER


def _utc_offset_hours(zone: str, at: datetime, cache: dict[str, float]) -> float:
    if zone not in cache:
        try:
            offset = at.astimezone(ZoneInfo(zone)).utcoffset()
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"Unknown time zone {zone!r}.") from error
        cache[zone] = offset.total_seconds() / 3600.0
    return cache[zone]


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
