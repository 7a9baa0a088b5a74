"""The people app's part of a person's data: their login, directory entry, profile and notifications.

Registered with common.personal_data (which finds this module by itself). Erasing a person here is the
last step of the erase (the registry runs the apps from the top down): the directory entry and the login
are anonymised, never deleted, because the rows other people need (a pair's existence, its dates and
statuses, the dashboards' counts) still point at them. Department and level stay: the aggregates are
counted by them, and alone they name nobody.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.personal_data import exclude, register

from .models import Invitation, Notification, NotificationPreference, Person, PersonHistory, Profile, User
from .outbox.preferences import SECRET

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never deliverable
# A name shorter than this is not replaced inside other people's messages: it could be part of a word.
MIN_NAME_TO_REPLACE = 4


def erased_email(person: Person) -> str:
    """The non-deliverable address an erased entry (and its login) keeps: unique, and says what it is."""
    return f"erased-{person.pk}@{ERASED_DOMAIN}"


def erased_name(person: Person) -> str:
    return _("Erased person #%(id)s") % {"id": person.pk}


def is_erased(person: Person) -> bool:
    """Whether HR erased this entry: the one test, read by the erase page."""
    return person.email.lower() == erased_email(person)


def _name(person: Person | None) -> str | None:
    return person.full_name if person is not None else None


# --- Login ----------------------------------------------------------------------------------------------


def _export_login(person: Person):
    user = person.user
    if user is None:
        return None
    return {
        "email": user.email,
        "full_name": user.full_name,
        "active": user.is_active,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "roles": {"hr_admin": user.is_hr_admin, "leader": user.is_leader, "support_staff": user.is_staff},
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        # Which second factors exist and when they were used; never their secrets.
        "second_factors": [
            {"type": a.type, "created_at": a.created_at, "last_used_at": a.last_used_at}
            for a in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        "sessions": [
            {"ip": s.ip, "device": s.user_agent, "created_at": s.created_at, "last_seen_at": s.last_seen_at}
            for s in UserSession.objects.filter(user=user).order_by("created_at")
        ],
    }


def _refuse_login(person: Person, actor: User) -> list[str]:
    if person.user_id is not None and person.user_id == actor.pk:
        return [_("You cannot erase your own entry: ask another HR admin.")]
    return []


def _erase_login(person: Person, actor: User) -> int:
    user = person.user
    if user is None:
        return 0
    changed = 0
    for session in UserSession.objects.filter(user=user):
        session.end()  # the session itself goes too: the person is signed out everywhere
        changed += 1
    changed += EmailAddress.objects.filter(user=user).delete()[0]
    changed += Authenticator.objects.filter(user=user).delete()[0]
    anonymous = {
        "email": erased_email(person),
        "full_name": erased_name(person),
        "is_active": False,
        "is_staff": False,
        "is_superuser": False,
        "is_hr_admin": False,
        "is_leader": False,
    }
    if any(getattr(user, name) != value for name, value in anonymous.items()) or user.has_usable_password():
        for name, value in anonymous.items():
            setattr(user, name, value)
        # A new (unusable) password also invalidates any session the list above did not know of.
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        changed += 1
    return changed


register(
    name="login",
    covers={
        "profiles.User": (),
        "account.EmailAddress": ("user",),
        "mfa.Authenticator": ("user",),
        "usersessions.UserSession": ("user",),
    },
    export=_export_login,
    erase=_erase_login,
    refuse=_refuse_login,
)


# --- Directory entry, its history, invitations to sign up ------------------------------------------------


def _export_directory(person: Person) -> dict:
    history = PersonHistory.objects.filter(person=person).select_related("manager").order_by("valid_from")
    return {
        "full_name": person.full_name,
        "email": person.email,
        "employee_id": person.employee_id,
        "job_title": person.job_title,
        "department": person.department,
        "level": person.level,
        "location": person.location,
        "time_zone": person.time_zone,
        "manager": _name(person.manager),
        "active": person.is_active,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
        "history": [
            {
                "from": row.valid_from,
                "until": row.valid_to,
                "level": row.level,
                "department": row.department,
                "location": row.location,
                "manager": _name(row.manager),
                "active": row.is_active,
                "source": row.get_source_display(),
                "recorded_at": row.recorded_at,
            }
            for row in history
        ],
        "invitations": [
            {
                "email": invitation.email,
                "status": invitation.status,
                "created_at": invitation.created_at,
                "expires_at": invitation.expires_at,
                "sent_at": invitation.sent_at,
                "times_sent": invitation.send_count,
                "accepted_at": invitation.accepted_at,
                "revoked_at": invitation.revoked_at,
            }
            for invitation in Invitation.objects.filter(person=person).order_by("created_at")
        ],
    }


def _replace_in_messages_to_others(person: Person, old: list[str], new: str) -> int:
    """Other people's messages that name the erased person (an introduction, "X planned your check-in")
    keep their row and their purpose; the name and address in them become the erased name."""
    changed = 0
    # In order: "Name (Job title)", as an introduction writes it, before the bare name.
    for text in dict.fromkeys(t for t in old if t and len(t) >= MIN_NAME_TO_REPLACE and t != new):
        changed += (
            Notification.objects.exclude(recipient=person)
            .filter(Q(title__contains=text) | Q(body__contains=text) | Q(why__contains=text))
            .update(
                title=Replace("title", Value(text), Value(new)),
                body=Replace("body", Value(text), Value(new)),
                why=Replace("why", Value(text), Value(new)),
            )
        )
    return changed


def _erase_directory(person: Person, actor: User) -> int:
    now = timezone.now()
    name, email = erased_name(person), erased_email(person)
    changed = Invitation.objects.filter(person=person).exclude(email=email).update(email=email)
    changed += Invitation.objects.filter(
        person=person, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    # The history keeps what the outcome figures count (level, department, dates); where they lived and
    # who managed them go.
    changed += (
        PersonHistory.objects.filter(person=person)
        .filter(~Q(location="") | Q(manager__isnull=False))
        .update(location="", manager=None)
    )
    # The support site's log keeps who did what, and no longer the name it was done to.
    logged = [(Person, person.pk), (Profile, person.pk)] + (
        [(User, person.user_id)] if person.user_id else []
    )
    for model, pk in logged:
        changed += (
            LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id=str(pk))
            .exclude(object_repr=name)
            .update(object_repr=name)
        )
    anonymous = {
        "full_name": name,
        "email": email,
        "job_title": "",
        "location": "",
        "time_zone": "UTC",
        "employee_id": "",
        "manager_id": None,
        "is_active": False,
    }
    # No history stretch is written: being erased from Twoway is not leaving the company, and the
    # retention figures must not count it as such.
    if any(getattr(person, field) != value for field, value in anonymous.items()):
        changed += Person.objects.filter(pk=person.pk).update(**anonymous, updated_at=now)
    return changed


register(
    name="directory",
    covers={
        "profiles.Person": ("user", "manager"),
        "profiles.PersonHistory": ("person", "manager"),
        "profiles.Invitation": ("person",),
    },
    export=_export_directory,
    erase=_erase_directory,
    notes=(
        gettext_lazy(
            "Your directory entry comes from the company's HR system; your manager is named because the "
            "reporting line is part of your entry."
        ),
    ),
)


# --- Mentoring profile -----------------------------------------------------------------------------------


def _export_profile(person: Person):
    profile = Profile.objects.filter(person=person).first()
    if profile is None:
        return None
    return {
        "about": profile.about,
        "pronouns": profile.pronouns,
        "languages": profile.languages,
        "preferred_format": profile.preferred_format,
        "updated_at": profile.updated_at,
    }


def _erase_profile(person: Person, actor: User) -> int:
    return Profile.objects.filter(person=person).delete()[0]


register(
    name="profile", covers={"profiles.Profile": ("person",)}, export=_export_profile, erase=_erase_profile
)


# --- Notifications ---------------------------------------------------------------------------------------


def _export_notifications(person: Person) -> dict:
    rows = Notification.objects.filter(recipient=person).order_by("created_at", "pk")
    return {
        "messages": [
            {
                "kind": n.get_kind_display(),
                "channel": n.get_channel_display(),
                "title": n.title,
                # An invitation's or a password reset's link is a key: it is not written into a file.
                "body": "" if n.kind in SECRET else n.body,
                "link": "" if n.kind in SECRET else n.link,
                "why": n.why,
                "email": n.email,
                "state": n.get_state_display(),
                "created_at": n.created_at,
                "due_at": n.due_at,
                "sent_at": n.sent_at,
                "read_at": n.read_at,
            }
            for n in rows
        ],
        "email_choices": [
            {"kind": p.get_kind_display(), "email": p.email, "slack": p.slack}
            for p in NotificationPreference.objects.filter(person=person).order_by("kind")
        ],
    }


def _erase_notifications(person: Person, actor: User) -> int:
    """What was sent to them goes (in the app and the outbox): it was theirs alone. It runs before the
    directory entry is anonymised, so their old name can still be found in other people's messages."""
    user = person.user
    old_names = [f"{person.full_name} ({person.job_title})", person.full_name, user.full_name if user else ""]
    old_emails = [person.email, user.email if user else ""]
    to_them = Q(recipient=person)
    for address in {e for e in old_emails if e}:
        to_them |= Q(recipient__isnull=True, email__iexact=address)
    changed = Notification.objects.filter(to_them).delete()[0]
    changed += NotificationPreference.objects.filter(person=person).delete()[0]
    changed += _replace_in_messages_to_others(person, old_names + old_emails, erased_name(person))
    return changed


register(
    name="notifications",
    covers={"profiles.Notification": ("recipient",), "profiles.NotificationPreference": ("person",)},
    export=_export_notifications,
    erase=_erase_notifications,
)

exclude(
    "profiles.Invitation.invited_by",
    reason=gettext_lazy("Which HR admin sent an invitation is HR's record of their own work."),
)
exclude(
    "admin.LogEntry",
    reason=gettext_lazy(
        "The support site's log of what support staff changed; on erasure it keeps no name of yours."
    ),
)
exclude(
    "profiles.DirectoryImport",
    reason=gettext_lazy(
        "A directory import names the HR admin who ran it; its file is the directory itself (your entry is "
        "included above) and is cleared once imported."
    ),
)
exclude(
    "profiles.AuditEvent",
    reason=gettext_lazy(
        "The security audit trail (sign-ins, HR's actions) is kept for security reviews and holds no text "
        "you wrote; ask HR for the events about you."
    ),
)
exclude(
    "profiles.ApiToken",
    reason=gettext_lazy(
        "An API token names only the HR admin who made it: HR's record of their own work; its secret is "
        "never stored."
    ),
)
