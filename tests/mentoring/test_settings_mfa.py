"""MFA_REQUIRED_ROLES from the environment: the README's "Empty relaxes it" holds (fresh processes)."""

import secrets

from tests.mentoring.test_settings import _manage

PRINT_ROLES = "from django.conf import settings; print(sorted(settings.MFA_REQUIRED_ROLES))"


def _roles(value: str | None) -> str:
    result = _manage(
        "shell",
        "-c",
        PRINT_ROLES,
        env_overrides={"SECRET_KEY": secrets.token_urlsafe(50), "MFA_REQUIRED_ROLES": value},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_hr_admins_and_leaders_need_a_second_factor_when_unset():
    assert _roles(None) == "['hr_admin', 'leader']"


def test_an_empty_value_relaxes_the_requirement():
    assert _roles("") == "[]"


def test_a_listed_role_alone_needs_a_second_factor():
    assert _roles(" hr_admin ") == "['hr_admin']"
