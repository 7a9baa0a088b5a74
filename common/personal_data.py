"""Personal data: everything Twoway holds about a person, as one registry each app adds its part to.

common sits below every app and imports none of them, so it cannot know their models. Each app says, in
its own `personal_data.py` module, which of its models hold data about a person and how to export it,
erase it and age it out (`register`), and which models or fields it deliberately leaves out, and why
(`exclude`). The registry finds those modules once, the first time it is asked (`autodiscover_modules`,
like the admin's), so no app imports an app above it and no AppConfig has to remember to.

Three services run over the registry:
- `personal_data_export(person=...)`: one JSON-able document, section by section (the person's own
  "download my data");
- `personal_data_erase(person=..., actor=...)`: HR erases a person; refused as a whole while any section
  says it must wait (`personal_data_erase_refusals`), all or nothing, and idempotent;
- `personal_data_purge_expired()`: the retention rule (settings.NOTES_RETENTION_MONTHS), run daily by beat.

tests/profiles/test_personal_data.py fails when a model of ours links to a person or a login and is
neither covered by a section nor excluded with a reason.
"""

import calendar
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "twoway-personal-data"
EXPORT_VERSION = 1
# Rows blanked per transaction by the retention purge: a long purge never holds many locks for long.
PURGE_BATCH_SIZE = 500

ExportFn = Callable[[Any], Any]  # (person) -> JSON-able data of the section
EraseFn = Callable[[Any, Any], int | None]  # (person, actor) -> how many rows it changed
RefuseFn = Callable[[Any, Any], list[str]]  # (person, actor) -> why the erase must wait (empty: it need not)
PurgeFn = Callable[[datetime], int]  # (cutoff) -> how many rows it purged


@dataclass(frozen=True)
class Section:
    """One app's part of a person's data.

    `covers` maps each model label ("app_label.ModelName") the section handles to the fields linking
    that model to a person or a login which it follows (empty for a model reached through another one,
    e.g. a check-in through its pairing). A row of someone else's that merely points at the person (their
    manager, who decided their enrollment) is not the person's data: it stays, and shows the erased name.
    """

    name: str
    covers: Mapping[str, tuple[str, ...]]
    export: ExportFn | None = None
    erase: EraseFn | None = None
    refuse: RefuseFn | None = None
    purge: PurgeFn | None = None
    # What the person should know about what the export holds (shown at the top of the file).
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Exclusion:
    """A model ("app.Model") or one field ("app.Model.field") left out of the export on purpose."""

    label: str
    reason: str


_sections: dict[str, Section] = {}
_exclusions: dict[str, Exclusion] = {}
_loaded = False


def register(
    *,
    name: str,
    covers: Mapping[str, tuple[str, ...]],
    export: ExportFn | None = None,
    erase: EraseFn | None = None,
    refuse: RefuseFn | None = None,
    purge: PurgeFn | None = None,
    notes: tuple[str, ...] = (),
) -> Section:
    """Add a section. Registering the same name again replaces it (a module imported twice)."""
    section = Section(
        name=name,
        covers={label: tuple(links) for label, links in covers.items()},
        export=export,
        erase=erase,
        refuse=refuse,
        purge=purge,
        notes=tuple(notes),
    )
    _sections[name] = section
    return section


def exclude(label: str, *, reason: str) -> Exclusion:
    """Leave a model or a field out of the export on purpose; `reason` (translatable) is shown to the
    person in the export's "not included" list."""
    exclusion = Exclusion(label=label, reason=reason)
    _exclusions[label] = exclusion
    return exclusion


def _load() -> None:
    global _loaded
    if not _loaded:
        autodiscover_modules("personal_data")
        _loaded = True


def sections() -> list[Section]:
    """Every section, in the order of INSTALLED_APPS (the bottom app's first)."""
    _load()
    return list(_sections.values())


def exclusions() -> dict[str, Exclusion]:
    _load()
    return dict(_exclusions)


def covered_links() -> dict[str, set[str]]:
    """Model label -> the link fields (to a person or a login) the sections follow for it."""
    covered: dict[str, set[str]] = {}
    for section in sections():
        for label, links in section.covers.items():
            covered.setdefault(label, set()).update(links)
    return covered


def _describe(label: str) -> str:
    """A model's or a field's verbose name, for people reading their export."""
    app_label, model_name, *field_name = label.split(".")
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return label
    if not field_name:
        return str(model._meta.verbose_name_plural)
    try:
        return f"{model._meta.verbose_name}: {model._meta.get_field(field_name[0]).verbose_name}"
    except FieldDoesNotExist:
        return label


# --- Export -------------------------------------------------------------------------------------------


def personal_data_export(*, person) -> dict:
    """Everything the sections hold about `person`, as plain data (dates left for the JSON encoder).

    Guarantees: each section exports only the person's own data and what their pairs share with them;
    what is deliberately left out is listed, with why, under "not_included".
    """
    all_sections = sections()
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "generated_at": timezone.now(),
        "person_id": person.pk,
        "notes_retention_months": settings.NOTES_RETENTION_MONTHS,
        "notes": [str(note) for section in all_sections for note in section.notes],
        "not_included": [
            {"what": _describe(exclusion.label), "label": exclusion.label, "why": str(exclusion.reason)}
            for exclusion in exclusions().values()
        ],
        "sections": {section.name: section.export(person) for section in all_sections if section.export},
    }


# --- Erase --------------------------------------------------------------------------------------------


def personal_data_erase_refusals(*, person, actor) -> list[str]:
    """Why `person` cannot be erased now (each section's reasons), or an empty list."""
    return [reason for section in sections() if section.refuse for reason in section.refuse(person, actor)]


@transaction.atomic
def personal_data_erase(*, person, actor) -> dict[str, int]:
    """Erase what Twoway holds about `person`, at HR's request (`actor`).

    Guarantees: nothing changes when any section refuses (a ValidationError with every reason); all
    sections or none (one transaction); running it again changes nothing more. Sections erase from the
    top app down, so the directory entry, which the others may still read, is anonymised last. Returns
    how many rows each section changed.
    """
    model = type(person)
    # Two HR admins pressing the button at once: the second waits, then finds nothing left to change.
    person = model._default_manager.select_for_update().get(pk=person.pk)
    reasons = personal_data_erase_refusals(person=person, actor=actor)
    if reasons:
        raise ValidationError(reasons)
    changed = {}
    for section in reversed(sections()):
        if section.erase:
            changed[section.name] = section.erase(person, actor) or 0
    # Who erased whom, by id only: the log must not keep what the erase removed.
    logger.info("personal data of person %s erased by user %s: %s", person.pk, actor.pk, changed)
    return changed


# --- Retention ----------------------------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` months earlier (the month's last day when it is shorter)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def notes_retention_cutoff(now: datetime | None = None) -> datetime:
    """Notes of programs that ended before this moment are due for purging."""
    return months_before(now or timezone.now(), settings.NOTES_RETENTION_MONTHS)


def personal_data_purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Run every section's retention purge with the cutoff of NOTES_RETENTION_MONTHS.

    Guarantees (each section's): rows, dates and ratings stay, only text goes; batched, each batch its own
    transaction; a second run purges nothing. Returns how many rows each section purged.
    """
    cutoff = notes_retention_cutoff(now)
    purged = {section.name: section.purge(cutoff) for section in sections() if section.purge}
    logger.info("notes retention (ended before %s): %s", cutoff.date(), purged)
    return purged


def update_in_batches(queryset: models.QuerySet, *, values: dict, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Set `values` on every row of `queryset`, `batch_size` rows per transaction, in primary-key order.

    The queryset should select only rows that still need the change (exclude those already blank), so
    that a second run finds none. Returns how many rows were updated.
    """
    manager = queryset.model._default_manager
    total, last_pk = 0, None
    while True:
        batch = queryset.order_by("pk")
        if last_pk is not None:
            batch = batch.filter(pk__gt=last_pk)
        ids = list(batch.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return total
        with transaction.atomic():
            total += manager.filter(pk__in=ids).update(**values)
        last_pk = ids[-1]


# common's own model (a label only: this module imports no models, and is imported by every app's).
exclude(
    "common.FormSubmission",
    reason=gettext_lazy(
        "A guard against saving a form twice: a random token per form sent and the page it led to, "
        "nothing you wrote."
    ),
)
