from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from checkins.demo import seed_history
from checkins.services import notifications_plan
from checkins.tasks import rebuild_dashboard
from pairings.demo import complete_past_cohort, seed_pairings
from profiles.demo import history as directory_history
from profiles.demo.company import DEMO_PASSWORD, build_company
from profiles.models import Person, User
from programs import selectors as program_selectors
from programs.demo import PAST, answer_past_closing_survey, close_past_cohort, seed_programs
from programs.models import Enrollment, Program, Side


class Command(BaseCommand):
    help = "Build (or bring back up to date) the demo company. Idempotent. Refused when DEBUG is off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is refused when DEBUG is off: it has published passwords.")
        with transaction.atomic():
            people = build_company()
            by_employee_id = self._upsert_people(people)
            logins = self._upsert_logins(people, by_employee_id)
            hr = User.objects.get(email="hr@example.com")
            directory_history.start_history(person_ids=[p.pk for p in by_employee_id.values()])
            programs = seed_programs(hr=hr)
            seed_pairings(hr=hr)
            seed_history()
            self._finish_past_cohort()
            # Reminders as the morning's ticks would have planned them, so the demo shows some at once.
            notifications_plan(now=timezone.now().replace(hour=0, minute=0, second=0, microsecond=0))
        # The dashboards' figures, as the first tick would build them (run here, not queued).
        rebuild_dashboard()
        self.stdout.write(self.style.SUCCESS(f"Demo company ready: {len(people)} people."))
        for program in Program.objects.filter(pk__in=[p.pk for p in programs]).order_by("pk"):
            self.stdout.write(f"  Program: {program.name} ({program.get_state_display()})")
        for email, role in logins:
            self.stdout.write(f"  {email:<24} {role:<26} password: {DEMO_PASSWORD}")

    def _finish_past_cohort(self):
        """The past cohort answered its closing survey, was closed, and its people's careers moved on."""
        past = Program.objects.get(name=PAST)
        approved = Enrollment.objects.filter(program=past, status=Enrollment.Status.APPROVED).select_related(
            "person"
        )
        paired = approved.filter(
            pk__in=[
                *past.pairings.values_list("mentor_id", flat=True),
                *past.pairings.values_list("mentee_id", flat=True),
            ]
        ).order_by("person__employee_id")
        answer_past_closing_survey(respondents=[e.person for i, e in enumerate(paired) if i % 5 != 4])
        close_past_cohort()
        complete_past_cohort()
        mentors = [e.person for e in paired if e.role == Side.MENTOR]
        others = list(
            Person.objects.filter(level__lte=3, is_active=True, user__isnull=True)
            .exclude(pk__in=program_selectors.participant_person_ids())
            .order_by("employee_id")
        )
        directory_history.seed_changes(mentors=mentors, others=others)

    def _upsert_people(self, people):
        existing = {
            p.employee_id: p for p in Person.objects.filter(employee_id__in=[d.employee_id for d in people])
        }
        for demo in people:
            person = existing.get(demo.employee_id)
            if person is None:
                # Level and active state are the directory history's: set once, then left to it (the
                # demo's promotions and leavers stay promoted and gone on the next run).
                person = Person(employee_id=demo.employee_id, level=demo.level, is_active=True)
            for field in ("email", "full_name", "job_title", "department", "location", "time_zone"):
                setattr(person, field, getattr(demo, field))
            person.save()
            existing[demo.employee_id] = person
        for demo in people:
            person = existing[demo.employee_id]
            manager = existing.get(demo.manager_employee_id)
            if person.manager_id != (manager.pk if manager else None):
                person.manager = manager
                person.save(update_fields=["manager", "updated_at"])
        return existing

    def _upsert_logins(self, people, by_employee_id):
        logins = []
        for demo in people:
            if not demo.login:
                continue
            user = User.objects.filter(email__iexact=demo.email).first() or User(email=demo.email)
            user.full_name = demo.full_name
            user.is_hr_admin = demo.login == "hr"
            user.is_leader = demo.login == "leader"
            if not user.pk or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
            user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=demo.email, defaults={"verified": True, "primary": True}
            )
            person = by_employee_id[demo.employee_id]
            if person.user_id != user.pk:
                person.user = user
                person.save(update_fields=["user", "updated_at"])
            role = {"hr": "HR admin", "leader": "leader"}.get(demo.login, f"participant, level {demo.level}")
            logins.append((demo.email, role))
        return sorted(logins)
