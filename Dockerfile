# One image for web, worker, beat and the migrate step (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --system --create-home --uid 10001 --user-group lightsync

# Runtime dependencies only: the test tools in requirements-dev.txt never enter the image.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# Production settings refuse to load without their secrets; these placeholders exist only in this
# build step, to hash and compress the static files WhiteNoise will serve, and are not kept.
RUN DJANGO_SETTINGS_MODULE=lightsync.settings.production \
    SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything-0123456789 \
    ALLOWED_HOSTS=localhost \
    FIELD_ENCRYPTION_KEY=Y29sbGVjdHN0YXRpYy1hdC1idWlsZC10aW1lLW9ubHk= \
    DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    CELERY_BROKER_URL=memory:// \
    METRICS_ENABLED=false \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown -R lightsync:lightsync /app/var

USER lightsync
ENV DJANGO_SETTINGS_MODULE=lightsync.settings.production
EXPOSE 8000
CMD ["gunicorn", "lightsync.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
