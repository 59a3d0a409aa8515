"""Error reports to Sentry, when SENTRY_DSN is set (the settings call `init` once, as Sentry's
Django documentation advises; the Celery worker loads the same settings, so its tasks report too).

Nothing personal is sent: the SDK is told to collect no user details, cookies, request bodies,
query strings, SQL parameters, task arguments or local variables (`data_collection`, which replaces
send_default_pii in sentry-sdk 2.75), and `before_send` takes out whatever it would still send: the
user (but its id), the query string (searches carry people's names) of the request and of every URL,
the request's headers but a few harmless ones, SQL parameters and task arguments, then scrubs every
remaining message, exception, breadcrumb and tag of email addresses and telephone numbers
(msonet.personal_data).
"""

from urllib.parse import urlsplit, urlunsplit

from msonet.personal_data import scrub

# The request headers an error report keeps (Cookie, Authorization, Referer with its query string
# and X-Forwarded-For, someone's address, are dropped).
KEPT_HEADERS = {"accept", "content-length", "content-type", "host", "user-agent", "x-request-id"}
# The parts of an event that hold free text, scrubbed of email addresses and telephone numbers.
FREE_TEXT_PARTS = ("exception", "logentry", "message", "breadcrumbs", "extra", "tags", "request", "transaction")
URL_KEYS = ("url", "from", "to", "http.url")


def init(*, dsn: str, environment: str, traces_sample_rate: float) -> bool:
    """Starts the Sentry SDK when `dsn` is set; whether it did."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        traces_sample_rate=traces_sample_rate,
        # What the SDK collects (sentry-sdk's successor of send_default_pii=False, stricter):
        # no user details, cookies, request bodies, query strings, SQL parameters, task arguments
        # or local variables; of the request headers only KEPT_HEADERS.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(KEPT_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=before_send,
        before_send_transaction=before_send,
        before_breadcrumb=before_breadcrumb,
    )
    return True


def without_query(url):
    """`url` without its query string and fragment."""
    if not isinstance(url, str):
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def before_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    """A breadcrumb without SQL parameters and query strings, scrubbed."""
    data = crumb.get("data")
    if isinstance(data, dict):
        data = {key: value for key, value in data.items() if key not in ("db.params", "params")}
        for key in URL_KEYS:
            if key in data:
                data[key] = without_query(data[key])
        data.pop("http.query", None)
        crumb["data"] = data
    return scrub(crumb)


def _clean_request(request: dict) -> dict:
    headers = request.get("headers") or {}
    return {
        "method": request.get("method"),
        "url": without_query(request.get("url")),
        "headers": {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS},
    }


def before_send(event: dict, hint: dict | None = None) -> dict:
    """The event (an error or a transaction) with nothing personal in it."""
    user = event.pop("user", None)
    if isinstance(user, dict) and user.get("id") is not None:
        event["user"] = {"id": user["id"]}
    if isinstance(event.get("request"), dict):
        event["request"] = _clean_request(event["request"])
    job = (event.get("extra") or {}).get("celery-job")
    if isinstance(job, dict):
        job.pop("args", None)
        job.pop("kwargs", None)
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict) and isinstance(breadcrumbs.get("values"), list):
        breadcrumbs["values"] = [before_breadcrumb(crumb) for crumb in breadcrumbs["values"]]
    for span in event.get("spans") or []:
        if isinstance(span, dict):
            if isinstance(span.get("data"), dict):
                span["data"] = before_breadcrumb({"data": span["data"]})["data"]
            span["description"] = scrub(span.get("description"))
    for part in FREE_TEXT_PARTS:
        if part in event:
            event[part] = scrub(event[part])
    return event
