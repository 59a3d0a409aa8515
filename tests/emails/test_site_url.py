"""The links in the portal's own emails (settings.SITE_URL) point where the development server
serves: `make run`, `make worker` and `make beat` set SITE_URL from HOST and PORT unless it is set."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_commands(*args, **env):
    """The commands `make -n` would run (none is run), with SITE_URL unset unless given."""
    environment = {key: value for key, value in os.environ.items() if key not in {"SITE_URL", "HOST", "PORT"}}
    environment.update(env)
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def line_running(commands, program):
    return next(line for line in commands if program in line)


def test_make_run_on_another_port_links_emails_to_that_port():
    runserver = line_running(make_commands("run", "PORT=8101"), "manage.py runserver")

    assert runserver.endswith("runserver 127.0.0.1:8101")
    assert runserver.startswith("SITE_URL='http://127.0.0.1:8101' ")


def test_make_run_links_emails_to_the_host_and_port_it_serves():
    runserver = line_running(make_commands("run", "HOST=localhost", "PORT=8202"), "manage.py runserver")

    served = re.search(r"runserver (\S+)$", runserver).group(1)
    assert runserver.startswith(f"SITE_URL='http://{served}' ")
    assert served == "localhost:8202"


def test_make_run_keeps_a_site_url_that_is_set():
    runserver = line_running(
        make_commands("run", "PORT=8101", SITE_URL="https://mso.example.nhs.uk"), "manage.py runserver"
    )

    assert runserver.startswith("SITE_URL='https://mso.example.nhs.uk' ")


@pytest.mark.parametrize("target", ["worker", "beat"])
def test_worker_and_beat_link_emails_to_the_port_they_are_given(target):
    celery = line_running(make_commands(target, "PORT=8101"), "celery -A msonet")

    assert celery.startswith("SITE_URL='http://127.0.0.1:8101' ")


def test_make_run_by_default_serves_and_links_emails_to_port_8000():
    runserver = line_running(make_commands("run"), "manage.py runserver")

    assert runserver.startswith("SITE_URL='http://127.0.0.1:8000' ")
    assert runserver.endswith("runserver 127.0.0.1:8000")
