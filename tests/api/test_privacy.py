"""What the API must never give away: the dashboards' figures go through the same fewer-than-5 rule as the
page, and no endpoint returns what anyone wrote (notes, reflections, ratings, concerns, HR's reasons).

The company is the dashboards' own, computed by hand in tests/checkins/test_dashboard.py.
"""

import pytest

from checkins import services
from checkins.dashboard.figures import Figure, Filters, dashboard_for
from pairings.models import Pairing
from profiles.models import ApiToken
from programs.models import Enrollment
from tests.api.conftest import assert_problem
from tests.checkins import test_dashboard as dashboard_tests

pytestmark = pytest.mark.django_db

Scope = ApiToken.Scope
company = dashboard_tests.company  # the fixture, shared


def _expected(board):
    """Every table the API answers, as {slug: {row label: [value or hidden word or text]}}."""
    out = {}
    for slug, table in board.tables.items():
        if slug == "shared-changes":
            continue
        rows = {}
        for row in table.rows:
            cells = []
            for cell in row.cells:
                if isinstance(cell, Figure):
                    cells.append(cell.hidden.value if cell.hidden else cell.value)
                else:
                    cells.append(cell)
            rows[str(row.label)] = cells
        out[slug] = rows
    return out


def _answered(body):
    out = {}
    for table in body["tables"]:
        rows = {}
        for row in table["rows"]:
            cells = []
            for cell in row["cells"]:
                if cell is None:
                    cells.append(None)
                elif cell.get("text") is not None:
                    cells.append(cell["text"])
                elif cell["hidden"]:
                    assert cell["value"] is None  # a hidden figure's value is never sent
                    cells.append(cell["hidden"])
                else:
                    cells.append(cell["value"])
            rows[row["label"]] = cells
        out[table["slug"]] = rows
    return out


def test_the_dashboard_answers_the_page_s_figures_hidden_where_it_hides_them(api, make_token, company):
    raw = make_token(Scope.READ_REPORTS)
    body = api("dashboard", raw).json()
    assert body["hidden"] is None and body["detail"] == ""
    assert _answered(body) == _expected(dashboard_for(filters=Filters()))
    cells = [cell for table in body["tables"] for row in table["rows"] for cell in row["cells"] if cell]
    few = [cell for cell in cells if cell.get("hidden") == "few"]
    assert few and all(cell == {"value": None, "hidden": "few", "text": None} for cell in few)
    assert any(isinstance(cell.get("value"), int | float) for cell in cells)


def test_a_cohort_and_a_department_filter_answer_their_own_figures(api, make_token, company):
    raw = make_token(Scope.READ_REPORTS)
    program = company["program"]
    body = api("dashboard", raw, program=program.pk, family=program.family, department="Marketing").json()
    expected = dashboard_for(
        filters=Filters(program_id=program.pk, family=program.family, department="Marketing")
    )
    assert _answered(body) == _expected(expected)


@pytest.mark.parametrize(
    ("params", "hidden"),
    [({"location": "Berlin"}, "few"), ({"department": "Marketing", "location": "Berlin"}, "few")],
)
def test_filters_narrowing_to_fewer_than_5_people_answer_no_figures(api, make_token, company, params, hidden):
    raw = make_token(Scope.READ_REPORTS)
    body = api("dashboard", raw, **params).json()
    assert body["hidden"] == hidden
    assert body["tables"] == []
    assert "fewer than 5 people" in body["detail"]


def test_a_selection_that_would_give_a_small_group_away_answers_no_figures(api, make_token, company):
    body = api("dashboard", make_token(Scope.READ_REPORTS), location="London").json()
    assert (body["hidden"], body["tables"]) == ("derivable", [])


def test_one_table_by_its_slug_and_unknown_filters_refused(api, make_token, company):
    raw = make_token(Scope.READ_REPORTS)
    [funnel] = api("dashboard", raw, table="funnel").json()["tables"]
    assert funnel["slug"] == "funnel" and funnel["columns"][0]["label"] == "Both sides"
    assert_problem(api("dashboard", raw, table="no-such-table"), 404, "not-found")
    assert_problem(api("dashboard", raw, table="shared-changes"), 404, "not-found")  # words, not figures
    body = assert_problem(api("dashboard", raw, department="Nowhere"), 404, "not-found")
    assert [e["name"] for e in body["errors"]] == ["department"]
    other = company["program"].pk + 1000
    body = assert_problem(api("dashboard", raw, program=other), 404, "not-found")
    assert [e["name"] for e in body["errors"]] == ["program"]
    body = assert_problem(api("dashboard", raw, grain="total"), 400, "invalid-parameter")
    assert body["errors"][0]["name"] == "grain"


# --- No words anyone wrote, from any endpoint ----------------------------------------------------------

SECRETS = [
    "LEARNED-x",  # reflections (tests/checkins/conftest.py)
    "CHANGE-x",
    "PRIVATE-x",
    "CONCERN-secret",
    "SHARED-secret",
    "HOPES-secret",
    "REASON-secret",
    "CLOSING-secret",
    "CONFLICT-secret",
    "EXPLANATION-secret",
    "Change 0",  # a change a senior shared on the dashboard: their words, not a figure
]
WORDS_KEYS = ("note", "reflection", "rating", "concern", "hopes", "reason", "explanation", "learned")


def _keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def test_no_endpoint_ever_returns_notes_reflections_ratings_or_concerns(api, make_token, company, hr_admin):
    pairing = company["pairings"][0]
    services.concern_raise(
        pairing=pairing, person=pairing.mentor.person, kind="concern", text="CONCERN-secret"
    )
    services.checkin_log(
        pairing=pairing,
        person=pairing.mentor.person,
        happened_on=pairing.created_at.date(),
        duration_minutes=30,
        meeting_format="video",
        themes=[],
        shared_notes="SHARED-secret",
        reflection=services.ReflectionInput(
            learned="LEARNED-x", change_next_time="CHANGE-x", rating=1, private_notes="PRIVATE-x"
        ),
    )
    Enrollment.objects.filter(pk=pairing.mentor_id).update(
        hopes="HOPES-secret", decision_reason="REASON-secret"
    )
    Pairing.objects.filter(pk=pairing.pk).update(
        closing_reason="CLOSING-secret", conflict_reason="CONFLICT-secret", explanation="EXPLANATION-secret"
    )
    raw = make_token(*Scope.values)
    bodies = []
    for path in ("people", "programs", "enrollments", "pairings", "audit-events"):
        cursor = None
        while True:
            response = api(path, raw, limit=1000, **({"cursor": cursor} if cursor else {}))
            assert response.status_code == 200
            bodies.append(response)
            cursor = response.json()["next_cursor"]
            if not cursor:
                break
    bodies.append(api(f"pairings?program={pairing.program_id}", raw))
    bodies.append(api(f"people/{pairing.mentor.person_id}", raw))
    for params in ({}, {"grain": "week"}, {"department": "Finance"}, {"program": pairing.program_id}):
        bodies.append(api("dashboard", raw, **params))
    for response in bodies:
        assert response.status_code == 200
        text = response.content.decode()
        for secret in SECRETS:
            assert secret not in text, (response.wsgi_request.get_full_path(), secret)
        for key in _keys(response.json()):
            assert not any(word in key.lower() for word in WORDS_KEYS), (response.wsgi_request.path, key)
