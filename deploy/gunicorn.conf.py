"""gunicorn's settings for the portal's web server: `gunicorn -c deploy/gunicorn.conf.py msonet.wsgi`.

Every value comes from the environment (or the project's .env file, as for the portal's settings):
BIND or PORT, WEB_CONCURRENCY, WEB_THREADS, WEB_TIMEOUT, WEB_GRACEFUL_TIMEOUT, WEB_KEEPALIVE,
WEB_MAX_REQUESTS, FORWARDED_ALLOW_IPS. A bad value stops gunicorn before it starts, with a message
saying which.

Signals (systemd sends them: deploy/systemd/msonet-web.service): TERM stops gracefully (requests in
progress get graceful_timeout seconds to finish); HUP starts new workers with the new code and
settings and then stops the old ones gracefully, without refusing a request.
"""

import multiprocessing
import os
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)
# The production settings unless the environment names others. Set here, in the master, before
# anything imports the msonet package (whose Celery app would otherwise default to the development
# settings); the workers inherit it.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.production")


def _number(name, default, *, least):
    """The whole number in the environment variable `name` (default when unset), at least `least`."""
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < least:
        sys.exit(f"gunicorn.conf.py: {name} must be a whole number of at least {least}, not {raw!r}.")
    return value


# Where to listen: BIND (e.g. 127.0.0.1:8000 or unix:/run/msonet/web.sock), else all addresses on
# PORT (the variable honcho and most platforms set), else 127.0.0.1:8000 behind a local proxy.
_port = _number("PORT", 0, least=1)
bind = [env.str("BIND", default="").strip() or (f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000")]

# Worker processes: WEB_CONCURRENCY, by default 2 per core plus 1, at most 8 (each holds the whole
# portal in memory, about 100 MB, and a database connection per thread).
workers = _number("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8), least=1)
# Threads per worker (WEB_THREADS, default 1): more than 1 runs gunicorn's threaded worker. Each
# thread has its own database connection: web servers × workers × threads must stay below
# PostgreSQL's max_connections, with room for the workers and beat.
threads = _number("WEB_THREADS", 1, least=1)

# A worker silent for WEB_TIMEOUT seconds (default 60: an import of up to IMPORT_BACKGROUND_ROWS
# rows is checked in the request) is killed and replaced; the load balancer's own timeout should be
# a little longer. At a stop or reload, requests in progress get graceful_timeout seconds.
timeout = _number("WEB_TIMEOUT", 60, least=1)
graceful_timeout = _number("WEB_GRACEFUL_TIMEOUT", 30, least=1)
# Seconds a kept-alive connection from the load balancer may wait for its next request.
keepalive = _number("WEB_KEEPALIVE", 5, least=0)

# Each worker is replaced after about WEB_MAX_REQUESTS requests (0: never), jittered so that the
# workers are not all replaced at once: memory a worker gathered is given back.
max_requests = _number("WEB_MAX_REQUESTS", 1000, least=0)
max_requests_jitter = max_requests // 10

# The workers' heartbeat file in memory where there is /dev/shm: a slow disk cannot make a busy
# worker look dead. (gunicorn makes each file there with mkstemp, private to the portal's user.)
_SHARED_MEMORY = "/dev/shm"  # noqa: S108
if os.path.isdir(_SHARED_MEMORY):
    worker_tmp_dir = _SHARED_MEMORY

# The addresses of the proxies (the load balancer) trusted to say, in X-Forwarded-For and
# X-Forwarded-Proto, who the client is and whether it came over HTTPS: FORWARDED_ALLOW_IPS,
# comma-separated, or * when only the load balancer can reach the web servers.
forwarded_allow_ips = env.str("FORWARDED_ALLOW_IPS", default="127.0.0.1,::1")

# The portal writes its own line per request (msonet.logs: JSON, with the user's number and the request
# id), so gunicorn's access log is off unless WEB_ACCESS_LOG=true. When on, on standard output: no
# query string (search terms, email addresses and tokens are sent in it), no client address, user,
# referrer or user agent. Time, method, path, status, bytes sent, duration in milliseconds and the
# load balancer's request id (X-Request-ID), which ties a line to the load balancer's log.
accesslog = "-" if env.bool("WEB_ACCESS_LOG", default=False) else None
errorlog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}i)s'

# No control socket (gunicorn's own, in the user's home folder): systemd's signals manage gunicorn,
# and two gunicorns of one user would share its path.
control_socket_disable = True

# The WSGI application is loaded in each worker, not in the master, so that HUP loads new code.
preload_app = False
wsgi_app = "msonet.wsgi:application"


def on_starting(server):
    """Before the first worker starts: the portal's start-up checks for a web server
    (msonet.startup.check_or_exit stops gunicorn with one line per problem when one fails)."""
    from msonet.startup import check_or_exit

    check_or_exit("web")
