"""Logs operators can use: one line per request and one per Celery task, JSON in production.

- `RequestLogMiddleware` (first in MIDDLEWARE) writes one line per request to the logger
  `msonet.requests`: request_id, user_id (the account's number, never its email), method, path
  (without the query string: searches carry people's names), status and duration_ms. The request id
  comes from the incoming X-Request-ID header when it is a plain token, is made up otherwise, and is
  returned in the response's X-Request-ID header.
- The Celery signal receivers write one line per task run to `msonet.tasks`: task name, task_id,
  state and duration_ms, never the task's arguments (they can hold email addresses); a failure's
  line carries its traceback.
- Every line written while a request or a task runs carries its request_id or task_id (a filter on
  the handler), so a traceback logged by Django is found beside its request's line.
- `JsonFormatter` writes each record as one line of JSON; it keeps only the record's own fields
  and the portal's (Django and Celery attach the request object and task arguments to some of
  theirs) and scrubs email addresses and telephone numbers out of messages and tracebacks.
- `logging_config` is the LOGGING of the settings: it quiets the lines of Django that repeat these
  (runserver's line per request, with its query string; a line per 4xx response) and, in JSON
  (production), the worker's per-task lines, which print task results and arguments.
"""

import contextvars
import datetime
import logging
import re
import sys
import time
import uuid

from celery import signals
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from msonet.personal_data import scrub_text

request_logger = logging.getLogger("msonet.requests")
task_logger = logging.getLogger("msonet.tasks")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept when it is a plain token (a UUID, a proxy's hex id), else replaced.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

_request_id = contextvars.ContextVar("request_id", default=None)
_task_id = contextvars.ContextVar("task_id", default=None)

# What a JSON line may hold besides its own fields: the portal's fields, and the status code
# Django's own lines carry. Everything else a record has (Django's `request`, Celery's `data` with
# a task's arguments) is left out.
LINE_FIELDS = (
    "request_id",
    "task_id",
    "user_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "task",
    "state",
    "status_code",
    "worker",
)
# Free text that can hold anything: scrubbed of email addresses and telephone numbers.
FREE_TEXT_FIELDS = ("message", "exc_info", "stack_info", "path")


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The incoming request id when it is a plain token, else a new one."""
    if header and REQUEST_ID.match(header):
        return header
    return new_request_id()


class ContextFilter(logging.Filter):
    """Adds the running request's request_id and the running task's task_id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        if getattr(record, "task_id", None) is None:
            record.task_id = _task_id.get()
        return True


class JsonFormatter(_JsonFormatter):
    """One line of JSON per record: time (ISO 8601, UTC), level, logger, message, the portal's
    fields (LINE_FIELDS) that are set, and exc_info (the traceback) when there is one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, json_ensure_ascii=False, **kwargs)

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_data["time"] = (
            datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds")
        ).replace("+00:00", "Z")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        for name in LINE_FIELDS:
            if hasattr(record, name):
                value = getattr(record, name)
                if value is not None or name not in ("request_id", "task_id"):
                    log_data[name] = value
        for name in ("exc_info", "stack_info"):  # formatted by JsonFormatter.format
            if message_dict.get(name):
                log_data[name] = message_dict[name]
        for name in FREE_TEXT_FIELDS:
            if isinstance(log_data.get(name), str):
                log_data[name] = scrub_text(log_data[name])


class TextFormatter(logging.Formatter):
    """The development format: one readable line, scrubbed like the JSON lines."""

    def __init__(self):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            defaults={"request_id": None},
        )

    def format(self, record: logging.LogRecord) -> str:
        return scrub_text(super().format(record))


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting: every line to standard error, as JSON (`json`) or text (`text`)."""
    quiet = {"handlers": [], "propagate": False, "level": "CRITICAL"}
    loggers = {
        # Django's line for each 4xx response repeats the request's line; its errors (5xx, with
        # the traceback) are kept. Its `request` attribute is never written (JsonFormatter).
        "django.request": {"level": "ERROR"},
        # runserver's line per request repeats the request's line with its query string.
        "django.server": quiet,
    }
    if log_format == "json":
        # The worker's lines per task received and done repeat the task's line; the latter prints
        # the task's result, and its failure line the arguments. Development (text) keeps them.
        loggers["celery.worker.strategy"] = {"level": "WARNING"}
        loggers["celery.app.trace"] = {"level": "CRITICAL"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "msonet.logs.ContextFilter"}},
        "formatters": {
            "json": {"()": "msonet.logs.JsonFormatter"},
            "text": {"()": "msonet.logs.TextFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["context"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": loggers,
    }


class RequestLogMiddleware:
    """One line per request to `msonet.requests`, and the request id in the X-Request-ID header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        token = _request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response.headers[REQUEST_ID_HEADER] = request_id
            status = response.status_code
            request_logger.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                status,
                duration := round((time.perf_counter() - started) * 1000, 1),
                extra={
                    "user_id": _user_id(request),
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration,
                },
            )
            return response
        finally:
            _request_id.reset(token)


def _user_id(request) -> int | None:
    """The signed-in account's number, if the request looked its user up (this adds no query)."""
    user = getattr(request, "user", None)
    user = getattr(user, "_wrapped", user)  # request.user is lazy until something reads it
    if getattr(user, "is_authenticated", False) is True:
        return user.pk
    return None


# A worker that has connected to the broker and takes tasks says so once (Celery's own line for
# it is not written in JSON): what an operator, or a script starting one, waits for.
@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs):
    hostname = getattr(sender, "hostname", None) or getattr(getattr(sender, "controller", None), "hostname", "")
    logging.getLogger("msonet.worker").info("%s ready.", hostname, extra={"worker": hostname})


# Celery: one line per task run, from its start (task_prerun) to its end (task_postrun, which
# follows task_failure and is sent for every state: SUCCESS, FAILURE, RETRY).
_task_runs: dict[str, tuple[float, str | None]] = {}
_task_failures: dict[str, BaseException] = {}


@signals.task_prerun.connect
def _task_started(task_id=None, **kwargs):
    _task_runs[task_id] = (time.perf_counter(), _task_id.get())
    _task_id.set(task_id)


@signals.task_failure.connect
def _task_failed(task_id=None, exception=None, **kwargs):
    _task_failures[task_id] = exception


@signals.task_postrun.connect
def _task_ended(task_id=None, task=None, state=None, **kwargs):
    started, outer_task_id = _task_runs.pop(task_id, (None, None))
    exception = _task_failures.pop(task_id, None)
    if state is None and exception is None:
        # In-process (eager) tasks that propagate their error send no task_failure and no state:
        # the error is on its way out of the task.
        exception = sys.exc_info()[1]
        state = "FAILURE" if exception is not None else state
    duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    try:
        task_logger.log(
            logging.ERROR if exception is not None else logging.INFO,
            "%s %s %sms",
            task.name,
            state,
            duration,
            exc_info=(type(exception), exception, exception.__traceback__) if exception is not None else None,
            extra={"task": task.name, "task_id": task_id, "state": state, "duration_ms": duration},
        )
    finally:
        _task_id.set(outer_task_id)  # the task that ran this one in-process, if any
