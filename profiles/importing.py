"""Employee-directory CSV import: reading the file and planning what it changes.

Nothing here writes. `parse_employee_csv` turns the file into `Row`s; `plan_import` checks every row
against the others and against a snapshot of the directory and says who would be created, updated, left
unchanged or deactivated, or lists every error. The same file and the same directory always give the same
plan, so a preview can be recomputed on confirm from the stored file text. `services.directory_import`
applies a plan.

File format: UTF-8 (a BOM is allowed), comma separated, CRLF or LF line ends. Line 1 is the header; its
names are matched case-insensitively, ignoring surrounding spaces (inner spaces and hyphens count as
underscores, so "Full Name" is full_name); unknown columns are ignored.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .models import LEVEL_MAX, LEVEL_MIN, Person

REQUIRED_COLUMNS = ("email", "full_name", "job_title", "department", "level", "manager_email")
OPTIONAL_COLUMNS = ("location", "timezone", "employee_id")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# manager_email's column is required, but an empty value is allowed: it is the top of the org chart.
REQUIRED_VALUES = ("email", "full_name", "job_title", "department", "level")
# The Person field each text column is stored in (for length limits and change lists).
PERSON_FIELD = {
    "email": "email",
    "full_name": "full_name",
    "job_title": "job_title",
    "department": "department",
    "location": "location",
    "timezone": "time_zone",
    "employee_id": "employee_id",
}
# Stored fields a row sets, compared to tell an update from an unchanged row (with manager and is_active).
PLANNED_FIELDS = (
    "email",
    "full_name",
    "job_title",
    "department",
    "location",
    "time_zone",
    "level",
    "employee_id",
)
DEFAULT_TIME_ZONE = "UTC"
FILE = "file"  # the "field" of errors about the file as a whole


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem, on a line of the file (the header is line 1) and in one field (a column name)."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class ImportFileError(Exception):
    """The file cannot be read as an employee list at all (encoding, header): no row is looked at."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Row:
    """One data line of the file, values stripped of surrounding spaces, not yet checked.

    An optional column missing from the header is None (keep what the directory has); present but
    empty is "".
    """

    line: int
    email: str
    full_name: str
    job_title: str
    department: str
    level: str
    manager_email: str
    location: str | None = None
    timezone: str | None = None
    employee_id: str | None = None


@dataclass(frozen=True, slots=True)
class DirectoryPerson:
    """What the plan needs to know of a Person already in the directory."""

    pk: int
    email: str
    employee_id: str
    full_name: str
    job_title: str
    department: str
    location: str
    time_zone: str
    level: int
    manager_id: int | None
    is_active: bool


DIRECTORY_FIELDS = tuple(DirectoryPerson.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str  # a Person field name, or "manager" (shown as emails) or "is_active"
    old: str | int | bool | None
    new: str | int | bool | None


@dataclass(frozen=True, slots=True)
class PlannedPerson:
    """A row of the file as it will be stored. person_id is None for someone new."""

    line: int
    person_id: int | None
    email: str
    full_name: str
    job_title: str
    department: str
    location: str
    time_zone: str
    level: int
    employee_id: str
    manager_email: str  # "" for no manager
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What importing the file would do. When there are errors, the other lists are empty."""

    to_create: list[PlannedPerson] = field(default_factory=list)
    to_update: list[PlannedPerson] = field(default_factory=list)
    unchanged: list[PlannedPerson] = field(default_factory=list)
    to_deactivate: list[DirectoryPerson] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Reading the file -------------------------------------------------------------------------------


def parse_employee_csv(data: bytes | str) -> list[Row]:
    """Read the file into rows. Raises ImportFileError when it is not UTF-8 or its header is unusable
    (empty, a required column missing, a known column twice); blank lines are skipped."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(name.strip() for name in header):
            raise ImportFileError(
                [RowError(1, FILE, _("the first line must be the header, but it is empty"))]
            )
        positions = _column_positions(header)
        # Row's fields after `line` are COLUMNS, in order; an optional column missing from the header is
        # None (its position -1).
        indexes = [positions.get(column, -1) for column in COLUMNS]
        width = max(indexes) + 1
        rows = []
        next_line = reader.line_num + 1
        for cells in reader:
            # A quoted value can span lines: a row's number is the line it starts on.
            line, next_line = next_line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            rows.append(Row(line, *[cells[i].strip() if i >= 0 else None for i in indexes]))
    except csv.Error as exc:
        raise ImportFileError(
            [RowError(reader.line_num, FILE, _("cannot be read as CSV: %(reason)s") % {"reason": exc})]
        ) from exc
    return rows


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            [RowError(line, FILE, _('is not UTF-8 text (save the file as "CSV UTF-8")'))]
        ) from exc


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _column_positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    errors = []
    for index, name in enumerate(header):
        column = _normalise_header(name)
        if column not in COLUMNS:
            continue
        if column in positions:
            errors.append(RowError(1, column, _("appears more than once in the header")))
        else:
            positions[column] = index
    for column in REQUIRED_COLUMNS:
        if column not in positions:
            errors.append(RowError(1, column, _("required column is missing from the header")))
    if errors:
        raise ImportFileError(errors)
    return positions


# --- Checking and planning -----------------------------------------------------------------------------


def load_directory(*, for_update: bool = False) -> list[DirectoryPerson]:
    """Everyone in the directory, active or not, in one query (locked for update when asked)."""
    people = Person.objects.order_by("pk")
    if for_update:
        people = people.select_for_update()
    return [DirectoryPerson(*values) for values in people.values_list(*DIRECTORY_FIELDS)]


@dataclass(slots=True)
class _Checked:
    """A row's values once checked: lowercased emails, level as a number, defaults applied."""

    line: int
    email: str
    full_name: str
    job_title: str
    department: str
    level: int | None
    manager_email: str
    location: str | None
    time_zone: str | None
    employee_id: str


# Characters a directory field never needs and that can mislead a reader: control characters (NUL, line
# breaks, tabs) and the invisible ones that reorder or hide text (bidirectional overrides such as U+202E,
# zero-width characters).
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def _unsafe_character(value: str) -> str:
    """The first unsafe character of a value, named (U+202E), or ""."""
    # Every unsafe category is one str.isprintable() refuses (it refuses the other separators too), so a
    # printable value, nearly every one, needs no look at each character.
    if value.isprintable():
        return ""
    for character in value:
        if unicodedata.category(character) in _UNSAFE_CATEGORIES:
            return f"U+{ord(character):04X}"
    return ""


def plan_import(
    *, rows: list[Row], deactivate_missing: bool, directory: list[DirectoryPerson] | None = None
) -> ImportPlan:
    """Check every row and say what importing them would do; never writes.

    People are matched by employee_id when the row has one, else by email (case-insensitively); a row
    with an employee_id new to the directory takes over a directory entry with its email only if that
    entry has no employee_id yet. `directory` is a snapshot from `load_directory()` (loaded when None).
    With deactivate_missing, active people the file does not match are listed for deactivation.
    """
    if directory is None:
        directory = load_directory()
    if not rows:
        return ImportPlan(errors=[RowError(2, FILE, _("the file has no employee rows under the header"))])
    errors: list[RowError] = []
    # Managers' addresses come back on every report's row: each distinct one is checked once.
    email_checks: dict[str, str | None] = {}
    checked = [_check_row(row, errors, email_checks) for row in rows]
    _check_duplicates(checked, errors)
    matched = _match(checked, directory, errors)
    managers = _resolve_managers(checked, matched, directory, errors)
    _check_cycles(checked, matched, managers, directory, errors)
    if errors:
        return ImportPlan(errors=sorted(errors, key=_error_order))
    return _classify(checked, matched, managers, directory, deactivate_missing)


_DIGITS = re.compile(r"[0-9]+")


def _check_row(row: Row, errors: list[RowError], email_checks: dict[str, str | None]) -> _Checked:
    """Check each value; at most one error per field (the first that applies). `email_checks` remembers
    what _email_problem said of each address already seen."""
    bad: set[str] = set()

    def error(column, message, **params):
        errors.append(RowError(row.line, column, message % params if params else message))
        bad.add(column)

    max_lengths, time_zones = _max_lengths(), _time_zones()
    for column in COLUMNS:
        value = getattr(row, column)
        if not value:
            if column in REQUIRED_VALUES:
                error(column, _("a value is required"))
            continue
        max_length = max_lengths.get(column)
        unsafe = "" if value.isprintable() else _unsafe_character(value)  # the call only when it may find one
        if unsafe:
            error(
                column,
                _(
                    "contains a hidden or control character (%(char)s), which could disguise the text; remove it"
                ),
                char=unsafe,
            )
        elif max_length and len(value) > max_length:
            error(
                column,
                _("must be at most %(max)s characters (got %(length)s)"),
                max=max_length,
                length=len(value),
            )
        elif column in ("email", "manager_email"):
            if value not in email_checks:
                email_checks[value] = _email_problem(value)
            if email_checks[value] is not None:
                error(column, email_checks[value], value=value)
        elif column == "level" and not (_DIGITS.fullmatch(value) and LEVEL_MIN <= int(value) <= LEVEL_MAX):
            error(
                column,
                _('must be a whole number from %(min)s to %(max)s (got "%(value)s")'),
                min=LEVEL_MIN,
                max=LEVEL_MAX,
                value=value,
            )
        elif column == "timezone" and value.lower() not in time_zones:
            error(column, _('is not a known time zone (got "%(value)s")'), value=value)

    if row.timezone is None:
        time_zone = None
    elif row.timezone == "":
        time_zone = DEFAULT_TIME_ZONE
    else:
        time_zone = time_zones.get(row.timezone.lower())
    return _Checked(
        line=row.line,
        email=row.email.lower(),
        full_name=row.full_name,
        job_title=row.job_title,
        department=row.department,
        level=int(row.level) if row.level and "level" not in bad else None,
        # An unusable manager address has its error already; it is not looked up as well.
        manager_email="" if "manager_email" in bad else row.manager_email.lower(),
        location=row.location,
        time_zone=time_zone,
        employee_id=row.employee_id or "",
    )


def _email_problem(value: str) -> str | None:
    """Why an address is unusable (a message taking %(value)s), or None."""
    try:
        validate_email(value)
    except ValidationError:
        if not value.partition("@")[0].isascii():
            return _(
                'has accented or non-Latin letters before the @ (got "%(value)s"): mail systems '
                "deliver to the plain form (jose.garcia@\u2026, not jos\u00e9.garc\u00eda@\u2026); use the "
                "address your mail system has"
            )
        return _('is not a valid email address (got "%(value)s")')
    return None


@cache
def _max_lengths() -> dict[str, int]:
    """The length limit of each text column, from the Person field it is stored in."""
    return {column: Person._meta.get_field(name).max_length for column, name in PERSON_FIELD.items()}


def _error_order(error: RowError) -> tuple[int, int]:
    # By line, then in column order; several errors in one field keep the order they were found in.
    return error.line, COLUMNS.index(error.field) if error.field in COLUMNS else -1


@cache
def _time_zones() -> dict[str, str]:
    # Spreadsheets and people are not careful with case: "europe/london" is Europe/London.
    return {name.lower(): name for name in sorted(available_timezones())}


def _check_duplicates(checked: list[_Checked], errors: list[RowError]) -> None:
    for column in ("email", "employee_id"):
        first_line: dict[str, int] = {}
        for row in checked:
            value = getattr(row, column)
            if not value:
                continue
            if value in first_line:
                message = _("appears more than once in the file (first on line %(line)s)")
                errors.append(RowError(row.line, column, message % {"line": first_line[value]}))
            else:
                first_line[value] = row.line


def _match(
    checked: list[_Checked], directory: list[DirectoryPerson], errors: list[RowError]
) -> list[DirectoryPerson | None]:
    """The directory entry each row updates (None: a new person). Each entry is matched at most once."""
    by_employee_id = {person.employee_id: person for person in directory if person.employee_id}
    by_email = {person.email.lower(): person for person in directory}
    matched: list[DirectoryPerson | None] = [None] * len(checked)
    claimed: set[int] = set()
    # employee_id first, so that someone whose email changed is not mistaken for a newcomer who was
    # given their old address.
    for index, row in enumerate(checked):
        person = by_employee_id.get(row.employee_id) if row.employee_id else None
        if person is not None and person.pk not in claimed:
            matched[index] = person
            claimed.add(person.pk)
    conflicting: set[int] = set()
    for index, row in enumerate(checked):
        if matched[index] is not None or not row.email:
            continue
        person = by_email.get(row.email)
        if person is None or person.pk in claimed:
            continue
        if row.employee_id and person.employee_id and person.employee_id != row.employee_id:
            message = _('the directory has this email under another employee id ("%(existing)s")')
            errors.append(RowError(row.line, "employee_id", message % {"existing": person.employee_id}))
            conflicting.add(index)
            continue
        matched[index] = person
        claimed.add(person.pk)
    # A row that keeps someone but changes their email must not take an address that stays with another
    # directory entry (one not in the file).
    for index, row in enumerate(checked):
        holder = by_email.get(row.email)
        if index in conflicting or holder is None or holder.pk in claimed:
            continue
        if matched[index] is not None and holder.pk != matched[index].pk:
            message = _(
                "already belongs to someone else in the directory (%(name)s), who is not in this file"
            )
            errors.append(RowError(row.line, "email", message % {"name": holder.full_name}))
    return matched


# A node of the reporting graph: ("row", index in the file) or ("person", pk) for directory people the
# file does not mention.
type _Node = tuple[str, int]


def _resolve_managers(
    checked: list[_Checked],
    matched: list[DirectoryPerson | None],
    directory: list[DirectoryPerson],
    errors: list[RowError],
) -> list[_Node | None]:
    """Each row's manager after the import: someone in the file, else someone in the directory."""
    claimed = {person.pk for person in matched if person is not None}
    by_final_email: dict[str, _Node] = {}
    for index, row in enumerate(checked):
        if row.email:
            by_final_email.setdefault(row.email, ("row", index))
    for person in directory:
        if person.pk not in claimed:
            by_final_email.setdefault(person.email.lower(), ("person", person.pk))

    managers: list[_Node | None] = []
    for row in checked:
        manager = by_final_email.get(row.manager_email) if row.manager_email else None
        if row.manager_email and row.manager_email == row.email:
            errors.append(RowError(row.line, "manager_email", _("an employee cannot be their own manager")))
            manager = None  # not a loop as well
        elif row.manager_email and manager is None:
            message = _('no one with this email is in the file or the directory (got "%(value)s")')
            errors.append(RowError(row.line, "manager_email", message % {"value": row.manager_email}))
        managers.append(manager)
    return managers


def _check_cycles(
    checked: list[_Checked],
    matched: list[DirectoryPerson | None],
    managers: list[_Node | None],
    directory: list[DirectoryPerson],
    errors: list[RowError],
) -> None:
    """A reporting line must end at the top. Each loop through the file is reported on every row in it."""
    row_of_person = {person.pk: index for index, person in enumerate(matched) if person is not None}
    by_pk = {person.pk: person for person in directory}

    def manager_of(node: _Node) -> _Node | None:
        kind, key = node
        if kind == "row":
            return managers[key]
        manager_id = by_pk[key].manager_id
        if manager_id is None or manager_id not in by_pk:
            return None
        if manager_id in row_of_person:  # the file decides that person's manager
            return ("row", row_of_person[manager_id])
        return ("person", manager_id)

    def email_of(node: _Node) -> str:
        kind, key = node
        return checked[key].email if kind == "row" else by_pk[key].email.lower()

    done: set[_Node] = set()
    for start in range(len(checked)):
        node: _Node | None = ("row", start)
        path: list[_Node] = []
        on_path: dict[_Node, int] = {}
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = manager_of(node)
        done.update(path)
        if node is None or node not in on_path:
            continue
        loop = path[on_path[node] :]
        for position, member in enumerate(loop):
            if member[0] != "row":
                continue  # a loop among directory people alone is not this file's doing
            chain = " \u2192 ".join(email_of(step) for step in loop[position:] + loop[: position + 1])
            message = _("the reporting line loops back to this person: %(chain)s") % {"chain": chain}
            errors.append(RowError(checked[member[1]].line, "manager_email", message))


def _classify(
    checked: list[_Checked],
    matched: list[DirectoryPerson | None],
    managers: list[_Node | None],
    directory: list[DirectoryPerson],
    deactivate_missing: bool,
) -> ImportPlan:
    by_pk = {person.pk: person for person in directory}
    plan = ImportPlan()
    for row, person, manager in zip(checked, matched, managers, strict=True):
        if person is None:
            plan.to_create.append(
                PlannedPerson(
                    line=row.line,
                    person_id=None,
                    email=row.email,
                    full_name=row.full_name,
                    job_title=row.job_title,
                    department=row.department,
                    location=row.location or "",
                    time_zone=row.time_zone or DEFAULT_TIME_ZONE,
                    level=row.level,
                    employee_id=row.employee_id,
                    manager_email=row.manager_email,
                )
            )
            continue
        planned = PlannedPerson(
            line=row.line,
            person_id=person.pk,
            email=row.email,
            full_name=row.full_name,
            job_title=row.job_title,
            department=row.department,
            # An optional column left out of the file keeps what the directory has.
            location=person.location if row.location is None else row.location,
            time_zone=person.time_zone if row.time_zone is None else row.time_zone,
            level=row.level,
            employee_id=row.employee_id or person.employee_id,
            manager_email=row.manager_email,
        )
        changes = [
            FieldChange(name, getattr(person, name), getattr(planned, name))
            for name in PLANNED_FIELDS
            if getattr(person, name) != getattr(planned, name)
        ]
        if _manager_changes(person, manager, matched):
            old_manager = by_pk.get(person.manager_id)
            changes.append(
                FieldChange("manager", old_manager.email.lower() if old_manager else "", row.manager_email)
            )
        if not person.is_active:
            changes.append(FieldChange("is_active", False, True))
        if changes:
            plan.to_update.append(replace(planned, changes=tuple(changes)))
        else:
            plan.unchanged.append(planned)
    if deactivate_missing:
        in_file = {person.pk for person in matched if person is not None}
        plan.to_deactivate.extend(
            sorted(
                (person for person in directory if person.is_active and person.pk not in in_file),
                key=lambda person: (person.email.lower(), person.pk),
            )
        )
    return plan


def _manager_changes(
    person: DirectoryPerson, manager: _Node | None, matched: list[DirectoryPerson | None]
) -> bool:
    if manager is None:
        return person.manager_id is not None
    kind, key = manager
    if kind == "person":
        return person.manager_id != key
    manager_person = matched[key]
    # A manager who is new to the directory is always a change.
    return manager_person is None or person.manager_id != manager_person.pk
