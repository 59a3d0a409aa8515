"""Partner systems authenticate with their API key, sent in the X-API-Key header. Portal sessions
are never accepted: a signed-in user gets no access through the API."""

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from .models import PartnerKey

HEADER = "X-API-Key"
# The same answer for a missing, unknown, revoked or expired key: it tells nothing about which keys exist.
INVALID = "A valid API key is required in the X-API-Key header."


class PartnerKeyAuthentication(authentication.BaseAuthentication):
    """`request.auth` is the PartnerKey; `request.user` stays anonymous. One query per request, and one
    more to note the key's use at most once a minute (PartnerKey.record_use)."""

    def authenticate(self, request):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return None
        partner_key = PartnerKey.objects.from_key(key)
        if partner_key is None:
            raise exceptions.AuthenticationFailed(INVALID)
        partner_key.record_use()
        return AnonymousUser(), partner_key

    def authenticate_header(self, request):
        return 'Api-Key realm="api", header="X-API-Key"'
