"""The matching engine (pairings.matching): hard rules, scores, optimality, reasons. No database."""

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pairings import matching
from pairings.matching import (
    Candidate,
    Rules,
    Weights,
    candidate_from_answers,
    eligibility_reasons,
    explain,
    match,
    score_pair,
)
from programs.models import SLOT_DAYS, SLOT_HOURS

AT = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)  # US on summer time, EU not yet


def person(
    enrollment_id,
    *,
    person_id=None,
    level=2,
    department="",
    manager_id=None,
    time_zone="UTC",
    topics=(),
    preferred_format="video",
    availability=(),
    languages=("english",),
    capacity=1,
    name=None,
):
    return Candidate(
        enrollment_id=enrollment_id,
        person_id=person_id if person_id is not None else 1000 + enrollment_id,
        name=name or f"Person {enrollment_id}",
        level=level,
        department=department,
        manager_id=manager_id,
        time_zone=time_zone,
        topics=frozenset(topics),
        preferred_format=preferred_format,
        availability=frozenset(availability),
        languages=frozenset(languages),
        capacity=capacity,
    )


def run(mentors, mentees, *, rules=None, weights=None, managers=None, pinned=(), at=AT):
    return match(
        mentors=mentors,
        mentees=mentees,
        rules=rules or Rules(min_level_gap=2),
        weights=weights or Weights(),
        managers=managers or {},
        pinned=pinned,
        at=at,
    )


def pair_ids(result):
    return [(p.mentor_enrollment_id, p.mentee_enrollment_id) for p in result.pairs]


# --- Hard rules ------------------------------------------------------------------------------------------


def test_mentee_must_be_at_least_the_level_gap_above_the_mentor():
    mentor = person(1, level=3)
    rules = Rules(min_level_gap=2)
    assert eligibility_reasons(mentor, person(2, level=5), rules) == []
    assert eligibility_reasons(mentor, person(3, level=4), rules) == ["level_gap"]
    # "Reverse" is career level only: a more senior mentor is never paired with a junior mentee.
    assert eligibility_reasons(person(4, level=7), person(5, level=3), rules) == ["level_gap"]
    result = run([mentor], [person(3, level=4)], rules=rules)
    assert result.pairs == []


def test_nobody_is_paired_with_someone_in_their_reporting_line_at_any_depth():
    # Mentor (person 10) reports via 20 and 30, who are not enrolled, to the mentee (person 40).
    managers = {10: 20, 20: 30, 30: 40, 40: None, 50: None}
    mentor = person(1, person_id=10, level=2, manager_id=20)
    boss = person(2, person_id=40, level=8)
    stranger = person(3, person_id=50, level=8)
    rules = Rules(min_level_gap=2)
    assert eligibility_reasons(mentor, boss, rules, managers=managers) == ["reporting_line"]
    assert eligibility_reasons(mentor, stranger, rules, managers=managers) == []
    result = run([mentor], [boss, stranger], managers=managers)
    assert pair_ids(result) == [(1, 3)]
    # The other way round (a mentee reporting to the mentor) is refused just the same.
    junior_boss = person(4, person_id=60, level=2)
    senior_report = person(5, person_id=70, level=6, manager_id=60)
    assert eligibility_reasons(junior_boss, senior_report, rules, managers={70: 60}) == ["reporting_line"]


def test_a_cycle_in_the_org_chart_does_not_hang_and_is_a_reporting_line():
    managers = {10: 20, 20: 30, 30: 10}
    result = run([person(1, person_id=10)], [person(2, person_id=30, level=6)], managers=managers)
    assert result.pairs == []
    assert result.unmatched[0].excluded_by_rule == {"reporting_line": 1}
    assert matching.reporting_line(10, managers) == [20, 30, 10]


def test_capacity_is_kept_on_both_sides_and_a_pair_is_made_at_most_once():
    mentor = person(1, capacity=2)
    mentees = [person(10 + k, level=6) for k in range(3)]
    result = run([mentor], mentees)
    assert len(result.pairs) == 2
    assert [u.reason_code for u in result.unmatched] == ["capacity_taken"]

    both_two = run([person(1, capacity=2)], [person(2, level=6, capacity=2)])
    assert pair_ids(both_two) == [(1, 2)]
    assert both_two.method == "linear_program"


def test_same_department_and_same_manager_are_refused_only_when_the_program_says_so():
    mentor = person(1, department="Finance", manager_id=77)
    same_department = person(2, level=6, department=" finance ", manager_id=88)
    same_manager = person(3, level=6, department="Sales", manager_id=77)
    strict = Rules(min_level_gap=2)
    relaxed = Rules(min_level_gap=2, exclude_same_department=False, exclude_same_manager=False)
    assert eligibility_reasons(mentor, same_department, strict) == ["same_department"]
    assert eligibility_reasons(mentor, same_manager, strict) == ["same_manager"]
    assert eligibility_reasons(mentor, same_department, relaxed) == []
    assert eligibility_reasons(mentor, same_manager, relaxed) == []
    # A blank department is unknown, not shared; no manager on either side is not "the same manager".
    assert eligibility_reasons(person(4), person(5, level=6), strict) == []


def test_forbidden_pairs_and_previous_pairs_when_asked():
    mentor = person(1, person_id=10)
    mentee = person(2, person_id=20, level=6)
    assert eligibility_reasons(mentor, mentee, Rules(min_level_gap=2, forbidden=frozenset({(1, 2)}))) == [
        "forbidden"
    ]
    previous = frozenset({(10, 20)})
    assert eligibility_reasons(mentor, mentee, Rules(min_level_gap=2, previous=previous)) == []
    assert eligibility_reasons(
        mentor, mentee, Rules(min_level_gap=2, previous=previous, avoid_previous=True)
    ) == ["previous_pair"]


def test_a_person_is_never_paired_with_themself():
    rules = Rules(min_level_gap=0, exclude_same_department=False)
    assert eligibility_reasons(person(1, person_id=5), person(2, person_id=5), rules) == ["same_person"]


def test_candidate_manager_id_is_used_when_the_directory_does_not_know_the_person():
    mentor = person(1, person_id=10, manager_id=20)
    assert eligibility_reasons(
        mentor, person(2, person_id=30, level=8), Rules(min_level_gap=2), managers={20: 30}
    ) == ["reporting_line"]


# --- Scores ----------------------------------------------------------------------------------------------


def only(component, **weights):
    base = dict.fromkeys(matching.COMPONENTS, 0.0)
    base.update({component: 1.0}, **weights)
    return Weights(**base)


def test_topic_overlap_counts_up_to_three_of_the_mentees_topics():
    mentor = person(1, topics={"a", "b", "c", "d"})
    cases = [
        ({"a", "x", "y", "z"}, 1 / 3),
        ({"a", "b", "x", "y"}, 2 / 3),
        ({"a", "b", "c", "x"}, 1.0),
        ({"a", "b", "c", "d"}, 1.0),  # capped
        ({"a"}, 1.0),
        ({"x"}, 0.0),
        (set(), 0.0),
    ]
    for topics, expected in cases:
        score, components = score_pair(mentor, person(2, level=6, topics=topics), only("topics"), at=AT)
        assert components["topics"] == pytest.approx(expected, abs=1e-4)
        assert score == pytest.approx(1.0 + expected, abs=1e-4)


def test_format_scores_equal_hybrid_and_different():
    def value(a, b):
        return score_pair(
            person(1, preferred_format=a), person(2, preferred_format=b), only("format"), at=AT
        )[1]["format"]

    assert value("video", "video") == 1.0
    assert value("hybrid", "in_person") == 0.5
    assert value("video", "hybrid") == 0.5
    assert value("hybrid", "chat") == 0.0
    assert value("chat", "in_person") == 0.0


def test_time_zone_score_follows_the_offset_difference_capped_at_12_hours():
    def value(a, b):
        return score_pair(person(1, time_zone=a), person(2, time_zone=b), only("time_zone"), at=AT)[1][
            "time_zone"
        ]

    assert value("Europe/Berlin", "Europe/Berlin") == 1.0
    assert value("Asia/Kolkata", "UTC") == pytest.approx(1 - 5.5 / 12, abs=1e-4)
    assert value("Pacific/Kiritimati", "Pacific/Pago_Pago") == 0.0  # 25 h apart, capped


def test_daylight_saving_time_is_taken_at_the_moment_given():
    berlin = person(1, time_zone="Europe/Berlin")
    new_york = person(2, level=6, time_zone="America/New_York")
    # The US moved its clocks on 9 March 2025, the EU on 30 March: for three weeks they are 5 h apart.
    winter = datetime(2025, 3, 1, 12, tzinfo=UTC)
    between = datetime(2025, 3, 15, 12, tzinfo=UTC)
    summer = datetime(2025, 4, 15, 12, tzinfo=UTC)
    weights = only("time_zone")
    assert score_pair(berlin, new_york, weights, at=winter)[1]["time_zone"] == 0.5
    assert score_pair(berlin, new_york, weights, at=between)[1]["time_zone"] == pytest.approx(
        7 / 12, abs=1e-4
    )
    assert score_pair(berlin, new_york, weights, at=summer)[1]["time_zone"] == 0.5
    assert "; 5 h apart;" in run([berlin], [new_york], at=between).pairs[0].explanation
    assert "; 6 h apart;" in run([berlin], [new_york], at=summer).pairs[0].explanation
    # Any aware datetime is fine: the same moment written in Berlin time.
    same_moment = between.astimezone(ZoneInfo("Europe/Berlin"))
    assert score_pair(berlin, new_york, weights, at=same_moment) == score_pair(
        berlin, new_york, weights, at=between
    )


def test_availability_overlap_is_relative_to_the_smaller_set():
    def value(a, b):
        return score_pair(person(1, availability=a), person(2, availability=b), only("availability"), at=AT)[
            1
        ]["availability"]

    assert value({"mon_am", "tue_pm"}, {"mon_am", "tue_pm", "fri_am", "wed_am"}) == 1.0
    assert value({"mon_am", "tue_pm"}, {"mon_am", "thu_am"}) == 0.5
    assert value({"mon_am"}, {"tue_am"}) == 0.0
    assert value(set(), {"tue_am"}) == 0.0


def test_language_is_all_or_nothing():
    def value(a, b):
        return score_pair(person(1, languages=a), person(2, languages=b), only("language"), at=AT)[1][
            "language"
        ]

    assert value({"english", "spanish"}, {"spanish"}) == 1.0
    assert value({"english"}, {"german"}) == 0.0
    assert value(set(), {"german"}) == 0.0


def test_score_is_the_baseline_plus_weighted_components_rounded_to_four_decimals():
    mentor = person(
        1, topics={"a"}, preferred_format="hybrid", availability={"mon_am"}, time_zone="Asia/Kolkata"
    )
    mentee = person(2, topics={"a", "b", "c"}, preferred_format="video", availability={"mon_am"})
    weights = Weights(topics=2.0, format=0.5, time_zone=1.5, availability=0.25, language=3.0)
    score, components = score_pair(mentor, mentee, weights, at=AT)
    # Both ticked Monday morning, but Kolkata's 8-12 is 2:30-6:30 in UTC: no hour in common.
    expected = 1.0 + 2.0 / 3 + 0.5 * 0.5 + 1.5 * (1 - 5.5 / 12) + 0.0 + 3.0
    assert score == round(expected, 4)
    assert components == {
        "baseline": 1.0,
        "topics": round(2.0 / 3, 4),
        "format": 0.25,
        "time_zone": round(1.5 * (1 - 5.5 / 12), 4),
        "availability": 0.0,
        "language": 3.0,
    }
    result = run([mentor], [replace(mentee, level=6)], weights=weights)
    assert result.pairs[0].score == score
    assert result.pairs[0].components == components
    assert result.total_score == score


def test_weights_must_be_finite_and_not_negative():
    with pytest.raises(ValueError, match="topics"):
        Weights(topics=-1)
    with pytest.raises(ValueError, match="language"):
        Weights(language=float("nan"))


def test_candidate_from_answers_normalises_topics_and_languages_and_keeps_display_forms():
    candidate = candidate_from_answers(
        enrollment_id=1,
        person_id=2,
        name="Ana",
        level=2,
        department="Sales",
        manager_id=None,
        time_zone="Europe/Madrid",
        theme_names=["New technology"],
        extra_topics=" AI  tools, short video,, new TECHNOLOGY ",
        preferred_format="video",
        availability=["tue_am"],
        languages="English, Spanish ,",
    )
    assert candidate.topics == {"new technology", "ai tools", "short video"}
    assert candidate.topic_labels["ai tools"] == "AI tools"
    assert candidate.topic_labels["new technology"] == "New technology"
    assert candidate.languages == {"english", "spanish"}
    assert candidate.language_labels["spanish"] == "Spanish"


# --- Optimum, determinism, pins --------------------------------------------------------------------------


def test_the_best_total_wins_over_the_greedy_choice():
    # Greedy would give mentor 1 its favourite (mentee 10, score 2.0) and leave mentor 2, who can only
    # take mentee 10, alone: 2.0 in all. The optimum pairs both: 1.5 + 1.5 = 3.0.
    mentor_1 = person(1, topics={"a", "b"})
    mentor_2 = person(2, topics={"a"}, department="X")
    mentee_10 = person(10, level=6, topics={"a", "b"})
    mentee_11 = person(11, level=6, topics={"b", "c"}, department="X")
    result = run([mentor_1, mentor_2], [mentee_10, mentee_11], weights=only("topics"))
    assert pair_ids(result) == [(1, 11), (2, 10)]
    assert result.total_score == 3.0
    assert result.unmatched == []


def test_same_input_gives_the_same_result_whatever_the_order():
    rng = random.Random(3)
    mentors = [
        person(k, level=rng.randint(1, 3), topics=set(rng.sample("abcdef", 2)), capacity=rng.randint(1, 2))
        for k in range(1, 30)
    ]
    mentees = [
        person(100 + k, level=rng.randint(5, 9), topics=set(rng.sample("abcdef", 3))) for k in range(30)
    ]
    first = run(mentors, mentees)
    again = run(mentors, mentees)
    shuffled_mentors, shuffled_mentees = mentors[:], mentees[:]
    rng.shuffle(shuffled_mentors)
    rng.shuffle(shuffled_mentees)
    shuffled = run(shuffled_mentors, shuffled_mentees)
    assert first == again == shuffled
    assert first.pairs  # something was compared


def test_pinned_pairs_are_kept_and_the_rest_is_optimised_around_them():
    mentors = [person(1, topics={"a"}), person(2, topics={"b"})]
    mentees = [person(10, level=6, topics={"a"}), person(11, level=6, topics={"b"})]
    assert pair_ids(run(mentors, mentees)) == [(1, 10), (2, 11)]
    result = run(mentors, mentees, pinned=[(1, 11)])
    assert pair_ids(result) == [(1, 11), (2, 10)]
    assert [p.pinned for p in result.pairs] == [True, False]


def test_a_pinned_pair_that_breaks_a_hard_rule_is_refused_naming_the_rule():
    mentor = person(1, level=5)
    mentee = person(2, level=6)
    with pytest.raises(ValueError, match="level_gap"):
        run([mentor], [mentee], pinned=[(1, 2)])
    with pytest.raises(ValueError, match="capacity"):
        run([person(1)], [person(2, level=6), person(3, level=6)], pinned=[(1, 2), (1, 3)])
    with pytest.raises(ValueError, match="no mentee enrollment 9"):
        run([person(1)], [person(2, level=6)], pinned=[(1, 9)])


def test_input_errors_are_refused():
    with pytest.raises(ValueError, match="twice"):
        run([person(1), person(1)], [])
    with pytest.raises(ValueError, match="format"):
        run([person(1, preferred_format="carrier pigeon")], [])
    with pytest.raises(ValueError, match="time zone"):
        run([person(1, time_zone="Mars/Olympus")], [])
    with pytest.raises(ValueError, match="aware"):
        run([person(1)], [], at=datetime(2025, 1, 1))  # noqa: DTZ001


def test_lp_and_assignment_agree_when_both_are_exact():
    rng = np.random.default_rng(5)
    for _ in range(30):
        scores = rng.integers(10_000, 60_000, size=(6, 5))
        allowed = rng.random((6, 5)) < 0.6
        rows = rng.integers(1, 4, size=6)
        cols = np.ones(5, dtype=np.int64)
        by_assignment, _ = matching._optimise(scores, allowed, rows, cols, method="assignment")
        by_lp, _ = matching._optimise(scores, allowed, rows, cols, method="linear_program")
        assert sum(scores[c] for c in by_assignment) == sum(scores[c] for c in by_lp)


# --- Explanations and reasons ----------------------------------------------------------------------------


def test_explanation_says_what_the_pair_shares():
    mentor = candidate_from_answers(
        enrollment_id=1,
        person_id=1,
        name="Ana",
        level=2,
        department="Sales",
        manager_id=None,
        time_zone="Europe/London",
        extra_topics="AI tools, short video, Inclusive hiring, gaming",
        preferred_format="video",
        availability=["tue_am", "wed_pm"],
        languages="Spanish",
    )
    mentee = candidate_from_answers(
        enrollment_id=2,
        person_id=2,
        name="Bo",
        level=7,
        department="Finance",
        manager_id=None,
        time_zone="Europe/Berlin",
        extra_topics="ai tools, Short video, inclusive hiring",
        preferred_format="video",
        availability=["tue_am", "fri_pm"],
        languages="spanish, german",
    )
    result = run([mentor], [mentee])
    assert result.pairs[0].explanation == matching.explain(mentor, mentee, at=AT)
    assert result.pairs[0].explanation == (
        "Shares 3 topics: ai tools, inclusive hiring, Short video; both prefer video; 1 h apart; "
        "both free on Tuesday 08:00\u201311:00 for the mentor, Tuesday 09:00\u201312:00 for the mentee; both speak Spanish."
    )


def test_explanation_says_what_a_weak_pair_lacks():
    mentor = person(1, topics={"a"}, preferred_format="chat", availability={"mon_am"}, languages={"english"})
    mentee = person(
        2,
        level=6,
        topics={"b"},
        preferred_format="in_person",
        availability={"mon_pm"},
        languages={"german"},
        time_zone="America/Chicago",
    )
    assert run([mentor], [mentee]).pairs[0].explanation == (
        "No shared topic; formats differ (chat for the mentor, in person for the mentee); 5 h apart; "
        "no free time in common (their free hours do not overlap, time zones counted); no common language."
    )


def test_no_eligible_partner_counts_each_mentee_under_the_first_rule_that_excludes_it():
    managers = {10: 20, 20: 30}
    mentor = person(1, person_id=10, level=6, department="Sales", manager_id=20)
    mentees = [
        person(2, level=7),
        person(3, level=7, department="Sales"),  # level first
        person(4, person_id=30, level=9, department="Sales"),  # reporting line first
        person(5, level=9, department="Sales"),
    ]
    result = run([mentor], mentees, managers=managers)
    mentor_reason = next(u for u in result.unmatched if u.side == "mentor")
    assert mentor_reason.reason_code == "no_eligible_partner"
    assert mentor_reason.reason == (
        "No mentee is eligible: 2 are below level 8 (2 above this mentor's level 6), "
        "1 is in the same reporting line, 1 is in the same department."
    )
    assert mentor_reason.excluded_by_rule == {"level_gap": 2, "reporting_line": 1, "same_department": 1}
    mentee_reason = next(u for u in result.unmatched if u.enrollment_id == 2)
    assert (
        mentee_reason.reason == "No mentor is eligible: 1 is above level 5 (2 below this mentee's level 7)."
    )
    assert run([mentor], []).unmatched[0].reason == "There are no mentees to pair with."


def test_capacity_taken_when_every_eligible_partner_is_full():
    mentors = [person(1, topics={"a"}), person(2)]
    result = run(mentors, [person(10, level=6, topics={"a"})])
    assert pair_ids(result) == [(1, 10)]
    (reason,) = result.unmatched
    assert (reason.enrollment_id, reason.side, reason.reason_code) == (2, "mentor", "capacity_taken")
    assert reason.reason == (
        "The one eligible mentee was paired with someone else: the best total for the program left no place."
    )
    pinned = run(mentors, [person(10, level=6), person(11, level=6)], pinned=[(1, 10), (2, 11)])
    assert pinned.unmatched == []
    taken_by_pin = run([person(1), person(2), person(3, level=1)], [person(10, level=6)], pinned=[(3, 10)])
    assert {u.reason for u in taken_by_pin.unmatched} == {
        "The one eligible mentee is fully taken by pairs HR pinned."
    }


# --- Properties on random small programs -----------------------------------------------------------------

TOPICS = ["ai", "video", "hiring", "games", "climate"]
SLOTS = ["mon_am", "tue_pm", "wed_am", "fri_pm"]
LANGUAGES = ["english", "spanish", "german"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
MOMENTS = [
    datetime(2025, 3, 1, tzinfo=UTC),
    datetime(2025, 3, 15, tzinfo=UTC),
    datetime(2025, 7, 1, tzinfo=UTC),
]


@st.composite
def programs(draw):
    people = list(range(1, 13))
    # Sometimes every capacity is 2, so the same pair could fill two places (the LP path).
    lowest_capacity = draw(st.sampled_from([1, 1, 2]))
    managers = {p: draw(st.one_of(st.none(), st.sampled_from([q for q in people if q != p]))) for p in people}

    def side(first_id, count, levels):
        persons = draw(st.lists(st.sampled_from(people), min_size=count, max_size=count, unique=True))
        return [
            Candidate(
                enrollment_id=first_id + k,
                person_id=p,
                name=f"P{p}",
                level=draw(levels),
                department=draw(st.sampled_from(["a", "b", "c", ""])),
                manager_id=managers[p],
                time_zone=draw(st.sampled_from(ZONES)),
                topics=frozenset(draw(st.sets(st.sampled_from(TOPICS)))),
                preferred_format=draw(st.sampled_from(matching.FORMATS)),
                availability=frozenset(draw(st.sets(st.sampled_from(SLOTS)))),
                languages=frozenset(draw(st.sets(st.sampled_from(LANGUAGES)))),
                capacity=draw(st.integers(lowest_capacity, 2)),
            )
            for k, p in enumerate(persons)
        ]

    # Mostly juniors as mentors and seniors as mentees, with overlap so the level rule bites too.
    mentors = side(1, draw(st.integers(0, 5)), st.integers(1, 6))
    mentees = side(101, draw(st.integers(0, 5)), st.integers(3, 9))
    all_pairs = [(m.enrollment_id, e.enrollment_id) for m in mentors for e in mentees]
    person_pairs = [(m.person_id, e.person_id) for m in mentors for e in mentees]
    rules = Rules(
        min_level_gap=draw(st.integers(0, 3)),
        exclude_same_department=draw(st.booleans()),
        exclude_same_manager=draw(st.booleans()),
        forbidden=frozenset(draw(st.sets(st.sampled_from(all_pairs), max_size=3)))
        if all_pairs
        else frozenset(),
        previous=frozenset(draw(st.sets(st.sampled_from(person_pairs), max_size=3)))
        if person_pairs
        else frozenset(),
        avoid_previous=draw(st.booleans()),
    )
    weights = Weights(**{name: draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])) for name in matching.COMPONENTS})
    at = draw(st.sampled_from(MOMENTS))
    # Pins: a random subset of eligible pairs that fits the capacities.
    by_id = {c.enrollment_id: c for c in mentors + mentees}
    eligible = [
        pair for pair in all_pairs if not oracle_reasons(by_id[pair[0]], by_id[pair[1]], rules, managers)
    ]
    wished = draw(st.lists(st.sampled_from(eligible), unique=True, max_size=3)) if eligible else []
    used: dict[int, int] = {}
    pinned = []
    for mentor_id, mentee_id in wished:
        mentor, mentee = by_id[mentor_id], by_id[mentee_id]
        if used.get(mentor_id, 0) < mentor.capacity and used.get(mentee_id, 0) < mentee.capacity:
            used[mentor_id] = used.get(mentor_id, 0) + 1
            used[mentee_id] = used.get(mentee_id, 0) + 1
            pinned.append((mentor_id, mentee_id))
    shuffle_seed = draw(st.integers(0, 2**16))
    return mentors, mentees, rules, weights, managers, pinned, at, shuffle_seed


def above(person_id, managers):
    """Everyone reachable upward from person_id (independent of the engine's walk)."""
    found, frontier = set(), [managers.get(person_id)]
    while frontier:
        boss = frontier.pop()
        if boss is not None and boss not in found:
            found.add(boss)
            frontier.append(managers.get(boss))
    return found


def oracle_reasons(mentor, mentee, rules, managers):
    reasons = []
    if mentee.level - mentor.level < rules.min_level_gap:
        reasons.append("level_gap")
    if mentee.person_id in above(mentor.person_id, managers) or mentor.person_id in above(
        mentee.person_id, managers
    ):
        reasons.append("reporting_line")
    if rules.exclude_same_department and mentor.department and mentor.department == mentee.department:
        reasons.append("same_department")
    if (
        rules.exclude_same_manager
        and mentor.manager_id is not None
        and mentor.manager_id == mentee.manager_id
    ):
        reasons.append("same_manager")
    if (mentor.enrollment_id, mentee.enrollment_id) in rules.forbidden:
        reasons.append("forbidden")
    if rules.avoid_previous and (mentor.person_id, mentee.person_id) in rules.previous:
        reasons.append("previous_pair")
    if mentor.person_id == mentee.person_id:
        reasons.append("same_person")
    return reasons


def offset(zone, at):
    return at.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() / 3600


def local_intervals(candidate, at):
    """Each free slot as a (start, end) of real moments, by interval arithmetic (not the engine's bits)."""
    day = at.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    zone = ZoneInfo(candidate.time_zone)
    intervals = []
    for code in candidate.availability:
        weekday, part = code.split("_")
        date_ = monday + timedelta(days=SLOT_DAYS.index(weekday))
        start, end = SLOT_HOURS[part]
        intervals.append(
            (datetime.combine(date_, time(start), zone), datetime.combine(date_, time(end), zone))
        )
    return intervals


def oracle_availability(mentor, mentee, at):
    a, b = local_intervals(mentor, at), local_intervals(mentee, at)
    length = lambda spans: sum((end - start).total_seconds() for start, end in spans)  # noqa: E731
    fewest = min(length(a), length(b))
    shared = sum(
        max(0.0, (min(end_a, end_b) - max(start_a, start_b)).total_seconds())
        for start_a, end_a in a
        for start_b, end_b in b
    )
    return shared / fewest if fewest else 0.0


def oracle_score(mentor, mentee, weights, at):
    topics = min(len(mentor.topics & mentee.topics) / max(1, min(3, len(mentee.topics))), 1)
    formats = {mentor.preferred_format, mentee.preferred_format}
    if len(formats) == 1:
        format_ = 1.0
    elif formats in ({"hybrid", "in_person"}, {"hybrid", "video"}):
        format_ = 0.5
    else:
        format_ = 0.0
    time_zone = 1 - min(abs(offset(mentor.time_zone, at) - offset(mentee.time_zone, at)), 12) / 12
    availability = oracle_availability(mentor, mentee, at)
    language = 1.0 if mentor.languages & mentee.languages else 0.0
    return (
        1.0
        + weights.topics * topics
        + weights.format * format_
        + weights.time_zone * time_zone
        + weights.availability * availability
        + weights.language * language
    )


def best_total_units(mentors, mentees, allowed_units, mentor_capacity, mentee_capacity):
    """Exhaustive optimum: every feasible set of allowed pairs, mentor by mentor, memoised on what is left."""

    @cache
    def best(i, left):
        if i == len(mentors):
            return 0
        result = best(i + 1, left)
        options = [j for j in range(len(mentees)) if (i, j) in allowed_units and left[j] > 0]
        for size in range(1, mentor_capacity[i] + 1):
            for chosen in itertools.combinations(options, size):
                remaining = list(left)
                for j in chosen:
                    remaining[j] -= 1
                gain = sum(allowed_units[i, j] for j in chosen)
                result = max(result, gain + best(i + 1, tuple(remaining)))
        return result

    return best(0, tuple(mentee_capacity))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_properties_on_random_small_programs(program):
    mentors, mentees, rules, weights, managers, pinned, at, shuffle_seed = program
    result = match(
        mentors=mentors,
        mentees=mentees,
        rules=rules,
        weights=weights,
        managers=managers,
        pinned=pinned,
        at=at,
    )
    by_id = {c.enrollment_id: c for c in mentors + mentees}
    event(f"method {result.method}")
    event(f"pinned {bool(pinned)}")
    for item in result.unmatched:
        event(item.reason_code)

    # No proposal breaks a hard rule; capacities and "at most once" hold; pins are kept.
    chosen = [(p.mentor_enrollment_id, p.mentee_enrollment_id) for p in result.pairs]
    assert len(set(chosen)) == len(chosen)
    load: dict[int, int] = {}
    for mentor_id, mentee_id in chosen:
        assert oracle_reasons(by_id[mentor_id], by_id[mentee_id], rules, managers) == []
        load[mentor_id] = load.get(mentor_id, 0) + 1
        load[mentee_id] = load.get(mentee_id, 0) + 1
    assert all(load[k] <= by_id[k].capacity for k in load)
    assert {c for c, p in zip(chosen, result.pairs, strict=True) if p.pinned} == set(pinned)

    # Scores are the documented formula, rounded to 4 decimals.
    for pair in result.pairs:
        expected = oracle_score(
            by_id[pair.mentor_enrollment_id], by_id[pair.mentee_enrollment_id], weights, at
        )
        assert pair.score == pytest.approx(expected, abs=1.01e-4)
        assert sum(pair.components.values()) == pytest.approx(pair.score, abs=1e-3)
    assert round(result.total_score * 10_000) == sum(round(p.score * 10_000) for p in result.pairs)

    # The total is the exhaustive optimum (pins kept, their places taken first).
    mentor_index = {m.enrollment_id: i for i, m in enumerate(mentors)}
    mentee_index = {e.enrollment_id: j for j, e in enumerate(mentees)}
    mentor_capacity = [m.capacity for m in mentors]
    mentee_capacity = [e.capacity for e in mentees]
    pinned_units = 0
    for mentor_id, mentee_id in pinned:
        mentor_capacity[mentor_index[mentor_id]] -= 1
        mentee_capacity[mentee_index[mentee_id]] -= 1
        pinned_units += round(score_pair(by_id[mentor_id], by_id[mentee_id], weights, at=at)[0] * 10_000)
    allowed_units = {
        (i, j): round(score_pair(m, e, weights, at=at)[0] * 10_000)
        for i, m in enumerate(mentors)
        for j, e in enumerate(mentees)
        if not oracle_reasons(m, e, rules, managers) and (m.enrollment_id, e.enrollment_id) not in pinned
    }
    optimum = pinned_units + best_total_units(
        mentors, mentees, allowed_units, mentor_capacity, mentee_capacity
    )
    assert round(result.total_score * 10_000) == optimum

    # eligibility_reasons agrees with the oracle.
    for m in mentors:
        for e in mentees:
            assert eligibility_reasons(m, e, rules, managers=managers) == oracle_reasons(
                m, e, rules, managers
            )

    # Every unmatched reason is true, and everyone without a pair has one.
    reasons = {(u.side, u.enrollment_id): u for u in result.unmatched}
    assert len(reasons) == len(result.unmatched)
    for side, own, others in (("mentor", mentors, mentees), ("mentee", mentees, mentors)):
        for candidate in own:
            key = (side, candidate.enrollment_id)
            if load.get(candidate.enrollment_id):
                assert key not in reasons
                continue
            reason = reasons[key]

            def fails(other, side=side, candidate=candidate):
                pair = (candidate, other) if side == "mentor" else (other, candidate)
                return oracle_reasons(*pair, rules, managers)

            eligible = [o for o in others if not fails(o)]
            if not eligible:
                assert reason.reason_code == "no_eligible_partner"
                first_rules: dict[str, int] = {}
                for other in others:
                    first = fails(other)[0]
                    first_rules[first] = first_rules.get(first, 0) + 1
                assert reason.excluded_by_rule == first_rules
            else:
                assert reason.reason_code == "capacity_taken"
                assert reason.eligible_partners == len(eligible)
                assert all(load.get(o.enrollment_id, 0) == o.capacity for o in eligible)

    # Same result whatever the order of the input.
    rng = random.Random(shuffle_seed)
    shuffled_mentors, shuffled_mentees, shuffled_pins = mentors[:], mentees[:], pinned[:]
    rng.shuffle(shuffled_mentors)
    rng.shuffle(shuffled_mentees)
    rng.shuffle(shuffled_pins)
    again = match(
        mentors=shuffled_mentors,
        mentees=shuffled_mentees,
        rules=rules,
        weights=weights,
        managers=managers,
        pinned=shuffled_pins,
        at=at,
    )
    assert again == result


# --- Free time across time zones --------------------------------------------------------------------------


def test_a_berlin_morning_and_a_new_york_morning_do_not_overlap():
    berlin = person(1, time_zone="Europe/Berlin", availability={"tue_am"})
    new_york = person(2, time_zone="America/New_York", availability={"tue_am"})
    winter = datetime(2025, 1, 14, 12, 0, tzinfo=UTC)
    assert score_pair(berlin, new_york, only("availability"), at=winter)[1]["availability"] == 0.0
    # A Berlin afternoon (13-17, 7-11 in New York) meets a New York morning (8-12) for three hours.
    berlin_pm = replace(berlin, availability=frozenset({"tue_pm"}))
    assert score_pair(berlin_pm, new_york, only("availability"), at=winter)[1]["availability"] == 0.75
    assert (
        "both free on Tuesday 14:00\u201317:00 for the mentor, Tuesday 08:00\u201311:00 for the mentee"
        in explain(berlin_pm, new_york, at=winter)
    )


ALL_SLOTS = [f"{day}_{part}" for day in SLOT_DAYS for part in SLOT_HOURS]
TZ_ZONES = [*ZONES, "Asia/Kathmandu", "Australia/Sydney", "Pacific/Kiritimati", "America/Los_Angeles"]


@settings(max_examples=150, deadline=None)
@given(
    zones=st.tuples(st.sampled_from(TZ_ZONES), st.sampled_from(TZ_ZONES)),
    slots=st.tuples(
        st.sets(st.sampled_from(ALL_SLOTS), min_size=1), st.sets(st.sampled_from(ALL_SLOTS), min_size=1)
    ),
    at=st.sampled_from(MOMENTS),
)
def test_both_free_is_true_in_both_zones(zones, slots, at):
    """Every quarter-hour the engine calls shared falls inside a slot each person ticked, read in their own
    zone; and the explanation's times are inside them too."""
    from pairings.explanations import free_together
    from pairings.matching_base import free_quarters, quarter_moment, reference_monday

    mentor = person(1, time_zone=zones[0], availability=slots[0])
    mentee = person(2, time_zone=zones[1], availability=slots[1])
    monday = reference_monday(at)
    shared = free_quarters(mentor.availability, mentor.time_zone, monday) & free_quarters(
        mentee.availability, mentee.time_zone, monday
    )
    for quarter in shared:
        moment = quarter_moment(quarter, monday)
        for candidate in (mentor, mentee):
            assert any(start <= moment < end for start, end in local_intervals(candidate, at)), (
                candidate.time_zone,
                moment,
            )
    text = free_together(mentor, mentee, at)
    assert text.startswith("both free on") == bool(shared)
    assert (
        abs(
            score_pair(mentor, mentee, only("availability"), at=at)[1]["availability"]
            - round(oracle_availability(mentor, mentee, at), 4)
        )
        < 1e-4
    )
