import dataclasses
import io
import json

import pytest
from django.core.management import CommandError, call_command

from profiles.importing import load_directory, parse_employee_csv, plan_import
from profiles.models import Person
from profiles.services import directory_import
from tests.factories import PersonFactory
from tests.helpers import count_queries

HEADER = "email,full_name,job_title,department,level,manager_email,location,timezone,employee_id"

# A small company: a CEO, two reports, one of them with a report of her own.
COMPANY = "\n".join(
    [
        HEADER,
        "ceo@acme.example,Ada Chief,Chief Executive Officer,Executive,9,,London,Europe/London,E001",
        "cto@acme.example,Ben Tech,CTO,Engineering,8,ceo@acme.example,Berlin,Europe/Berlin,E002",
        "cfo@acme.example,Cy Money,Chief Financial Officer,Finance,8,ceo@acme.example,,,E003",
        "dev@acme.example,Dee Coder,Engineer,Engineering,2,cto@acme.example,Berlin,Europe/Berlin,E004",
    ]
)


def csv_file(*rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def errors_of(result):
    return [(error.line, error.field) for error in result.errors]


def snapshot():
    return sorted(
        Person.objects.values_list(
            "pk", "email", "full_name", "job_title", "level", "manager_id", "is_active", "employee_id"
        )
    )


# --- Creating and matching ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_people_with_their_managers_and_defaults():
    result = directory_import(data=COMPANY)

    assert result.ok and (result.created, result.updated, result.unchanged, result.deactivated) == (
        4,
        0,
        0,
        0,
    )
    people = {p.email: p for p in Person.objects.select_related("manager")}
    assert people["ceo@acme.example"].manager is None
    assert people["cto@acme.example"].manager.email == "ceo@acme.example"
    assert people["dev@acme.example"].manager.email == "cto@acme.example"
    assert (people["cfo@acme.example"].location, people["cfo@acme.example"].time_zone) == ("", "UTC")
    assert people["dev@acme.example"].level == 2 and people["dev@acme.example"].employee_id == "E004"


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing_the_second_time():
    directory_import(data=COMPANY)
    before = snapshot()

    again = directory_import(data=COMPANY)

    assert (again.created, again.updated, again.unchanged, again.deactivated) == (0, 0, 4, 0)
    assert snapshot() == before


@pytest.mark.django_db
def test_emails_are_stored_lowercased_and_matched_case_insensitively():
    existing = PersonFactory(email="dee@acme.example", employee_id="", level=1, job_title="Intern")

    result = directory_import(
        data=csv_file("DEE@Acme.Example,Dee Coder,Engineer,Engineering,2,,Berlin,Europe/Berlin,")
    )

    assert (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert (existing.email, existing.level, existing.job_title) == ("dee@acme.example", 2, "Engineer")
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_a_person_is_matched_by_employee_id_when_their_email_changed():
    existing = PersonFactory(email="dee.old@acme.example", employee_id="E004")

    result = directory_import(data=csv_file("dee.new@acme.example,Dee Coder,Engineer,Engineering,2,,,,E004"))

    assert (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.email == "dee.new@acme.example"
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_a_new_employee_id_is_given_to_the_directory_entry_with_that_email_if_it_had_none():
    existing = PersonFactory(email="dee@acme.example", employee_id="")

    result = directory_import(data=csv_file("dee@acme.example,Dee Coder,Engineer,Engineering,2,,,,E004"))

    assert (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.employee_id == "E004"


@pytest.mark.django_db
def test_two_people_can_swap_email_addresses():
    first = PersonFactory(email="one@acme.example", employee_id="E1")
    second = PersonFactory(email="two@acme.example", employee_id="E2")

    result = directory_import(
        data=csv_file(
            "two@acme.example,First,Engineer,Engineering,3,,,,E1",
            "one@acme.example,Second,Engineer,Engineering,3,,,,E2",
        )
    )

    assert result.ok and result.updated == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.email, second.email) == ("two@acme.example", "one@acme.example")


@pytest.mark.django_db
def test_a_manager_may_be_a_directory_person_who_is_not_in_the_file():
    boss = PersonFactory(email="boss@acme.example")

    result = directory_import(
        data=csv_file("dev@acme.example,Dee,Engineer,Engineering,2,BOSS@acme.example,,,")
    )

    assert result.ok
    assert Person.objects.get(email="dev@acme.example").manager == boss


@pytest.mark.django_db
def test_optional_columns_left_out_keep_what_the_directory_has():
    existing = PersonFactory(
        email="dee@acme.example", location="Lisbon", time_zone="Europe/Lisbon", employee_id=""
    )

    result = directory_import(
        data=csv_file(
            f"dee@acme.example,{existing.full_name},{existing.job_title},{existing.department},{existing.level},",
            header="email,full_name,job_title,department,level,manager_email",
        )
    )

    assert (result.updated, result.unchanged) == (0, 1)
    existing.refresh_from_db()
    assert (existing.location, existing.time_zone) == ("Lisbon", "Europe/Lisbon")


# --- File format -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_utf8_bom_and_crlf_line_ends_are_read():
    data = "\ufeff".encode() + COMPANY.replace("\n", "\r\n").encode() + b"\r\n"

    result = directory_import(data=data)

    assert result.ok and result.created == 4
    assert Person.objects.filter(email="ceo@acme.example").exists()


def test_header_names_are_case_insensitive_and_extra_columns_are_ignored():
    header = " EMAIL , Full_Name,Job_Title,Notes,DEPARTMENT,Level,Manager_Email,Employee_ID,Shoe size"
    data = csv_file("ceo@acme.example,Ada Chief,CEO,likes tea,Executive,9,,E001,38", header=header)

    [row] = parse_employee_csv(data)

    assert (row.line, row.email, row.full_name, row.department, row.level, row.employee_id) == (
        2,
        "ceo@acme.example",
        "Ada Chief",
        "Executive",
        "9",
        "E001",
    )
    assert row.location is None and row.timezone is None


def test_line_numbers_count_physical_lines_across_blank_lines_and_quoted_line_breaks():
    data = csv_file(
        "ceo@acme.example,Ada,CEO,Executive,9,,,,",
        "",
        'cto@acme.example,Ben,"Chief\nTechnology Officer",Engineering,8,ceo@acme.example,,,',
        "dev@acme.example,Dee,Engineer,Engineering,2,cto@acme.example,,,",
    )

    rows = parse_employee_csv(data)

    assert [row.line for row in rows] == [2, 4, 6]
    assert rows[1].job_title == "Chief\nTechnology Officer"


@pytest.mark.django_db
def test_a_manager_may_come_after_their_reports_in_the_file():
    result = directory_import(
        data=csv_file(
            "dev@acme.example,Dee,Engineer,Engineering,2,cto@acme.example,,,",
            "cto@acme.example,Ben,CTO,Engineering,8,ceo@acme.example,,,",
            "ceo@acme.example,Ada,CEO,Executive,9,,,,",
        )
    )

    assert result.ok and result.created == 3
    assert Person.objects.get(email="dev@acme.example").manager.manager.email == "ceo@acme.example"


@pytest.mark.django_db
def test_time_zones_are_matched_case_insensitively_and_stored_canonically():
    directory_import(data=csv_file("ceo@acme.example,Ada,CEO,Executive,9,,,america/new_york,"))

    assert Person.objects.get().time_zone == "America/New_York"


@pytest.mark.django_db
def test_missing_required_header_columns_are_each_reported_on_line_1():
    result = directory_import(data="email,full_name,department\nceo@acme.example,Ada,Executive\n")

    assert errors_of(result) == [(1, "job_title"), (1, "level"), (1, "manager_email")]
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused_with_its_line():
    data = (csv_file("ceo@acme.example,Ad\u00e9,CEO,Executive,9,,,,")).encode("latin-1")

    result = directory_import(data=data)

    assert errors_of(result) == [(2, "file")]
    assert "UTF-8" in result.errors[0].message


@pytest.mark.django_db
def test_a_file_with_only_a_header_is_an_error():
    result = directory_import(data=HEADER + "\n", deactivate_missing=True)

    assert errors_of(result) == [(2, "file")]


# --- Each kind of error --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (",Ada,CEO,Executive,9,,,,", "email", "a value is required"),
        ("ceo@acme.example,,CEO,Executive,9,,,,", "full_name", "a value is required"),
        ("ceo@acme.example,Ada,,Executive,9,,,,", "job_title", "a value is required"),
        ("ceo@acme.example,Ada,CEO,,9,,,,", "department", "a value is required"),
        ("ceo@acme.example,Ada,CEO,Executive,,,,,", "level", "a value is required"),
        (
            "not-an-email,Ada,CEO,Executive,9,,,,",
            "email",
            'is not a valid email address (got "not-an-email")',
        ),
        (
            "ceo@acme.example,Ada,CEO,Executive,ten,,,,",
            "level",
            'must be a whole number from 1 to 9 (got "ten")',
        ),
        ("ceo@acme.example,Ada,CEO,Executive,0,,,,", "level", 'must be a whole number from 1 to 9 (got "0")'),
        (
            "ceo@acme.example,Ada,CEO,Executive,10,,,,",
            "level",
            'must be a whole number from 1 to 9 (got "10")',
        ),
        (
            "ceo@acme.example,Ada,CEO,Executive,4.5,,,,",
            "level",
            'must be a whole number from 1 to 9 (got "4.5")',
        ),
        ("ceo@acme.example,Ada,CEO,Executive,9,,,Mars/Olympus,", "timezone", "is not a known time zone"),
        (
            "ceo@acme.example,Ada,CEO,Executive,9,nobody@acme.example,,,",
            "manager_email",
            "no one with this email",
        ),
        ("ceo@acme.example,Ada,CEO,Executive,9,CEO@acme.example,,,", "manager_email", "their own manager"),
        ("ceo@acme.example,Ada,CEO,Executive,9,,,," + "x" * 65, "employee_id", "at most 64 characters"),
        ("ceo@acme.example," + "A" * 201 + ",CEO,Executive,9,,,,", "full_name", "at most 200 characters"),
    ],
)
def test_each_kind_of_bad_value_is_reported_with_its_line_and_field(row, field, message):
    result = directory_import(data=csv_file("boss@acme.example,Bo,Boss,Executive,9,,,,", row))

    assert errors_of(result) == [(3, field)]
    assert message in result.errors[0].message
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_email_is_reported_on_the_later_line_whatever_its_case():
    result = directory_import(
        data=csv_file(
            "ceo@acme.example,Ada,CEO,Executive,9,,,,",
            "dev@acme.example,Dee,Engineer,Engineering,2,ceo@acme.example,,,",
            "CEO@ACME.example,Ada Again,CEO,Executive,9,,,,",
        )
    )

    assert errors_of(result) == [(4, "email")]
    assert "first on line 2" in result.errors[0].message


@pytest.mark.django_db
def test_a_duplicate_employee_id_is_reported():
    result = directory_import(
        data=csv_file(
            "ceo@acme.example,Ada,CEO,Executive,9,,,,E1", "cto@acme.example,Ben,CTO,Executive,8,,,,E1"
        )
    )

    assert errors_of(result) == [(3, "employee_id")]


@pytest.mark.django_db
def test_an_email_kept_by_another_employee_id_in_the_directory_is_an_error():
    PersonFactory(email="dee@acme.example", employee_id="E777")

    result = directory_import(data=csv_file("dee@acme.example,Dee,Engineer,Engineering,2,,,,E004"))

    assert errors_of(result) == [(2, "employee_id")]
    assert "E777" in result.errors[0].message


@pytest.mark.django_db
def test_taking_the_email_of_a_directory_person_not_in_the_file_is_an_error():
    PersonFactory(email="dee@acme.example", employee_id="E1")
    PersonFactory(email="ben@acme.example", employee_id="E2")

    result = directory_import(data=csv_file("ben@acme.example,Dee,Engineer,Engineering,2,,,,E1"))

    assert errors_of(result) == [(2, "email")]


@pytest.mark.django_db
def test_a_two_person_manager_loop_is_reported_on_both_lines():
    result = directory_import(
        data=csv_file(
            "a@acme.example,A,Lead,Engineering,6,b@acme.example,,,",
            "b@acme.example,B,Lead,Engineering,6,a@acme.example,,,",
        )
    )

    assert errors_of(result) == [(2, "manager_email"), (3, "manager_email")]
    assert "a@acme.example \u2192 b@acme.example \u2192 a@acme.example" in result.errors[0].message


@pytest.mark.django_db
def test_a_three_person_manager_loop_is_reported_and_the_rows_above_it_are_not():
    result = directory_import(
        data=csv_file(
            "ceo@acme.example,Ceo,CEO,Executive,9,,,,",
            "a@acme.example,A,Lead,Engineering,6,c@acme.example,,,",
            "b@acme.example,B,Lead,Engineering,6,a@acme.example,,,",
            "c@acme.example,C,Lead,Engineering,6,b@acme.example,,,",
            "d@acme.example,D,Engineer,Engineering,2,a@acme.example,,,",
        )
    )

    assert errors_of(result) == [(3, "manager_email"), (4, "manager_email"), (5, "manager_email")]


@pytest.mark.django_db
def test_a_manager_loop_through_a_directory_person_not_in_the_file_is_reported():
    # In the directory, Dir reports to Ann; the file makes Ann report to Dir.
    ann = PersonFactory(email="ann@acme.example", employee_id="")
    PersonFactory(email="dir@acme.example", manager=ann)

    result = directory_import(data=csv_file("ann@acme.example,Ann,Lead,Engineering,6,dir@acme.example,,,"))

    assert errors_of(result) == [(2, "manager_email")]
    assert "ann@acme.example \u2192 dir@acme.example \u2192 ann@acme.example" in result.errors[0].message


@pytest.mark.django_db
def test_every_error_in_the_file_is_listed_and_nothing_is_written():
    existing = PersonFactory(email="ann@acme.example", employee_id="E1", job_title="Analyst")
    before = snapshot()

    result = directory_import(
        data=csv_file(
            "ann@acme.example,Ann,Head of Analysis,Finance,7,,,,E1",  # fine on its own
            "bad-email,Bob,Engineer,Engineering,ten,ann@acme.example,,Nowhere/Land,",
            "cat@acme.example,,Engineer,Engineering,3,ghost@acme.example,,,",
            "ANN@acme.example,Ann Again,Engineer,Engineering,3,,,,",
            "x@acme.example,X,Lead,Engineering,6,y@acme.example,,,",
            "y@acme.example,Y,Lead,Engineering,6,x@acme.example,,,",
        ),
        deactivate_missing=True,
    )

    assert errors_of(result) == [
        (3, "email"),
        (3, "level"),
        (3, "timezone"),
        (4, "full_name"),
        (4, "manager_email"),
        (5, "email"),
        (6, "manager_email"),
        (7, "manager_email"),
    ]
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 0, 0, 0)
    assert snapshot() == before
    existing.refresh_from_db()
    assert existing.job_title == "Analyst"


# --- Deactivating and reactivating -------------------------------------------------------------------


@pytest.mark.django_db
def test_deactivate_missing_makes_people_not_in_the_file_inactive_and_deletes_no_one():
    directory_import(data=COMPANY)
    leaver = PersonFactory(email="leaver@acme.example")
    already_gone = PersonFactory(email="gone@acme.example", is_active=False)

    result = directory_import(data=COMPANY, deactivate_missing=True)

    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 0, 4, 1)
    leaver.refresh_from_db()
    already_gone.refresh_from_db()
    assert not leaver.is_active and not already_gone.is_active
    assert Person.objects.count() == 6
    assert Person.objects.filter(is_active=True).count() == 4


@pytest.mark.django_db
def test_without_deactivate_missing_people_not_in_the_file_stay_active():
    leaver = PersonFactory(email="leaver@acme.example")

    result = directory_import(data=COMPANY)

    assert result.deactivated == 0
    leaver.refresh_from_db()
    assert leaver.is_active


@pytest.mark.django_db
def test_someone_inactive_who_is_back_in_the_file_is_reactivated():
    directory_import(data=COMPANY)
    Person.objects.filter(email="dev@acme.example").update(is_active=False)

    result = directory_import(data=COMPANY)

    assert (result.updated, result.unchanged) == (1, 3)
    assert Person.objects.get(email="dev@acme.example").is_active


# --- Dry run, plan and queries -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_dry_run_counts_but_writes_nothing():
    leaver = PersonFactory(email="leaver@acme.example")

    result = directory_import(data=COMPANY, deactivate_missing=True, dry_run=True)

    assert result.dry_run and (result.created, result.deactivated) == (4, 1)
    assert list(Person.objects.all()) == [leaver]
    leaver.refresh_from_db()
    assert leaver.is_active


@pytest.mark.django_db
def test_the_plan_is_the_same_every_time_and_serialisable():
    PersonFactory(email="cto@acme.example", employee_id="E002", level=7)
    PersonFactory(email="leaver@acme.example")
    rows = parse_employee_csv(COMPANY)

    first = plan_import(rows=rows, deactivate_missing=True)
    second = plan_import(
        rows=parse_employee_csv(COMPANY), deactivate_missing=True, directory=load_directory()
    )

    assert first == second
    assert [p.line for p in first.to_create] == [2, 4, 5]
    [update] = first.to_update
    assert {change.field for change in update.changes} == {
        "full_name",
        "job_title",
        "location",
        "time_zone",
        "level",
        "manager",
    }
    assert [person.email for person in first.to_deactivate] == ["leaver@acme.example"]
    json.dumps(dataclasses.asdict(first))


def _company_of(size):
    rows = ["boss@acme.example,Boss,CEO,Executive,9,,,,B0"]
    rows += [
        f"p{n}@acme.example,P {n},Engineer,Engineering,3,boss@acme.example,,,B{n}" for n in range(1, size)
    ]
    return csv_file(*rows)


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_number_of_rows():
    counts = []
    for size in (5, 50):
        Person.objects.all().delete()
        with count_queries() as queries:
            assert directory_import(data=_company_of(size)).created == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- The management command ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_imports_and_prints_a_summary(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(COMPANY)
    out = io.StringIO()

    call_command("import_employees", str(path), stdout=out)
    call_command("import_employees", str(path), stdout=out)

    assert out.getvalue().splitlines() == [
        "4 created, 0 updated, 0 unchanged, 0 deactivated",
        "0 created, 0 updated, 4 unchanged, 0 deactivated",
    ]


@pytest.mark.django_db
def test_command_dry_run_says_so_and_writes_nothing(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(COMPANY)
    out = io.StringIO()

    call_command("import_employees", str(path), "--dry-run", stdout=out)

    assert (
        out.getvalue().strip()
        == "4 created, 0 updated, 0 unchanged, 0 deactivated (dry run, nothing written)"
    )
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_command_deactivate_missing(tmp_path):
    PersonFactory(email="leaver@acme.example")
    path = tmp_path / "people.csv"
    path.write_text(COMPANY)
    out = io.StringIO()

    call_command("import_employees", str(path), "--deactivate-missing", stdout=out)

    assert out.getvalue().strip() == "4 created, 0 updated, 0 unchanged, 1 deactivated"


@pytest.mark.django_db
def test_command_lists_each_error_on_stderr_starting_with_its_line_and_fails(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        csv_file(
            "ceo@acme.example,Ada,CEO,Executive,9,,,,",
            "dev@acme.example,Dee,Engineer,Engineering,2,ceo@acme.example,,,",
            "x@acme.example,X,Engineer,Engineering,3,ceo@acme.example,,,",
            "y@acme.example,Y,Engineer,Engineering,3,ceo@acme.example,,,",
            "z@acme.example,Z,Engineer,Engineering,3,ceo@acme.example,,,",
            "bad@acme.example,Bad,Engineer,Engineering,ten,ghost@acme.example,,,",
        )
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="2 errors") as raised:
        call_command("import_employees", str(path), stdout=out, stderr=err)

    assert raised.value.returncode == 1
    assert err.getvalue().splitlines() == [
        'line 7: level: must be a whole number from 1 to 9 (got "ten")',
        "line 7: manager_email: no one with this email is in the file or the directory "
        '(got "ghost@acme.example")',
    ]
    assert out.getvalue() == ""
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_command_reports_a_file_it_cannot_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_employees", str(tmp_path / "missing.csv"))
