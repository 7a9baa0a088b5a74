import zoneinfo

from django.utils import timezone

from .models import Person


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
            person = Person.objects.filter(user=request.user, is_active=True).first()
        request.directory_person = person
        if person:
            try:
                timezone.activate(zoneinfo.ZoneInfo(person.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
