from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import PartnerKey


class PartnerKeyThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per key (counted in the cache); beyond it, 429 with Retry-After."""

    scope = "partner_key"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, PartnerKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
