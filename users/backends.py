"""Django's and allauth's authentication backends, loading the signed-in user of a request with what
every page reads of them: their person record (the header's name and links) and whether they have an
authenticator app (access.middleware.RequireMFAMiddleware). One query instead of three."""

from allauth.account import auth_backends
from allauth.mfa.models import Authenticator
from django.contrib.auth import backends
from django.db.models import Exists, OuterRef

from .models import User


def signed_in_user(user_id) -> User | None:
    """The user `user_id`, with `person_record` and `has_authenticator_app` read in the same query."""
    authenticator_app = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
    return (
        User.objects.select_related("person")
        .annotate(has_authenticator_app=Exists(authenticator_app))
        .filter(pk=user_id)
        .first()
    )


class SignedInUserMixin:
    def get_user(self, user_id):
        user = signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(SignedInUserMixin, backends.ModelBackend):
    """Django's backend (email and password through the admin and the test client)."""


class AuthenticationBackend(SignedInUserMixin, auth_backends.AuthenticationBackend):
    """allauth's backend (the sign-in pages)."""
