from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


@never_cache
@require_GET
def healthz(request):
    """Liveness: the database and (when REDIS_URL is set) Redis answer."""
    checks = health.liveness()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


@never_cache
@require_GET
def readyz(request):
    """Readiness: alive, every migration applied, and the background work keeping up; each check
    that fails gives its reason. No sign-in, and nothing about any person."""
    checks = health.readiness()
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503)
