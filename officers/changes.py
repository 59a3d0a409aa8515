"""Change of details: an officer asks, the national lead approves or rejects, the change applies once.

An officer's edits to their own person record, and to the generic MSO mailbox of an organisation
where they hold an active MSO, MDSO or deputy appointment, are stored as a `ChangeRequest` holding
only the fields that differ ({"field": {"old": ..., "new": ...}}). One request per person or
organisation waits at a time: a new one replaces (withdraws) the one waiting. Approval applies
every field in one transaction through model validation, unless the record changed since the
request was made (a conflict), and records who asked and who approved in the target's history.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

from emails.services import email_queue
from msonet.history import record_change
from msonet.text import mid_sentence
from organisations.models import Organisation
from users.models import User

from .models import Appointment, ChangeRequest, ChangeRequestConflict, ChangeRequestError, Person

# The fields an officer may ask to change, in the order the form and the diff show them.
PERSON_FIELDS = ("first_name", "last_name", "job_title", "profession", "registration_number", "work_email", "phone")
ORGANISATION_FIELDS = ("generic_mailbox",)

# The appointments that let an officer ask to change their organisation's generic mailbox.
MAILBOX_ROLES = (Appointment.Role.MSO, Appointment.Role.MDSO, Appointment.Role.DEPUTY_MSO)

REPLACED_REASON = "Replaced by a later request from the officer."


@dataclass(frozen=True)
class ChangeRow:
    """One line of a change request's before/after table, with values as people read them."""

    field: str
    label: str
    old: str
    now: str
    new: str

    @property
    def changed_since(self) -> bool:
        return self.now != self.old


def target_fields(change: ChangeRequest) -> tuple[str, ...]:
    return PERSON_FIELDS if change.person_id else ORGANISATION_FIELDS


def field_label(model: type[Model], field: str) -> str:
    return capfirst(model._meta.get_field(field).verbose_name)


def field_display(model: type[Model], field: str, value) -> str:
    """A stored value as people read it: the label of a choice, the text otherwise."""
    choices = dict(model._meta.get_field(field).flatchoices)
    return str(choices.get(value, value) if value else "")


def change_rows(change: ChangeRequest) -> list[ChangeRow]:
    """The before/after table: each field asked for, its value when asked, now, and the value asked for."""
    target = change.target
    model = type(target)
    fields = [field for field in target_fields(change) if field in change.changes]
    return [
        ChangeRow(
            field=field,
            label=field_label(model, field),
            old=field_display(model, field, change.changes[field]["old"]),
            now=field_display(model, field, getattr(target, field)),
            new=field_display(model, field, change.changes[field]["new"]),
        )
        for field in fields
    ]


def changed_field_labels(change: ChangeRequest) -> list[str]:
    """The labels of the fields a request changes, without touching the database."""
    model = Person if change.person_id else Organisation
    return [field_label(model, field) for field in target_fields(change) if field in change.changes]


def mailbox_organisations(person: Person) -> QuerySet[Organisation]:
    """The organisations whose generic mailbox the person may ask to change: those where they hold
    an active MSO, MDSO or deputy MSO appointment."""
    appointments = Appointment.objects.current().filter(person=person, role__in=MAILBOX_ROLES)
    return Organisation.objects.filter(pk__in=appointments.values("organisation")).by_name()


def mailbox_organisations_of_user(user: User) -> QuerySet[Organisation]:
    person = Person.objects.filter(user=user).first()
    return mailbox_organisations(person) if person else Organisation.objects.none()


def _locked_target(change: ChangeRequest) -> Person | Organisation:
    if change.person_id:
        return Person.objects.select_for_update().get(pk=change.person_id)
    return Organisation.objects.select_for_update().get(pk=change.organisation_id)


def _submit_one(
    *, requested_by: User, target: Person | Organisation, fields: tuple[str, ...], values: dict[str, str]
) -> ChangeRequest | None:
    """Store a request for the fields of `values` that differ from the target (locked meanwhile, so
    two submissions for one target queue up). None when nothing differs, or when the waiting
    request already asks for exactly this; a different waiting request is withdrawn and replaced."""
    target = type(target).objects.select_for_update().get(pk=target.pk)
    changes = {
        field: {"old": getattr(target, field), "new": values[field]}
        for field in fields
        if field in values and values[field] != getattr(target, field)
    }
    target_filter = {"person": target} if isinstance(target, Person) else {"organisation": target}
    waiting = ChangeRequest.objects.select_for_update().waiting().filter(**target_filter).first()
    if not changes or (waiting is not None and waiting.changes == changes):
        return None
    if waiting is not None:
        waiting.mark_withdrawn(
            user=requested_by, history_reason="Replaced by a newer change request", reason=REPLACED_REASON
        )
    change = ChangeRequest(requested_by=requested_by, changes=changes, **target_filter)
    record_change(change, user=requested_by, reason="Change requested")
    change.save()
    return change


@transaction.atomic
def change_details_submit(
    *, requested_by: User, person_values: dict[str, str], mailbox_values: dict[int, str] | None = None
) -> list[ChangeRequest]:
    """Ask for changes to the user's own person record and to the generic mailbox of organisations
    they serve (organisation id → mailbox). Returns the new requests: none when nothing changed.

    Fields other than the person fields are ignored; a mailbox of an organisation the user does
    not serve raises ChangeRequestError."""
    person = Person.objects.filter(user=requested_by).first()
    if person is None:
        raise ChangeRequestError("Your account is not linked to a person in the register.")
    mailbox_values = mailbox_values or {}
    allowed = {organisation.pk: organisation for organisation in mailbox_organisations(person)}
    refused = set(mailbox_values) - set(allowed)
    if refused:
        raise ChangeRequestError(
            "You can change the generic mailbox only of an organisation where you are the active MSO, MDSO or deputy."
        )
    created = [_submit_one(requested_by=requested_by, target=person, fields=PERSON_FIELDS, values=person_values)]
    for organisation_id, mailbox in sorted(mailbox_values.items()):
        created.append(
            _submit_one(
                requested_by=requested_by,
                target=allowed[organisation_id],
                fields=ORGANISATION_FIELDS,
                values={"generic_mailbox": mailbox},
            )
        )
    return [change for change in created if change is not None]


def history_reason(*, request_id: int, asked_by: str, approved_by: str) -> str:
    """The history's change reason: "Change request #N asked by <email>, approved by <email>", the
    emails shortened if the whole would not fit the column (100 characters)."""
    limit = Person.history.model._meta.get_field("history_change_reason").max_length

    def reason(asker: str, approver: str) -> str:
        return f"Change request #{request_id} asked by {asker}, approved by {approver}"

    text = reason(asked_by, approved_by)
    if len(text) <= limit:
        return text
    room = max((limit - len(reason("", ""))) // 2, 2)

    def shorten(email: str) -> str:
        return email if len(email) <= room else email[: room - 1] + "…"

    return reason(shorten(asked_by), shorten(approved_by))[:limit]


def _validation_text(error: ValidationError, model: type[Model]) -> str:
    if hasattr(error, "error_dict"):
        parts = []
        for field, messages in error.message_dict.items():
            label = field_label(model, field) if field != "__all__" else ""
            parts.extend(f"{label}: {message}" if label else message for message in messages)
        return " ".join(parts)
    return " ".join(error.messages)


@transaction.atomic
def change_request_approve(*, request_id: int, reviewer: User) -> ChangeRequest:
    """Apply a waiting request to its person or organisation, once, and email the officer.

    Raises ChangeRequestDecided when it is no longer waiting (so two approvals apply it once),
    ChangeRequestConflict when a field changed since the request was made, and ChangeRequestError
    when the new values are not valid (for example a work email another person uses). Nothing is
    written in those cases."""
    change = ChangeRequest.objects.lock_waiting(request_id)
    change.refuse_own(reviewer)
    target = _locked_target(change)
    model = type(target)
    fields = target_fields(change)
    unknown = set(change.changes) - set(fields)
    if unknown:
        raise ChangeRequestError(f"This request asks to change fields that cannot be changed: {', '.join(unknown)}.")
    conflicts = [
        field for field in fields if field in change.changes and getattr(target, field) != change.changes[field]["old"]
    ]
    if conflicts:
        labels = ", ".join(mid_sentence(field_label(model, field)) for field in conflicts)
        raise ChangeRequestConflict(
            f"The record has changed since this request was made ({labels}). Nothing was changed: "
            "reject the request and ask the officer to send it again.",
            conflicts,
        )
    if change.organisation_id and not mailbox_organisations_of_user(change.requested_by).filter(pk=target.pk).exists():
        raise ChangeRequestError(
            f"{change.requested_by.email} is no longer the active MSO, MDSO or deputy of {target.name}. "
            "Nothing was changed: reject the request."
        )
    for field in fields:
        if field in change.changes:
            setattr(target, field, change.changes[field]["new"])
    if (
        isinstance(target, Person)
        and "work_email" in change.changes
        and Person.objects.filter(work_email__iexact=target.work_email).exclude(pk=target.pk).exists()
    ):
        raise ChangeRequestError(
            f"Work email: another person in the register already uses {target.work_email}. Nothing was changed."
        )
    try:  # the changed fields and the rules about them, so an unrelated field cannot block the change
        target.full_clean(exclude=[f.name for f in model._meta.concrete_fields if f.name not in change.changes])
    except ValidationError as error:
        raise ChangeRequestError(f"{_validation_text(error, model)} Nothing was changed.") from error
    reason = history_reason(request_id=change.pk, asked_by=change.requested_by.email, approved_by=reviewer.email)
    record_change(target, user=reviewer, reason=reason)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as error:  # a unique value taken by another change at the same moment
        raise ChangeRequestError(
            "Another change took one of these values at the same moment. Nothing was changed: open the request again."
        ) from error
    change.mark_approved(reviewer=reviewer, history_reason=reason)
    _email_officer(change, "change_request_approved")
    return change


@transaction.atomic
def change_request_reject(*, request_id: int, reviewer: User, reason: str) -> ChangeRequest:
    """Reject a waiting request with a reason (required), and email the officer the reason."""
    reason = ChangeRequest.rejection_reason(reason)
    change = ChangeRequest.objects.lock_waiting(request_id)
    change.mark_rejected(
        reviewer=reviewer, reason=reason, history_reason=f"Change request #{change.pk} rejected by {reviewer.email}"
    )
    _email_officer(change, "change_request_rejected")
    return change


@transaction.atomic
def change_request_withdraw(*, request_id: int, user: User) -> ChangeRequest:
    """The officer who asked withdraws a request that is still waiting."""
    change = ChangeRequest.objects.filter(requested_by=user).lock_waiting(request_id)
    change.mark_withdrawn(user=user, history_reason="Withdrawn by the officer", reason="Withdrawn by the officer.")
    return change


@transaction.atomic
def person_confirm_details(*, person: Person, user: User, day: datetime.date | None = None) -> Person:
    """Record that the person confirmed their details are still correct (today unless `day`)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    person.details_confirmed_on = day or timezone.localdate()
    record_change(person, user=user, reason="Details confirmed as correct")
    person.save(update_fields=["details_confirmed_on", "updated_at"])
    return person


def _email_officer(change: ChangeRequest, template: str) -> None:
    target = change.target
    model = type(target)
    rows = [
        {"label": field_label(model, field), "new": field_display(model, field, change.changes[field]["new"])}
        for field in target_fields(change)
        if field in change.changes
    ]
    email_queue(
        to=[change.requested_by.email],
        template=template,
        context={
            "name": change.requested_by.get_short_name(),
            "request_id": change.pk,
            "target": target.full_name if isinstance(target, Person) else target.name,
            "is_organisation": change.organisation_id is not None,
            "rows": rows,
            "reason": change.review_reason,
            "submitted_on": date_format(timezone.localtime(change.submitted_at), "j F Y"),
        },
    )
