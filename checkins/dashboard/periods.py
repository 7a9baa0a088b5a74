"""The periods the dashboards' trends are drawn over: weeks (starting Monday) and calendar months."""

from datetime import date, timedelta

WEEKS = 26
MONTHS = 24


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def weeks(today: date, count: int = WEEKS) -> list[date]:
    """The Mondays of the last `count` weeks, oldest first, this week last."""
    this_week = week_of(today)
    return [this_week - timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def months(today: date, count: int = MONTHS) -> list[date]:
    this_month = month_of(today)
    return [add_months(this_month, -n) for n in range(count - 1, -1, -1)]


def period_end(grain: str, start: date, today: date) -> date:
    """The last day of a period, or today for the period that is still running."""
    end = start + timedelta(days=6) if grain == "week" else add_months(start, 1) - timedelta(days=1)
    return min(end, today)


def period_of(grain: str, day: date) -> date:
    return week_of(day) if grain == "week" else month_of(day)
