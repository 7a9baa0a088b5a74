"""API tokens: what a script or an identity provider presents instead of a session.

An HR admin makes one with a name and scopes and sees its secret once ("tw_" + prefix + "_" + secret);
afterwards it is known by its prefix only. The secret is stored as its SHA-256, so a database dump holds
no working key. A token works until it is revoked or expires; a token whose maker is no longer an
active HR admin stops working too (a leaver's keys leave with them). Both the REST API and SCIM ask
`api_token_authenticate`, so one rule decides whether a key works.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import ApiToken, AuditEvent, User

Scope = ApiToken.Scope
TOKEN_START = "tw_"  # noqa: S105 - the public marker every token starts with, not a secret
# last_used_at is written at most this often, so a script paging fast does not write on every call.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *, created_by: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token; returns it and its secret, which is never shown (nor stored) again."""
    if not (created_by.is_active and created_by.is_hr_admin):
        raise PermissionDenied
    unknown = set(scopes) - set(Scope.values)
    if not scopes or unknown:
        raise ValidationError({"scopes": _("Choose at least one of the listed scopes.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the token a name that says what uses it.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("Choose an expiry date in the future.")})
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name.strip(),
            prefix=prefix,
            key_hash=_hash(raw),
            scopes=sorted(set(scopes)),
            created_by=created_by,
            expires_at=expires_at,
        )
        audit.record(
            AuditEvent.Action.API_TOKEN_CREATED,
            actor=created_by,
            target=f"api_token:{token.pk}",
            scopes=token.scopes,
        )
    return token, raw


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token for good (revoking twice changes nothing)."""
    if not (by.is_active and by.is_hr_admin):
        raise PermissionDenied
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit.record(AuditEvent.Action.API_TOKEN_REVOKED, actor=by, target=f"api_token:{token.pk}")
    token.refresh_from_db()
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The working token this secret belongs to, or None: unknown, revoked, expired, or made by someone
    who is no longer an active HR admin."""
    if not raw or not raw.startswith(TOKEN_START):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("created_by")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or token_state(token, now=now) != TokenState.WORKS:
        return None
    maker = token.created_by
    if maker is None or not (maker.is_active and maker.is_hr_admin):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class TokenState(StrEnum):
    WORKS = "works"
    EXPIRED = "expired"
    REVOKED = "revoked"


def token_state(token: ApiToken, *, now: datetime | None = None) -> TokenState:
    """Whether the token itself still works (its maker's role is asked separately, at each call)."""
    if token.revoked_at is not None:
        return TokenState.REVOKED
    if token.expires_at is not None and token.expires_at <= (now or timezone.now()):
        return TokenState.EXPIRED
    return TokenState.WORKS


def token_has_scope(token: ApiToken, scope: str) -> bool:
    return scope in token.scopes


def api_tokens_list() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("created_by").order_by("revoked_at", "-created_at", "-pk")
