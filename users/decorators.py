"""Access to the national lead's pages and actions."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def national_lead_required(view):
    """Sign-in first; then only a national network lead may use the view. Anyone else gets the
    page of an address that does not exist (404), as outsiders do everywhere in the portal."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_national_lead:
            raise Http404("This page is for the national network lead.")
        return view(request, *args, **kwargs)

    return wrapper
