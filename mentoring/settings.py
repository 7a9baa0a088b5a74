"""Twoway settings. Everything that differs between machines comes from the environment.

With no DATABASE_URL and no REDIS_URL the app runs on its embedded default: a SQLite file, a
file-system Celery broker and a file cache, all under var/ (TWOWAY_VAR_DIR). With them set it runs on
PostgreSQL and Redis. Nothing outside this file knows which one is in use.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TWOWAY_VAR_DIR") or BASE_DIR / "var")


def env_str(name: str, default: str = "") -> str:
    """An unset and an empty variable both mean "use the default" (as in a blank .env line)."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "", *, empty_is_none: bool = False) -> list[str]:
    """Comma-separated items. With `empty_is_none`, a variable set but empty means no items (only an
    unset one means the default)."""
    value = os.environ.get(name, default) if empty_is_none else env_str(name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)

# --- Secret key: required, never a default -------------------------------------------------------
# `make run` writes a random one to var/secret_key on first use; production sets SECRET_KEY.
KNOWN_DEFAULT_SECRET_KEYS = {"", "change-me", "changeme", "secret", "change-me-to-a-long-random-string"}
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY and (VAR_DIR / "secret_key").exists():
    SECRET_KEY = (VAR_DIR / "secret_key").read_text().strip()
_HOW_TO_MAKE_A_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
if SECRET_KEY in KNOWN_DEFAULT_SECRET_KEYS or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or is a known default. Set SECRET_KEY in the environment to a long "
        f"random string ({_HOW_TO_MAKE_A_KEY})."
    )
# The same bar as Django's own deploy check (security.W009): at least 50 characters, 5 different ones.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        f"SECRET_KEY is too short or too simple ({len(SECRET_KEY)} characters): use at least 50 random "
        f"characters ({_HOW_TO_MAKE_A_KEY})."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    # The REST API (mentoring/api.py); listed so its docs page serves Swagger UI from its own static files.
    "ninja",
    "common",
    "profiles",
    "programs",
    "pairings",
    "checkins",
    # Last: the project itself, for commands that span the apps (seed_demo).
    "mentoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "common.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in user's own language (User.language) over the browser's.
    "profiles.middleware.UserLanguageMiddleware",
    "profiles.audit.AuditContextMiddleware",
    # Under /api/: problem details for every error, an audit row for every call with a token.
    "mentoring.api.ApiMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "profiles.middleware.SessionLifetimeMiddleware",
    "profiles.middleware.MfaRequiredMiddleware",
    "profiles.middleware.PersonTimezoneMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "mentoring.urls"
WSGI_APPLICATION = "mentoring.wsgi.application"
ASGI_APPLICATION = "mentoring.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mentoring.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------
EMBEDDED_DATABASE_URL = f"sqlite:///{VAR_DIR / 'twoway.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL") or EMBEDDED_DATABASE_URL
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # web, worker and beat share the file: WAL lets readers go on while one writes, and IMMEDIATE
    # transactions queue writers instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Planning, not running, is most of a page's small queries (a seven-table join: 1.5 ms to plan,
    # 0.2 ms to run): with the parameters bound on the server, psycopg prepares a statement the
    # connection has run DATABASE_PREPARE_THRESHOLD times and PostgreSQL keeps its plan. Behind a
    # transaction-mode PgBouncer (which cannot keep them) set DATABASE_PREPARE_THRESHOLD=off.
    _prepare_threshold = env_str("DATABASE_PREPARE_THRESHOLD", "2").lower()
    if _prepare_threshold not in ("off", "none"):
        DATABASES["default"]["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": int(_prepare_threshold),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "twoway"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # acks_late: a message is acknowledged after the task ran. Redis redelivers an unacknowledged
    # message after this timeout, so it must be longer than any task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # Shared between web, worker and beat processes, unlike the local-memory cache.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    BROKER_DIR = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }

# --- Celery ---------------------------------------------------------------------------------------------
# Rendered pieces of a page whose key is made of everything they show (templates' {% cache ... using=
# "fragments" %}, e.g. a pair-health row): in each process's memory, never shared, a few MB at most.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "twoway-fragments",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 10_000},
}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
BEAT_TICK_SECONDS = 300
CELERY_BEAT_SCHEDULE = {
    # Beat only ticks; what is due lives in the database (see CONVENTIONS.md, "Scheduled work").
    "tick": {"task": "checkins.tasks.tick", "schedule": BEAT_TICK_SECONDS},
}
# /healthz calls beat unhealthy when its last tick is older than two ticks and a minute.
BEAT_STALE_AFTER_SECONDS = 2 * BEAT_TICK_SECONDS + 60

# --- Auth -----------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "profiles.User"
# Both refuse a login whose directory entry is inactive, at sign-in and on every request (profiles.backends).
AUTHENTICATION_BACKENDS = [
    "profiles.backends.DirectoryModelBackend",
    "profiles.backends.DirectoryAuthenticationBackend",
]
# Length and a common-password list, no composition rules (NIST SP 800-63B): a long passphrase is fine.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Twoway] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = SITE_URL.split("://", 1)[0]
ACCOUNT_ADAPTER = "profiles.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "profiles.forms.SignupForm"}
# allauth's rate limits (login_failed: 5 bad passwords per 5 minutes per account) are kept at their
# defaults; they live in the default cache, which is shared by every process. They count per client
# address: behind the reverse proxy the README prescribes, TRUSTED_PROXY_COUNT=1 makes that address the
# client's (the last X-Forwarded-For hop the proxy added), not the proxy's, which every client shares.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# A login's one email address is its directory entry's: no extra or personal addresses (profiles.views).
ACCOUNT_MAX_EMAIL_ADDRESSES = 1
ACCOUNT_CHANGE_EMAIL = False

# --- Single sign-on (OpenID Connect) ----------------------------------------------------------------
# On when OIDC_ISSUER is set: "Sign in with <OIDC_NAME>" on the sign-in page. The IdP's email must be an
# active entry of the directory (profiles.adapters.SocialAccountAdapter); anyone else is refused. The
# IdP vouches for the address (it is the company's own), so no verification email is sent.
OIDC_ISSUER = env_str("OIDC_ISSUER", "").rstrip("/")
SOCIALACCOUNT_ADAPTER = "profiles.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": "sso",
                    "name": env_str("OIDC_NAME", "company single sign-on"),
                    "client_id": env_str("OIDC_CLIENT_ID", ""),
                    "secret": env_str("OIDC_CLIENT_SECRET", ""),
                    "settings": {"server_url": OIDC_ISSUER, "token_auth_method": "client_secret_post"},
                }
            ]
            if OIDC_ISSUER
            else []
        ),
    }
}
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in button posts (no sign-in started by a link)
SOCIALACCOUNT_AUTO_SIGNUP = True
# The IdP's own second factor stands for Twoway's (company policy decides it there); false asks SSO
# sign-ins for Twoway's second factor too, for the roles in MFA_REQUIRED_ROLES.
SSO_SATISFIES_MFA = env_bool("SSO_SATISFIES_MFA", True)

# --- Multi-factor authentication and sessions ------------------------------------------------------------
# TOTP apps, passkeys/security keys (WebAuthn) and recovery codes (allauth.mfa). The roles listed must
# set one up before they can use the app (profiles.middleware.MfaRequiredMiddleware); MFA_REQUIRED_ROLES=
# (empty) relaxes it.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Twoway"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG  # http://127.0.0.1 in development only
# Set but empty means none (README: "Empty relaxes it").
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", "hr_admin,leader", empty_is_none=True)
# A session ends after this long without a request, and this long after sign-in whatever happens.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 60)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
# Sessions stay in the database alone (Django's default), not read through the cache (cached_db, a query
# less a page): cached_db's fallback writes to the cache it could not read, so with Redis down every page
# would fail, where now only what needs Redis does.
# Sessions are recorded at sign-in (device, address, time) and listed on the account page; tracking every
# request's address would cost a write per request.
USERSESSIONS_TRACK_ACTIVITY = False
INVITATION_DAYS = env_int("INVITATION_DAYS", 14)
# Directory files with more rows than this are written by a Celery job with a progress bar (a web request
# has 30 seconds under gunicorn; 10,000 rows take about 2.5 s, 195,000 about a minute).
IMPORT_INLINE_ROWS = env_int("IMPORT_INLINE_ROWS", 2000)
# The HR system's file drop (profiles.directory_drop): a folder the tick reads employee CSV files from
# (mounted from the HR system's SFTP export); empty: off. A file that would mark more than this share
# of the active directory inactive, or any HR admin, is held for HR to confirm.
DIRECTORY_DROP_DIR = env_str("DIRECTORY_DROP_DIR", "")
DIRECTORY_DROP_MAX_LEAVERS_SHARE = float(env_str("DIRECTORY_DROP_MAX_LEAVERS_SHARE", "0.05"))
ALLOWED_SIGNUP_DOMAINS = [d.lower().lstrip("@") for d in env_list("ALLOWED_SIGNUP_DOMAINS")]

# --- Email ----------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Twoway <twoway@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email_host = env_str("EMAIL_HOST", "" if DEBUG else "localhost")
# Django 6.1's MAILERS replaces the EMAIL_* settings (deprecated, removed in Django 2028).
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "common.mail.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": env_int("EMAIL_TIMEOUT", 10),
            },
        }
    }
else:
    # Development with no mail server configured: mail is printed by the process that sends it.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# How many connections (threads of the one task, each with its own database and SMTP connection) send due
# notifications at once. Each holds at most one row in "sending", so a killed worker strands at most this
# many rows, all surfaced. PostgreSQL only; elsewhere one sender.
OUTBOX_SENDERS = max(1, env_int("OUTBOX_SENDERS", 3))

# Chat channels of the outbox (README, "Slack and Microsoft Teams"). Empty: that channel is off.
SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN", "")
SLACK_API_URL = env_str("SLACK_API_URL", "https://slack.com/api").rstrip("/")
TEAMS_HR_WEBHOOK_URL = env_str("TEAMS_HR_WEBHOOK_URL", "")
# Seconds to wait for Slack or Teams to answer; a send cut off by it "may have been sent".
CHAT_TIMEOUT = max(1, env_int("CHAT_TIMEOUT", 10))

# How old the dashboards' figures may get before a tick rebuilds them (a Celery job; leaders and HR can
# also ask for a rebuild from the page).
DASHBOARD_REFRESH_MINUTES = max(1, env_int("DASHBOARD_REFRESH_MINUTES", 15))

# --- REST API ---------------------------------------------------------------------------------------------
# Calls each API token may make per minute (a fixed window in the cache, so shared by every process);
# 0 turns the limit off. Listing 10,000 people takes 10 calls of 1,000.
API_RATE_LIMIT_PER_MINUTE = max(0, env_int("API_RATE_LIMIT_PER_MINUTE", 600))

# Months a closed program's check-in notes, reflections' words and concerns' text are kept (then purged).
NOTES_RETENTION_MONTHS = max(1, env_int("NOTES_RETENTION_MONTHS", 12))

# --- I18n and time --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("Deutsch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates by name in each locale (mentoring/formats/<lang>/formats.py, else Django's own).
FORMAT_MODULE_PATH = ["mentoring.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# A bare "www.example.org" in a message links to https:// (Django 2028's default; 6.1 warns without it).
URLIZE_ASSUME_HTTPS = True

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------------------------------------
# Nonce-based CSP: every script is a file under static/, no inline script or style anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = {
    **{
        feature: "()"
        for feature in (
            "accelerometer",
            "autoplay",
            "camera",
            "display-capture",
            "geolocation",
            "gyroscope",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "usb",
            "browsing-topics",
        )
    },
    "publickey-credentials-create": "(self)",
    "publickey-credentials-get": "(self)",
    "fullscreen": "(self)",
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets this header itself (the compose file's gunicorn does not face users).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by the container orchestrator.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
