from django.conf import settings


def signup_allowed_for(*, email: str) -> bool:
    """Sign-up is open to addresses of the company's own domains (ALLOWED_SIGNUP_DOMAINS)."""
    domain = email.rsplit("@", 1)[-1].lower()
    return domain in settings.ALLOWED_SIGNUP_DOMAINS
