"""The REST API's programs and enrollments (wired in mentoring/api.py).

Programs are no one's personal data: a script reading the dashboards (reports:read) needs their ids as
much as one reading the directory. Enrollments name a person, so they need directory:read, never
reports:read alone: a reports token sees figures drawn from at least five people, not who took part.
An enrollment's answers (hopes, topics, languages) and HR's reasons are never returned.
"""

from datetime import date, datetime

from ninja import Field, Query, Router, Schema

from common.api import MAX_ID, IsoDateTime, PageMeta, choice, keyset_page, where_given
from profiles.api import Cursor, Limit, Scope, scoped

from .models import Enrollment, Program, Side

router = Router(tags=["programs"])

PROGRAM_FIELDS = (
    "id",
    "name",
    "family",
    "state",
    "archived_at",
    "cadence_days",
    "starts_on",
    "ends_on",
    "enrollment_opens_on",
    "enrollment_closes_on",
    "created_at",
    "updated_at",
)


class ProgramOut(Schema):
    id: int
    name: str
    family: str = Field(description="The program family this cohort belongs to (its own name if none).")
    state: choice(Program.State.values)
    archived: bool
    cadence_days: int
    starts_on: date | None
    ends_on: date | None
    enrollment_opens_on: date | None
    enrollment_closes_on: date | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_family(program: Program) -> str:
        return program.family_name

    @staticmethod
    def resolve_archived(program: Program) -> bool:
        return program.is_archived


class ProgramsPage(PageMeta):
    items: list[ProgramOut]


@router.get(
    "/programs",
    response=ProgramsPage,
    url_name="programs",
    **scoped(Scope.READ_DIRECTORY, Scope.READ_REPORTS),
)
def programs(
    request,
    state: choice(Program.State.values) | None = Query(None),
    archived: bool | None = Query(None, description="Absent: both."),
    limit: int = Limit,
    cursor: str | None = Cursor,
):
    """Every program (cohort), by id."""
    rows = where_given(
        Program.objects.only(*PROGRAM_FIELDS),
        state=state,
        archived_at__isnull=None if archived is None else not archived,
    )
    return keyset_page(rows, endpoint="programs", cursor=cursor, limit=limit)


class EnrollmentOut(Schema):
    id: int
    program_id: int
    person_id: int
    side: choice(Side.values) = Field(description="mentor (the junior) or mentee (the senior).")
    status: choice(Enrollment.Status.values)
    created_at: datetime
    decided_at: datetime | None
    updated_at: datetime

    @staticmethod
    def resolve_side(enrollment: Enrollment) -> str:
        return enrollment.role


class EnrollmentsPage(PageMeta):
    items: list[EnrollmentOut]


ENROLLMENT_FIELDS = (
    "id",
    "program_id",
    "person_id",
    "role",
    "status",
    "created_at",
    "decided_at",
    "updated_at",
)


@router.get("/enrollments", response=EnrollmentsPage, url_name="enrollments", **scoped(Scope.READ_DIRECTORY))
def enrollments(
    request,
    program: int | None = Query(None, ge=1, le=MAX_ID, description="A program's id."),
    person: int | None = Query(None, ge=1, le=MAX_ID, description="A person's id."),
    status: choice(Enrollment.Status.values) | None = Query(None),
    side: choice(Side.values) | None = Query(None),
    updated_since: IsoDateTime | None = Query(None),
    limit: int = Limit,
    cursor: str | None = Cursor,
):
    """Who enrolled in which program, on which side, and where their enrollment stands: by id."""
    rows = where_given(
        Enrollment.objects.only(*ENROLLMENT_FIELDS),
        program_id=program,
        person_id=person,
        status=status,
        role=side,
        updated_at__gte=updated_since,
    )
    return keyset_page(rows, endpoint="enrollments", cursor=cursor, limit=limit)
