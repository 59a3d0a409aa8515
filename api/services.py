"""Issuing and revoking the partner systems' API keys (the national lead's, through the admin)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from users.models import User

from .models import PartnerKey, Scope


@transaction.atomic
def partner_key_issue(
    *,
    issued_by: User,
    name: str,
    partner: str,
    scopes: set[str],
    contacts_reason: str = "",
    expiry_date: datetime.datetime | None = None,
) -> tuple[PartnerKey, str]:
    """A new key for `partner` with `scopes`, and the key itself, to be shown once: only its hash is
    kept. The contacts scope needs the reason the partner needs personal data."""
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise ValidationError("Choose at least one of the scopes: register, contacts, coverage.", code="scopes")
    contacts_reason = (contacts_reason or "").strip()
    if Scope.CONTACTS in scopes and not contacts_reason:
        raise ValidationError(
            "Give the reason this partner needs the officers' contact details.", code="contacts_reason"
        )
    if expiry_date is not None and expiry_date <= timezone.now():
        raise ValidationError("The expiry must be in the future.", code="expiry_date")
    fields = {f"scope_{scope}": scope in scopes for scope in Scope.values}
    return PartnerKey.objects.create_key(
        name=name,
        partner=partner,
        contacts_reason=contacts_reason if Scope.CONTACTS in scopes else "",
        expiry_date=expiry_date,
        issued_by=issued_by,
        **fields,
    )


def partner_key_revoke(*, key: PartnerKey) -> bool:
    """Revokes `key` now (for good); False if it was already revoked."""
    return bool(PartnerKey.objects.filter(pk=key.pk, revoked=False).update(revoked=True, revoked_at=timezone.now()))
