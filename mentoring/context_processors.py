from django.conf import settings


def site(request):
    """Site-wide values every page needs: the product name and the user's roles for the navigation."""
    from profiles.outbox.selectors import unread_count
    from profiles.selectors import signup_open

    user = getattr(request, "user", None)
    person = getattr(request, "directory_person", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "site_name": "Twoway",
        "site_url": settings.SITE_URL,
        "is_hr_admin": authenticated and user.is_hr_admin,
        "is_leader": authenticated and user.is_leader,
        # The navigation shows participant pages only to people in the directory (loaded by the middleware).
        "is_participant": person is not None,
        "unread_notifications": unread_count(person=person) if person else 0,
        "signup_open": signup_open(),
    }
