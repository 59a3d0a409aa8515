from django.conf import settings
from django.http import Http404


def content_security_policy() -> str:
    """The Content-Security-Policy header value built from settings.CONTENT_SECURITY_POLICY."""
    return "; ".join(
        f"{directive} {' '.join(sources)}" for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
    )


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header (enforced, not report-only) to every response that
    has none of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = content_security_policy()
        return response


class NulPathMiddleware:
    """A path holding a NUL byte names no page: 404, before any view looks it up (PostgreSQL refuses
    a NUL byte in a query, so an ODS code or slug holding one would otherwise fail the request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            raise Http404("No such page.")
        return self.get_response(request)
