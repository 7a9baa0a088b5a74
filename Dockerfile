# Twoway: one image for the web server, the Celery worker and Celery beat (docker-compose.yml picks
# the command). Runtime dependencies only; the test tools stay out of the image.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    TWOWAY_VAR_DIR=/app/var \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 twoway \
    && useradd --system --uid 10001 --gid twoway --home-dir /app --no-create-home twoway

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The project, named one by one rather than `COPY . .`, so a developer's .venv, var/ (SQLite file,
# var/secret_key), .env and .git never end up in the image.
COPY manage.py ./
COPY mentoring/ mentoring/
COPY profiles/ profiles/
COPY programs/ programs/
COPY pairings/ pairings/
COPY checkins/ checkins/
COPY templates/ templates/
COPY static/ static/

# Settings refuse to import without a SECRET_KEY. collectstatic needs none of its secrecy, so this
# step gets a throwaway value of its own: it is set for this RUN only, not in the image's environment,
# and its scratch var/ is removed. The manifest (hashed names, compressed copies) is built here, with
# DEBUG off as in production.
ARG COLLECTSTATIC_SECRET_KEY=collectstatic-build-only-7d3f9a1c5e8b2046f1a9c3e7d5b8024f
RUN SECRET_KEY="$COLLECTSTATIC_SECRET_KEY" DEBUG=false TWOWAY_VAR_DIR=/tmp/collectstatic-var \
        python manage.py collectstatic --no-input \
    && rm -rf /tmp/collectstatic-var \
    && mkdir -p /app/var \
    && chown twoway:twoway /app/var

USER twoway

EXPOSE 8000

# Worker count: WEB_CONCURRENCY (gunicorn reads it), 3 by default; about 2 x cores + 1 on a host of
# its own. No HEALTHCHECK here: worker and beat run this image too and listen on no port. The
# compose file gives the web service its own check; /healthz is for monitoring (see README.md).
CMD ["gunicorn", "mentoring.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
