from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from profiles.models import Person, User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    job_title = "Analyst"
    department = "Engineering"
    location = "London"
    time_zone = "Europe/London"
    level = 3
    employee_id = factory.Sequence(lambda n: f"T{n:05d}")


class ProgramFactory(factory.django.DjangoModelFactory):
    """A program in its enrolling state with an open window, made through the service like HR would."""

    class Meta:
        model = "programs.Program"

    @classmethod
    def _create(cls, model_class, *args, state="enrolling", actor=None, **kwargs):
        from programs import services

        today = timezone.localdate()
        data = {
            "name": "Reverse mentoring 2027",
            "description": "Juniors mentor seniors on technology and culture.",
            "starts_on": today + timedelta(days=30),
            "ends_on": today + timedelta(days=210),
            "enrollment_opens_on": today - timedelta(days=1),
            "enrollment_closes_on": today + timedelta(days=20),
        } | kwargs
        program = services.program_create(actor=actor or UserFactory(is_hr_admin=True), data=data)
        path = ["enrolling", "matching", "running", "closed"]
        for step in path[: path.index(state) + 1] if state != "draft" else []:
            if step == "running" and not program.enrollments.filter(status="approved").exists():
                # A program runs only with approved people: add one approved pair's worth of enrollments.
                for role in ("mentor", "mentee"):
                    EnrollmentFactory(program=program, role=role, status="approved")
            if step == "closed" and program.closes_too_early(today) and "starts_on" not in kwargs:
                # A program closes once it has started: as if the time had passed since it was made.
                program.starts_on = today - timedelta(days=1)
                type(program).objects.filter(pk=program.pk).update(starts_on=program.starts_on)
            program = services.program_transition(program=program, to_state=step)
        return program


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "programs.Enrollment"

    program = factory.SubFactory(ProgramFactory)
    person = factory.SubFactory(PersonFactory)
    role = "mentor"
    hopes = "Learn from each other."
    preferred_format = "video"
    languages = "English"
