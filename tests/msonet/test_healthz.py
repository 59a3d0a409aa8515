"""/healthz/ for load balancers and uptime checks: JSON, no sign-in, 503 when a dependency is down."""

import json
import os
import subprocess
import sys

import pytest
import redis
from django.conf import settings
from django.urls import reverse

REAL_REDIS_URL = "redis://127.0.0.1:6379/0"
CLOSED_PORT_REDIS_URL = "redis://127.0.0.1:1/0"
CLOSED_PORT_DATABASE_URL = "postgres://postgres@127.0.0.1:1/nodb"

# Runs in a fresh interpreter, so Django connects to the unreachable database for real.
PAGE_IN_SUBPROCESS = """
import json, sys
import django
django.setup()
from django.test import Client
response = Client().get(sys.argv[1])
print(json.dumps({"status": response.status_code, "content_type": response["Content-Type"],
                  "body": response.content.decode()}))
"""


def get_with_the_database_down(path: str) -> dict:
    """`path` fetched by a fresh process whose DATABASE_URL points at a closed port (and no Redis):
    its status, content type and body."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "msonet.settings.test",
        "DATABASE_URL": CLOSED_PORT_DATABASE_URL,
        "REDIS_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", PAGE_IN_SUBPROCESS, path],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.django_db
def test_healthz_reports_database_ok_without_signing_in(client, settings):
    settings.REDIS_URL = ""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_reports_redis_ok_when_configured(client, settings):
    if not redis_answers(REAL_REDIS_URL):
        pytest.skip(f"Redis is not answering at {REAL_REDIS_URL}")
    settings.REDIS_URL = REAL_REDIS_URL
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = CLOSED_PORT_REDIS_URL
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "unavailable", "database": "ok", "redis": "unavailable"}
    assert b"Traceback" not in response.content


def test_healthz_is_503_when_the_database_is_unreachable():
    outcome = get_with_the_database_down("/healthz/")
    assert outcome["status"] == 503
    assert outcome["content_type"] == "application/json"
    assert json.loads(outcome["body"]) == {"status": "unavailable", "database": "unavailable"}
    assert "Traceback" not in outcome["body"]
