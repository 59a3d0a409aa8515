"""The API key's security scheme in the OpenAPI schema (drf-spectacular's extension for
api.authentication.PartnerKeyAuthentication)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.PartnerKeyAuthentication"
    name = "PartnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "The key the national lead issued to your organisation.",
        }
