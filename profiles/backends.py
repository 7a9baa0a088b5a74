"""Who may be signed in: one rule for a password sign-in, an allauth sign-in and every later request.

A login has powers only while its directory entry is active. When HR marks someone inactive (a leaver,
by hand or by an import), the next request of any of their sessions is anonymous and they cannot sign in
again: no role flag, HR or leader, outlives the entry. A login with no directory entry at all (the first
HR admin, made with createsuperuser) is judged by its own active flag alone.
"""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend

from .models import User


def login_allowed(user: User) -> bool:
    if not user.is_active:
        return False
    person = getattr(user, "person", None)
    return person is None or person.is_active


class _DirectoryRule:
    def user_can_authenticate(self, user):
        return login_allowed(user)

    def get_user(self, user_id):
        # The session's user with their directory entry, in one query (the rule reads it on every request).
        user = User._default_manager.select_related("person").filter(pk=user_id).first()
        return user if user is not None and login_allowed(user) else None


class DirectoryModelBackend(_DirectoryRule, ModelBackend):
    """Django's password backend (the admin site) with the directory rule."""


class DirectoryAuthenticationBackend(_DirectoryRule, AuthenticationBackend):
    """allauth's backend (email sign-in, codes) with the directory rule."""
