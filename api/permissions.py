from rest_framework import exceptions, permissions

from .authentication import INVALID
from .models import PartnerKey


class HasScope(permissions.BasePermission):
    """The request carries a usable key (else 401) with the view's `required_scope` (else 403)."""

    def has_permission(self, request, view):
        if not isinstance(request.auth, PartnerKey):
            raise exceptions.NotAuthenticated(INVALID)
        scope = getattr(view, "required_scope", None)
        if scope is None or not request.auth.has_scope(scope):
            raise exceptions.PermissionDenied(f"This API key does not have the {scope} scope.")
        return True
