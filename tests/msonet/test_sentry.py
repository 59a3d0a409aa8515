"""Error reports go to Sentry only when SENTRY_DSN is set, with nothing personal in them, through the
SDK's real transport to a real HTTP server on loopback that keeps what it is sent."""

import gzip
import io
import json
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from msonet import sentry
from msonet import urls as site_urls
from officers.models import Person

EMAIL = "mso.a@nhs.net"
FIRST_NAME = "Amina"
LAST_NAME = "Okafor"
PHONE = "020 7946 0321"
PERSONAL = (EMAIL, FIRST_NAME, LAST_NAME, PHONE, PHONE.replace(" ", ""))


@csrf_exempt
def failing_view(request):
    person = Person.objects.filter(last_name=LAST_NAME, work_email=EMAIL).first()  # SQL with their name
    logging.getLogger("directory").warning("no mailbox for %s", person.work_email)  # a breadcrumb
    telephone = person.phone  # a local variable
    raise RuntimeError(f"could not reach {person.work_email} on {telephone}")


urlpatterns = [path("failing/", failing_view), *site_urls.urlpatterns]


class SentryServer:
    """A Sentry ingestion endpoint on loopback: it answers 200 and keeps every body it is sent,
    decompressed."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                received.append((self.path, body.decode()))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://publickey@127.0.0.1:{self.server.server_address[1]}/1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self):
        """The events received: each envelope's items of type "event"."""
        events = []
        for _, body in self.received:
            lines = body.splitlines()
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    events.append(json.loads(payload))
        return events

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sentry_server():
    server = SentryServer()
    yield server
    server.stop()


@pytest.fixture
def reporting(sentry_server):
    """The SDK started as the settings start it when SENTRY_DSN names the server; stopped after."""
    assert sentry.init(dsn=sentry_server.dsn, environment="test", traces_sample_rate=0)
    yield sentry_server
    sentry_sdk.flush()
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def wsgi_request(method, path, *, query="", body=b"", cookies="", headers=None):
    """A request through Django's WSGI handler, as gunicorn sends it (the test client's handler
    skips the WSGI layer, where Sentry reads the request's URL, headers and address); its status."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": "testserver",
        "HTTP_COOKIE": cookies,
        "REMOTE_ADDR": "10.1.2.3",
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in (headers or {}).items()},
    }
    setup_testing_defaults(environ)
    statuses = []
    # As the test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        WSGIHandler()(environ, lambda status, response_headers, exc_info=None: statuses.append(status))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return statuses[0]


@pytest.mark.urls("tests.msonet.test_sentry")
def test_an_error_in_a_view_reaches_sentry_without_the_email_name_or_phone_number(world, client, reporting):
    world.mso_person.phone = PHONE
    world.mso_person.save()
    client.force_login(world.mso)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    status = wsgi_request(
        "POST",
        "/failing/",
        query=urlencode({"q": f"{FIRST_NAME} {LAST_NAME}", "email": EMAIL}),
        body=urlencode({"email": EMAIL, "first_name": FIRST_NAME, "last_name": LAST_NAME, "phone": PHONE}).encode(),
        cookies=f"{settings.SESSION_COOKIE_NAME}={session}",
        headers={"Referer": f"http://testserver/organisations/?q={FIRST_NAME}", "X-Request-ID": "lb-7f3a9c01"},
    )
    assert status.startswith("500")
    sentry_sdk.flush(timeout=10)

    events = reporting.events()
    assert events, "no event reached the server"
    (event,) = [e for e in events if e.get("exception")]
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "could not reach [email] on [phone]"
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"] == "http://testserver/failing/"
    assert event["request"]["headers"]["X-Request-Id"] == "lb-7f3a9c01"
    assert event["environment"] == "test"
    everything = "\n".join(body for _, body in reporting.received)
    for value in (*PERSONAL, session, "10.1.2.3"):
        assert value not in everything
    assert any(crumb.get("category") == "query" for crumb in event["breadcrumbs"]["values"])


def test_before_send_drops_the_user_query_strings_sql_parameters_and_task_arguments():
    event = {
        "user": {"id": 7, "email": EMAIL, "username": FIRST_NAME, "ip_address": "10.0.0.1"},
        "request": {
            "url": f"https://mso.example.nhs.uk/organisations/?q={FIRST_NAME}",
            "query_string": f"q={FIRST_NAME}",
            "data": {"first_name": FIRST_NAME},
            "cookies": {"sessionid": "abc"},
            "headers": {"Cookie": "sessionid=abc", "Referer": f"/?q={LAST_NAME}", "User-Agent": "Firefox"},
        },
        "extra": {"celery-job": {"task_name": "emails.tasks.send", "args": [EMAIL], "kwargs": {"name": LAST_NAME}}},
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": "SELECT ... WHERE last_name = %s", "data": {"db.params": [LAST_NAME]}},
                {"category": "httplib", "data": {"url": f"https://api.example/?name={FIRST_NAME}"}},
            ]
        },
    }

    cleaned = sentry.before_send(event, {})

    assert cleaned["user"] == {"id": 7}
    assert cleaned["request"] == {
        "method": None,
        "url": "https://mso.example.nhs.uk/organisations/",
        "headers": {"User-Agent": "Firefox"},
    }
    assert cleaned["extra"]["celery-job"] == {"task_name": "emails.tasks.send"}
    for value in PERSONAL:
        assert value not in json.dumps(cleaned)


def test_without_a_dsn_the_sdk_is_not_started(sentry_server):
    assert sentry.init(dsn="", environment="test", traces_sample_rate=0) is False
    assert not sentry_sdk.get_client().is_active()


def _start_portal(**environ):
    """Starts the settings in a new process, which then reports a message; its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update({"DJANGO_SETTINGS_MODULE": "msonet.settings.local", **environ})
    code = (
        "import django, sentry_sdk; django.setup(); "
        "print(sentry_sdk.get_client().is_active()); "
        "sentry_sdk.capture_message('started'); sentry_sdk.flush(timeout=10)"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_the_settings_report_to_sentry_only_when_sentry_dsn_is_set(sentry_server):
    unset = _start_portal()
    assert unset.stdout.strip() == "False"
    assert sentry_server.received == []

    reporting = _start_portal(SENTRY_DSN=sentry_server.dsn, SENTRY_ENVIRONMENT="staging")
    assert reporting.stdout.strip() == "True"
    (event,) = sentry_server.events()
    assert (event["message"], event["environment"]) == ("started", "staging")


def test_a_bad_sentry_setting_stops_the_portal_with_a_message():
    assert "SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1." in (
        _start_portal(SENTRY_TRACES_SAMPLE_RATE="2").stderr
    )
