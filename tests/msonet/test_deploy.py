"""The process definitions in deploy/: gunicorn's settings from the environment (bad values refused),
an access log with neither query string nor client, the production settings by default, a graceful
stop on TERM; a Procfile honcho accepts; systemd units systemd accepts, with the right stop signals."""

import os
import runpy
import shutil
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
BIN = Path(sys.executable).parent
GUNICORN_VARIABLES = {
    "BIND",
    "PORT",
    "WEB_CONCURRENCY",
    "WEB_THREADS",
    "WEB_TIMEOUT",
    "WEB_GRACEFUL_TIMEOUT",
    "WEB_KEEPALIVE",
    "WEB_MAX_REQUESTS",
    "FORWARDED_ALLOW_IPS",
    "WEB_ACCESS_LOG",
}


def gunicorn_settings(monkeypatch, **variables):
    """deploy/gunicorn.conf.py's settings as gunicorn reads them, with only these variables set."""
    for name in GUNICORN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_takes_its_workers_threads_and_timeouts_from_the_environment(monkeypatch):
    conf = gunicorn_settings(
        monkeypatch,
        BIND="unix:/run/msonet/web.sock",
        WEB_CONCURRENCY="3",
        WEB_THREADS="4",
        WEB_TIMEOUT="90",
        WEB_GRACEFUL_TIMEOUT="20",
        WEB_KEEPALIVE="7",
        WEB_MAX_REQUESTS="500",
        FORWARDED_ALLOW_IPS="10.0.0.10,10.0.0.11",
    )
    assert conf["bind"] == ["unix:/run/msonet/web.sock"]
    assert (conf["workers"], conf["threads"], conf["timeout"]) == (3, 4, 90)
    assert (conf["graceful_timeout"], conf["keepalive"]) == (20, 7)
    assert (conf["max_requests"], conf["max_requests_jitter"]) == (500, 50)
    assert conf["forwarded_allow_ips"] == "10.0.0.10,10.0.0.11"
    assert conf["preload_app"] is False  # HUP loads new code in new workers
    assert conf["control_socket_disable"] is True


def test_gunicorn_runs_the_production_settings_unless_told_otherwise(monkeypatch):
    # msonet's Celery app would otherwise set the development settings when msonet.wsgi is imported.
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    gunicorn_settings(monkeypatch)
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "msonet.settings.production"
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "msonet.settings.local")
    gunicorn_settings(monkeypatch)
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "msonet.settings.local"


def test_gunicorn_defaults_to_two_workers_a_core_plus_one_at_most_eight(monkeypatch):
    conf = gunicorn_settings(monkeypatch)
    assert conf["workers"] == min(2 * os.cpu_count() + 1, 8)
    assert conf["threads"] == 1
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["worker_tmp_dir"] == "/dev/shm" or not Path("/dev/shm").is_dir()


def test_gunicorn_listens_on_port_when_no_bind_is_given(monkeypatch):
    assert gunicorn_settings(monkeypatch, PORT="5000")["bind"] == ["0.0.0.0:5000"]
    assert gunicorn_settings(monkeypatch, PORT="5000", BIND="127.0.0.1:8001")["bind"] == ["127.0.0.1:8001"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEB_CONCURRENCY", "0"),
        ("WEB_CONCURRENCY", "many"),
        ("WEB_THREADS", "-1"),
        ("WEB_TIMEOUT", "1.5"),
        ("PORT", "x"),
    ],
)
def test_gunicorn_refuses_a_bad_number_naming_the_variable(monkeypatch, name, value):
    with pytest.raises(SystemExit) as stopped:
        gunicorn_settings(monkeypatch, **{name: value})
    assert str(stopped.value) == f"gunicorn.conf.py: {name} must be a whole number of at least 1, not {value!r}."


def test_gunicorn_itself_stops_with_that_message_and_no_traceback():
    env = {key: value for key, value in os.environ.items() if key not in GUNICORN_VARIABLES}
    env.update(WEB_THREADS="lots")
    result = subprocess.run(
        [str(BIN / "gunicorn"), "--config", str(GUNICORN_CONF), "--check-config", "msonet.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "gunicorn.conf.py: WEB_THREADS must be a whole number of at least 1, not 'lots'."


def test_gunicorns_access_log_is_off_unless_asked_for_as_the_portal_logs_each_request_itself(monkeypatch):
    assert gunicorn_settings(monkeypatch)["accesslog"] is None
    assert gunicorn_settings(monkeypatch, WEB_ACCESS_LOG="true")["accesslog"] == "-"


def test_the_access_log_has_no_query_string_client_address_or_user(monkeypatch):
    log_format = gunicorn_settings(monkeypatch)["access_log_format"]
    for atom in ("%(m)s", "%(U)s", "%(s)s", "%(B)s", "%(M)s", "%({x-request-id}i)s"):
        assert atom in log_format
    # request line (with its query), query, client address, user, referrer, user agent
    for atom in ("%(r)s", "%(q)s", "%(h)s", "%(u)s", "%(f)s", "%(a)s", "%({x-forwarded-for}i)s"):
        assert atom not in log_format


def test_on_starting_runs_the_web_servers_start_up_checks(monkeypatch):
    on_starting = gunicorn_settings(monkeypatch)["on_starting"]
    checked = []
    startup = types.ModuleType("msonet.startup")
    startup.check_or_exit = checked.append
    monkeypatch.setitem(sys.modules, "msonet.startup", startup)
    on_starting(server=None)
    assert checked == ["web"]


def wait_for_port(port, process, log, seconds=60):
    """Until something listens on `port`; fails with `log` if `process` exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
    raise AssertionError(f"nothing listened on port {port} within {seconds} s:\n{log.read_text()}")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """A real gunicorn with deploy/gunicorn.conf.py on a free port, the test settings and database."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in GUNICORN_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="msonet.settings.test",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        WEB_ACCESS_LOG="true",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(GUNICORN_CONF), "msonet.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log)
        yield types.SimpleNamespace(process=process, url=f"http://127.0.0.1:{port}", log=log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def get(url, headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.skipif(shutil.which("gunicorn", path=str(BIN)) is None, reason="gunicorn is not installed")
def test_gunicorn_logs_path_status_and_request_id_without_the_query_then_stops_gracefully_on_term(gunicorn):
    status = get(
        gunicorn.url + "/no-such-page/?email=someone.private%40nhs.net&token=secret",
        {"X-Request-ID": "req-7f3a", "User-Agent": "probe-agent/1.0", "X-Forwarded-For": "203.0.113.9"},
    )
    assert status == 404
    gunicorn.process.terminate()  # TERM: gunicorn's graceful stop
    assert gunicorn.process.wait(timeout=60) == 0
    log = gunicorn.log.read_text()
    access = [line for line in log.splitlines() if '"GET ' in line]
    assert len(access) == 1, log
    assert '"GET /no-such-page/" 404 ' in access[0]
    assert access[0].endswith("request_id=req-7f3a")
    for private in ("?", "probe-agent", "203.0.113.9", "127.0.0.1"):
        assert private not in access[0]
    for private in ("someone", "nhs.net", "token", "secret"):
        assert private not in log
    assert "Control socket" not in log


def test_the_procfile_runs_web_worker_and_beat_and_honcho_accepts_it():
    honcho = BIN / "honcho"
    if not honcho.exists():
        pytest.skip("honcho is not installed")
    result = subprocess.run(
        [str(honcho), "-f", str(DEPLOY / "Procfile"), "-d", str(ROOT), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "(web, worker, beat)" in result.stderr + result.stdout
    processes = dict(
        line.split(": ", 1) for line in (DEPLOY / "Procfile").read_text().splitlines() if line and line[0] != "#"
    )
    assert "gunicorn --config deploy/gunicorn.conf.py msonet.wsgi" in processes["web"]
    assert "celery -A msonet worker" in processes["worker"]
    assert "celery -A msonet beat" in processes["beat"]
    for name in ("worker", "beat"):  # the Celery app alone would pick the development settings
        assert 'DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-msonet.settings.production}"' in processes[name]


def test_honcho_starts_the_procfiles_web_server_on_the_port_it_gives(tmp_path):
    honcho = BIN / "honcho"
    if not honcho.exists():
        pytest.skip("honcho is not installed")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in GUNICORN_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="msonet.settings.test", WEB_CONCURRENCY="1", WEB_ACCESS_LOG="true")
    log = tmp_path / "honcho.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(honcho), "-f", str(DEPLOY / "Procfile"), "-d", str(ROOT), "start", "-p", str(port), "web"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log)
        assert get(f"http://127.0.0.1:{port}/no-such-page/", {}) == 404
    finally:
        process.terminate()  # honcho passes TERM on to gunicorn
        process.wait(timeout=60)
    text = log.read_text()
    assert f"Listening at: http://0.0.0.0:{port}" in text
    assert '"GET /no-such-page/" 404 ' in text


def unit(name):
    """The unit's [Service] settings: each name with its last value, and "Environment" with all of them."""
    service, section = {"Environment": []}, None
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            if key == "Environment":
                service[key].append(value)
            else:
                service[key] = value
    return service


@pytest.mark.parametrize(
    ("name", "stop_seconds_at_least"),
    [("msonet-web.service", 30 + 5), ("msonet-worker.service", 900 + 30), ("msonet-beat.service", 10)],
)
def test_each_unit_stops_gracefully_with_term_within_its_tasks_limits(name, stop_seconds_at_least):
    service = unit(name)
    assert service["KillSignal"] == "SIGTERM"
    assert service["KillMode"] == "mixed"  # TERM to the main process, which stops its own workers
    assert int(service["TimeoutStopSec"]) >= stop_seconds_at_least
    assert service["Restart"] == "on-failure"
    assert service["User"] == "msonet"
    assert service["EnvironmentFile"] == "/etc/msonet/msonet.env"
    assert "DJANGO_SETTINGS_MODULE=msonet.settings.production" in service["Environment"]


def test_the_units_wait_longer_than_a_task_or_a_request_may_run(monkeypatch):
    from django.conf import settings

    assert int(unit("msonet-worker.service")["TimeoutStopSec"]) > settings.CELERY_TASK_TIME_LIMIT
    assert int(unit("msonet-web.service")["TimeoutStopSec"]) > gunicorn_settings(monkeypatch)["graceful_timeout"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    # The units name the installation's folder, /srv/msonet; here it is this checkout.
    for source in (DEPLOY / "systemd").glob("*.service"):
        (tmp_path / source.name).write_text(source.read_text().replace("/srv/msonet", str(ROOT)))
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(path) for path in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
