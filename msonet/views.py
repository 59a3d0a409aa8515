import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from networks.models import Network
from workspace.checklists import checklists_for

logger = logging.getLogger(__name__)


@login_required
def home(request):
    """A landing page for the signed-in user's roles: lead, chair, officer, or none yet."""
    person = request.user.person_record
    appointments = []
    if person is not None:
        appointments = list(person.appointments.current().in_role_order().select_related("organisation"))
    return render(
        request,
        "home.html",
        {
            "appointments": appointments,
            # The getting-started checklist of each active appointment, in a fixed number of queries.
            "checklists": checklists_for(appointments),
            "chairs_regional_network": any(
                network.kind == Network.Kind.REGIONAL for network in request.user.chaired_networks
            ),
            "nav_section": "home",
        },
    )


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: database unreachable")
        return False


def _redis_ok() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        return bool(client.ping())
    except Exception:
        logger.exception("Health check: Redis unreachable")
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": "ok" if _database_ok() else "unavailable"}
    if settings.REDIS_URL:
        checks["redis"] = "ok" if _redis_ok() else "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
