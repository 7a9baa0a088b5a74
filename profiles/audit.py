"""The audit trail: one `record()` for every event a security review asks about, and what the HR page reads.

Who is the signed-in user (or the actor a service was given), from where is the request's client address
(allauth's reading of it, which honours TRUSTED_PROXY_COUNT) and browser; a Celery job has neither. What
is an AuditEvent.Action, with a target ("pairing:12") and counts or ids in `detail`: never the text of a
note, a reflection or a concern. Rows are only ever added (AuditEvent's docstring).
"""

import contextvars
from datetime import date, datetime, time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent, Person, User

_request: contextvars.ContextVar = contextvars.ContextVar("twoway_audit_request", default=None)


class AuditContextMiddleware:
    """Makes the current request's address and browser known to record(), wherever it is called from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def _where(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    from allauth.account.adapter import get_adapter

    try:
        ip = get_adapter().get_client_ip(request)
    except Exception:  # noqa: BLE001 - a malformed forwarded header must not stop the audit row
        ip = request.META.get("REMOTE_ADDR")
    return ip or None, request.META.get("HTTP_USER_AGENT", "")[:200]


def record(action: str, *, actor: User | None = None, target: str = "", **detail) -> AuditEvent:
    """Add one audit row. `actor` defaults to the request's signed-in user; `detail` is ids and counts."""
    request = _request.get()
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    ip, user_agent = _where(request)
    return AuditEvent.objects.create(
        actor_id=actor.pk if actor else None,
        action=action,
        target=target,
        ip=ip,
        user_agent=user_agent,
        detail=detail,
    )


# --- Sign-ins --------------------------------------------------------------------------------------------


def _signed_in(sender, request, user, **kwargs):
    record(AuditEvent.Action.SIGN_IN, actor=user)


def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(AuditEvent.Action.SIGN_OUT, actor=user)


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # The address tried is kept only as the login it names, if any: a typo or a stranger's guess is
    # not stored (it may be someone's personal address).
    login = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    user = User.objects.filter(email__iexact=login).first() if login else None
    record(AuditEvent.Action.SIGN_IN_FAILED, actor=user, known_login=user is not None)


def connect_signals() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="twoway_audit_sign_in")
    user_logged_out.connect(_signed_out, dispatch_uid="twoway_audit_sign_out")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="twoway_audit_sign_in_failed")
    from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset

    for change, signal in (
        ("added", authenticator_added),
        ("removed", authenticator_removed),
        ("reset", authenticator_reset),
    ):
        signal.connect(_mfa_receiver(change), dispatch_uid=f"twoway_audit_mfa_{change}", weak=False)


def _mfa_receiver(change: str):
    def receiver(sender, request=None, user=None, authenticator=None, **kwargs):
        record(
            AuditEvent.Action.MFA_CHANGED, actor=user, change=change, kind=getattr(authenticator, "type", "")
        )

    return receiver


# --- The HR page ------------------------------------------------------------------------------------------


def audit_events(
    *, action: str = "", actor_email: str = "", since: date | None = None, until: date | None = None
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action)
    if actor_email:
        ids = User.objects.filter(email__iexact=actor_email.strip()).values_list("pk", flat=True)
        events = events.filter(actor_id__in=list(ids))
    if since:
        events = events.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until:
        events = events.filter(at__lt=timezone.make_aware(datetime.combine(until, time.max)))
    return events


def actor_names(events: list[AuditEvent]) -> dict[int, str]:
    """Who each actor is now: their directory name (anonymised once erased), else their login's email."""
    ids = {event.actor_id for event in events if event.actor_id}
    names = {user.pk: user.email for user in User.objects.filter(pk__in=ids).only("pk", "email")}
    names.update(dict(Person.objects.filter(user_id__in=ids).values_list("user_id", "full_name")))
    return names
