from django.conf import settings


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
