from django.conf import settings

from profiles.models import Person


def site(request):
    """Site-wide values every page needs: the product name and the user's roles for the navigation."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "site_name": "Twoway",
        "site_url": settings.SITE_URL,
        "is_hr_admin": authenticated and user.is_hr_admin,
        "is_leader": authenticated and user.is_leader,
        # One query per page; the navigation shows participant pages only to people in the directory.
        "is_participant": authenticated and Person.objects.filter(user=user, is_active=True).exists(),
    }
