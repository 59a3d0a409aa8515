"""Security headers: a Content-Security-Policy on every response, pages with no inline script, style
or event handler, and the production settings' HSTS, cookies, nosniff, Referrer-Policy and frame
refusal on a real response, with error pages that show no traceback."""

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def assert_strict_policy(directives: dict[str, list[str]]) -> None:
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    for sources in directives.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources


def test_every_page_has_an_enforced_content_security_policy(client, world):
    anonymous = client.get(reverse("account_login"))
    client.force_login(world.mso)
    pages = [
        anonymous,
        client.get(reverse("directory:home")),
        client.get(reverse("directory:person", args=[world.other_person.pk])),
        client.get("/no-such-page/"),
        client.get(reverse("healthz")),
    ]
    for response in pages:
        assert "Content-Security-Policy-Report-Only" not in response.headers
        assert_strict_policy(policy(response))


class InlineCode(HTMLParser):
    """Collects inline scripts, style elements and attributes, and event-handler attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        values = dict(attrs)
        if tag == "script":
            executable = values.get("type") in (None, "", "module", "text/javascript")
            if executable and not values.get("src"):
                self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        if "style" in names:
            self.found.append(f"style attribute on <{tag}>")
        self.found += [f"{name} handler on <{tag}>" for name in names if name.startswith("on")]


def inline_code(response) -> list[str]:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser.found


def test_portal_pages_have_no_inline_script_style_or_event_handler(client, world):
    pages = [reverse("account_login"), reverse("account_signup"), reverse("account_reset_password")]
    found = {url: inline_code(client.get(url)) for url in pages}
    client.force_login(world.lead)
    pages = [
        reverse("directory:home"),
        reverse("directory:organisations"),
        reverse("directory:organisation", args=[world.org_a.ods_code]),
        reverse("directory:person", args=[world.mso_person.pk]),
        reverse("directory:networks"),
        reverse("directory:network", args=[world.network_a.slug]),
        reverse("compliance:board"),
        reverse("handovers:list"),
        reverse("registrations:queue"),
        reverse("officers:change-queue"),
        reverse("account_email"),
        reverse("mfa_index"),
        reverse("audit:my-data"),
        "/no-such-page/",
    ]
    found |= {url: inline_code(client.get(url)) for url in pages}
    assert {url: items for url, items in found.items() if items} == {}


# Templates: the rule for everyone adding pages (emails, rendered for mail programs, are exempt).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"href\s*=\s*[\"']\s*javascript:", re.IGNORECASE)


def page_templates():
    root = BASE_DIR / "templates"
    return sorted(path for path in root.rglob("*.html") if "emails" not in path.relative_to(root).parts)


def test_no_template_has_inline_script_style_or_event_handler():
    offenders = {}
    for path in page_templates():
        text = path.read_text()
        problems = [
            label
            for label, pattern in [
                ("inline <script>", INLINE_SCRIPT),
                ("<style> element", STYLE_ELEMENT),
                ("style attribute", STYLE_ATTRIBUTE),
                ("event handler attribute", EVENT_HANDLER),
                ("javascript: link", JAVASCRIPT_URL),
            ]
            if pattern.search(text)
        ]
        if problems:
            offenders[str(path.relative_to(BASE_DIR))] = problems
    assert offenders == {}


def test_the_template_check_finds_each_kind_of_inline_code():
    samples = {
        "<script>alert(1)</script>": INLINE_SCRIPT,
        '<script type="module">go()</script>': INLINE_SCRIPT,
        "<style>p { color: red }</style>": STYLE_ELEMENT,
        '<p class="x" style="color: red">': STYLE_ATTRIBUTE,
        '<button type="button" onclick="go()">': EVENT_HANDLER,
        '<a href="javascript:go()">': JAVASCRIPT_URL,
    }
    for sample, pattern in samples.items():
        assert pattern.search(sample), sample
    assert not INLINE_SCRIPT.search('<script type="module" src="/static/js/application.js"></script>')
    assert not INLINE_SCRIPT.search('<script type="application/json" id="data">{}</script>')


# Production settings, loaded for real in a separate process.

PRODUCTION_PROBE = r"""
import json, sys, types
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path
from msonet import urls as site_urls

def broken(request):
    raise RuntimeError("secret detail that must not reach the page")

module = types.ModuleType("production_probe_urls")
module.urlpatterns = [path("broken/", broken), *site_urls.urlpatterns]
sys.modules["production_probe_urls"] = module

# The manifest of collected static files is not built here; nothing else is changed.
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(ROOT_URLCONF="production_probe_urls", STORAGES=storages):
    client = Client(raise_request_exception=False)
    results = {}
    for name, url, secure in [
        ("plain_http", "/accounts/login/", False),
        ("login", "/accounts/login/", True),
        ("not_found", "/no-such-page/", True),
        ("broken", "/broken/", True),
    ]:
        response = client.get(url, secure=secure)
        results[name] = {
            "status": response.status_code,
            "headers": dict(response.headers),
            "location": response.headers.get("Location", ""),
            "content": response.content.decode(),
        }
results["settings"] = {
    name: getattr(settings, name)
    for name in [
        "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE", "SESSION_COOKIE_AGE", "SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_TIMEOUT",
        "SIMPLE_HISTORY_REVERT_DISABLED",
    ]
}
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_TIMEOUT"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="msonet.settings.production",
        SECRET_KEY="production-probe-" + "x" * 50,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('production') / 'probe.sqlite3'}",
        CACHE_URL=f"filecache://{tmp_path_factory.mktemp('cache')}",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_plain_http_to_https(production):
    assert production["plain_http"]["status"] == 301
    assert production["plain_http"]["location"] == "https://testserver/accounts/login/"


def test_production_sends_hsts_for_a_year_with_subdomains(production):
    hsts = production["login"]["headers"]["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


def test_production_sends_nosniff_referrer_policy_and_refuses_framing(production):
    headers = production["login"]["headers"]
    assert production["login"]["status"] == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"same-origin", "strict-origin", "no-referrer"}
    assert headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy-Report-Only" not in headers
    header = headers["Content-Security-Policy"]
    assert_strict_policy({name: sources for name, *sources in (p.split() for p in header.split(";") if p.strip())})


def test_production_session_and_csrf_cookies_are_secure(production):
    values = production["settings"]
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_IDLE_TIMEOUT"] == values["SESSION_COOKIE_AGE"] == 30 * 60
    assert values["SESSION_ABSOLUTE_TIMEOUT"] == 12 * 60 * 60
    assert values["SIMPLE_HISTORY_REVERT_DISABLED"] is True


def test_production_error_pages_show_no_traceback(production):
    not_found, broken = production["not_found"], production["broken"]
    assert not_found["status"] == 404
    assert "<h1>Page not found</h1>" in not_found["content"]
    assert broken["status"] == 500
    assert "Sorry, there is a problem with the service" in broken["content"]
    for page in (not_found, broken):
        assert "Traceback" not in page["content"]
        assert "secret detail" not in page["content"]
        assert "Content-Security-Policy" in page["headers"]
