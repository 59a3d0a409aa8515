"""The production smoke test: the real processes on loopback, with the production settings.

Two gunicorns (2 workers each), a Celery worker and beat on Redis, PostgreSQL, and a real SMTP server
(aiosmtpd, in this process) as the mail server. Over HTTP it walks an officer's journey (sign-up, the
confirmation email, registering as an MSO, the national lead signing in with a code computed from
their authenticator secret and approving, the approval email), checks that the two web servers share
sessions, sign-in limits and uploaded files, then survives faults: a gunicorn worker killed, the
Celery worker killed while emails wait; last, with no scan yet and the readiness check reporting it
(503), beat is started and runs the compliance scan, and the readiness check turns green (200).

    .venv/bin/python scripts/smoke_production.py

Each step is printed with its time; the first failure stops the run with its reason and a non-zero
exit. Every process it starts is stopped (by its PID) and its database dropped, whatever happens.

The client stands for a browser behind the TLS proxy that production runs behind: every request
carries `X-Forwarded-Proto: https` (as the proxy adds it; production trusts it through
SECURE_PROXY_SSL_HEADER) and an `Origin` of https://host, so the portal treats it as HTTPS, marks its
cookies Secure, and its CSRF checks compare the https origin. The cookie jar sends Secure cookies back
only on such requests, as a browser sends them only over HTTPS.

Settings (environment):
    SMOKE_DATABASE_NAME  PostgreSQL database it creates and drops (default msonet_smoke)
    SMOKE_PG_HOST        PostgreSQL on 127.0.0.1:5432, user postgres, trust authentication
    SMOKE_REDIS_URL      Redis database for the Celery broker, emptied at the start and the end
                         (default redis://127.0.0.1:6379/4)
    SMOKE_CACHE_URL      Redis database for the web servers' shared cache, likewise
                         (default redis://127.0.0.1:6379/3)
    SMOKE_PORTS          the two gunicorns' and the SMTP server's ports (default 18401,18402,18425)
    SMOKE_TIMEOUT        seconds before the whole run is aborted (default 300)
"""

import base64
import contextlib
import hashlib
import hmac
import html.parser
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from tests.smtp_server import MailServerHandler  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PYTHON = BIN / "python"
DATABASE_NAME = os.environ.get("SMOKE_DATABASE_NAME", "msonet_smoke")
PG_HOST = os.environ.get("SMOKE_PG_HOST", "127.0.0.1")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/4")
CACHE_URL = os.environ.get("SMOKE_CACHE_URL", "redis://127.0.0.1:6379/3")
WEB_A, WEB_B, SMTP_PORT = (int(port) for port in os.environ.get("SMOKE_PORTS", "18401,18402,18425").split(","))
TIMEOUT = int(os.environ.get("SMOKE_TIMEOUT", "300"))
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
# Beat runs the compliance scan every SCAN_EVERY seconds; the readiness check wants one within
# READINESS_SCAN_MAX_AGE seconds (of the last scan, or of the install before the first).
SCAN_EVERY = 5
READINESS_SCAN_MAX_AGE = 20

LEAD_EMAIL = "lead@england.nhs.uk"
LEAD_NAME = "Nadia Lead"
LEAD_PASSWORD = "a lead's long pass phrase 7"
LOCKED_EMAIL = "locked.officer@nhs.net"
APPLICANT = "new.mso@nhs.net"
APPLICANT_PASSWORD = "a long enough pass phrase 42"
LOCKED = "This account is locked"
TRUST_CODE = "RAL"
TRUST = "Royal Free London NHS Foundation Trust"

STARTED = time.monotonic()


class SmokeFailure(Exception):
    """A step did not do what production must do; the message says what was seen."""


class Aborted(BaseException):
    """The global timeout: raised in the main thread by SIGALRM."""


def log(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {text}", flush=True)


@contextlib.contextmanager
def step(name: str):
    began = time.monotonic()
    log(f"{name} ...")
    try:
        yield
    except SmokeFailure as failure:
        raise SmokeFailure(f"{name}: {failure}") from None
    log(f"{name}: ok ({time.monotonic() - began:.1f}s)")


def check(condition, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def wait_until(predicate, what: str, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what} (waited {timeout:.0f}s)")
        time.sleep(interval)


# ---------------------------------------------------------------- processes


class Processes:
    """The processes the run starts, each in its own process group whose id is its PID, so that
    stopping one (by that PID) stops its children too (gunicorn's and Celery's workers)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.running: dict[str, subprocess.Popen] = {}
        self.stopped: list[int] = []  # the groups of those killed or stopped on the way

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        out = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        self.running[name] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL, at once, with no chance to finish what it was doing."""
        process = self.running.pop(name)
        self.stopped.append(process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, name: str, grace: float = 10) -> None:
        self.stop_group([name], grace)

    def stop_group(self, names: list[str], grace: float = 10) -> None:
        """SIGTERM to each (at once, so that they shut down side by side), SIGKILL to any group
        still there after `grace` seconds."""
        stopping = [(name, self.running.pop(name)) for name in names]
        for _, process in stopping:
            self.stopped.append(process.pid)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, process in stopping:
            while not exited(process) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not exited(process):
                log(f"{name} (PID {process.pid}) did not stop within {grace:.0f}s of SIGTERM: SIGKILL")
            # Whatever is left of its group (a worker the master left behind) goes too, while the
            # unreaped leader still holds the group's id, so that it cannot name anyone else's.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> list[int]:
        """Stop every process still running; the process groups left behind (none, normally)."""
        groups = [process.pid for process in self.running.values()] + self.stopped
        try:
            self.stop_group(list(self.running))
        except Exception as error:  # the rest are killed below whatever happened
            log(f"stopping: {error}")
        deadline = time.monotonic() + 5  # for the orphans' exits to be collected
        while (left := [pid for pid in groups if group_alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        return left

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.folder / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def exited(process: subprocess.Popen) -> bool:
    """Whether the process has exited, without reaping it (its PID stays reserved)."""
    if process.returncode is not None:
        return True
    return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def children_of(pid: int) -> set[int]:
    """The PIDs whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces: the fields after it are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=180
    )
    if result.returncode != 0:
        raise SmokeFailure(f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result.stdout


# ---------------------------------------------------------------- HTTP client


class SecureOverProxyPolicy(http.cookiejar.DefaultCookiePolicy):
    """Secure cookies go back only on requests that reached the portal as HTTPS (through the TLS
    proxy, which says so with X-Forwarded-Proto), as a browser sends them only over HTTPS."""

    def return_ok_secure(self, cookie, request):
        return not cookie.secure or request.get_header("X-forwarded-proto") == "https"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status: int, url: str, headers, body: bytes):
        self.status, self.url, self.headers, self.body = status, url, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Browser:
    """One person's browser: a cookie jar that may be shared by clients of both web servers."""

    def __init__(self, jar: http.cookiejar.CookieJar | None = None):
        self.jar = jar or http.cookiejar.CookieJar(SecureOverProxyPolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, port: int, method: str, path: str, data: bytes | None = None, headers=None) -> Response:
        url = f"http://127.0.0.1:{port}{path}"
        sent = {"X-Forwarded-Proto": "https", "User-Agent": "msonet-smoke-test"}
        if method == "POST":
            sent["Origin"] = f"https://127.0.0.1:{port}"
            sent["Referer"] = f"https://127.0.0.1:{port}{path}"
        sent.update(headers or {})
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with self.opener.open(request, timeout=30) as answer:
                return Response(answer.status, url, answer.headers, answer.read())
        except urllib.error.HTTPError as answer:
            return Response(answer.code, url, answer.headers, answer.read())

    def get(self, port: int, path: str, follow: bool = True) -> Response:
        response = self.request(port, "GET", path)
        return self.follow(port, response) if follow else response

    def post(self, port: int, path: str, fields: list[tuple[str, str]], files=None, follow: bool = True) -> Response:
        if files:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        response = self.request(port, "POST", path, body, {"Content-Type": content_type})
        return self.follow(port, response) if follow else response

    def follow(self, port: int, response: Response, hops: int = 10) -> Response:
        while response.status in (301, 302, 303, 307, 308) and hops:
            location = urllib.parse.urlsplit(response.headers["Location"])
            check(location.netloc in ("", f"127.0.0.1:{port}"), f"redirect off the portal: {location.geturl()}")
            response = self.request(port, "GET", location.path + (f"?{location.query}" if location.query else ""))
            hops -= 1
        return response

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((cookie for cookie in self.jar if cookie.name == name), None)

    def submit(self, port: int, page: Response, form_action: str | None = None, files=None, **values) -> Response:
        """Fill the page's form (the one posting to a path starting `form_action`, else the one holding every field
        given) as a browser would: its hidden fields and defaults, the CSRF token, then `values`."""
        form = find_form(page, form_action, set(values) | set(files or {}))
        fields = form.filled(values)
        action = form.action or urllib.parse.urlsplit(page.url).path
        return self.post(port, action, fields, files=files)


def multipart(fields, files) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Form:
    def __init__(self, action: str, method: str):
        self.action, self.method = action, method
        self.fields: list[dict] = []

    def names(self) -> set[str]:
        return {field["name"] for field in self.fields}

    def filled(self, values: dict) -> list[tuple[str, str]]:
        """The pairs a browser posts: each field's default (checked boxes, selected options, the
        hidden CSRF token), with `values` in place of the defaults of the fields they name."""
        pairs = []
        for field in self.fields:
            name = field["name"]
            if name in values or field["type"] in ("submit", "button", "file"):
                continue
            if field["type"] in ("radio", "checkbox") and not field["checked"]:
                continue
            if field["value"] is not None:
                pairs.append((name, field["value"]))
        pairs += [(name, str(value)) for name, value in values.items()]
        return pairs


class FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self.select: dict | None = None
        self.textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(Form(attrs.get("action") or "", (attrs.get("method") or "get").lower()))
        elif not self.forms or "name" not in attrs:
            if tag == "option" and self.select is not None:
                self._option(attrs)
            return
        elif tag == "input":
            self.forms[-1].fields.append(
                {
                    "name": attrs["name"],
                    "type": (attrs.get("type") or "text").lower(),
                    "value": attrs.get("value", "" if attrs.get("type") not in ("radio", "checkbox") else "on"),
                    "checked": "checked" in attrs,
                }
            )
        elif tag == "select":
            self.select = {"name": attrs["name"], "type": "select", "value": None, "checked": True}
            self.forms[-1].fields.append(self.select)
        elif tag == "textarea":
            self.textarea = {"name": attrs["name"], "type": "textarea", "value": "", "checked": True}
            self.forms[-1].fields.append(self.textarea)

    def _option(self, attrs):
        if self.select["value"] is None or "selected" in attrs:
            self.select["value"] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["value"] += data


def find_form(page: Response, action: str | None, names: set[str]) -> Form:
    parser = FormParser()
    parser.feed(page.text)
    posting = [form for form in parser.forms if form.method == "post"]
    if action is not None:
        posting = [form for form in posting if form.action.startswith(action)]
    else:
        posting = [form for form in posting if names <= form.names()]
    seen = [(form.action, sorted(form.names())) for form in parser.forms]
    wanted = f"to {action}" if action is not None else f"with {', '.join(sorted(names))}"
    check(posting, f"no form {wanted} on {page.url} ({page.status} '{heading(page)}'); its forms: {seen}")
    return posting[0]


def heading(page: Response) -> str:
    """The page's headings (h1 to h3), as text, separated by " | "."""
    found = re.findall(r"<h([1-3])[^>]*>(.*?)</h\1>", page.text, re.S)
    return " | ".join(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip() for _, text in found)


def expect_page(page: Response, title: str, status: int = 200) -> Response:
    check(
        page.status == status and title in heading(page),
        f"expected {status} '{title}' at {page.url}, got {page.status} '{heading(page)}'",
    )
    return page


# ---------------------------------------------------------------- TOTP and mail


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as
    allauth.mfa.totp.internal.auth.hotp_value computes it."""
    counter = int(time.time() if at is None else at) // 30
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", bytes([digest[offset] & 0x7F]) + digest[offset + 1 : offset + 4])[0]
    return f"{value % 10**6:06d}"


def fresh_totp_code(secret: str) -> str:
    """A code with at least 3 seconds of its 30 left (allauth allows no neighbouring step by default)."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.1)
    return totp_code(secret)


class MailServer:
    def __init__(self, port: int):
        self.handler = MailServerHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def messages(self, to: str, subject: str):
        with self.handler.lock:
            return [item for item in self.handler.delivered if to in item.to and subject in item.subject]

    def wait_for(self, to: str, subject: str, timeout: float = 30):
        found = wait_until(
            lambda: self.messages(to, subject),
            f"no email to {to} about {subject!r} reached the SMTP server; it has {self.summary()}",
            timeout,
        )
        return found[0].message

    def check_each_once(self) -> None:
        with self.handler.lock:
            ids = [str(item.message["Message-ID"]) for item in self.handler.delivered]
        twice = sorted({message_id for message_id in ids if ids.count(message_id) > 1})
        check(not twice, f"delivered more than once: {twice}")
        log(f"  {len(ids)} emails, each delivered once")

    def summary(self) -> list:
        with self.handler.lock:
            return [(item.to, item.subject) for item in self.handler.delivered]


def body_text(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


# ---------------------------------------------------------------- set-up


def production_environment(folder: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SMOKE_"))}
    for unrelated in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "EMAIL_URL", "MFA_TOTP_INSECURE_BYPASS_CODE"):
        env.pop(unrelated, None)
    env.update(
        DJANGO_SETTINGS_MODULE="msonet.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"postgres://postgres@{PG_HOST}:5432/{DATABASE_NAME}",
        REDIS_URL=REDIS_URL,
        # The web servers share the sign-in counters (and the TOTP codes used) in Redis, in a
        # database apart from the broker's.
        CACHE_URL=CACHE_URL,
        EMAIL_URL=f"smtp://127.0.0.1:{SMTP_PORT}",
        EMAIL_TIMEOUT="5",
        MEDIA_ROOT=str(folder / "media"),
        PRIVATE_MEDIA_ROOT=str(folder / "private-media"),
        SITE_URL=f"https://127.0.0.1:{WEB_A}",
        COMPLIANCE_SCAN_EVERY=str(SCAN_EVERY),
        READINESS_SCAN_MAX_AGE=str(READINESS_SCAN_MAX_AGE),
        LOG_LEVEL="INFO",
    )
    return env


def recreate_database() -> None:
    subprocess.run(["dropdb", "-h", PG_HOST, "-U", "postgres", "--if-exists", "--force", DATABASE_NAME], check=True)
    subprocess.run(["createdb", "-h", PG_HOST, "-U", "postgres", DATABASE_NAME], check=True)


def drop_database() -> None:
    subprocess.run(
        ["dropdb", "-h", PG_HOST, "-U", "postgres", "--if-exists", "--force", DATABASE_NAME], check=False, timeout=60
    )


def empty_redis() -> None:
    import redis

    for url in (REDIS_URL, CACHE_URL):
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()


CREATE_ACCOUNTS = """
import json, sys
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from networks.models import Network
from users.models import User

given = json.load(sys.stdin)
lead = User.objects.create_user(given["lead"], given["lead_password"], name=given["lead_name"],
                                is_national_lead=True, is_staff=True)
EmailAddress.objects.create(user=lead, email=lead.email, verified=True, primary=True)
TOTP.activate(lead, given["secret"])
other = User.objects.create_user(given["locked"], given["lead_password"])
EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
Network.objects.create(name="National MSO network", slug="national", kind=Network.Kind.NATIONAL)
"""


def prepare(env: dict, secret: str) -> None:
    with step("empty database and Redis"):
        recreate_database()
        empty_redis()
    with step("migrate and collectstatic (side by side)"):
        static = subprocess.Popen(
            [str(PYTHON), "manage.py", "collectstatic", "--noinput"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            manage(env, "migrate", "--noinput")
            _, errors = static.communicate(timeout=180)
        finally:
            if static.poll() is None:
                static.kill()
                static.wait()
        check(static.returncode == 0, f"manage.py collectstatic exited {static.returncode}:\n{errors[-3000:]}")
    with step("load NHS trusts from the ODS extracts, the lead (with an authenticator) and a second account"):
        manage(env, "import_ods", "data/ods/icb_names_codes_dec_2024.csv", "--kind", "icbs")
        manage(env, "import_ods", "data/ods/etr.csv", "--kind", "trusts")
        given = {
            "lead": LEAD_EMAIL,
            "lead_name": LEAD_NAME,
            "lead_password": LEAD_PASSWORD,
            "locked": LOCKED_EMAIL,
            "secret": secret,
        }
        # The script is run by `shell -c`, which reads the accounts' details from stdin.
        manage(env, "shell", "-c", CREATE_ACCOUNTS, stdin=json.dumps(given))


def start_gunicorn(processes: Processes, env: dict, name: str, port: int) -> None:
    argv = [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF)]
    # Each server's control socket in the run's folder: two masters on one default path would clash.
    control = processes.folder / f"{name}.ctl"
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--control-socket", str(control), "msonet.wsgi"]
    processes.start(name, argv, env)
    wait_until(
        lambda: healthy(port),
        f"{name} did not answer /healthz/ on port {port}:\n{processes.log_tail(name)}",
        timeout=40,
        interval=0.3,
    )


def healthy(port: int) -> bool:
    try:
        return Browser().get(port, "/healthz/").status == 200
    except OSError:
        return False


def start_worker(processes: Processes, env: dict) -> None:
    argv = [str(BIN / "celery"), "-A", "msonet", "worker", "--loglevel=INFO", "--concurrency=2"]
    processes.start("celery-worker", argv + ["--hostname", f"smoke-{uuid.uuid4().hex[:8]}@%h"], env)
    log_path = processes.folder / "celery-worker.log"
    size = log_path.stat().st_size if log_path.exists() else 0
    wait_until(
        lambda: b"ready." in log_path.read_bytes()[size:],
        f"the Celery worker did not become ready:\n{processes.log_tail('celery-worker')}",
        timeout=40,
        interval=0.3,
    )


def start_beat(processes: Processes, env: dict) -> None:
    schedule = processes.folder / "celerybeat-schedule"
    argv = [str(BIN / "celery"), "-A", "msonet", "beat", "--loglevel=INFO", "--schedule", str(schedule)]
    processes.start("celery-beat", argv, env)


def check_ports_free() -> None:
    for port in (WEB_A, WEB_B, SMTP_PORT):
        with socket.socket() as probe:
            check(probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} is already in use")


# ---------------------------------------------------------------- the journey


def sign_up(browser: Browser, mail: MailServer) -> None:
    with step("sign-up: the confirmation email reaches the SMTP server"):
        page = expect_page(browser.get(WEB_A, "/accounts/signup/"), "Create an account")
        session = browser.cookie("csrftoken")
        check(session is not None and session.secure, "the CSRF cookie is not marked Secure in production")
        page = browser.submit(WEB_A, page, email=APPLICANT, password1=APPLICANT_PASSWORD, password2=APPLICANT_PASSWORD)
        expect_page(page, "Check your email")
        message = mail.wait_for(APPLICANT, "Confirm your email address")
    with step("confirm the email address from the link in the email"):
        link = re.search(r"https://127\.0\.0\.1:\d+(/accounts/confirm-email/[^/\s]+/)", body_text(message))
        check(link, f"no https confirmation link in the email:\n{body_text(message)[:500]}")
        page = expect_page(browser.get(WEB_A, link.group(1)), "Confirm your email address")
        # The page signs the key afresh: its form posts to a link of its own under the same path.
        page = browser.submit(WEB_A, page, form_action="/accounts/confirm-email/")
        expect_page(page, "You do not have a role in the network yet")
        session = browser.cookie("sessionid")
        check(session is not None and session.secure, "the session cookie is not marked Secure in production")


def register_as_mso(browser: Browser) -> None:
    with step("register as the MSO of an NHS trust"):
        found = browser.get(WEB_A, f"/people/register/?q={TRUST_CODE}")
        check(f"/people/register/{TRUST_CODE}/" in found.text, f"{TRUST} not found by its ODS code")
        page = expect_page(browser.get(WEB_A, f"/people/register/{TRUST_CODE}/"), "Your role at")
        started = time.gmtime(time.time() - 30 * 86400)
        page = browser.submit(
            WEB_A,
            page,
            role="mso",
            start_date_day=started.tm_mday,
            start_date_month=started.tm_mon,
            start_date_year=started.tm_year,
            first_name="Priya",
            last_name="Shah",
            job_title="Lead Medication Safety Pharmacist",
            profession=form_option(page, "profession", "Pharmacist"),
            phone="020 7794 0500",
            mhra_registered="no",
            proposed_mailbox="rf-tr.medicationsafety@nhs.net",
        )
        expect_page(page, "Registration request sent")
        sign_out(browser, WEB_A, page)


def form_option(page: Response, name: str, label: str) -> str:
    found = re.search(
        rf'<select[^>]*name="{name}".*?<option value="([^"]*)"[^>]*>\s*{label}\s*</option>', page.text, re.S
    )
    check(found, f"no option {label!r} for {name} on {page.url}")
    return found.group(1)


def sign_out(browser: Browser, port: int, page: Response) -> None:
    page = browser.submit(port, page, form_action="/accounts/logout/")
    check(page.status == 200, f"signing out answered {page.status}")


def lead_signs_in(browser: Browser, secret: str) -> None:
    with step("the lead signs in with a code computed from their authenticator secret"):
        page = expect_page(browser.get(WEB_A, "/accounts/login/"), "Sign in")
        page = browser.submit(WEB_A, page, login=LEAD_EMAIL, password=LEAD_PASSWORD)
        expect_page(page, "Enter your security code")
        # A code of another hour is refused: the code is checked, with no bypass code in production.
        page = browser.submit(WEB_A, page, code=totp_code(secret, at=time.time() - 3600))
        check("The code is not right" in page.text, f"a wrong code was not refused: {page.status} '{heading(page)}'")
        page = browser.submit(WEB_A, page, code=fresh_totp_code(secret))
        expect_page(page, f"Welcome, {LEAD_NAME}")


def lead_approves(browser: Browser, mail: MailServer) -> None:
    with step("the lead approves the request: the approval email reaches the SMTP server"):
        queue = expect_page(browser.get(WEB_A, "/people/requests/registrations/"), "Registration")
        review = re.search(r'href="(/people/requests/registrations/\d+/)"', queue.text)
        check(review, "the queue has no request to review")
        page = expect_page(browser.get(WEB_A, review.group(1)), "Priya Shah")
        page = browser.submit(WEB_A, page, form_action=review.group(1) + "approve/")
        check("Priya Shah is now the medication safety officer" in page.text, f"no approval message on {page.url}")
        mail.wait_for(APPLICANT, f"You are now registered as medication safety officer at {TRUST}")


# ---------------------------------------------------------------- two web servers


def same_session_on_both(browser: Browser) -> None:
    with step("the second gunicorn serves the same session"):
        page = expect_page(browser.get(WEB_B, "/"), f"Welcome, {LEAD_NAME}")
        check(page.status == 200, "the lead is not signed in on the second server")


def sign_in_limit_on_both() -> None:
    with step("10 wrong passwords on the first server lock the account on the second"):
        browser = Browser()
        for attempt in range(10):
            page = browser.get(WEB_A, "/accounts/login/")
            page = browser.submit(WEB_A, page, login=LOCKED_EMAIL, password=f"wrong password {attempt}")
            check(LOCKED not in page.text, f"the account was locked after {attempt + 1} wrong passwords")
        page = browser.get(WEB_B, "/accounts/login/")
        page = browser.submit(WEB_B, page, login=LOCKED_EMAIL, password=LEAD_PASSWORD)
        check(
            LOCKED in page.text,
            f"the right password on the second server was not refused as locked: {page.status} '{heading(page)}'",
        )


TERMS_OF_REFERENCE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def terms_of_reference_on_both(browser: Browser) -> None:
    with step("terms of reference uploaded through one server download through the other"):
        page = browser.get(WEB_A, f"/committees/{TRUST_CODE}/edit/")
        page = browser.submit(
            WEB_A,
            page,
            name="Medication Safety Committee",
            has_patient_representation=form_radio(page, "has_patient_representation", "no"),
        )
        check(page.status == 200, f"recording the committee answered {page.status}")
        upload_path = f"/committees/{TRUST_CODE}/terms-of-reference/upload/"
        page = browser.get(WEB_A, upload_path)
        content = TERMS_OF_REFERENCE + secrets.token_hex(16).encode() + b"\n"
        page = browser.submit(WEB_A, page, files={"file": ("terms.pdf", content, "application/pdf")})
        check("The terms of reference have been uploaded" in page.text, f"the upload was refused on {page.url}")
        download = browser.get(WEB_B, f"/committees/{TRUST_CODE}/terms-of-reference/")
        check(download.status == 200, f"the download on the second server answered {download.status}")
        check(download.body == content, "the file downloaded from the second server differs from the one uploaded")


def form_radio(page: Response, name: str, value: str) -> str:
    check(f'name="{name}"' in page.text and f'value="{value}"' in page.text, f"no {name}={value} on {page.url}")
    return value


# ---------------------------------------------------------------- faults


def worker_holding(workers: set[int], port: int, client_port: int) -> int | None:
    """The worker whose open sockets include the server side of the connection from `client_port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[2].endswith(f":{client_port:04X}"):
            inodes.add(f"socket:[{fields[9]}]")
    for worker in workers:
        with contextlib.suppress(OSError):
            if inodes & {os.readlink(fd) for fd in Path(f"/proc/{worker}/fd").iterdir()}:
                return worker
    return None


def gunicorn_worker_killed(processes: Processes, browser: Browser) -> None:
    with step("a gunicorn worker SIGKILLed mid-request is replaced; the next request succeeds"):
        master = processes.running["gunicorn-a"].pid
        workers = children_of(master)
        check(len(workers) == 2, f"gunicorn's master has {len(workers)} workers, not 2")
        # A request half sent (its headers not finished): the worker that took it waits for the rest.
        connection = socket.create_connection(("127.0.0.1", WEB_A), timeout=10)
        with connection:
            connection.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{WEB_A}\r\nX-Forwarded-Proto: https\r\n".encode())
            client_port = connection.getsockname()[1]
            victim = wait_until(
                lambda: worker_holding(workers, WEB_A, client_port), "no gunicorn worker took the request", 10
            )
            os.kill(victim, signal.SIGKILL)
            try:
                answer = connection.recv(1024)
            except OSError as error:  # reset
                answer = f"{error}".encode()
        check(not answer.startswith(b"HTTP/"), f"the killed worker's request was answered: {answer[:80]!r}")
        log(f"  worker {victim} SIGKILLed holding the request; the client saw {answer[:40]!r} and no answer")
        replaced = wait_until(
            lambda: (now := children_of(master)) and len(now) == 2 and victim not in now and now,
            f"gunicorn did not replace worker {victim}",
            timeout=30,
        )
        log(f"  gunicorn's workers now {sorted(replaced)}")
        for _ in range(4):  # both workers answer
            expect_page(browser.get(WEB_A, "/"), f"Welcome, {LEAD_NAME}")


def celery_worker_killed(processes: Processes, env: dict, mail: MailServer) -> None:
    with step("the Celery worker SIGKILLed while emails wait, restarted, sends each once"):
        processes.kill("celery-worker")
        addresses = (LEAD_EMAIL, APPLICANT)
        for address in addresses:
            browser = Browser()
            page = browser.get(WEB_B, "/accounts/password/reset/")
            page = browser.submit(WEB_B, page, email=address)
            check(page.status == 200, f"asking for a password reset for {address} answered {page.status}")
        time.sleep(2)
        for address in addresses:
            check(not mail.messages(address, "Reset your password"), f"a reset email to {address} went with no worker")
        start_worker(processes, env)
        for address in addresses:
            mail.wait_for(address, "Reset your password")
        time.sleep(3)  # time for a second copy to arrive, if one were sent
        for address in addresses:
            count = len(mail.messages(address, "Reset your password"))
            check(count == 1, f"{count} password reset emails reached {address}, not 1")


def scans_recorded() -> int:
    import psycopg2

    with psycopg2.connect(host=PG_HOST, user="postgres", dbname=DATABASE_NAME) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM compliance_scanrun")
        return cursor.fetchone()[0]


def beat_runs_the_scan(processes: Processes, env: dict, browser: Browser) -> None:
    with step("before beat: no scan has run and the readiness check says so (503)"):
        check(scans_recorded() == 0, "a compliance scan ran before beat was started")
        wait_until(
            lambda: browser.get(WEB_A, "/readyz/").status == 503,
            f"/readyz/ did not report the missing scan (last: {browser.get(WEB_A, '/readyz/').text[:300]})",
            timeout=READINESS_SCAN_MAX_AGE + 10,
            interval=1,
        )
        answer = json.loads(browser.get(WEB_A, "/readyz/").text)
        check(answer.get("compliance_scan") != "ok", f"/readyz/ is 503 for another reason: {answer}")
    with step(f"beat (COMPLIANCE_SCAN_EVERY={SCAN_EVERY}) runs the scan and the readiness check turns green"):
        start_beat(processes, env)
        wait_until(
            lambda: scans_recorded() > 0,
            f"beat ran no compliance scan:\n{processes.log_tail('celery-beat')}\n{processes.log_tail('celery-worker')}",
            timeout=60,
            interval=1,
        )
        wait_until(
            lambda: browser.get(WEB_A, "/readyz/").status == 200,
            f"/readyz/ did not answer 200 (last: {browser.get(WEB_A, '/readyz/').text[:300]})",
            timeout=30,
            interval=1,
        )
        check(processes.running["celery-beat"].poll() is None, f"beat exited:\n{processes.log_tail('celery-beat')}")


# ---------------------------------------------------------------- the run


def run(folder: Path, processes: Processes, mail: MailServer) -> None:
    env = production_environment(folder)
    for name in ("media", "private-media"):
        (folder / name).mkdir()
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    with step("ports free"):
        check_ports_free()
    prepare(env, secret)
    with step("start the SMTP server, two gunicorns (2 workers each) and the Celery worker (beat comes last)"):
        mail.start()
        start_worker(processes, env)
        start_gunicorn(processes, env, "gunicorn-a", WEB_A)
        start_gunicorn(processes, env, "gunicorn-b", WEB_B)
    applicant = Browser()
    sign_up(applicant, mail)
    register_as_mso(applicant)
    lead = Browser()
    lead_signs_in(lead, secret)
    lead_approves(lead, mail)
    same_session_on_both(lead)
    sign_in_limit_on_both()
    terms_of_reference_on_both(lead)
    gunicorn_worker_killed(processes, lead)
    celery_worker_killed(processes, env, mail)
    beat_runs_the_scan(processes, env, lead)
    with step("no email reached the SMTP server twice"):
        mail.check_each_once()


def on_alarm(signum, frame):
    raise Aborted()


def main() -> int:
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_alarm)
    signal.alarm(TIMEOUT)
    folder = Path(tempfile.mkdtemp(prefix="msonet-smoke-"))
    processes = Processes(folder)
    mail = MailServer(SMTP_PORT)
    failure = None
    try:
        run(folder, processes, mail)
    except SmokeFailure as error:
        failure = str(error)
    except Aborted:
        failure = f"the smoke test took longer than {TIMEOUT}s and was aborted"
    finally:
        signal.alarm(0)
        began = time.monotonic()
        left = processes.stop_all()
        if left and not failure:
            failure = f"processes still running after the stop: groups {left}"
        with contextlib.suppress(Exception):
            mail.stop()
        drop_database()
        with contextlib.suppress(Exception):
            empty_redis()
        log(f"stopped every process it started, dropped its database ({time.monotonic() - began:.1f}s)")
    if failure:
        for name in ("gunicorn-a", "gunicorn-b", "celery-worker", "celery-beat"):
            tail = processes.log_tail(name)
            if tail:
                print(f"--- the last lines of {name}'s log:\n{tail}", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
        print(f"PRODUCTION SMOKE TEST FAILED: {failure}", file=sys.stderr)
        return 1
    shutil.rmtree(folder, ignore_errors=True)
    log(f"production smoke test passed in {time.monotonic() - STARTED:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
