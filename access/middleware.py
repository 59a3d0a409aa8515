from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from . import scopes

MFA_REQUIRED_MESSAGE = (
    "As a national lead or network chair you can see the contact details of many officers, so your "
    "account must be protected by two-factor authentication. Set up an authenticator app to continue."
)


class RequireMFAMiddleware:
    """Sends a national lead or network chair who has not set up an authenticator app to the set-up
    page, from every page except the account pages (sign out, password, email, two-factor
    authentication), the health check and static files."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not self._is_exempt(request.path_info)
            and scopes.requires_mfa(user)
            and not user.has_authenticator_app
        ):
            messages.warning(request, MFA_REQUIRED_MESSAGE)
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _is_exempt(path: str) -> bool:
        exempt = (
            reverse("account_login").removesuffix("login/"),  # every allauth page, under /accounts/
            reverse("healthz"),
            "/" + urlsplit(settings.STATIC_URL).path.lstrip("/"),
        )
        return path.startswith(exempt)
