"""An organisation's private profile, kept by its own officers: the edits to key contacts and the
board director (applied at once, with history). Who may see and change it is access.scopes';
the national lead's weekly summary of the officers' edits is audit.profile_changes.

The generic MSO mailbox is not edited here: essential national communications go to it, so a
change to it stays a change request the national lead approves (officers.changes).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from msonet.history import record_change
from users.models import User

from .models import KeyContact, Organisation

# The change reasons kept in the history of every edit made through the profile pages.
OFFICER_REASON = "Edited by the organisation's officer"
LEAD_REASON = "Edited by the national lead"


def edit_reason(user: User) -> str:
    return LEAD_REASON if user.is_national_lead else OFFICER_REASON


def audit(instance, *, user: User) -> None:
    """Record who makes the next save (or delete) of `instance`, and that it was a profile edit."""
    record_change(instance, user=user, reason=edit_reason(user))


# Key contacts and the board director: applied at once.


def _duplicate_role(role: str, organisation: Organisation) -> ValidationError:
    label = KeyContact.Role(role).label.lower()
    return ValidationError(
        {"role": f"{organisation.name} already has a {label}. Change that contact instead, or remove it first."},
        code="duplicate_role",
    )


def key_contact_save(
    *,
    organisation: Organisation,
    user: User,
    role: str,
    name: str,
    email: str = "",
    phone: str = "",
    contact: KeyContact | None = None,
) -> KeyContact:
    """Add a key contact to the organisation, or change `contact`, at once, with history.
    One contact per role (the database's one_key_contact_per_role): a second is refused."""
    try:
        with transaction.atomic():
            if contact is None:
                contact = KeyContact(organisation=organisation)
            else:
                contact = KeyContact.objects.select_for_update().get(pk=contact.pk, organisation=organisation)
            if KeyContact.objects.filter(organisation=organisation, role=role).exclude(pk=contact.pk).exists():
                raise _duplicate_role(role, organisation)
            contact.role, contact.name, contact.email, contact.phone = role, name, email, phone
            contact.full_clean(exclude=["organisation"], validate_constraints=False)
            audit(contact, user=user)
            contact.save()
    except IntegrityError as exc:  # the same role added at the same moment
        raise _duplicate_role(role, organisation) from exc
    return contact


@transaction.atomic
def key_contact_remove(*, contact: KeyContact, user: User) -> None:
    """Remove a key contact; its history keeps who removed it."""
    contact = KeyContact.objects.select_for_update().get(pk=contact.pk)
    audit(contact, user=user)
    contact.delete()


@transaction.atomic
def board_director_update(*, organisation: Organisation, user: User, name: str, email: str) -> bool:
    """Record the board director for medication safety (an empty name clears it). False when nothing
    changed (and no history row is written)."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if (organisation.board_director_name, organisation.board_director_email) == (name, email):
        return False
    organisation.board_director_name, organisation.board_director_email = name, email
    audit(organisation, user=user)
    organisation.save(update_fields=["board_director_name", "board_director_email", "updated_at"])
    return True
