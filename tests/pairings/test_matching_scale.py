"""The engine's large-program paths give what the plain ones give: the score matrix built a block of rows
at a time equals all pairs scored at once, the bitmask encoding holds exactly the labels and free time
given, and LAPJV finds assignments of the same least cost as scipy's solver."""

from datetime import UTC, datetime

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import linear_sum_assignment

from pairings import matching
from pairings.matching import Candidate, Weights
from pairings.matching_base import free_quarters

from .test_matching import programs


def encoded(mentors, mentees, at):
    context = matching._context([mentors, mentees], at)
    return matching._encode(list(mentors), context), matching._encode(list(mentees), context), context


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.integers(1, 40))
def test_score_matrix_by_blocks_equals_every_pair_scored_at_once(program, block_cells):
    mentors, mentees, _rules, weights, _managers, _pinned, at, _seed = program
    side_a, side_b, _context = encoded(mentors, mentees, at)
    rows, cols = np.arange(len(mentors))[:, None], np.arange(len(mentees))[None, :]
    at_once = matching._components(side_a, side_b, rows, cols, weights)["score_units"]
    by_blocks = matching._score_matrix(side_a, side_b, weights, block_cells=block_cells)
    assert by_blocks.dtype == np.int64
    assert np.array_equal(by_blocks, at_once.reshape(len(mentors), len(mentees)))
    for i, mentor in enumerate(mentors):
        for j, mentee in enumerate(mentees):
            score, _components = matching.score_pair(mentor, mentee, weights, at=at)
            assert by_blocks[i, j] == round(score * matching.SCORE_SCALE)


def decode(bits_row: np.ndarray) -> set[int]:
    return {
        64 * word + bit for word, value in enumerate(bits_row) for bit in range(64) if int(value) >> bit & 1
    }


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sets(st.sampled_from([f"label {k}" for k in range(150)])), max_size=8))
def test_bitmasks_hold_exactly_the_labels_given(label_sets):
    vocabulary = matching._Vocabulary(label for labels in label_sets for label in labels)
    bits, counts = vocabulary.encode(label_sets)
    assert bits.shape == (len(label_sets), vocabulary.words)
    for row, labels in enumerate(label_sets):
        assert decode(bits[row]) == {vocabulary.index[label] for label in labels}
        assert counts[row] == len(labels)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_free_time_bitmasks_count_the_quarter_hours_both_have(program):
    mentors, mentees, _rules, _weights, _managers, _pinned, at, _seed = program
    side_a, side_b, context = encoded(mentors, mentees, at)
    for i, mentor in enumerate(mentors):
        for j, mentee in enumerate(mentees):
            shared = sum(
                length * len(decode(a_bits[i]) & decode(b_bits[j]))
                for length, a_bits, b_bits in zip(
                    side_a.slot_lengths, side_a.slot_bits, side_b.slot_bits, strict=True
                )
            )
            mine = free_quarters(mentor.availability, mentor.time_zone, context.monday)
            theirs = free_quarters(mentee.availability, mentee.time_zone, context.monday)
            assert shared == len(mine & theirs)
            assert side_a.slot_count[i] == len(mine)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 9).flatmap(
        lambda rows: st.integers(max(1, rows - 3), rows + 6).flatmap(
            # Few distinct values, so that many assignments tie; 0 stands for an ineligible cell.
            lambda cols: arrays(np.int64, (rows, cols), elements=st.sampled_from([0, -1, -2, -3, -50]))
        )
    )
)
def test_lapjv_finds_an_assignment_of_the_same_least_cost_as_scipy(cost):
    cost = cost.astype(np.float64)
    scipy_rows, scipy_cols = linear_sum_assignment(cost)
    rows, cols = matching._assignment(cost, matching.SOLVER_LAPJV)
    # An assignment of min(rows, columns) cells: each row and each column at most once (LAPJV leaves out
    # the rows or columns a rectangle was padded with).
    assert len(set(rows.tolist())) == len(rows) and len(set(cols.tolist())) == len(cols)
    assert len(rows) == min(cost.shape)
    assert cost[rows, cols].sum() == cost[scipy_rows, scipy_cols].sum()


def test_a_large_square_program_goes_to_lapjv_and_a_rectangle_to_scipy():
    rng = np.random.default_rng(3)
    square = -rng.integers(1, 5, size=(matching._LAPJV_FROM, matching._LAPJV_FROM)).astype(np.float64)
    rows, cols = matching._assignment(square)
    scipy_rows, scipy_cols = linear_sum_assignment(square)
    assert square[rows, cols].sum() == square[scipy_rows, scipy_cols].sum()
    rectangle = np.repeat(square[:800], 2, axis=0)  # 800 mentors with two places each, 1,000 mentees
    rows, cols = matching._assignment(rectangle)
    scipy_rows, scipy_cols = linear_sum_assignment(rectangle)
    assert np.array_equal(rows, scipy_rows) and np.array_equal(cols, scipy_cols)


def test_a_large_program_keeps_every_rule_and_the_best_total():
    """1,000 x 1,000 (the LAPJV path): the same total as scipy's solver on the same score matrix."""
    rng = np.random.default_rng(11)
    topics = ["ai", "video", "hiring", "games", "climate", "podcasts", "privacy"]

    def people(first_id, count, levels):
        return [
            Candidate(
                enrollment_id=first_id + k,
                person_id=first_id + k,
                name=f"P{first_id + k}",
                level=int(rng.choice(levels)),
                department=str(rng.choice(["a", "b", "c", "d"])),
                manager_id=None,
                time_zone=str(rng.choice(["UTC", "Europe/Berlin", "America/New_York"])),
                topics=frozenset(rng.choice(topics, size=int(rng.integers(0, 4)), replace=False).tolist()),
                preferred_format=str(rng.choice(matching.FORMATS)),
                availability=frozenset(
                    rng.choice(["mon_am", "tue_pm", "wed_am"], size=2, replace=False).tolist()
                ),
                languages=frozenset(["english"]),
            )
            for k in range(count)
        ]

    mentors = people(1, matching._LAPJV_FROM, [1, 2, 3, 4])
    mentees = people(10_001, matching._LAPJV_FROM, [3, 5, 6, 7])
    rules = matching.Rules(min_level_gap=2)
    at = datetime(2025, 3, 20, 9, tzinfo=UTC)
    result = matching.match(
        mentors=mentors, mentees=mentees, rules=rules, weights=Weights(), managers={}, at=at
    )
    side_a, side_b, _context = encoded(mentors, mentees, at)
    scores = matching._score_matrix(side_a, side_b, Weights())
    broken = matching._violations(side_a, side_b, rules, matching._effective_managers({}, mentors + mentees))
    allowed = ~np.logical_or.reduce(list(broken.values()))
    cost = np.where(allowed, -scores, 0)
    scipy_rows, scipy_cols = linear_sum_assignment(cost)
    assert result.total_score == -cost[scipy_rows, scipy_cols].sum() / matching.SCORE_SCALE
    by_id = {c.enrollment_id: c for c in mentors + mentees}
    for pair in result.pairs:
        mentor, mentee = by_id[pair.mentor_enrollment_id], by_id[pair.mentee_enrollment_id]
        assert not matching.eligibility_reasons(mentor, mentee, rules)
        assert pair.score == matching.score_pair(mentor, mentee, Weights(), at=at)[0]
    assert len({p.mentor_enrollment_id for p in result.pairs}) == len(result.pairs)
    assert len({p.mentee_enrollment_id for p in result.pairs}) == len(result.pairs)
