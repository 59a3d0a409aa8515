"""Personal data in free text, found and replaced: email addresses and UK telephone numbers.

The logs and the error reports (msonet.logs, msonet.sentry) pass every message, traceback and value
through `scrub` before it leaves the process. Names cannot be recognised in free text, so they are
kept out at the source instead: no query string, request body, cookie, user detail, SQL parameter
or local variable is ever written to a log line or an error report.
"""

import re

import phonenumbers

EMAIL_PLACEHOLDER = "[email]"
PHONE_PLACEHOLDER = "[phone]"
# Anything shaped like an address: something@domain.tld (the local part as RFC 5322 allows it
# unquoted; the top-level domain of letters, so that "user:**@127.0.0.1" in a URL is not one).
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@(?:[\w-]+\.)+[A-Za-z]{2,}\b")
# A UK number has at least 10 digits; text with fewer is not read for one (phonenumbers is slow).
_DIGITS = re.compile(r"\d")
_MIN_PHONE_DIGITS = 10


def scrub_text(text: str) -> str:
    """`text` with every email address and every UK telephone number (national or international
    form, as phonenumbers reads them) replaced by a placeholder."""
    text = EMAIL.sub(EMAIL_PLACEHOLDER, text)
    if len(_DIGITS.findall(text)) < _MIN_PHONE_DIGITS:
        return text
    matches = list(phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.VALID))
    for match in reversed(matches):
        text = text[: match.start] + PHONE_PLACEHOLDER + text[match.end :]
    return text


def scrub(value):
    """`value` with every string in it scrubbed (scrub_text), through dicts, lists and tuples."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(item) for item in value)
    return value
