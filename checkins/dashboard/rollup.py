"""Rebuild the dashboards' rollups: the only place where the dashboards' figures are summed.

rollup_rebuild() reads each app through its selectors (and this app's own tables). The database reduces
the big tables (check-ins, reflections) to one row per pairing and period; the rest are small. Each row
becomes facts about the people of its pairing, side by side, which fold.Fold sums into rollup rows: per
program and for all programs at once, per period (to date, each month, each week), per side, and per
department and location of that side's people. People are counted once per row.

Every rollup row is replaced in one transaction: readers see the old figures until the new ones are
committed, never a half-built set. Two rebuilds at once wait for each other (an advisory lock on
PostgreSQL), so running it twice, or a retried task, just builds the same figures again.
"""

import logging
import time
from datetime import date

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from common.db import insert_rows
from pairings import selectors as pairing_selectors
from pairings.models import Pairing, Side, on_cadence_q
from profiles import selectors as profile_selectors
from profiles.models import Person
from programs import selectors as program_selectors
from programs.models import Enrollment, Program

from .. import selectors
from ..models import (
    Action,
    ActionRollup,
    Cancellation,
    CheckIn,
    DashboardRollup,
    Grain,
    OutcomeRollup,
    Reflection,
)
from ..services import heartbeat_record
from . import periods
from .fold import Codes, Fold

log = logging.getLogger(__name__)

DASHBOARD_HEARTBEAT = "dashboard"
ADVISORY_LOCK = 827_301  # any constant: "the dashboard rollup is being rebuilt"
SIDES = (Side.MENTOR, Side.MENTEE)
BOTH = ""  # the side of rows that count people of both sides once

# Columns counted as people (distinct persons), the rest are sums.
PEOPLE_COLUMNS = (
    "people",
    "invited",
    "enrolled",
    "approved",
    "matched",
    "active",
    "completed",
    "people_met",
    "raters",
    "goal_owners",
    "respondents",
)
NEVER = date.max.toordinal()  # the end of a pairing that has not ended


def _ordinals(days) -> np.ndarray:
    return np.fromiter(((d.toordinal() if d else -1) for d in days), dtype=np.int64, count=len(days))


class Company:
    """The pairings as arrays indexed by pairing id: each side's person, department and location."""

    def __init__(self, codes: dict[str, Codes]):
        rows = pairing_selectors.participations()
        size = max((r["pk"] for r in rows), default=0) + 1
        self.known = np.zeros(size, dtype=bool)
        self.program = np.zeros(size, dtype=np.int64)
        self.activated = np.full(size, -1, dtype=np.int64)
        self.ended = np.full(size, NEVER, dtype=np.int64)
        self.status = np.empty(size, dtype=object)
        self.person = {side: np.zeros(size, dtype=np.int64) for side in SIDES}
        self.department = {side: np.zeros(size, dtype=np.int64) for side in SIDES}
        self.location = {side: np.zeros(size, dtype=np.int64) for side in SIDES}
        self.enrollment = {side: np.zeros(size, dtype=np.int64) for side in SIDES}
        self.rows = rows
        for r in rows:
            pk = r["pk"]
            self.known[pk] = True
            self.program[pk] = codes["program"].code(r["program_id"])
            self.activated[pk] = r["activated_on"].toordinal() if r["activated_on"] else -1
            self.ended[pk] = r["ended_on"].toordinal() if r["ended_on"] else NEVER
            self.status[pk] = r["status"]
            for side in SIDES:
                self.person[side][pk] = r[f"{side}_person"]
                self.department[side][pk] = codes["department"].code(r[f"{side}_department"])
                self.location[side][pk] = codes["location"].code(r[f"{side}_location"])
                self.enrollment[side][pk] = r[f"{side}_id"]

    def ids(self, pairings) -> np.ndarray:
        """Pairing ids as an index array, keeping only pairings the company knows."""
        ids = np.asarray(pairings, dtype=np.int64)
        return ids[(ids < len(self.known)) & (ids >= 0)]

    def facts(
        self, fold: Fold, grain: str, side: str, pairings: np.ndarray, *, period, people=None, **measures
    ):
        """Facts about one side of these pairings (measures aligned with `pairings`)."""
        keep = (pairings < len(self.known)) & self.known[np.clip(pairings, 0, len(self.known) - 1)]
        pairings = pairings[keep]
        if isinstance(period, np.ndarray):
            period = period[keep]
        fold.add(
            grain,
            program=self.program[pairings],
            period=period,
            side=fold.codes["side"].code(side),
            department=self.department[side][pairings],
            location=self.location[side][pairings],
            person=self.person[side][pairings],
            people=people,
            **{
                name: values[keep] if isinstance(values, np.ndarray) else values
                for name, values in measures.items()
            },
        )


def _period_codes(fold: Fold, days: list[date | None]) -> np.ndarray:
    return np.fromiter((fold.codes["period"].code(d) for d in days), dtype=np.int64, count=len(days))


# --- Reach: the funnel, to date ------------------------------------------------------------------------


def _funnel(fold: Fold, company: Company) -> None:
    codes = fold.codes
    matched = {e for r in company.rows for e in (r["mentor_id"], r["mentee_id"])}
    active = {e for r in company.rows if r["activated_on"] for e in (r["mentor_id"], r["mentee_id"])}
    completed = {
        e
        for r in company.rows
        if r["status"] == Pairing.Status.COMPLETED
        for e in (r["mentor_id"], r["mentee_id"])
    }
    enrollments = program_selectors.enrollments_for_funnel()
    if enrollments:
        columns = {
            "program": codes["program"].codes([e["program_id"] for e in enrollments]),
            "department": codes["department"].codes([e["department"] for e in enrollments]),
            "location": codes["location"].codes([e["location"] for e in enrollments]),
            "person": np.array([e["person_id"] for e in enrollments], dtype=np.int64),
        }
        role = codes["side"].codes([e["role"] for e in enrollments])
        stages = {
            "enrolled": np.ones(len(enrollments), dtype=bool),
            "approved": np.array([e["status"] == Enrollment.Status.APPROVED for e in enrollments]),
            "matched": np.array([e["pk"] in matched for e in enrollments]),
            "active": np.array([e["pk"] in active for e in enrollments]),
            "completed": np.array([e["pk"] in completed for e in enrollments]),
        }
        both = codes["side"].code(BOTH)
        for stage, mask in stages.items():
            for side in (role, both):
                fold.add(
                    Grain.TOTAL,
                    period=0,
                    side=side[mask] if isinstance(side, np.ndarray) else side,
                    people=stage,
                    **{name: values[mask] for name, values in columns.items()},
                )
        # Enrolling on one's own counts as being reached, as much as an invitation.
        fold.add(Grain.TOTAL, period=0, side=both, people="invited", **columns)
    invitations = program_selectors.invitations_for_funnel()
    if invitations:
        fold.add(
            Grain.TOTAL,
            period=0,
            side=codes["side"].code(BOTH),
            people="invited",
            program=codes["program"].codes([i["program_id"] for i in invitations]),
            department=codes["department"].codes([i["department"] for i in invitations]),
            location=codes["location"].codes([i["location"] for i in invitations]),
            person=np.array([i["person_id"] for i in invitations], dtype=np.int64),
        )


# --- Pairs and their rhythm -----------------------------------------------------------------------------


def _pairs(fold: Fold, company: Company, today: date, calendar: dict[str, list[date]]) -> None:
    began = np.flatnonzero(company.known & (company.activated >= 0))
    active = began[company.status[began] == Pairing.Status.ACTIVE]
    on_cadence = company.ids(
        list(
            Pairing.objects.filter(on_cadence_q(today), status=Pairing.Status.ACTIVE).values_list(
                "pk", flat=True
            )
        )
    )
    at_risk = company.ids(list(selectors.at_risk_pairing_ids()))
    for side in SIDES:
        company.facts(fold, Grain.TOTAL, side, began, period=0, people="people")
        company.facts(
            fold,
            Grain.TOTAL,
            side,
            active,
            period=0,
            live_end=1,
            on_cadence_end=np.isin(active, on_cadence).astype(np.int64),
            at_risk_end=np.isin(active, at_risk).astype(np.int64),
        )
    for grain, starts in calendar.items():
        for start in starts:
            first, last = start.toordinal(), periods.period_end(grain, start, today).toordinal()
            live = began[(company.activated[began] <= last) & (company.ended[began] >= first)]
            period = fold.codes["period"].code(start)
            changed = ((company.activated[live] >= first) & (company.activated[live] <= last)).astype(
                np.int64
            ) + ((company.ended[live] >= first) & (company.ended[live] <= last)).astype(np.int64)
            for side in SIDES:
                company.facts(fold, grain, side, live, period=period, people="people", changed=changed)
            # How each pair stood at the end of the period, by the one definition of on cadence.
            end = periods.period_end(grain, start, today)
            last_checkin = Subquery(
                CheckIn.objects.filter(pairing=OuterRef("pk"), happened_on__lte=end)
                .order_by("-happened_on")
                .values("happened_on")[:1]
            )
            live_then, on_then = pairing_selectors.live_and_on_cadence_on(
                day=end, last_checkin_on=last_checkin
            )
            ids = company.ids(sorted(live_then))
            on = np.isin(ids, company.ids(sorted(on_then))).astype(np.int64)
            for side in SIDES:
                company.facts(fold, grain, side, ids, period=period, live_end=1, on_cadence_end=on)


# --- Activity: check-ins, ratings, cancellations ------------------------------------------------------------


def _by_period(grain: str, field: str):
    return {Grain.WEEK: TruncWeek, Grain.MONTH: TruncMonth}[grain](field)


def _as_date(value) -> date | None:
    if value is None:
        return None
    return value.date() if hasattr(value, "hour") else value


def _per_pairing(pairings: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows of several periods summed up per pairing (for "to date" from the months)."""
    unique, inverse = np.unique(pairings, return_inverse=True)
    return unique, *(np.bincount(inverse, weights=v, minlength=len(unique)).astype(np.int64) for v in values)


def _activity(fold: Fold, company: Company, calendar: dict[str, list[date]]) -> None:
    """Check-ins and ratings. The database sums them per pairing and month over all the history (which
    also gives "to date", as the sum of the months) and per pairing and week over the weeks shown."""
    recent_from = {Grain.MONTH: calendar[Grain.MONTH][0], Grain.WEEK: calendar[Grain.WEEK][0]}
    for grain in (Grain.MONTH, Grain.WEEK):
        checkins = CheckIn.objects.order_by()
        reflections = Reflection.objects.order_by()
        if grain == Grain.WEEK:
            checkins = checkins.filter(happened_on__gte=recent_from[grain])
            reflections = reflections.filter(checkin__happened_on__gte=recent_from[grain])
        checkin_rows = list(
            checkins.annotate(period=_by_period(grain, "happened_on"))
            .values_list("pairing_id", "period")
            .annotate(n=Count("pk"), minutes=Sum("duration_minutes"))
        )
        reflection_rows = list(
            reflections.annotate(period=_by_period(grain, "checkin__happened_on"))
            .values_list("checkin__pairing_id", "side", "period")
            .annotate(total=Sum("rating"), n=Count("pk"))
        )
        if checkin_rows:
            pairings = np.array([r[0] for r in checkin_rows], dtype=np.int64)
            starts = [_as_date(r[1]) for r in checkin_rows]
            n = np.array([r[2] for r in checkin_rows], dtype=np.int64)
            minutes = np.array([r[3] or 0 for r in checkin_rows], dtype=np.int64)
            for side in SIDES:
                _periodic(
                    fold,
                    company,
                    grain,
                    side,
                    pairings,
                    starts,
                    recent_from[grain],
                    "people_met",
                    checkins=n,
                    minutes=minutes,
                )
        if reflection_rows:
            pairings = np.array([r[0] for r in reflection_rows], dtype=np.int64)
            sides = np.array([r[1] for r in reflection_rows], dtype=object)
            starts = np.array([_as_date(r[2]) for r in reflection_rows], dtype=object)
            total = np.array([r[3] or 0 for r in reflection_rows], dtype=np.int64)
            n = np.array([r[4] for r in reflection_rows], dtype=np.int64)
            for side in SIDES:
                mine = sides == side
                _periodic(
                    fold,
                    company,
                    grain,
                    side,
                    pairings[mine],
                    list(starts[mine]),
                    recent_from[grain],
                    "raters",
                    rating_sum=total[mine],
                    rating_n=n[mine],
                )


def _periodic(fold, company, grain, side, pairings, starts, shown_from, people, **measures) -> None:
    """Facts of one side from rows per pairing and period: for the periods shown, and "to date" as the
    sum of the months (all the history)."""
    shown = np.array([d >= shown_from for d in starts], dtype=bool)
    period = _period_codes(fold, [d for d, keep in zip(starts, shown, strict=True) if keep])
    company.facts(
        fold,
        grain,
        side,
        pairings[shown],
        period=period,
        people=people,
        **{name: values[shown] for name, values in measures.items()},
    )
    if grain == Grain.MONTH:
        each, *totals = _per_pairing(pairings, *measures.values())
        company.facts(
            fold, Grain.TOTAL, side, each, period=0, people=people, **dict(zip(measures, totals, strict=True))
        )


def _cancellations(fold: Fold, company: Company, calendar: dict[str, list[date]]) -> None:
    rows = list(
        Cancellation.objects.annotate(day=TruncDate("created_at"))
        .values_list("pairing_id", "asked_by_side", "kind", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    if not rows:
        return
    pairings = np.array([r[0] for r in rows], dtype=np.int64)
    asked = np.array([r[1] for r in rows], dtype=object)
    moved = np.array([r[2] == Cancellation.Kind.RESCHEDULED for r in rows])
    n = np.array([r[4] for r in rows], dtype=np.int64)
    for grain in (Grain.TOTAL, *calendar):
        if grain == Grain.TOTAL:
            keep, period = np.ones(len(rows), dtype=bool), 0
        else:
            starts = [periods.period_of(grain, r[3]) for r in rows]
            keep = np.array([s >= calendar[grain][0] for s in starts])
            period = _period_codes(fold, starts)[keep]
        for side in SIDES:
            mine = (asked[keep] == side).astype(np.int64)
            company.facts(
                fold,
                grain,
                side,
                pairings[keep],
                period=period,
                cancellations_all=n[keep],
                cancelled=n[keep] * mine * (~moved[keep]),
                moved=n[keep] * mine * moved[keep],
            )


# --- Goals and surveys, to date -------------------------------------------------------------------------------


def _goals(fold: Fold, company: Company) -> None:
    rows = pairing_selectors.goal_counts()
    for side in SIDES:
        mine = [r for r in rows if r["owner_side"] == side]
        if not mine:
            continue
        company.facts(
            fold,
            Grain.TOTAL,
            side,
            np.array([r["pairing_id"] for r in mine], dtype=np.int64),
            period=0,
            people="goal_owners",
            goals_set=np.array([r["goals_set"] for r in mine], dtype=np.int64),
            goals_done=np.array([r["goals_done"] for r in mine], dtype=np.int64),
            goals_dropped=np.array([r["goals_dropped"] for r in mine], dtype=np.int64),
        )


def _surveys(fold: Fold, today: date) -> None:
    rows = program_selectors.latest_closed_survey_answers(today=today)
    if not rows:
        return
    codes = fold.codes
    satisfaction = [r["satisfaction"] for r in rows]
    recommend = [r["recommend"] for r in rows]
    fold.add(
        Grain.TOTAL,
        period=0,
        people="respondents",
        program=codes["program"].codes([r["program_id"] for r in rows]),
        side=codes["side"].codes([r["side"] for r in rows]),
        department=codes["department"].codes([r["department"] for r in rows]),
        location=codes["location"].codes([r["location"] for r in rows]),
        person=np.array([r["person_id"] for r in rows], dtype=np.int64),
        learned_yes=np.array([r["learned"] for r in rows], dtype=np.int64),
        learned_n=np.array([r["learned_answered"] for r in rows], dtype=np.int64),
        sat_sum=np.array([s or 0 for s in satisfaction], dtype=np.int64),
        sat_n=np.array([s is not None for s in satisfaction], dtype=np.int64),
        rec_n=np.array([r is not None for r in recommend], dtype=np.int64),
        promoters=np.array([r is not None and r >= 9 for r in recommend], dtype=np.int64),
        detractors=np.array([r is not None and r <= 6 for r in recommend], dtype=np.int64),
    )


# --- Behaviour: "you said, we did" ----------------------------------------------------------------------------


def _actions(company: Company, codes: dict[str, Codes], today: date) -> list[dict]:
    """Changes by program, month, theme and effect, and the senior's department and location."""
    first_month = periods.months(today)[0]
    rows = list(
        Action.objects.annotate(day=TruncDate("created_at"))
        .values_list("pairing_id", "theme__name", "effect", "day")
        .order_by()
    )
    fold = Fold(
        dims=("program", "period", "theme", "effect", "department", "location"),
        optional=("program", "theme", "effect", "department", "location"),
        codes=codes | {"theme": Codes(), "effect": Codes()},
    )
    if rows:
        pairings = np.array([r[0] for r in rows], dtype=np.int64)
        themes = fold.codes["theme"].codes([r[1] or "" for r in rows])
        effects = fold.codes["effect"].codes([r[2] for r in rows])
        months = [periods.month_of(r[3]) for r in rows]
        recent = np.array([m >= first_month for m in months])
        keep = company.known[np.clip(pairings, 0, len(company.known) - 1)] & (pairings < len(company.known))
        for grain, mask, period in (
            (Grain.TOTAL, keep, 0),
            (Grain.MONTH, keep & recent, None),
        ):
            ids = pairings[mask]
            fold.add(
                grain,
                program=company.program[ids],
                period=_period_codes(fold, [m for m, k in zip(months, mask, strict=True) if k])
                if period is None
                else 0,
                theme=themes[mask],
                effect=effects[mask],
                department=company.department[Side.MENTEE][ids],
                location=company.location[Side.MENTEE][ids],
                person=company.person[Side.MENTEE][ids],
                people="seniors",
                actions=1,
            )
    out = []
    for row in fold.rows():
        row["program_id"] = row.pop("program")
        row["effect"] = row["effect"] or ""
        out.append(row)
    return out


# --- Results: the junior mentors against a comparison group -----------------------------------------------------


def _outcomes(company: Company, today: date) -> list[dict]:
    """For each program whose pairs have begun: its junior mentors, and everyone who never took part in any
    program, by level, department and location on the day it started, and where they stood today."""
    mentors: dict[int, set[int]] = {}
    began: dict[int, date] = {}
    for r in company.rows:
        if r["activated_on"]:
            mentors.setdefault(r["program_id"], set()).add(r["mentor_person"])
            began[r["program_id"]] = min(began.get(r["program_id"], r["activated_on"]), r["activated_on"])
    if not mentors:
        return []
    starts = dict(Program.objects.filter(pk__in=mentors).values_list("pk", "starts_on"))
    never_took_part = Person.objects.exclude(pk__in=program_selectors.participant_person_ids())
    out = []
    for program, people in mentors.items():
        start = min(starts.get(program) or began[program], began[program])
        mentor_rows = profile_selectors.outcomes_by_stratum(
            people=Person.objects.filter(pk__in=people), start=start, end=today
        )
        # The comparison only matters in the mentors' own levels and departments (that is what it is
        # weighted to): other strata are not kept.
        strata = {(row["level"], row["department"]) for row in mentor_rows}
        comparison_rows = [
            row
            for row in profile_selectors.outcomes_by_stratum(people=never_took_part, start=start, end=today)
            if (row["level"], row["department"]) in strata
        ]
        for group, rows in (
            (OutcomeRollup.Group.MENTORS, mentor_rows),
            (OutcomeRollup.Group.COMPARISON, comparison_rows),
        ):
            every_location: dict[tuple, dict] = {}
            for row in rows:
                out.append({"program_id": program, "group": group, "start": start, "end": today, **row})
                # And every location together (a person is in one location: the counts add up).
                total = every_location.setdefault(
                    (row["level"], row["department"]),
                    {"level": row["level"], "department": row["department"], "location": None}
                    | {"people": 0, "retained": 0, "promoted": 0},
                )
                for column in ("people", "retained", "promoted"):
                    total[column] += row[column]
            for row in every_location.values():
                out.append({"program_id": program, "group": group, "start": start, "end": today, **row})
    return out


# --- The rebuild -----------------------------------------------------------------------------------------------


def rollup_rebuild(*, today: date | None = None) -> dict[str, float]:
    """Rebuild every rollup row from the current data. Returns how many rows and how long it took."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    calendar = {Grain.WEEK: periods.weeks(today), Grain.MONTH: periods.months(today)}
    codes = {name: Codes() for name in ("program", "period", "side", "department", "location")}
    fold = Fold(
        dims=("program", "period", "side", "department", "location"),
        optional=("program", "department", "location"),
        codes=codes,
    )
    company = Company(codes)
    _funnel(fold, company)
    _pairs(fold, company, today, calendar)
    _activity(fold, company, calendar)
    _cancellations(fold, company, calendar)
    _goals(fold, company)
    _surveys(fold, today)
    rollups = fold.rows()
    for row in rollups:
        row["program_id"] = row.pop("program")
    actions = _actions(company, codes, today)
    outcomes = _outcomes(company, today)
    computed = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        for model in (DashboardRollup, ActionRollup, OutcomeRollup):
            model.objects.all().delete()
        insert_rows(DashboardRollup, rollups)
        insert_rows(ActionRollup, actions)
        insert_rows(OutcomeRollup, outcomes)
        heartbeat_record(name=DASHBOARD_HEARTBEAT)
    finished = time.perf_counter()
    result = {
        "rows": len(rollups) + len(actions) + len(outcomes),
        "compute_seconds": computed - started,
        "write_seconds": finished - computed,
        "seconds": finished - started,
    }
    log.info("dashboard rollups rebuilt: %(rows)s rows in %(seconds).1f s", result)
    return result
