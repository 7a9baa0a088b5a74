import time
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _


def roles_of(user) -> set[str]:
    """The roles a login holds, by the names settings.MFA_REQUIRED_ROLES uses."""
    return {name for name, held in (("hr_admin", user.is_hr_admin), ("leader", user.is_leader)) if held}


def session_started(sender, request, user, **kwargs):
    """At sign-in: the session's start, from which its absolute lifetime runs, and its first activity."""
    now = int(time.time())
    request.session["twoway_started"] = now
    request.session["twoway_seen"] = now


class SessionLifetimeMiddleware:
    """End a session after SESSION_IDLE_MINUTES without a request, and SESSION_ABSOLUTE_HOURS after it
    began whatever happens (a shared or forgotten computer). The last-seen time is written at most once a
    minute, so an active session does not cost a database write per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault("twoway_started", now)
            seen = session.get("twoway_seen", now)
            if (
                now - seen > settings.SESSION_IDLE_MINUTES * 60
                or now - started > settings.SESSION_ABSOLUTE_HOURS * 3600
            ):
                logout(request)
                messages.info(
                    request, _("You were signed out to keep your account safe. Please sign in again.")
                )
                return redirect_to_login(request.get_full_path())
            if now - seen >= 60:
                session["twoway_seen"] = now
        return self.get_response(request)


def _signed_in_through_sso(request) -> bool:
    """This session began with single sign-on, whose IdP asks its own second factor (SSO_SATISFIES_MFA)."""
    if not settings.SSO_SATISFIES_MFA:
        return False
    records = request.session.get("account_authentication_methods", [])  # allauth's, per session
    return any(record.get("method") == "socialaccount" for record in records)


class MfaRequiredMiddleware:
    """HR admins and leaders (settings.MFA_REQUIRED_ROLES) set up a second factor before anything else.

    allauth asks for the second factor at sign-in once one is set up, but has no switch to require one;
    until they have one, every page but the set-up pages (and signing out) sends them to set it up.
    """

    # /api/: the REST API never reads the session (it takes a token), so a session's missing factor is moot.
    OPEN_PREFIXES = (
        "/accounts/2fa/",
        "/accounts/logout/",
        "/accounts/reauthenticate/",
        "/static/",
        "/i18n/",
        "/api/",
        "/scim/",  # token-authenticated (profiles.scim), never by a session
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and roles_of(user) & set(settings.MFA_REQUIRED_ROLES)
            and not request.path.startswith(self.OPEN_PREFIXES)
        ):
            from allauth.mfa.utils import is_mfa_enabled

            if not is_mfa_enabled(user) and not _signed_in_through_sso(request):
                messages.info(
                    request,
                    _(
                        "Your role sees what many people said, so it needs a second sign-in step: set up an "
                        "authenticator app or a passkey to go on."
                    ),
                    fail_silently=True,
                )
                return redirect("mfa_index")
        return self.get_response(request)


class PersonTimezoneMiddleware:
    """Show times in each person's own time zone (stored in UTC, shown local).

    Loads the user's directory entry once per request as request.directory_person, for the views and
    the navigation to reuse.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        person = None
        if request.user.is_authenticated:
            # Loaded with the user by profiles.backends, which already refused an inactive entry.
            person = getattr(request.user, "person", None)
            if person is not None and not person.is_active:
                person = None
        request.directory_person = person
        if person:
            try:
                timezone.activate(zoneinfo.ZoneInfo(person.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's own language (User.language), when they chose one, over the browser's.

    Django's LocaleMiddleware runs before authentication, so it can only read the language cookie and the
    browser's Accept-Language; this one, placed after AuthenticationMiddleware, puts the user's choice
    first. An empty choice leaves LocaleMiddleware's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = getattr(request.user, "language", "") if request.user.is_authenticated else ""
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
