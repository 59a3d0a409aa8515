"""A bad production configuration stops every process before it starts, with one line on stderr
naming the setting and no traceback: manage.py, the WSGI application (gunicorn), the Celery worker
and beat. A worker or beat whose Redis does not answer does not start; the web server does, and
reports not ready. Each case runs a real process."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from msonet.startup import EXIT_STATUS
from tests.compliance.test_worker import database_url
from tests.msonet.test_healthz import CLOSED_PORT_REDIS_URL

STRONG_KEY = "k7Qv-2mZ_pL9xR4tW8yB1nC6dF3gH0jS5aE2uI7oP4lK9zX1cV8bN3mQ6wT0r"
# Variables of the test run's environment that would change what the processes see.
LEFT_OUT = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "MEDIA_ROOT",
    "PRIVATE_MEDIA_ROOT",
    "CACHE_URL",
}
SECONDS = 10


@pytest.fixture
def production_env(tmp_path):
    """A production configuration that starts: every test spoils one part of it."""
    (tmp_path / "media").mkdir()
    (tmp_path / "private-media").mkdir()
    env = {key: value for key, value in os.environ.items() if key not in LEFT_OUT}
    env.update(
        DJANGO_SETTINGS_MODULE="msonet.settings.production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="mso-network.example.nhs.uk",
        MEDIA_ROOT=str(tmp_path / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private-media"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CACHE_URL=f"filecache://{tmp_path / 'cache'}",
    )
    return env


def run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=SECONDS, check=False
    )


def manage_check(env: dict) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", "check"], env)


def assert_refused_in_one_line(result: subprocess.CompletedProcess, setting: str) -> str:
    assert result.returncode == EXIT_STATUS, result
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {setting} "), lines[0]
    return lines[0]


def test_manage_py_starts_with_a_good_production_configuration(production_env):
    result = manage_check(production_env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("SECRET_KEY", None, "is missing"),
        ("SECRET_KEY", "", "is missing"),
        ("SECRET_KEY", STRONG_KEY[:49], "is too weak"),
        ("SECRET_KEY", "abcd" * 20, "is too weak"),
        ("SECRET_KEY", "django-insecure-" + STRONG_KEY, "is too weak"),
        ("ALLOWED_HOSTS", None, "is empty"),
        ("ALLOWED_HOSTS", "", "is empty"),
        ("DEBUG", "true", "is on"),
        ("MEDIA_ROOT", "/nonexistent/media", "(/nonexistent/media) is not an existing folder"),
        ("PRIVATE_MEDIA_ROOT", "/nonexistent/private", "(/nonexistent/private) is not an existing folder"),
        # A folder no one may create a file in, not even root (the tests may run as root).
        ("MEDIA_ROOT", "/proc", "(/proc) is not writable by the portal"),
        ("EMAIL_URL", "filemail:////nonexistent/outbox", "(/nonexistent/outbox) is not an existing folder"),
        # Each web process would count its own sign-in attempts.
        ("CACHE_URL", None, "is not set to a shared cache"),
        ("CACHE_URL", "locmemcache://", "is not set to a shared cache"),
    ],
)
def test_manage_py_refuses_a_bad_production_setting_in_one_line(production_env, setting, value, says):
    if value is None:
        production_env.pop(setting, None)
    else:
        production_env[setting] = value
    line = assert_refused_in_one_line(manage_check(production_env), setting)
    assert line.startswith(f"Configuration error: {setting} {says}")


def test_a_settings_validation_is_the_same_one_line(production_env):
    production_env["RETENTION_YEARS"] = "0"
    line = assert_refused_in_one_line(manage_check(production_env), "RETENTION_YEARS")
    assert line == "Configuration error: RETENTION_YEARS must be at least 1."


def test_a_value_that_is_not_a_number_is_one_line_naming_its_variable(production_env):
    production_env["IMPORT_MAX_ROWS"] = "many"
    line = assert_refused_in_one_line(manage_check(production_env), "IMPORT_MAX_ROWS")
    assert line == (
        "Configuration error: IMPORT_MAX_ROWS has a value that cannot be read "
        "(invalid literal for int() with base 10: 'many')."
    )


def test_each_problem_has_a_line_of_its_own(production_env):
    del production_env["SECRET_KEY"]
    production_env["DEBUG"] = "true"
    result = manage_check(production_env)
    assert result.returncode == EXIT_STATUS
    assert [line.split()[2] for line in result.stderr.splitlines()] == ["SECRET_KEY", "DEBUG"]


def test_the_wsgi_application_refuses_to_load_in_one_line(production_env):
    del production_env["SECRET_KEY"]
    result = run([sys.executable, "-c", "import msonet.wsgi"], production_env)
    assert_refused_in_one_line(result, "SECRET_KEY")


def test_the_wsgi_application_runs_the_production_settings_unless_told_otherwise(production_env):
    del production_env["DJANGO_SETTINGS_MODULE"]
    del production_env["SECRET_KEY"]
    result = run([sys.executable, "-c", "import msonet.wsgi"], production_env)
    assert_refused_in_one_line(result, "SECRET_KEY")


def test_gunicorn_stops_in_its_on_starting_hook_before_any_worker(production_env, tmp_path):
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(
        'def on_starting(server):\n    from msonet.startup import check_or_exit\n\n    check_or_exit("web")\n'
    )
    del production_env["ALLOWED_HOSTS"]
    command = [sys.executable, "-m", "gunicorn", "-c", str(config), "-b", "127.0.0.1:0", "msonet.wsgi"]
    result = run(command, production_env)
    assert result.returncode == EXIT_STATUS, result
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "Configuration error" in line]
    assert len(errors) == 1 and errors[0].startswith("Configuration error: ALLOWED_HOSTS is empty.")
    assert "Booting worker" not in result.stderr


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_celery_refuses_a_bad_production_setting_in_one_line(production_env, command):
    production_env["SECRET_KEY"] = "short"
    result = run([sys.executable, "-m", "celery", "-A", "msonet", command], production_env)
    assert_refused_in_one_line(result, "SECRET_KEY")


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_celery_does_not_start_when_redis_does_not_answer(production_env, command):
    production_env["REDIS_URL"] = CLOSED_PORT_REDIS_URL
    result = run([sys.executable, "-m", "celery", "-A", "msonet", command, "--loglevel=INFO"], production_env)
    line = assert_refused_in_one_line(result, "REDIS_URL")
    assert "(127.0.0.1:1) does not answer within 2 seconds" in line


def test_the_development_worker_does_not_start_either_when_redis_does_not_answer():
    env = {key: value for key, value in os.environ.items() if key not in LEFT_OUT | {"DJANGO_SETTINGS_MODULE"}}
    env["REDIS_URL"] = CLOSED_PORT_REDIS_URL
    result = run([sys.executable, "-m", "celery", "-A", "msonet", "worker"], env)
    assert_refused_in_one_line(result, "REDIS_URL")


# The WSGI application, loaded as a server loads it, answering one request to /readyz/.
READYZ_THROUGH_WSGI = """
import io, json, sys
from wsgiref.util import setup_testing_defaults
from msonet.wsgi import application
environ = {"PATH_INFO": "/readyz/", "HTTP_HOST": "mso-network.example.nhs.uk", "wsgi.errors": io.StringIO()}
setup_testing_defaults(environ)
answer = {}
def start_response(status, headers):
    answer["status"] = status
body = b"".join(application(environ, start_response))
print(json.dumps({"status": answer["status"], "body": json.loads(body)}))
"""


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the web process shares the test database: PostgreSQL")
def test_the_web_server_starts_without_redis_and_reports_not_ready(production_env):
    production_env.update(REDIS_URL=CLOSED_PORT_REDIS_URL, DATABASE_URL=database_url(), SECURE_SSL_REDIRECT="false")
    result = run([sys.executable, "-c", READYZ_THROUGH_WSGI], production_env)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"].startswith("503")
    assert outcome["body"] == {
        "status": "not ready",
        "database": "ok",
        "redis": "unavailable",
        "migrations": "ok",
        "email_outbox": "ok",
        "compliance_scan": "ok",
    }
