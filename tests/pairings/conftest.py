import pytest

from pairings import services
from programs import services as program_services
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory


@pytest.fixture
def matching_program(hr_admin, mentor, mentee, other_participant):
    """A program in its matching state: two juniors and two seniors approved, all eligible across."""
    program = ProgramFactory(actor=hr_admin)
    second_senior = PersonFactory(email="senior.two@example.com", level=7, department="Sales")
    for person, role in [
        (mentor.person, "mentor"),
        (other_participant.person, "mentor"),
        (mentee.person, "mentee"),
        (second_senior, "mentee"),
    ]:
        EnrollmentFactory(program=program, person=person, role=role, status="approved")
    return program_services.program_transition(program=program, to_state="matching")


@pytest.fixture
def published_pairing(matching_program, hr_admin, mentor, mentee):
    """The persona mentor and mentee, pinned together, published and awaiting both answers."""
    program = matching_program
    mentor_e = program.enrollments.get(person=mentor.person)
    mentee_e = program.enrollments.get(person=mentee.person)
    return services.pairing_create_manual(program=program, mentor=mentor_e, mentee=mentee_e, actor=hr_admin)


@pytest.fixture
def active_pairing(published_pairing, mentor, mentee):
    pairing = services.pairing_accept(pairing=published_pairing, person=mentor.person)
    return services.pairing_accept(pairing=pairing, person=mentee.person)
