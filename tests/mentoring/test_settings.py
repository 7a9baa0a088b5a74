"""Production settings: checked in fresh processes, since settings are read once at start."""

import os
import secrets
import subprocess
import sys

from tests.workers import ROOT


def _manage(*args, env_overrides: dict[str, str | None]):
    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env["TWOWAY_VAR_DIR"] = "/nonexistent-twoway-var"  # no var/secret_key to fall back on
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_debug_off():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "twoway.example.com",
            "SITE_URL": "https://twoway.example.com",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_refuses_to_start_without_a_secret_key():
    result = _manage("check", env_overrides={"SECRET_KEY": None})
    assert result.returncode != 0
    assert "SECRET_KEY is missing or is a known default" in result.stderr


def test_refuses_to_start_with_the_example_secret_key():
    result = _manage("check", env_overrides={"SECRET_KEY": "change-me-to-a-long-random-string"})
    assert result.returncode != 0
    assert "SECRET_KEY is missing or is a known default" in result.stderr
