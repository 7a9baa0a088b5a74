"""Benchmark: the production web server under concurrent users (gunicorn on PostgreSQL and Redis, Locust).

Targets (issue 15): at 5 concurrent users the p95 of all requests is at most 3 x their median (no long
tail while the server has room); at 25 concurrent users no request fails (any answer but 2xx/3xx, or an
exception, counts; a page must answer 200, since a redirect there would be to the sign-in page). The
requests per second and the p95 at 25 users are printed to watch.

It builds the reference company with make_company.build(scale=..., database=...) on a database of its own
(twoway_h15b_load, dropped at the end unless --keep), gives every login a verified email address (allauth
asks for one; make_company writes none), rebuilds the dashboards' rollups as the Celery tick does, and
collects static files into a temporary directory. Then it starts gunicorn as docker-compose.yml's web
service runs it (the Dockerfile's command: `gunicorn mentoring.wsgi:application --access-logfile -`,
WEB_CONCURRENCY=3 sync workers, the settings' CONN_MAX_AGE=60), DEBUG off, on 127.0.0.1:8650, Redis
index 11 for the cache (and the rate limits, the broker). The environment differs from production only
where plain HTTP on loopback needs it: SECURE_SSL_REDIRECT and SECURE_COOKIES off; MFA_REQUIRED_ROLES=""
(HR admins and leaders would otherwise be sent to set up a second factor first; README: "Empty relaxes
it"); TRUSTED_PROXY_COUNT=1 with an X-Forwarded-For address per simulated user, as behind the README's
reverse proxy, so allauth's per-address sign-in limit (30 a minute) counts each user, not the bench.

Each simulated user (a Locust HttpUser, Locust used as a library) signs in through the allauth form (GET
the page, POST email, password and the CSRF token), then loops over weighted pages with 0.5-1.5 s of
think time:
  - participants (most users; each with an active pairing): "My mentoring" 5, their pairing 3,
    notifications 2;
  - HR admins (about 1 in 8): pair health 4, people 2, the enrollments of the biggest running program 2;
  - leaders (about 1 in 12, at least one): the dashboard.
Logins whose generated email has a non-ASCII local part are left out: the sign-in form's email field
refuses them (Django's EmailValidator). Two phases, 5 and 25 users (--users), each with its own sign-ins:
spawn, wait until every user has signed in (each sign-in hashes the password: about 0.5 s of CPU), then
--warmup seconds untimed, then --duration seconds measured. Per page: requests, median and p95 (Locust's:
exact below 100 ms, to 10 ms below 1 s); then the RESULT lines. The machine is shared with the load
generator and PostgreSQL, so the figures are of the whole box, not of gunicorn alone.

    .venv/bin/python bench/load.py [--users 5,25] [--duration 60] [--warmup 15] [--workers 3]
        [--threads 1] [--scale 1] [--port 8650] [--database NAME] [--keep]
"""

# Locust patches the standard library for gevent on import: first, before Django and psycopg load.
import locust  # noqa: F401, I001

import argparse
import logging
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

DEFAULT_DATABASE = "twoway_h15b_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
DEFAULT_PORT = 8650
TARGET_P95_OVER_MEDIAN = 3.0
THINK_SECONDS = (0.5, 1.5)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- The data: who signs in, what they open -----------------------------------------------------------------


def has_company(database: str) -> bool:
    if not _common.database_exists(database):
        return False
    import psycopg

    with psycopg.connect(_common.with_database(_common.SERVER_URL, database)) as conn:
        try:
            return conn.execute("SELECT EXISTS (SELECT 1 FROM checkins_checkin)").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return False


def verify_emails() -> int:
    """A verified, primary allauth EmailAddress for every login (mandatory verification refuses others)."""
    from allauth.account.models import EmailAddress

    from profiles.models import User

    have = EmailAddress.objects.values("user_id")  # a subquery: no list of ids to send
    rows = [
        EmailAddress(user_id=pk, email=email, verified=True, primary=True)
        for pk, email in User.objects.exclude(pk__in=have).values_list("pk", "email")
    ]
    EmailAddress.objects.bulk_create(rows)
    return len(rows)


def plan(most_users: int) -> dict:
    """Logins and URLs: participants with an active pairing (and that pairing), HR admins, leaders."""
    from django.db.models import Count, Q
    from django.urls import reverse

    from pairings.models import Pairing
    from profiles.models import User
    from programs.models import Program

    pairing_of: dict[str, int] = {}
    for side in ("mentor", "mentee"):
        for pk, email in (
            Pairing.objects.filter(status=Pairing.Status.ACTIVE, **{f"{side}__person__user__is_active": True})
            .order_by("pk")
            .values_list("pk", f"{side}__person__user__email")
        ):
            pairing_of.setdefault(email, pk)
    staff = set(User.objects.filter(Q(is_hr_admin=True) | Q(is_leader=True)).values_list("email", flat=True))
    # The sign-in form's email field takes what Django's EmailValidator does: an ASCII local part (a
    # generated "josé.garcía.12@..." cannot sign in with a password).
    participants = sorted(email for email in pairing_of if email not in staff and signs_in(email))
    random.Random(_seed()).shuffle(participants)
    program = (
        Program.objects.filter(state=Program.State.RUNNING)
        .annotate(n=Count("enrollments"))
        .order_by("-n", "pk")
        .first()
    )
    hr = [
        email
        for email in User.objects.filter(is_hr_admin=True, is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
        if signs_in(email)
    ]
    leaders = [
        email
        for email in User.objects.filter(is_leader=True, is_active=True, is_hr_admin=False)
        .order_by("pk")
        .values_list("email", flat=True)
        if signs_in(email)
    ]
    mix = user_mix(most_users)
    if mix["participant"] > len(participants) or mix["hr"] > len(hr) or mix["leader"] > len(leaders):
        sys.exit(
            f"{most_users} users need {mix}; the company has {len(participants)}, {len(hr)}, {len(leaders)}"
        )
    return {
        "participants": [
            (email, reverse("pairings:detail", args=[pairing_of[email]])) for email in participants
        ],
        "hr": hr,
        "leaders": leaders,
        "urls": {
            "login": reverse("account_login"),
            "home": reverse("checkins:home"),
            "notifications": reverse("checkins:notifications"),
            "pair_health": f"{reverse('checkins:pair_health')}?page=1",
            "people": reverse("profiles:directory"),
            "enrollments": reverse("programs:enrollments", args=[program.pk]),
            "dashboard": reverse("dashboards:index"),
        },
        "describe": (
            f"{len(participants)} participants with an active pairing and a login (of {len(pairing_of)}; the "
            f"rest have an email the sign-in form refuses), {len(hr)} HR admins, "
            f"{len(leaders)} leaders; enrollments of program {program.pk} ({program.n} enrollments)"
        ),
    }


def signs_in(email: str) -> bool:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _seed() -> int:
    from make_company import SEED

    return SEED


def user_mix(users: int) -> dict[str, int]:
    """How many of each kind among `users`: mostly participants, about 1 in 8 HR admins and 1 in 12
    leaders (at least one of each from 3 users on)."""
    hr = max(1, round(users / 8)) if users >= 2 else 0
    leaders = max(1, round(users / 12)) if users >= 3 else 0
    return {"participant": users - hr - leaders, "hr": hr, "leader": leaders}


def rebuild_dashboard() -> None:
    """What the tick's Celery task does: the rollups, and the usual views rendered into the (Redis) cache."""
    from checkins.tasks import rebuild_dashboard as task

    task()


# --- The server ---------------------------------------------------------------------------------------------


def server_environment(
    *, database: str, redis_url: str, port: int, workers: int, static_root: str, var_dir: str
):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_common.with_database(_common.SERVER_URL, database),
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=os.environ["SECRET_KEY"],
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://127.0.0.1:{port}",
        # Plain HTTP on loopback: no redirect to https, cookies sent without TLS.
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        # HR admins and leaders would be sent to set up a second factor before any page.
        MFA_REQUIRED_ROLES="",
        # As behind the reverse proxy: each simulated user has its own address (X-Forwarded-For).
        TRUSTED_PROXY_COUNT="1",
        STATIC_ROOT=static_root,
        TWOWAY_VAR_DIR=var_dir,
        WEB_CONCURRENCY=str(workers),
        # Nothing leaves: no mail server is expected by the pages measured, but never reach a real one.
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT="1",
    )
    return env


def start_gunicorn(*, port: int, threads: int, env: dict, log_path: Path) -> subprocess.Popen:
    """gunicorn as the image runs it (workers from WEB_CONCURRENCY), bound to loopback, log to a file."""
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "mentoring.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-",
    ]
    if threads > 1:
        command += ["--threads", str(threads)]
    log = log_path.open("wb")
    return subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
        command, cwd=_common.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_until_answering(server: subprocess.Popen, url: str, log_path: Path, timeout: float = 60.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urlopen(url, timeout=5) as response:  # noqa: S310 - http://127.0.0.1 only
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.25)
    sys.exit(f"gunicorn did not answer {url} within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    """SIGTERM (gunicorn's graceful stop: workers finish their request), SIGKILL after 30 s."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# --- The users ----------------------------------------------------------------------------------------------


class Phase:
    """What one phase hands its users (logins to take, URLs) and collects from them (sign-ins)."""

    def __init__(self, plan: dict, mix: dict[str, int], password: str):
        self.urls = plan["urls"]
        self.password = password
        self.logins = {
            "participant": list(plan["participants"][: mix["participant"]]),
            "hr": [(email, None) for email in plan["hr"][: mix["hr"]]],
            "leader": [(email, None) for email in plan["leaders"][: mix["leader"]]],
        }
        self.signin_ms: list[float] = []
        self.signin_failures: list[str] = []
        self.addresses = iter(range(1, 65_000))


def user_classes(phase: Phase, mix: dict[str, int]) -> list[type]:
    from locust import HttpUser, between, task
    from locust.exception import StopUser

    class Member(HttpUser):
        abstract = True
        wait_time = between(*THINK_SECONDS)
        kind = ""

        def on_start(self):
            self.email, self.pairing_url = phase.logins[self.kind].pop()
            n = next(phase.addresses)
            self.client.headers["X-Forwarded-For"] = f"10.{n // 250 % 250}.{n % 250}.1"
            started = time.perf_counter()
            problem = self.sign_in()
            if problem:
                phase.signin_failures.append(f"{self.email}: {problem}")
                raise StopUser()
            phase.signin_ms.append((time.perf_counter() - started) * 1000)

        def sign_in(self) -> str:
            """The allauth form as a browser fills it: its CSRF token, then email and password."""
            login = phase.urls["login"]
            form = self.client.get(login, name="sign-in form")
            token = CSRF_INPUT.search(form.text)
            if form.status_code != 200 or not token:
                return f"sign-in form: HTTP {form.status_code}"
            answer = self.client.post(
                login,
                data={"login": self.email, "password": phase.password, "csrfmiddlewaretoken": token.group(1)},
                headers={"Referer": f"{self.host}{login}"},
                allow_redirects=False,
                name="sign-in",
            )
            where = answer.headers.get("Location", "")
            if answer.status_code != 302 or "/accounts/" in where:
                return f"sign-in: HTTP {answer.status_code} to {where or 'nowhere'}"
            return ""

        def page(self, name: str, url: str | None = None):
            with self.client.get(
                url or phase.urls[name], name=name, allow_redirects=False, catch_response=True
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}")

    class Participant(Member):
        kind = "participant"
        fixed_count = mix["participant"]

        @task(5)
        def home(self):
            self.page("home")

        @task(3)
        def pairing(self):
            self.page("pairing", self.pairing_url)

        @task(2)
        def notifications(self):
            self.page("notifications")

    class HrAdmin(Member):
        kind = "hr"
        fixed_count = mix["hr"]

        @task(4)
        def pair_health(self):
            self.page("pair_health")

        @task(2)
        def people(self):
            self.page("people")

        @task(2)
        def enrollments(self):
            self.page("enrollments")

    class Leader(Member):
        kind = "leader"
        fixed_count = mix["leader"]

        @task
        def dashboard(self):
            self.page("dashboard")

    return [cls for cls in (Participant, HrAdmin, Leader) if cls.fixed_count]


def run_phase(*, users: int, plan: dict, host: str, warmup: float, duration: float, password: str) -> dict:
    """Spawn `users` (each signs in), let them run `warmup` s untimed, then measure `duration` s."""
    import gevent
    from locust.env import Environment

    mix = user_mix(users)
    phase = Phase(plan, mix, password)
    environment = Environment(user_classes=user_classes(phase, mix), host=host)
    runner = environment.create_local_runner()
    spawn_rate = max(1.0, users / 5)
    print(
        f"{users} users ({mix}): spawning at {spawn_rate:g}/s, {warmup:g} s warm-up, {duration:g} s measured ..."
    )
    runner.start(users, spawn_rate=spawn_rate)
    # Sign-ins hash a password (the slowest request there is): wait for them all before the warm-up.
    deadline = time.perf_counter() + 180
    while len(phase.signin_ms) + len(phase.signin_failures) < users and time.perf_counter() < deadline:
        gevent.sleep(0.5)
    print(
        f"  {len(phase.signin_ms)} signed in (median {statistics.median(phase.signin_ms or [0]):.0f} ms, "
        f"slowest {max(phase.signin_ms or [0]):.0f} ms), {len(phase.signin_failures)} failed"
    )
    gevent.sleep(warmup)
    load_before = os.getloadavg()[0]
    environment.stats.reset_all()
    started = time.perf_counter()
    gevent.sleep(duration)
    stats = environment.stats
    elapsed = time.perf_counter() - started
    entries = {entry.name: entry for entry in stats.entries.values()}
    result = {
        "users": users,
        "seconds": elapsed,
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "median": stats.total.median_response_time,
        "p95": stats.total.get_response_time_percentile(0.95),
        "p99": stats.total.get_response_time_percentile(0.99),
        "max": stats.total.max_response_time,
        "pages": {
            name: (
                entry.num_requests,
                entry.median_response_time,
                entry.get_response_time_percentile(0.95),
                entry.max_response_time,
                entry.num_failures,
            )
            for name, entry in sorted(entries.items())
            if entry.num_requests
        },
        "errors": [f"{e.name}: {e.error} x{e.occurrences}" for e in stats.errors.values()],
        "exceptions": [f"{e['msg']} x{e['count']}" for e in runner.exceptions.values()],
        "exception_count": sum(e["count"] for e in runner.exceptions.values()),
        "signin_failures": phase.signin_failures,
        "load": (load_before, os.getloadavg()[0]),
    }
    runner.quit()
    runner.greenlet.join(timeout=30)
    return result


def report(result: dict) -> None:
    users, seconds = result["users"], result["seconds"]
    print(
        f"  {users} users: {result['requests']} requests in {seconds:.0f} s = {result['requests'] / seconds:.1f} req/s; "
        f"median {result['median']:.0f} ms, p95 {result['p95']:.0f} ms, p99 {result['p99']:.0f} ms, "
        f"max {result['max']:.0f} ms; {result['failures']} failed; "
        f"load average {result['load'][0]:.1f} -> {result['load'][1]:.1f}"
    )
    print(f"  {'page':<14}{'requests':>9}{'req/s':>8}{'median':>9}{'p95':>8}{'max':>8}{'failed':>8}")
    for name, (count, median, p95, most, failed) in result["pages"].items():
        print(
            f"  {name:<14}{count:>9}{count / seconds:>8.1f}{median:>7.0f}ms{p95:>6.0f}ms{most:>6.0f}ms{failed:>8}"
        )
    for line in result["errors"] + result["exceptions"] + result["signin_failures"]:
        print(f"  ! {line}")


def error_count(result: dict) -> int:
    return result["failures"] + result["exception_count"] + len(result["signin_failures"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="5,25", help="concurrent users of each phase, comma separated")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=15.0, help="untimed seconds per phase after spawning")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (WEB_CONCURRENCY; image: 3)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (image: 1)")
    parser.add_argument("--scale", type=float, default=1.0, help="check-ins: 200,000 x scale")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--database", help="reuse this company database if it exists (never dropped)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--keep", action="store_true", help="keep the database this run builds")
    args = parser.parse_args()
    phases = [int(n) for n in args.users.split(",")]
    reuse = bool(args.database) and has_company(args.database)
    args.database = args.database or DEFAULT_DATABASE
    logging.getLogger("locust").setLevel(logging.WARNING)

    scratch = tempfile.TemporaryDirectory(prefix="twoway-bench-load-")
    static_root, var_dir = Path(scratch.name, "static"), Path(scratch.name, "var")
    log_path = Path(scratch.name, "gunicorn.log")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    _common.setup_django(
        args.database,
        REDIS_URL=args.redis_url,
        STATIC_ROOT=str(static_root),
        TWOWAY_VAR_DIR=str(var_dir),
        MFA_REQUIRED_ROLES="",
    )

    import make_company
    from django.core.cache import cache
    from django.core.management import call_command

    server = None
    results = []
    try:
        if reuse:
            print(f"Reusing the company in {args.database} ...")
        else:
            print(f"Reference company (scale {args.scale:g}) in {args.database} ...")
            # Only the signature make_company.build() has today: scale and database.
            built = make_company.build(scale=args.scale, database=args.database, verbose=False)
            print(f"  built in {built['seconds']:.1f} s: {built['rows_checkins']:,} check-ins")
        print(f"  {verify_emails()} logins given a verified email address")
        cache.clear()  # Redis index of this bench only: old sessions' rate limits, old dashboard pages
        print("Rebuilding the dashboards' rollups (the tick's task) ...")
        rebuild_dashboard()
        people = plan(max(phases))
        print(f"  {people['describe']}")
        print("Collecting static files (DEBUG off serves them from a manifest) ...")
        call_command("collectstatic", interactive=False, verbosity=0)
        from django.db import connections

        connections.close_all()

        env = server_environment(
            database=args.database,
            redis_url=args.redis_url,
            port=args.port,
            workers=args.workers,
            static_root=str(static_root),
            var_dir=str(var_dir),
        )
        host = f"http://127.0.0.1:{args.port}"
        threads = f", {args.threads} threads each" if args.threads > 1 else ""
        print(f"Starting gunicorn on {host}: {args.workers} sync workers{threads} ...")
        server = start_gunicorn(port=args.port, threads=args.threads, env=env, log_path=log_path)
        took = wait_until_answering(server, f"{host}{people['urls']['login']}", log_path)
        print(f"  answering after {took:.1f} s")
        for users in phases:
            result = run_phase(
                users=users,
                plan=people,
                host=host,
                warmup=args.warmup,
                duration=args.duration,
                password=make_company.BENCH_PASSWORD,
            )
            report(result)
            results.append(result)
            if server.poll() is not None:
                sys.exit(f"gunicorn exited with {server.returncode}")
    finally:
        if server is not None:
            print("Stopping gunicorn ...")
            stop_gunicorn(server)
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            timeouts = log.count("WORKER TIMEOUT")
            tracebacks = log.count("Traceback")
            if timeouts or tracebacks:
                print(f"  gunicorn log: {timeouts} worker timeouts, {tracebacks} tracebacks; its tail:")
                print(log[-3000:])
        if not args.keep and not reuse:
            print(f"Dropping database {args.database} ...")
            _common.drop_database(args.database)
        elif not reuse:
            print(f"Kept: {args.database} (reuse it with --database {args.database})")
        scratch.cleanup()

    for result in results:
        users = result["users"]
        ratio = result["p95"] / result["median"] if result["median"] else float("inf")
        if users == phases[0]:
            verdict = "within" if ratio <= TARGET_P95_OVER_MEDIAN else "OVER"
            print(
                f"{users} users: p95 / median = {ratio:.2f}, {verdict} the target of {TARGET_P95_OVER_MEDIAN:g}"
            )
        if users == phases[-1]:
            errors = error_count(result)
            print(
                f"{users} users: {errors} errors, {'meeting' if errors == 0 else 'MISSING'} the target of 0"
            )
    for result in results:
        users = result["users"]
        ratio = result["p95"] / result["median"] if result["median"] else float("inf")
        print(f"RESULT load_{users}users_p95_over_median={ratio:.2f}")
        print(f"RESULT load_{users}users_rps={result['requests'] / result['seconds']:.1f} req/s")
        print(f"RESULT load_{users}users_median_ms={result['median']:.0f} ms")
        print(f"RESULT load_{users}users_p95_ms={result['p95']:.0f} ms")
        print(f"RESULT load_{users}users_errors={error_count(result)}")


if __name__ == "__main__":
    main()
