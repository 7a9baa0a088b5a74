from django.db import transaction

from .models import Person, User


@transaction.atomic
def user_link_person(*, user: User) -> Person | None:
    """Tie a new login to the directory entry with the same email, if there is one without a login.

    Guarantees: never re-links a Person who already has another login; returns the linked Person.
    """
    person = (
        Person.objects.select_for_update().filter(email__iexact=user.email, user__isnull=True).first()
    )
    if person is None:
        return None
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    if not user.full_name:
        user.full_name = person.full_name
        user.save(update_fields=["full_name"])
    return person
