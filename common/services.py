"""Helpers every app's services share: the optimistic-lock check, and changing a model's fields."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _


def check_version(instance: models.Model, version: datetime | None, *, what: str = "") -> None:
    """Refuse a form opened before someone else saved the same record (its updated_at is the version).

    The message says the user's text is kept: the view shows the bound form again with it.
    """
    if version is None or instance.updated_at == version:
        return
    raise ValidationError(
        _(
            "Someone saved this %(what)s after you opened it. Your text is still in the form: reload to "
            "see the other changes, then save yours again."
        )
        % {"what": what or _("page")},
        code="stale",
    )


def model_update(
    *, instance: models.Model, data: dict, version: datetime | None = None, what: str = ""
) -> bool:
    """Set the fields of `data` that differ, check the model, save only those fields (and updated_at).

    Refuses a stale form (check_version) before changing anything. Returns whether anything changed.
    """
    check_version(instance, version, what=what)
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(instance, name, data[name])
    instance.full_clean()
    fields = set(changed)
    if any(getattr(f, "auto_now", False) and f.name == "updated_at" for f in instance._meta.concrete_fields):
        fields.add("updated_at")
    instance.save(update_fields=sorted(fields))
    return True
