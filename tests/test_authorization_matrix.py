"""Who may open every page: each URL pattern of the project, tried by each persona with GET and POST.

The expected answers are one table, EXPECTED, below. A URL pattern with no row fails
`test_every_url_is_in_the_table`, so a page added later cannot ship without saying who may use it.
A refused request (403, 404, 405, the login page) must change nothing in the database, and no request
of any persona may end in a server error.

Every request runs in a savepoint that is rolled back, so an allowed write (ending the pairing, say)
does not change what the next URL sees, and the database fingerprint taken once per persona stays the
reference for every refused request.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from checkins import services as checkin_services
from pairings import services as pairing_services
from pairings.models import MatchRun
from profiles import services as profile_services
from profiles.api_tokens import api_token_create
from profiles.models import Invitation, Person
from profiles.outbox.preferences import unsubscribe_token
from profiles.selectors import invitation_token_hash
from programs import services as program_services
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

# --- The URL patterns ---------------------------------------------------------------------------------

# Third-party pages, not ours: their own projects test who may use them. A pattern under one of these
# prefixes is still ours, and must be in the table, when its view is one of our modules (allauth's
# accounts/email/ is replaced by profiles.views.account_email).
THIRD_PARTY_PREFIXES = (
    "support/",  # the Django admin, for support staff
    "accounts/",  # allauth: sign-in, sign-up, password, second factor, sessions
)
OUR_MODULES = ("mentoring.", "common.", "profiles.", "programs.", "pairings.", "checkins.")


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name" (or the route itself for a pattern without a name)
    route: str  # the full route, e.g. "pairings/<int:pk>/end/"
    view: str  # dotted path of the view


def _view_path(callback) -> str:
    view = getattr(callback, "view_class", None) or callback
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return f"{view.__module__}.{getattr(view, '__qualname__', view.__class__.__name__)}"


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(key=name or route, route=route, view=_view_path(entry.callback))


def our_routes() -> list[Route]:
    routes = []
    for route in _walk(get_resolver().url_patterns):
        third_party = route.route.startswith(THIRD_PARTY_PREFIXES)
        if third_party and not route.view.startswith(OUR_MODULES):
            continue
        routes.append(route)
    return routes


_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _path_of(route: str, kwargs: dict) -> str:
    return "/" + _CONVERTER.sub(lambda m: str(kwargs[m.group("name")]), route)


# --- The personas and their world ------------------------------------------------------------------

PERSONAS = [
    "anonymous",
    "mentor",
    "mentee",
    "other_mentor",
    "other_mentee",
    "hr_admin",
    "leader",
    "leaver",
    "nobody",
]


def _participant(email, *, level, department, **user_fields):
    user = UserFactory(email=email, **user_fields)
    PersonFactory(email=email, user=user, level=level, department=department, full_name=user.full_name)
    return user


@dataclass
class World:
    users: dict
    program: object
    open_program: object
    theme: object
    acknowledgement: object
    mentor_enrollment: object
    mentee_enrollment: object
    pairing: object
    other_pairing: object
    run: object
    proposal: object
    survey: object
    question: object
    checkin: object
    meeting: object
    goal: object
    action: object
    concern: object
    invitation: object
    invitation_token: str
    unsubscribe_token: str
    import_job: object
    api_token: object = None  # an HR admin's API token, for the revoke page


INVITATION_TOKEN = "matrix-invitation-token"


@pytest.fixture
def world(hr_admin, leader, mentor, mentee, other_participant, outsider) -> World:
    """Two active pairs in one running program, with one of everything the main pair owns."""
    other_mentee = _participant("senior.two@example.com", level=7, department="Sales")
    leaver = _participant("junior.left@example.com", level=1, department="Legal")
    spare_junior = PersonFactory(email="junior.spare@example.com", level=1, department="Legal")
    spare_senior = PersonFactory(email="senior.spare@example.com", level=7, department="Operations")
    not_signed_up = PersonFactory(email="not.yet@example.com", level=4, department="Sales")

    program = ProgramFactory(actor=hr_admin)
    # Themes and acknowledgements are fixed once anyone enrolls.
    theme = program_services.theme_save(
        program=program, theme=None, name="AI at work", discussion_guide="What changed this month?"
    )
    acknowledgement = program_services.acknowledgement_save(
        program=program, acknowledgement=None, kind="code_of_conduct", title="Confidence", text="I agree."
    )
    enrollments = {}
    for key, person, role in [
        ("mentor", mentor.person, "mentor"),
        ("mentee", mentee.person, "mentee"),
        ("other_mentor", other_participant.person, "mentor"),
        ("other_mentee", other_mentee.person, "mentee"),
        ("leaver", leaver.person, "mentor"),
        ("spare_junior", spare_junior, "mentor"),
        ("spare_senior", spare_senior, "mentee"),
    ]:
        enrollments[key] = EnrollmentFactory(program=program, person=person, role=role, status="approved")
    # The leaver left after enrolling: the directory marks them inactive (an import does the same).
    Person.objects.filter(pk=leaver.person.pk).update(is_active=False)
    program = program_services.program_transition(program=program, to_state="matching")

    def pair(mentor_key, mentee_key, mentor_user, mentee_user):
        pairing = pairing_services.pairing_create_manual(
            program=program, mentor=enrollments[mentor_key], mentee=enrollments[mentee_key], actor=hr_admin
        )
        pairing = pairing_services.pairing_accept(pairing=pairing, person=mentor_user.person)
        return pairing_services.pairing_accept(pairing=pairing, person=mentee_user.person)

    pairing = pair("mentor", "mentee", mentor, mentee)
    other_pairing = pair("other_mentor", "other_mentee", other_participant, other_mentee)

    run = pairing_services.match_run_start(program=program, actor=hr_admin)
    pairing_services.match_run_execute(run_id=run.pk)
    run = MatchRun.objects.get(pk=run.pk)
    proposal = run.proposals.first()
    assert proposal is not None, "the spare junior and senior should be proposed"

    program = program_services.program_transition(program=program, to_state="running")
    survey = program.surveys.order_by("pk").first()
    question = program_services.survey_question_save(
        survey=survey, question=None, text="Anything else?", kind="text"
    )

    checkin = checkin_services.checkin_log(
        pairing=pairing,
        person=mentor.person,
        happened_on=timezone.localdate(),
        duration_minutes=30,
        meeting_format="video",
        themes=[theme],
        shared_notes="SHARED-x",
        reflection=checkin_services.ReflectionInput(
            learned="LEARNED-x", change_next_time="", rating=4, private_notes="PRIVATE-x"
        ),
    )
    meeting = checkin_services.meeting_plan(
        pairing=pairing,
        person=mentor.person,
        starts_at=timezone.now() + timedelta(days=2),
        duration_minutes=45,
        meeting_format="video",
    )
    goal = pairing_services.goal_save(
        pairing=pairing,
        person=mentor.person,
        goal=None,
        owner_side="mentor",
        title="Ship one AI tool",
        description="",
        target_date=timezone.localdate() + timedelta(days=60),
    )
    action = checkin_services.action_record(
        pairing=pairing, person=mentee.person, kind="tool", title="Tried chat", effect="too_early"
    )
    concern = checkin_services.concern_raise(
        pairing=pairing, person=mentor.person, kind="concern", text="CONCERN-x"
    )
    invitation = profile_services.invitation_send(person=not_signed_up, actor=hr_admin)
    # Only the token's hash is stored: give the invitation one this test knows.
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=invitation_token_hash(INVITATION_TOKEN))

    return World(
        users={
            "mentor": mentor,
            "mentee": mentee,
            "other_mentor": other_participant,
            "other_mentee": other_mentee,
            "hr_admin": hr_admin,
            "leader": leader,
            "leaver": leaver,
            "nobody": outsider,
        },
        program=program,
        open_program=ProgramFactory(actor=hr_admin, name="Open for enrollment"),
        theme=theme,
        acknowledgement=acknowledgement,
        mentor_enrollment=enrollments["mentor"],
        mentee_enrollment=enrollments["mentee"],
        pairing=pairing,
        other_pairing=other_pairing,
        run=run,
        proposal=proposal,
        survey=survey,
        question=question,
        checkin=checkin,
        meeting=meeting,
        goal=goal,
        action=action,
        concern=concern,
        invitation=invitation,
        invitation_token=INVITATION_TOKEN,
        unsubscribe_token=unsubscribe_token(person_id=mentor.person.pk, kind="checkin_upcoming"),
        # Queued for a Celery job after the commit, which a test's transaction never reaches.
        import_job=profile_services.directory_import_queue(
            text="email,full_name\n",
            filename="people.csv",
            deactivate_missing=False,
            expected_counts="0,0,0,0",
            actor=hr_admin,
        ),
        api_token=api_token_create(created_by=hr_admin, name="matrix", scopes=["directory:read"])[0],
    )


# --- The expected answers ----------------------------------------------------------------------------

OK = "ok"  # the page answers: 2xx or a redirect other than to the login page (and 400 for a POST)
LOGIN = "login"  # 302 to the login page
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405
HEALTH = "health"  # healthz: 200 when everything is up, 503 when not (no broker or beat in tests)

SIGNED_OUT = ("anonymous", "leaver")  # a leaver's session is anonymous (profiles.backends)


def expect(default, **persona):
    """One persona -> answer map: `default` for everyone signed in, the login page for the signed out."""
    answers = {p: default for p in PERSONAS} | {p: LOGIN for p in SIGNED_OUT}
    unknown = set(persona) - set(PERSONAS)
    assert not unknown, unknown
    return answers | persona


def refused_get(answers):
    """A view asked with the method it refuses: 405 where the other would be let in, the same refusal
    elsewhere (the role check comes first)."""
    return {p: NOT_ALLOWED if a in (OK, HEALTH) else a for p, a in answers.items()}


def row(get, post=None, *, kwargs=None, post_only=False, get_only=False):
    """A URL's answers for GET and POST, and how to fill its route's kwargs from the world.

    The POST is sent with an empty body: what is tried is who gets in, not what the form does."""
    if post_only:
        get = refused_get(post)
    if get_only:
        post = refused_get(get)
    return {"GET": get, "POST": post, "kwargs": kwargs or (lambda w: {})}


EVERYONE = expect(OK, anonymous=OK, leaver=OK)  # public pages
SIGNED_IN = expect(OK)  # @login_required
PEOPLE = expect(OK, nobody=FORBIDDEN)  # @person_required: an active directory entry
HR = expect(FORBIDDEN, hr_admin=OK)  # @hr_admin_required
LEADERS = expect(FORBIDDEN, hr_admin=OK, leader=OK)  # @leader_required
# The main pair's pages (@person_required + pairing_get_for_user): HR is told "not allowed", anyone
# else with a directory entry "not found"; a login without one is refused by @person_required.
PAIR = expect(NOT_FOUND, mentor=OK, mentee=OK, hr_admin=FORBIDDEN, nobody=FORBIDDEN)
# The same, behind @login_required only: the login without a directory entry gets "not found".
PAIR_LOGIN = expect(NOT_FOUND, mentor=OK, mentee=OK, hr_admin=FORBIDDEN)
# A pair's pages where HR sees dates and statuses (allow_hr=True).
PAIR_AND_HR = expect(NOT_FOUND, mentor=OK, mentee=OK, hr_admin=OK)
# @login_required + @require_POST before the pairing is fetched: every GET is 405.
POST_ONLY_SIGNED_IN = refused_get(SIGNED_IN)
# @person_required + @require_POST before the object is fetched.
POST_ONLY_PEOPLE = refused_get(PEOPLE)

# One person's own things, "not found" for everyone else: the mentor's enrollment; the mentee's
# enrollment (choosing a mentor) and the change the senior recorded ("you said, we did").
MENTOR_ONLY_PERSON = expect(NOT_FOUND, mentor=OK, nobody=FORBIDDEN)
MENTEE_ONLY_PERSON = expect(NOT_FOUND, mentee=OK, nobody=FORBIDDEN)
# Recording a change is the senior's (the mentee's): the junior is not told the page exists, HR not allowed.
PAIR_SENIOR = expect(NOT_FOUND, mentee=OK, hr_admin=FORBIDDEN, nobody=FORBIDDEN)
# The mentor's concern and profile: themself and HR; anyone else (the partner too) gets "not found".
MENTOR_AND_HR = expect(NOT_FOUND, mentor=OK, hr_admin=OK)
# A survey: the program's approved participants answer it (both pairs); HR and leaders read results.
RESPONDENTS = expect(OK, hr_admin=NOT_FOUND, leader=NOT_FOUND, nobody=FORBIDDEN)

# The REST API (/api/v1/) takes an API token, never a session: every persona, HR admin included, is
# "401 Unauthorized" without one, and a POST is "405" (the API only reads). What each token and scope
# may read, and that a refused call changes nothing, is tested by token in tests/api/test_auth.py
# (API_BY_TOKEN there lists these same URL names).
TOKEN_ONLY = expect(401, anonymous=401, leaver=401)
EVERYONE_NOT_ALLOWED = expect(NOT_ALLOWED, anonymous=NOT_ALLOWED, leaver=NOT_ALLOWED)

pk_pairing = lambda w: {"pk": w.pairing.pk}  # noqa: E731
pk_program = lambda w: {"pk": w.program.pk}  # noqa: E731
pk_run = lambda w: {"pk": w.program.pk, "run_pk": w.run.pk}  # noqa: E731
pk_survey = lambda w: {"pk": w.program.pk, "survey_pk": w.survey.pk}  # noqa: E731
pk_checkin = lambda w: {"pk": w.checkin.pk}  # noqa: E731
pk_meeting = lambda w: {"pk": w.meeting.pk}  # noqa: E731

EXPECTED = {
    # --- mentoring/ (the project) ---
    "home": row(SIGNED_IN, SIGNED_IN),
    "healthz": row(expect(HEALTH, anonymous=HEALTH, leaver=HEALTH), get_only=True),
    "account_email": row(SIGNED_IN, SIGNED_IN),
    # The language switch works signed out too; an empty POST (no language) changes nothing.
    "language_set": row(None, EVERYONE, post_only=True),
    "set_language": row(EVERYONE, EVERYONE),  # Django's own (django.conf.urls.i18n)
    # --- programs/ ---
    "programs:list": row(HR, HR),
    "programs:create": row(HR, HR),
    "programs:detail": row(HR, HR, kwargs=pk_program),
    "programs:edit": row(HR, HR, kwargs=pk_program),
    "programs:transition": row(None, HR, kwargs=pk_program, post_only=True),
    "programs:duplicate": row(None, HR, kwargs=pk_program, post_only=True),
    "programs:archive": row(None, HR, kwargs=pk_program, post_only=True),
    "programs:invite": row(None, HR, kwargs=pk_program, post_only=True),
    "programs:theme_add": row(HR, HR, kwargs=pk_program),
    "programs:theme_edit": row(HR, HR, kwargs=lambda w: {"pk": w.program.pk, "theme_pk": w.theme.pk}),
    "programs:theme_delete": row(
        None, HR, kwargs=lambda w: {"pk": w.program.pk, "theme_pk": w.theme.pk}, post_only=True
    ),
    "programs:acknowledgement_add": row(HR, HR, kwargs=pk_program),
    "programs:acknowledgement_edit": row(
        HR, HR, kwargs=lambda w: {"pk": w.program.pk, "ack_pk": w.acknowledgement.pk}
    ),
    "programs:acknowledgement_delete": row(
        None, HR, kwargs=lambda w: {"pk": w.program.pk, "ack_pk": w.acknowledgement.pk}, post_only=True
    ),
    "programs:enrollments": row(HR, HR, kwargs=pk_program),
    "programs:decide": row(
        None,
        HR,
        kwargs=lambda w: {"pk": w.program.pk, "enrollment_pk": w.mentor_enrollment.pk},
        post_only=True,
    ),
    "programs:approve_waiting": row(None, HR, kwargs=pk_program, post_only=True),
    "programs:open": row(PEOPLE, PEOPLE),
    "programs:enroll": row(PEOPLE, PEOPLE, kwargs=lambda w: {"pk": w.open_program.pk}),
    "programs:my_enrollment": row(
        MENTOR_ONLY_PERSON, MENTOR_ONLY_PERSON, kwargs=lambda w: {"pk": w.mentor_enrollment.pk}
    ),
    "programs:withdraw": row(
        POST_ONLY_PEOPLE, MENTOR_ONLY_PERSON, kwargs=lambda w: {"pk": w.mentor_enrollment.pk}
    ),
    "programs:surveys": row(HR, HR, kwargs=pk_program),
    "programs:surveys_create": row(None, HR, kwargs=pk_program, post_only=True),
    "programs:survey": row(HR, HR, kwargs=pk_survey),
    "programs:survey_question_add": row(HR, HR, kwargs=pk_survey),
    "programs:survey_question_edit": row(
        HR, HR, kwargs=lambda w: {"pk": w.program.pk, "survey_pk": w.survey.pk, "question_pk": w.question.pk}
    ),
    "programs:survey_question_delete": row(
        None,
        HR,
        kwargs=lambda w: {"pk": w.program.pk, "survey_pk": w.survey.pk, "question_pk": w.question.pk},
        post_only=True,
    ),
    # Participants of the program answer; HR and leaders read results elsewhere.
    "programs:survey_respond": row(RESPONDENTS, RESPONDENTS, kwargs=lambda w: {"pk": w.survey.pk}),
    "programs:survey_summary": row(LEADERS, LEADERS, kwargs=lambda w: {"pk": w.survey.pk}),
    # --- pairings/ ---
    "pairings:matching": row(HR, HR, kwargs=pk_program),
    "pairings:run_start": row(None, HR, kwargs=pk_program, post_only=True),
    "pairings:run": row(HR, HR, kwargs=pk_run),
    "pairings:proposal_action": row(
        None,
        HR,
        kwargs=lambda w: {"pk": w.program.pk, "run_pk": w.run.pk, "proposal_pk": w.proposal.pk},
        post_only=True,
    ),
    "pairings:proposal_add": row(None, HR, kwargs=pk_run, post_only=True),
    "pairings:publish": row(None, HR, kwargs=pk_run, post_only=True),
    "pairings:program_pairings": row(HR, HR, kwargs=pk_program),
    "pairings:conflict_keep": row(
        None, HR, kwargs=lambda w: {"pk": w.program.pk, "pairing_pk": w.pairing.pk}, post_only=True
    ),
    "pairings:detail": row(PAIR_AND_HR, PAIR_AND_HR, kwargs=pk_pairing),
    "pairings:answer": row(POST_ONLY_SIGNED_IN, PAIR_LOGIN, kwargs=pk_pairing),
    "pairings:agreement": row(PAIR_LOGIN, PAIR_LOGIN, kwargs=pk_pairing),
    "pairings:agreement_confirm": row(POST_ONLY_SIGNED_IN, PAIR_LOGIN, kwargs=pk_pairing),
    "pairings:goal_add": row(PAIR_LOGIN, PAIR_LOGIN, kwargs=pk_pairing),
    "pairings:goal_edit": row(
        PAIR_LOGIN, PAIR_LOGIN, kwargs=lambda w: {"pk": w.pairing.pk, "goal_pk": w.goal.pk}
    ),
    "pairings:end": row(POST_ONLY_SIGNED_IN, PAIR_AND_HR, kwargs=pk_pairing),
    "pairings:choose": row(
        MENTEE_ONLY_PERSON, MENTEE_ONLY_PERSON, kwargs=lambda w: {"enrollment_pk": w.mentee_enrollment.pk}
    ),
    "pairings:requests": row(PEOPLE, PEOPLE),
    # --- checkins/ (mentoring/) ---
    "checkins:home": row(PEOPLE, PEOPLE),
    "checkins:journal": row(PAIR, PAIR, kwargs=pk_pairing),
    "checkins:log": row(PAIR, PAIR, kwargs=pk_pairing),
    "checkins:plan": row(PAIR, PAIR, kwargs=pk_pairing),
    "checkins:meeting_ics": row(PAIR, PAIR, kwargs=pk_meeting),
    "checkins:meeting_cancel": row(PAIR, PAIR, kwargs=pk_meeting),
    "checkins:checkin": row(PAIR, PAIR, kwargs=pk_checkin),
    "checkins:reflection": row(PAIR, PAIR, kwargs=pk_checkin),
    "checkins:shared_notes": row(PAIR, PAIR, kwargs=pk_checkin),
    "checkins:goal_review": row(PAIR, PAIR, kwargs=pk_pairing),
    "checkins:action_new": row(PAIR_SENIOR, PAIR_SENIOR, kwargs=pk_pairing),
    "checkins:action_edit": row(MENTEE_ONLY_PERSON, MENTEE_ONLY_PERSON, kwargs=lambda w: {"pk": w.action.pk}),
    "checkins:concern_new": row(PAIR, PAIR, kwargs=pk_pairing),
    # A concern: its raiser (the mentor) and HR (sent on to the handling page); the partner never.
    "checkins:concern": row(MENTOR_AND_HR, MENTOR_AND_HR, kwargs=lambda w: {"pk": w.concern.pk}),
    "checkins:notifications": row(PEOPLE, PEOPLE),
    "checkins:preferences": row(PEOPLE, PEOPLE),
    # The one-click unsubscribe: the signed token is the proof, no login.
    "checkins:unsubscribe": row(EVERYONE, EVERYONE, kwargs=lambda w: {"token": w.unsubscribe_token}),
    "checkins:pair_health": row(HR, HR),
    "checkins:pair_health_csv": row(HR, HR),
    "checkins:concerns": row(HR, HR),
    "checkins:concern_handle": row(HR, HR, kwargs=lambda w: {"pk": w.concern.pk}),
    "checkins:operations": row(HR, HR),
    # --- profiles/ (people/) ---
    "profiles:directory": row(HR, HR),
    "profiles:person": row(HR, HR, kwargs=lambda w: {"pk": w.users["mentor"].person.pk}),
    "profiles:invite": row(None, HR, kwargs=lambda w: {"pk": w.invitation.person_id}, post_only=True),
    "profiles:invite_bulk": row(None, HR, post_only=True),
    "profiles:import": row(HR, HR),
    "profiles:import_preview": row(HR, HR, kwargs=lambda w: {"token": "no-such-import"}),
    "profiles:import_confirm": row(None, HR, kwargs=lambda w: {"token": "no-such-import"}, post_only=True),
    "profiles:roles": row(HR, HR),
    "profiles:roles_set": row(None, HR, kwargs=lambda w: {"user_pk": w.users["mentor"].pk}, post_only=True),
    "profiles:invitations": row(HR, HR),
    "profiles:invitation_resend": row(None, HR, kwargs=lambda w: {"pk": w.invitation.pk}, post_only=True),
    "profiles:invitation_revoke": row(None, HR, kwargs=lambda w: {"pk": w.invitation.pk}, post_only=True),
    # The invitation link: no login; the signed-out visitor goes on to sign up.
    "profiles:invitation_accept": row(
        EVERYONE, kwargs=lambda w: {"token": w.invitation_token}, get_only=True
    ),
    "profiles:import_job": row(HR, HR, kwargs=lambda w: {"pk": w.import_job.pk}),
    # Deciding on a held file from the HR system's drop (the world's job is not held: HR is told so).
    "profiles:import_job_confirm": row(None, HR, kwargs=lambda w: {"pk": w.import_job.pk}, post_only=True),
    "profiles:import_job_discard": row(None, HR, kwargs=lambda w: {"pk": w.import_job.pk}, post_only=True),
    "profiles:audit": row(HR, HR),
    "profiles:erase": row(HR, HR, kwargs=lambda w: {"pk": w.users["mentor"].person.pk}),
    "profiles:my_data": row(PEOPLE, get_only=True),
    "profiles:my_profile": row(PEOPLE, PEOPLE),
    "profiles:account": row(SIGNED_IN, SIGNED_IN),
    # A person's profile: themself and HR; anyone else (the partner too) is not told it exists.
    "profiles:profile": row(
        MENTOR_AND_HR, MENTOR_AND_HR, kwargs=lambda w: {"pk": w.users["mentor"].person.pk}
    ),
    # --- dashboards/ ---
    "dashboards:index": row(LEADERS, LEADERS),
    "dashboards:export": row(LEADERS, LEADERS, kwargs=lambda w: {"slug": "funnel"}),
    "dashboards:refresh": row(None, LEADERS, post_only=True),
    # --- the REST API (api/v1/): a token, never a session (see TOKEN_ONLY) ---
    "api:people": row(TOKEN_ONLY, EVERYONE_NOT_ALLOWED),
    "api:person": row(
        TOKEN_ONLY, EVERYONE_NOT_ALLOWED, kwargs=lambda w: {"person_id": w.users["mentor"].person.pk}
    ),
    "api:programs": row(TOKEN_ONLY, EVERYONE_NOT_ALLOWED),
    "api:enrollments": row(TOKEN_ONLY, EVERYONE_NOT_ALLOWED),
    "api:pairings": row(TOKEN_ONLY, EVERYONE_NOT_ALLOWED),
    "api:dashboard": row(TOKEN_ONLY, EVERYONE_NOT_ALLOWED),
    "api:audit_events": row(TOKEN_ONLY, EVERYONE_NOT_ALLOWED),
    # The OpenAPI description and its docs are public (they hold no data); ninja's root is no page.
    "api:openapi-json": row(EVERYONE, get_only=True),
    "api:openapi-view": row(EVERYONE, get_only=True),
    "api:api-root": row(expect(NOT_FOUND, anonymous=NOT_FOUND, leaver=NOT_FOUND), get_only=True),
    # --- SCIM provisioning (scim/v2/): a directory:write token, never a session, for every method; each
    # token, scope and refused write (changing nothing) is tested by token in tests/profiles/test_scim.py ---
    "scim:service_provider_config": row(TOKEN_ONLY, TOKEN_ONLY),
    "scim:resource_types": row(TOKEN_ONLY, TOKEN_ONLY),
    "scim:resource_type": row(TOKEN_ONLY, TOKEN_ONLY, kwargs=lambda w: {"pk": "User"}),
    "scim:schemas": row(TOKEN_ONLY, TOKEN_ONLY),
    "scim:schema": row(
        TOKEN_ONLY, TOKEN_ONLY, kwargs=lambda w: {"pk": "urn:ietf:params:scim:schemas:core:2.0:User"}
    ),
    "scim:users": row(TOKEN_ONLY, TOKEN_ONLY),
    "scim:users_search": row(TOKEN_ONLY, TOKEN_ONLY),
    "scim:search": row(TOKEN_ONLY, TOKEN_ONLY),
    "scim:user": row(TOKEN_ONLY, TOKEN_ONLY, kwargs=lambda w: {"pk": w.users["mentor"].person.pk}),
    "scim:not_found": row(TOKEN_ONLY, TOKEN_ONLY, kwargs=lambda w: {"rest": "Groups"}),
    # --- profiles/ API tokens (HR) ---
    "profiles:api_tokens": row(HR, HR),
    "profiles:api_token_revoke": row(None, HR, kwargs=lambda w: {"pk": w.api_token.pk}, post_only=True),
}

# Allowed POSTs that must still change nothing (the page says so).
CHANGES_NOTHING = {"account_email", "language_set", "set_language"}


# --- The database fingerprint ------------------------------------------------------------------------

FINGERPRINT_APPS = ("common", "profiles", "programs", "pairings", "checkins", "account", "mfa")


def fingerprinted_models() -> list:
    # Only tables that exist: a model whose migration is still being written has none yet.
    tables = set(connection.introspection.table_names())
    return [
        model
        for label in FINGERPRINT_APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.proxy and model._meta.managed and model._meta.db_table in tables
    ]


def fingerprint(models: list) -> dict[str, str]:
    """Every row of our tables (and allauth's addresses and second factors), hashed per table."""
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        # Per table, its count and an order-free sum of each row's hash: any insert, delete or changed
        # field shows. The table names come from the models' own Meta, nothing from a request.
        table_hash = "(SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0) FROM {} t)"
        columns = ", ".join(table_hash.format(quote(m._meta.db_table)) for m in models)
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + columns)
            hashes = cursor.fetchone()
        return {m._meta.label: h for m, h in zip(models, hashes, strict=True)}
    return {
        m._meta.label: hashlib.md5(  # noqa: S324 - a fingerprint, not a secret
            repr(sorted(map(repr, m._default_manager.values_list()))).encode()
        ).hexdigest()
        for m in models
    }


# --- The requests --------------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _classify(response) -> object:
    status = response.status_code
    if status == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL)):
        return LOGIN
    return status


def _matches(expected, method: str, got) -> bool:
    if expected == HEALTH:
        return got in (200, 503)
    if expected == OK:
        allowed = {200, 201, 204, 301, 302, 303}
        if method == "POST":
            allowed.add(400)  # a form's error page
        return got in allowed
    return expected == got


def _try_all(client, world, persona) -> tuple[list[str], int]:
    login_url = reverse(settings.LOGIN_URL)
    session_cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    session_value = session_cookie.value if session_cookie else None
    models = fingerprinted_models()
    baseline = fingerprint(models)
    failures, tried = [], 0
    for route in our_routes():
        expected_row = EXPECTED.get(route.key)
        if expected_row is None:
            continue  # test_every_url_is_in_the_table says so
        path = _path_of(route.route, expected_row["kwargs"](world))
        for method in ("GET", "POST"):
            expected = expected_row[method][persona]
            if session_value is not None:
                # A request may rotate the session key; the rollback then forgets the new one.
                client.cookies[settings.SESSION_COOKIE_NAME] = session_value
            where = f"{persona} {method} {path} ({route.key})"
            tried += 1
            changed = []
            try:
                with transaction.atomic():
                    if method == "GET":
                        response = client.get(path)
                    else:
                        response = client.post(path)
                    got = _classify(response)
                    must_not_write = got in (LOGIN, 401, FORBIDDEN, NOT_FOUND, NOT_ALLOWED) or (
                        route.key in CHANGES_NOTHING and method == "POST"
                    )
                    if must_not_write:
                        after = fingerprint(models)
                        changed = sorted(label for label, value in after.items() if baseline[label] != value)
                    raise _Rollback
            except _Rollback:
                pass
            except Exception as error:  # noqa: BLE001 - every server error is a finding
                failures.append(f"{where}: server error {error.__class__.__name__}: {error}")
                continue
            if isinstance(got, int) and got >= 500 and not (expected == HEALTH and got == 503):
                failures.append(f"{where}: server error {got}")
            elif not _matches(expected, method, got):
                location = response.get("Location", "")
                detail = f" -> {location}" if location and location != login_url else ""
                failures.append(f"{where}: expected {expected}, got {got}{detail}")
            if changed:
                failures.append(f"{where}: answered {got} but changed {', '.join(changed)}")
    return failures, tried


@pytest.fixture
def quiet_refusals():
    # Django logs every 403 and 404 with its traceback; formatting ~1,000 of them is half the run.
    # Server errors are still logged (ERROR).
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_expected_answer_on_every_url(client, world, persona, quiet_refusals):
    if persona != "anonymous":
        client.force_login(world.users[persona])
        # A session's first request records it (allauth's user sessions, the session's start): done
        # once here, so each request below starts from a settled session and the same database.
        client.get(reverse("profiles:account"))
    failures, tried = _try_all(client, world, persona)
    assert tried == 2 * len({r.key for r in our_routes()} & set(EXPECTED))
    assert not failures, f"{len(failures)} of {tried} requests:\n" + "\n".join(failures)


def test_every_url_is_in_the_table():
    routes = our_routes()
    keys = [route.key for route in routes]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    missing = [f"{r.key} ({r.route}, {r.view})" for r in routes if r.key not in EXPECTED]
    stale = sorted(set(EXPECTED) - set(keys))
    assert not duplicates, f"URL patterns sharing a name: {duplicates}"
    assert not missing, "URL patterns with no row in EXPECTED:\n" + "\n".join(missing)
    assert not stale, f"rows in EXPECTED for URLs that no longer exist: {stale}"
    # Our override of allauth's address page is ours, and checked.
    assert "account_email" in keys
