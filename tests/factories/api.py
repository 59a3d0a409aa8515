"""Factories for the api app: a partner's key, with the key itself on `.secret` (never stored)."""

import factory

from api.models import PartnerKey


class PartnerKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerKey

    name = factory.Sequence(lambda n: f"Partner system {n}")
    partner = "NHS Business Services Authority"
    scope_register = True
    scope_contacts = False
    scope_coverage = False
    contacts_reason = factory.Maybe("scope_contacts", "To send patient safety alerts to the named officers.", "")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        revoked = kwargs.pop("revoked", False)
        key, secret = model_class.objects.create_key(**kwargs)
        if revoked:
            from api.services import partner_key_revoke

            partner_key_revoke(key=key)
            key.refresh_from_db()
        key.secret = secret
        return key
