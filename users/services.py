import datetime
import time
from importlib import import_module

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.http import HttpRequest
from django.utils import timezone

from .models import User, UserSession


def email_confirmation_resend(*, request: HttpRequest, email: str) -> bool:
    """Sends a new confirmation link to an address waiting to be confirmed on an active account.

    At most one email per address every few minutes (allauth's "confirm_email" rate limit, shared
    with the emails sent at sign-up and sign-in). Returns whether an email went; the caller should
    not tell the user, so that no one learns which addresses have accounts.
    """
    addresses = EmailAddress.objects.filter(email__iexact=email, verified=False, user__is_active=True)
    addresses = list(addresses.select_related("user"))
    if not addresses or not ratelimit.consume(request, action="confirm_email", key=email.lower()):
        return False
    for address in addresses:
        address.send_confirmation(request)
    return True


# Sessions: each signed-in session is marked with when it signed in and when it was last used, and
# recorded against its user (UserSession), so the portal can sign it out after a time and end it
# when the account is deactivated.

SIGNED_IN_AT_SESSION_KEY = "msonet_signed_in_at"
LAST_SEEN_SESSION_KEY = "msonet_last_seen"
PASSWORD_ENTERED_AT_SESSION_KEY = "msonet_password_entered_at"
# The last-used time in the session is written at most this often, so that an ordinary request
# does not write the session; the idle timeout is exact to within this many seconds.
LAST_SEEN_RESOLUTION = 60


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_sign_in_record(*, request: HttpRequest, user: User) -> None:
    """Marks the request's session as signed in now and records it against the user; forgets the
    user's sessions that the absolute timeout has already ended. Called at every sign-in."""
    now = time.time()
    request.session[SIGNED_IN_AT_SESSION_KEY] = now
    request.session[LAST_SEEN_SESSION_KEY] = now
    if request.session.session_key is None:
        request.session.save()
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_TIMEOUT)
    UserSession.objects.filter(user=user, signed_in_at__lt=cutoff).delete()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key, defaults={"user": user, "signed_in_at": timezone.now()}
    )


def session_password_entered(*, request: HttpRequest) -> None:
    """Notes that the account's password was entered in this session, now (at sign-in or when
    allauth asks for it again)."""
    request.session[PASSWORD_ENTERED_AT_SESSION_KEY] = time.time()


def session_confirmed_recently(request: HttpRequest) -> bool:
    """Whether this session signed in with the account's password (and its authenticator app, which
    allauth asks for before the sign-in completes) within ACCOUNT_REAUTHENTICATION_TIMEOUT. Such a
    sign-in has just confirmed who the user is, so turning two-factor authentication on straight
    after it does not ask for the password again. A sign-in without the password (from the link
    that confirms an email address) does not count."""
    now = time.time()
    window = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
    signed_in_at = request.session.get(SIGNED_IN_AT_SESSION_KEY)
    password_at = request.session.get(PASSWORD_ENTERED_AT_SESSION_KEY)
    return (
        signed_in_at is not None
        and password_at is not None
        and now - signed_in_at < window
        and now - password_at < window
    )


def session_timed_out(request: HttpRequest) -> str:
    """Why the signed-in request's session must end now: "absolute" (signed in too long ago, or
    with no record of signing in), "idle" (unused too long), or "" when it may go on. Notes the
    session as used (at most once a minute)."""
    now = time.time()
    signed_in_at = request.session.get(SIGNED_IN_AT_SESSION_KEY)
    last_seen = request.session.get(LAST_SEEN_SESSION_KEY, signed_in_at)
    if signed_in_at is None or now - signed_in_at >= settings.SESSION_ABSOLUTE_TIMEOUT:
        return "absolute"
    if now - last_seen >= settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    if now - last_seen >= LAST_SEEN_RESOLUTION:
        request.session[LAST_SEEN_SESSION_KEY] = now
    return ""


def session_sign_out(request: HttpRequest) -> None:
    """Signs the request's user out and forgets the session."""
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    logout(request)


def user_sessions_end(*, users) -> int:
    """Deletes every session the given users (a queryset or list of users or ids) signed in with, so
    none of them can be used again, even if an account is made active again. Returns how many."""
    keys = list(UserSession.objects.filter(user__in=users).values_list("session_key", flat=True))
    store = _session_store()
    # The database store alone is emptied in one query; the cached one (a subclass) must also drop
    # each session from the cache, or a copy there would still sign in.
    if store is DatabaseSessionStore:
        store.get_model_class().objects.filter(session_key__in=keys).delete()
    else:
        for key in keys:
            store().delete(key)
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def sessions_clear_expired() -> int:
    """Deletes expired sessions from the session store, and the records of sessions the absolute
    timeout has ended. Returns how many records were forgotten."""
    _session_store().clear_expired()
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_TIMEOUT)
    deleted, _ = UserSession.objects.filter(signed_in_at__lt=cutoff).delete()
    return deleted
