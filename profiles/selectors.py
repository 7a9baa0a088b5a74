"""Reads of the directory, its reporting lines, invitations and roles; fetch-and-authorise helpers.

There is no date of birth, age or generation field anywhere, ever: reverse mentoring is defined by
career level, and nothing here reads or offers anything else.
"""

import hashlib
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from common.counts import counted
from common.db import distinct_values

from .models import Invitation, Person, PersonHistory, User

# A reporting line longer than this is treated as a loop (the data can hold one; the import refuses
# to create one). It bounds every recursive query below.
REPORTING_LINE_MAX_DEPTH = 50

# The session key holding the invitation a visitor arrived with (see views.invitation_accept).
INVITATION_SESSION_KEY = "twoway_invitation_id"


def signup_open() -> bool:
    """Whether anyone may sign up without an invitation: only when company domains are set."""
    return bool(settings.ALLOWED_SIGNUP_DOMAINS)


def signup_allowed_for(*, email: str) -> bool:
    """Sign-up is open to addresses of the company's own domains (ALLOWED_SIGNUP_DOMAINS)."""
    domain = email.rsplit("@", 1)[-1].lower()
    return domain in settings.ALLOWED_SIGNUP_DOMAINS


# --- Reporting lines ----------------------------------------------------------------------------------
# Each question is one query: a recursive CTE walking up the manager links, in SQL that PostgreSQL and
# SQLite both run. The depth limit stops a loop in the data from recursing forever.


def _person_table() -> str:
    return connection.ops.quote_name(Person._meta.db_table)


def in_reporting_line(*, a: Person, b: Person) -> bool:
    """Whether one of the two manages the other, directly or through any number of levels."""
    if a.pk == b.pk:
        return False
    person = _person_table()
    sql = f"""
        WITH RECURSIVE up(start_id, manager_id, depth) AS (
            SELECT id, manager_id, 1 FROM {person} WHERE id IN (%s, %s) AND manager_id IS NOT NULL
            UNION ALL
            SELECT up.start_id, p.manager_id, up.depth + 1
            FROM up JOIN {person} p ON p.id = up.manager_id
            WHERE p.manager_id IS NOT NULL AND up.depth < %s
        )
        SELECT 1 FROM up WHERE (start_id = %s AND manager_id = %s) OR (start_id = %s AND manager_id = %s)
        LIMIT 1
    """  # noqa: S608 (only the table name is formatted in, quoted by the backend)
    with connection.cursor() as cursor:
        cursor.execute(sql, [a.pk, b.pk, REPORTING_LINE_MAX_DEPTH, a.pk, b.pk, b.pk, a.pk])
        return cursor.fetchone() is not None


def manager_chain(*, person: Person) -> list[Person]:
    """The person's managers, from their direct manager up to the top of the org chart."""
    table = _person_table()
    sql = f"""
        WITH RECURSIVE up(id, depth) AS (
            SELECT manager_id, 1 FROM {table} WHERE id = %s AND manager_id IS NOT NULL
            UNION ALL
            SELECT p.manager_id, up.depth + 1
            FROM up JOIN {table} p ON p.id = up.id
            WHERE p.manager_id IS NOT NULL AND up.depth < %s
        )
        SELECT person.* FROM up JOIN {table} person ON person.id = up.id ORDER BY up.depth
    """  # noqa: S608 (only the table name is formatted in, quoted by the backend)
    chain: list[Person] = []
    seen = {person.pk}
    for manager in Person.objects.raw(sql, [person.pk, REPORTING_LINE_MAX_DEPTH]):
        if manager.pk in seen:  # a loop in the data: show it once
            break
        seen.add(manager.pk)
        chain.append(manager)
    return chain


# --- Directory ----------------------------------------------------------------------------------------


def _open_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)


def person_directory(
    *,
    query: str = "",
    department: str = "",
    level: int | None = None,
    status: str = "active",
    login: str = "",
) -> QuerySet[Person]:
    """The directory, searched and filtered, with manager, login and open invitation in the same query.

    status: "active", "inactive" or "all". login: "yes", "no" or "" (either).
    """
    open_invitation = _open_invitations().filter(person=OuterRef("pk"))
    people = (
        Person.objects.select_related("manager", "user")
        .annotate(invitation_expires_at=Subquery(open_invitation.values("expires_at")[:1]))
        .order_by("full_name", "pk")
    )
    if query:
        people = people.filter(
            Q(full_name__icontains=query)
            | Q(email__icontains=query)
            | Q(job_title__icontains=query)
            | Q(employee_id__icontains=query)
        )
    if department:
        people = people.filter(department=department)
    if level is not None:
        people = people.filter(level=level)
    if status == "active":
        people = people.filter(is_active=True)
    elif status == "inactive":
        people = people.filter(is_active=False)
    if login == "yes":
        people = people.filter(user__isnull=False)
    elif login == "no":
        people = people.filter(user__isnull=True)
    return people


def directory_count(
    *,
    query: str = "",
    department: str = "",
    level: int | None = None,
    status: str = "active",
    login: str = "",
) -> int | None:
    """How many people person_directory(**the same filters) lists, when the database keeps that total
    (the unfiltered directory of active people, kept by profiles migration 0017: no COUNT of 100,000
    rows per page view); None when the list is to count its rows (a search or filter: fewer rows)."""
    if query or department or level is not None or login or status != "active":
        return None
    return counted("person.active")


def departments() -> list[str]:
    """Every department of the directory, in order (the directory's and the dashboards' filters)."""
    return distinct_values(Person, "department")


def locations() -> list[str]:
    return list(
        Person.objects.exclude(location="").order_by("location").values_list("location", flat=True).distinct()
    )


def person_get_for_hr(*, pk: int) -> Person:
    """A directory entry with its manager, login and profile; Http404 if there is none."""
    return get_object_or_404(Person.objects.select_related("manager", "user", "profile"), pk=pk)


def direct_reports(*, person: Person) -> QuerySet[Person]:
    return person.reports.order_by("-is_active", "full_name", "pk")


@dataclass(frozen=True)
class InviteBulkPreview:
    to_invite: int
    has_login: int
    inactive: int

    @property
    def skipped(self) -> int:
        return self.has_login + self.inactive


def invite_bulk_preview(*, people: QuerySet[Person]) -> InviteBulkPreview:
    """How many of these people an invitation would go to, and how many would be skipped and why."""
    counts = people.order_by().aggregate(
        to_invite=Count("pk", filter=Q(is_active=True, user__isnull=True)),
        has_login=Count("pk", filter=Q(user__isnull=False)),
        inactive=Count("pk", filter=Q(is_active=False, user__isnull=True)),
    )
    return InviteBulkPreview(**counts)


# --- Invitations --------------------------------------------------------------------------------------


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation a link's token belongs to, in whatever state, or None (the hash alone is stored)."""
    return (
        Invitation.objects.select_related("person", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def invitation_open_for_signup(*, pk: int | None) -> Invitation | None:
    """The invitation with this id if it can still be used to sign up: open, its person active and
    without a login."""
    if not pk:
        return None
    invitation = _open_invitations().select_related("person").filter(pk=pk).first()
    if invitation is None or invitation.status != Invitation.Status.OPEN:
        return None
    if not invitation.person.is_active or invitation.person.user_id is not None:
        return None
    return invitation


def invitation_list(*, status: str = "") -> QuerySet[Invitation]:
    """Invitations, newest first, filtered by status (open, expired, accepted, revoked or "" for all)."""
    now = timezone.now()
    by_status = {
        Invitation.Status.OPEN: Q(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now),
        Invitation.Status.EXPIRED: Q(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now),
        Invitation.Status.ACCEPTED: Q(accepted_at__isnull=False),
        Invitation.Status.REVOKED: Q(accepted_at__isnull=True, revoked_at__isnull=False),
    }
    invitations = Invitation.objects.select_related("person", "invited_by").order_by("-created_at", "-pk")
    return invitations.filter(by_status[status]) if status in by_status else invitations


def invitations_of_person(*, person: Person) -> QuerySet[Invitation]:
    return person.invitations.select_related("invited_by").order_by("-created_at", "-pk")


# --- Roles and profiles -------------------------------------------------------------------------------


def role_holders() -> QuerySet[User]:
    """Logins with the HR admin or leader role, with their directory entry (if any)."""
    has_person = Person.objects.filter(user=OuterRef("pk"))
    return (
        User.objects.filter(Q(is_hr_admin=True) | Q(is_leader=True))
        .annotate(has_person=Exists(has_person))
        .select_related("person")
        .order_by("full_name", "email", "pk")
    )


def profile_person_get_for_user(*, user: User, pk: int) -> Person:
    """A person's profile page, for HR admins and the person themself; Http404 for anyone else (so
    the page does not say whether the person exists)."""
    person = Person.objects.select_related("profile", "user").filter(pk=pk).first()
    if person is None:
        raise Http404
    if user.is_hr_admin or (person.user_id is not None and person.user_id == user.pk):
        return person
    raise Http404


# --- Directory history ----------------------------------------------------------------------------------


def _on(day: date) -> Q:
    """The stretch of history that covers `day`."""
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


@dataclass(frozen=True)
class HistoryChange:
    on: date
    what: str
    before: str
    after: str
    source: str


def person_history_changes(*, person: Person) -> list[HistoryChange]:
    """What changed in a person's directory record, and when, newest first (two queries)."""
    stretches = list(person.history.order_by("valid_from"))
    names = dict(
        Person.objects.filter(pk__in={s.manager_id for s in stretches if s.manager_id}).values_list(
            "pk", "full_name"
        )
    )

    def shown(field: str, value) -> str:
        if field == "manager_id":
            return names.get(value, _("none")) if value else _("none")
        if field == "is_active":
            return _("active") if value else _("inactive (left)")
        return str(value) if value not in ("", None) else "—"

    labels = {
        "level": _("Level"),
        "department": _("Department"),
        "location": _("Location"),
        "manager_id": _("Manager"),
        "is_active": _("Status"),
    }
    changes = []
    for before, after in zip(stretches, stretches[1:], strict=False):
        for field, label in labels.items():
            if getattr(before, field) != getattr(after, field):
                changes.append(
                    HistoryChange(
                        after.valid_from,
                        str(label),
                        shown(field, getattr(before, field)),
                        shown(field, getattr(after, field)),
                        after.get_source_display(),
                    )
                )
    return changes[::-1]


def history_since(*, person: Person) -> date | None:
    """The first day of the person's directory history."""
    return person.history.order_by("valid_from").values_list("valid_from", flat=True).first()


def outcomes_by_stratum(*, people: QuerySet[Person], start: date, end: date) -> list[dict]:
    """Of these people who were active on `start`: how many were in each level, department and location
    that day, how many were still active on `end` and how many were at a higher level on `end`.

    Read from the directory history, so someone promoted or gone in between is a dated fact, not a
    guess. One query; people without a history on `start` (they joined later) are not counted.
    """
    at_end = PersonHistory.objects.filter(_on(end), person=OuterRef("person")).order_by()
    return list(
        PersonHistory.objects.filter(_on(start), is_active=True, person__in=people)
        .annotate(
            end_active=Subquery(at_end.values("is_active")[:1]),
            end_level=Subquery(at_end.values("level")[:1]),
        )
        .values("level", "department", "location")
        .annotate(
            people=Count("person", distinct=True),
            retained=Count("person", distinct=True, filter=Q(end_active=True)),
            promoted=Count("person", distinct=True, filter=Q(end_level__gt=F("level"))),
        )
        .order_by("level", "department", "location")
    )


def hr_admin_people() -> QuerySet[Person]:
    """HR admins who are in the directory, still here, with a working login."""
    return Person.objects.filter(user__is_hr_admin=True, user__is_active=True, is_active=True)


def report_readers() -> QuerySet[Person]:
    """Who gets the monthly success report: leaders and HR admins in the directory, still here."""
    return Person.objects.filter(is_active=True, user__is_active=True).filter(
        Q(user__is_leader=True) | Q(user__is_hr_admin=True)
    )
