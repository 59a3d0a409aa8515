"""Access to the national lead's pages and actions."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def national_lead_required(view):
    """Sign-in first; then only a national network lead may use the view (others get 403)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_national_lead:
            raise PermissionDenied("This page is for the national network lead.")
        return view(request, *args, **kwargs)

    return wrapper
