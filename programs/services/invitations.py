"""HR invites people to enroll in a program: who is invited, once, and the message each gets."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.models import Person, User
from profiles.outbox import notify

from .. import messages
from ..models import (
    Program,
    ProgramInvitation,
)
from .enrollment import enrollment_window_open

# --- Invitations to enroll ----------------------------------------------------------------------------


def invite_audience_text(
    *, department: str = "", min_level: int | None = None, max_level: int | None = None
) -> str:
    """Who an invitation went to, in words: "everyone", "Marketing, levels 1 to 3"..."""
    parts = [department] if department else []
    if min_level is not None and max_level is not None:
        parts.append(_("levels %(low)s to %(high)s") % {"low": min_level, "high": max_level})
    elif min_level is not None:
        parts.append(_("level %(low)s and up") % {"low": min_level})
    elif max_level is not None:
        parts.append(_("up to level %(high)s") % {"high": max_level})
    return ", ".join(parts) or _("everyone with a login")


@transaction.atomic
def program_invite(
    *,
    program: Program,
    actor: User,
    department: str = "",
    min_level: int | None = None,
    max_level: int | None = None,
) -> int:
    """Invite the people with a login (all, or of a department and a level range) to enroll.

    Guarantees: only while the enrollment window is open; nobody is invited twice to one program, and
    nobody already enrolled is invited; leavers are never invited. Each invitation is an outbox message,
    planned with it, for the program's send hour in the person's own time zone. Returns how many people
    were newly invited.
    """
    program = Program.objects.select_for_update().get(pk=program.pk)
    if not enrollment_window_open(program):
        raise ValidationError(_("People can be invited while the program's enrollment window is open."))
    if min_level is not None and max_level is not None and min_level > max_level:
        raise ValidationError({"max_level": _("The highest level must be at least the lowest.")})
    people = Person.objects.filter(is_active=True, user__isnull=False, user__is_active=True)
    if department:
        people = people.filter(department=department)
    if min_level is not None:
        people = people.filter(level__gte=min_level)
    if max_level is not None:
        people = people.filter(level__lte=max_level)
    people = people.exclude(enrollments__program=program).exclude(program_invitations__program=program)
    audience = invite_audience_text(department=department, min_level=min_level, max_level=max_level)
    invited = list(people.select_related("user").order_by("pk"))
    ProgramInvitation.objects.bulk_create(
        [
            ProgramInvitation(program=program, person=person, invited_by=actor, audience=audience)
            for person in invited
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    notify(
        *messages.program_invitations(
            program,
            invited,
            # In each reader's language (the stored audience above is in HR's).
            audience=lambda: invite_audience_text(
                department=department, min_level=min_level, max_level=max_level
            ),
            now=timezone.now(),
        )
    )
    return len(invited)


__all__ = ["invite_audience_text", "program_invite"]
