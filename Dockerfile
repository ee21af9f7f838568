# The ekrav image: web (gunicorn), Celery worker and Celery beat all run from it
# (docker-compose.yml picks the command). Configuration comes only from the environment
# (see the README's table and ekrav/settings.py).
#
# BASE_IMAGE: any Debian bookworm with Python 3.11 and its venv module. The default is Docker
# Hub's; where Docker Hub cannot be reached, bin/docker-check builds one from Debian's archive.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    EKRAV_VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media

# WeasyPrint (letters) needs Pango; libharfbuzz-subset0 makes its font subsetting ~4x faster.
# postgresql-client-15 (pg_dump, pg_restore) of the server's major version: bin/backup, bin/restore.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /home/ekrav ekrav
WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
# The code runs from /app (templates/ and static/ live beside the apps), so the project
# itself is not pip-installed.
# In a venv (first on PATH): Debian's own Python refuses a system-wide pip install (PEP 668).
COPY pyproject.toml ./
RUN python3 -m venv /opt/venv \
    && python -c "import tomllib; project = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(project['dependencies']))" >/tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY --chown=ekrav:ekrav . .
RUN mkdir -p /app/var/beat /data/media /backups && chown -R ekrav:ekrav /app/var /data /backups

USER ekrav
# Static files are collected (and compressed) into the image; whitenoise serves them.
RUN python manage.py collectstatic --noinput
# Set after collectstatic (a build step without the run's secret and database): every
# container refuses to start without SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.
ENV EKRAV_ENV=production

EXPOSE 8000
# Workers, threads and the JSON access log: gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_THREADS).
# No HEALTHCHECK here: worker and beat run this image too and serve no HTTP; docker-compose.yml
# probes web's /readyz (ekrav.health).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "ekrav.wsgi"]
