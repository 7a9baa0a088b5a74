"""The REST API's pairings: dates and statuses only (wired in mentoring/api.py).

What HR's pages show of a pair from outside it, and no more: never the matching's explanation or score,
why someone declined or ended, a conflict's reason, the rating trend, nor anything written in a
check-in. Like enrollments, a pairing names people, so it needs directory:read.
"""

from datetime import date, datetime

from django.db.models import F
from ninja import Field, Query, Router, Schema

from common.api import MAX_ID, IsoDateTime, PageMeta, choice, keyset_page, where_given
from profiles.api import Cursor, Limit, Scope, scoped

from .models import Pairing

router = Router(tags=["pairings"])


class PairingOut(Schema):
    id: int
    program_id: int
    mentor_enrollment_id: int
    mentee_enrollment_id: int
    mentor_person_id: int
    mentee_person_id: int
    status: choice(Pairing.Status.values)
    created_at: datetime
    mentor_accepted_at: datetime | None
    mentee_accepted_at: datetime | None
    activated_at: datetime | None
    ended_at: datetime | None
    last_checkin_on: date | None = Field(description="The day of the pair's last check-in.")
    next_checkin_due: date | None
    late_from: date | None = Field(description="From this day on the pair counts as late (pair health).")
    updated_at: datetime


class PairingsPage(PageMeta):
    items: list[PairingOut]


PAIRING_FIELDS = (
    "id",
    "program_id",
    "mentor_id",
    "mentee_id",
    "status",
    "created_at",
    "mentor_accepted_at",
    "mentee_accepted_at",
    "activated_at",
    "ended_at",
    "last_checkin_on",
    "next_checkin_due",
    "late_from",
    "updated_at",
)


@router.get("/pairings", response=PairingsPage, url_name="pairings", **scoped(Scope.READ_DIRECTORY))
def pairings(
    request,
    program: int | None = Query(None, ge=1, le=MAX_ID, description="A program's id."),
    status: choice(Pairing.Status.values) | None = Query(None),
    person: int | None = Query(None, ge=1, le=MAX_ID, description="A person's id, on either side."),
    updated_since: IsoDateTime | None = Query(None),
    limit: int = Limit,
    cursor: str | None = Cursor,
):
    """Pairs, by id: who with whom, in which program, and where they stand."""
    rows = Pairing.objects.only(*PAIRING_FIELDS).annotate(
        mentor_enrollment_id=F("mentor_id"),
        mentee_enrollment_id=F("mentee_id"),
        mentor_person_id=F("mentor__person_id"),
        mentee_person_id=F("mentee__person_id"),
    )
    rows = where_given(rows, program_id=program, status=status, updated_at__gte=updated_since)
    if person is not None:
        rows = rows.filter(mentor__person_id=person) | rows.filter(mentee__person_id=person)
    return keyset_page(rows, endpoint="pairings", cursor=cursor, limit=limit)
