from django.conf import settings
from django.contrib import messages

from .services import session_sign_out, session_timed_out


def _duration(seconds: int) -> str:
    """12 hours, 30 minutes, 90 seconds."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


class SessionLifetimeMiddleware:
    """Signs the user out when their session has not been used for SESSION_IDLE_TIMEOUT seconds, or
    when they signed in more than SESSION_ABSOLUTE_TIMEOUT seconds ago, and says why. The request
    then goes on signed out (a page that needs signing in sends them to the sign-in page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            reason = session_timed_out(request)
            if reason:
                session_sign_out(request)
                messages.info(request, self._message(reason))
        return self.get_response(request)

    @staticmethod
    def _message(reason: str) -> str:
        if reason == "idle":
            return (
                f"You were signed out because you had not used the portal for "
                f"{_duration(settings.SESSION_IDLE_TIMEOUT)}. Sign in again to continue."
            )
        return (
            f"You were signed out because you signed in more than {_duration(settings.SESSION_ABSOLUTE_TIMEOUT)} "
            "ago. Sign in again to continue."
        )
