"""The logs: one line of JSON per request and per task, with its id, and no names, email addresses or
telephone numbers, as production writes them (the settings' LOGGING with LOG_FORMAT=json)."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from celery import signals
from django.test import Client
from django.urls import path

from msonet import logs, personal_data
from msonet import urls as site_urls
from msonet.celery import app as celery_app

EMAIL = "mso.a@nhs.net"
FIRST_NAME = "Amina"
LAST_NAME = "Okafor"
PHONE = "020 7946 0321"
PERSONAL = (EMAIL, FIRST_NAME, LAST_NAME, PHONE, PHONE.replace(" ", ""))
LINE_FIELDS = {"time", "level", "request_id", "user_id", "method", "path", "status", "duration_ms"}


def broken_view(request):
    raise RuntimeError(f"could not write to {EMAIL} on {PHONE}")


urlpatterns = [path("broken/", broken_view), *site_urls.urlpatterns]


@celery_app.task(name="tests.msonet.test_logs.remember")
def remember(email):
    return f"remembered {email}"


@celery_app.task(name="tests.msonet.test_logs.refuse")
def refuse(email):
    raise ValueError(f"the mail server refused {email}")


@pytest.fixture
def production_logs():
    """The logs as production writes them (logs.logging_config with LOG_FORMAT=json, level INFO) to
    a stream read back as the list of its lines; the test settings' logging is put back
    afterwards. (Set up by hand from the same config rather than by dictConfig, which would close
    pytest's own handlers.)"""
    config = logs.logging_config(log_format="json", level="INFO")
    assert config["handlers"]["console"]["formatter"] == "json"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {}
    for name, options in config["loggers"].items():
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.propagate, list(logger.handlers))
        logger.setLevel(options["level"])
        logger.propagate = options.get("propagate", True)
        if "handlers" in options:
            logger.handlers = []
    root.handlers = [h for h in root.handlers if type(h) is not logging.StreamHandler] + [handler]
    root.setLevel(config["root"]["level"])

    def lines():
        return [line for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    root.setLevel(saved_root[0])
    root.handlers = saved_root[1]
    for name, (level, propagate, handlers) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = propagate
        logger.handlers = handlers


@pytest.fixture
def amina(world):
    world.mso_person.phone = PHONE
    world.mso_person.save()
    return world


def request_lines(lines):
    return [line for line in map(json.loads, lines) if line["logger"] == "msonet.requests"]


def test_each_request_logs_one_json_line_without_names_emails_or_phone_numbers(amina, production_logs):
    anonymous = Client()
    anonymous.post("/accounts/login/", {"login": EMAIL, "password": "not the password"})
    signed_in = Client()
    signed_in.force_login(amina.mso)
    search = signed_in.get(f"/organisations/?q={FIRST_NAME}+{LAST_NAME}")
    person = signed_in.get(f"/people/{amina.mso_person.pk}/")
    not_found = signed_in.get(f"/no-such-page/?email={EMAIL}")
    assert search.status_code == 200
    assert PHONE in person.content.decode()  # the page shows it; the log must not
    assert not_found.status_code == 404

    lines = production_logs()
    output = "\n".join(lines)
    for value in PERSONAL:
        assert value not in output
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert [(r["method"], r["path"], r["status"]) for r in records] == [
        ("POST", "/accounts/login/", 200),
        ("GET", "/organisations/", 200),
        ("GET", f"/people/{amina.mso_person.pk}/", 200),
        ("GET", "/no-such-page/", 404),
    ]
    for record in records:
        assert set(record) >= LINE_FIELDS
        assert record["time"].endswith("Z")
        assert record["level"] == "INFO"
        assert isinstance(record["duration_ms"], float)
    assert [r["user_id"] for r in records] == [None, amina.mso.pk, amina.mso.pk, amina.mso.pk]
    assert len({r["request_id"] for r in records}) == 4


@pytest.mark.urls("tests.msonet.test_logs")
def test_an_error_is_logged_with_its_request_id_and_traceback_scrubbed_of_emails_and_phone_numbers(db, production_logs):
    client = Client(raise_request_exception=False)
    response = client.get("/broken/", headers={"X-Request-ID": "lb-7f3a9c01"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "lb-7f3a9c01"
    assert "Traceback" not in response.content.decode()

    records = [json.loads(line) for line in production_logs()]
    error, request = records
    assert error["logger"] == "django.request"
    assert error["request_id"] == "lb-7f3a9c01"
    assert "RuntimeError: could not write to [email] on [phone]" in error["exc_info"]
    assert "request" not in error  # Django's request object, with its query string
    assert (request["logger"], request["request_id"], request["status"]) == ("msonet.requests", "lb-7f3a9c01", 500)
    assert request["level"] == "ERROR"
    for value in PERSONAL:
        assert value not in json.dumps(records)


def test_a_plain_incoming_request_id_is_kept_and_anything_else_replaced(db, production_logs):
    kept = Client().get("/healthz/", headers={"X-Request-ID": "8d2f0c1e-55b1-4f0e-9c43-0a1b2c3d4e5f"})
    replaced = Client().get("/healthz/", headers={"X-Request-ID": "x\r\nSet-Cookie: a=b <script>"})
    made_up = Client().get("/healthz/")

    assert kept.headers["X-Request-ID"] == "8d2f0c1e-55b1-4f0e-9c43-0a1b2c3d4e5f"
    assert replaced.headers["X-Request-ID"] != "x\r\nSet-Cookie: a=b <script>"
    assert logs.REQUEST_ID.match(replaced.headers["X-Request-ID"])
    assert logs.REQUEST_ID.match(made_up.headers["X-Request-ID"])
    ids = [record["request_id"] for record in request_lines(production_logs())]
    assert ids == [r.headers["X-Request-ID"] for r in (kept, replaced, made_up)]


def task_records(lines):
    """The lines of the portal's task log (a broker's own warnings, written alongside, are not the task's)."""
    return [record for record in map(json.loads, lines) if record["logger"] == "msonet.tasks"]


def test_a_task_logs_one_json_line_without_its_arguments_or_result(db, production_logs):
    result = remember.delay(EMAIL)

    lines = production_logs()
    (record,) = task_records(lines)
    assert record["task"] == "tests.msonet.test_logs.remember"
    assert record["task_id"] == result.id
    assert record["state"] == "SUCCESS"
    assert isinstance(record["duration_ms"], float)
    assert EMAIL not in "\n".join(lines)


def test_a_worker_ready_for_tasks_says_so_in_one_json_line(production_logs):
    class Consumer:
        hostname = "worker-1@web-01"

    signals.worker_ready.send(sender=Consumer())

    (record,) = map(json.loads, production_logs())
    assert (record["logger"], record["message"], record["worker"]) == (
        "msonet.worker",
        "worker-1@web-01 ready.",
        "worker-1@web-01",
    )


def test_a_failed_task_logs_one_json_line_with_its_traceback_scrubbed(db, production_logs):
    with pytest.raises(ValueError):
        refuse.delay(EMAIL)

    lines = production_logs()
    (record,) = task_records(lines)
    assert (record["task"], record["state"], record["level"]) == ("tests.msonet.test_logs.refuse", "FAILURE", "ERROR")
    assert "ValueError: the mail server refused [email]" in record["exc_info"]
    assert EMAIL not in "\n".join(lines)


def test_a_line_written_while_a_task_runs_carries_its_task_id(db, production_logs):
    @celery_app.task(name="tests.msonet.test_logs.speak")
    def speak():
        logging.getLogger("imports").warning("halfway")

    result = speak.delay()

    inner, outer = map(json.loads, production_logs())
    assert (inner["message"], inner["task_id"]) == ("halfway", result.id)
    assert outer["task_id"] == result.id


def _settings_error(**environ):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "msonet.settings.local", **environ}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=60
    )
    return result.stderr


def test_an_unknown_log_format_or_level_stops_the_portal_with_a_message():
    assert "LOG_FORMAT must be json or text." in _settings_error(LOG_FORMAT="xml")
    assert "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR or CRITICAL." in _settings_error(LOG_LEVEL="loud")


def test_development_writes_text_lines_and_production_json():
    code = "import django; django.setup(); from django.conf import settings; print(settings.LOG_FORMAT)"
    formats = {}
    for module in ("local", "production"):
        env = {
            **{k: v for k, v in os.environ.items() if k != "LOG_FORMAT"},
            "DJANGO_SETTINGS_MODULE": f"msonet.settings.{module}",
            "SECRET_KEY": "a-key-for-this-test-only",
            "ALLOWED_HOSTS": "testserver",
        }
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        formats[module] = result.stdout.strip()
    assert formats == {"local": "text", "production": "json"}


def test_email_addresses_and_uk_telephone_numbers_are_replaced_and_ids_kept():
    text = (
        f"to {EMAIL} or Amina.Okafor@sub.nhs.uk, on 020 7946 0321, +44 (0)20 7946 0321 or 07712 345678; "
        "task 550e8400-e29b-41d4-a716-446655440000, person 1234567890, 1234567890123 ms, redis://:**@127.0.0.1:6379/2"
    )
    assert personal_data.scrub_text(text) == (
        "to [email] or [email], on [phone], [phone] or [phone]; "
        "task 550e8400-e29b-41d4-a716-446655440000, person 1234567890, 1234567890123 ms, redis://:**@127.0.0.1:6379/2"
    )


def test_development_text_lines_are_scrubbed_too():
    record = logging.LogRecord("imports", logging.WARNING, __file__, 1, "refused %s", (EMAIL,), None)
    logs.ContextFilter().filter(record)
    line = logs.TextFormatter().format(record)
    assert line.endswith("WARNING imports [None] refused [email]")
