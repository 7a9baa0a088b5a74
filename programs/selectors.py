"""Reads of programs and enrollments, with their joins and counts already applied."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from profiles.models import Person, User

from .models import Enrollment, Program

Status = Enrollment.Status


def program_list_for_hr(*, archived: bool = False) -> QuerySet[Program]:
    return Program.objects.filter(archived_at__isnull=not archived).annotate(
        enrolled_count=Count("enrollments", filter=~Q(enrollments__status=Status.WITHDRAWN)),
        pending_count=Count("enrollments", filter=Q(enrollments__status=Status.PENDING)),
        approved_mentor_count=Count(
            "enrollments", filter=Q(enrollments__status=Status.APPROVED, enrollments__role="mentor")
        ),
        approved_mentee_count=Count(
            "enrollments", filter=Q(enrollments__status=Status.APPROVED, enrollments__role="mentee")
        ),
    )


def program_get_for_hr(*, user: User, pk: int) -> Program:
    if not user.is_hr_admin:
        raise PermissionDenied
    return get_object_or_404(Program, pk=pk)


def programs_enrolling() -> QuerySet[Program]:
    return Program.objects.filter(state=Program.State.ENROLLING, archived_at__isnull=True).order_by(
        "enrollment_closes_on", "name"
    )


def enrollments_of_person(*, person: Person) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(person=person).select_related("program").order_by("-created_at")


def enrollment_list_for_program(
    *, program: Program, role: str = "", status: str = "", query: str = ""
) -> QuerySet[Enrollment]:
    enrollments = (
        Enrollment.objects.filter(program=program)
        .select_related("person", "person__manager")
        .prefetch_related("topics")
        .order_by("person__full_name")
    )
    if role:
        enrollments = enrollments.filter(role=role)
    if status:
        enrollments = enrollments.filter(status=status)
    if query:
        enrollments = enrollments.filter(
            Q(person__full_name__icontains=query)
            | Q(person__email__icontains=query)
            | Q(person__department__icontains=query)
        )
    return enrollments


def enrollment_counts(*, program: Program) -> dict[str, dict[str, int]]:
    """{role: {status: n}} for the program page, in one query."""
    counts: dict[str, dict[str, int]] = {role: {} for role in Enrollment.Role.values}
    rows = Enrollment.objects.filter(program=program).values_list("role", "status").annotate(n=Count("pk"))
    for role, status, n in rows:
        counts[role][status] = n
    return counts


def enrollment_get_for_hr(*, user: User, program: Program, pk: int) -> Enrollment:
    if not user.is_hr_admin:
        raise PermissionDenied
    return get_object_or_404(Enrollment.objects.select_related("person", "program"), pk=pk, program=program)


def enrollment_get_for_person(*, person: Person, pk: int) -> Enrollment:
    """A person's own enrollment; anyone else's is "not found", so ids reveal nothing."""
    enrollment = (
        Enrollment.objects.select_related("program", "person")
        .prefetch_related("topics", "acknowledged")
        .filter(pk=pk, person=person)
        .first()
    )
    if enrollment is None:
        raise Http404
    return enrollment
