"""Getting started in post: marking checklist items done and undone, hiding the checklist from a
home page and showing it again, and the national lead's choice of the items that do not apply to a
role.

Every function is keyword-only and runs in one transaction; every change keeps a history row with
who made it and why, and emails are stored in that transaction (emails.services.email_queue) and
sent when it commits. Refusals are raised as ValidationError (a rule of the checklist) or
PermissionDenied (the user may not do this), each with a message for the person using the page.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from compliance.models import Flag
from compliance.services import organisation_flags_resolve
from emails.services import email_queue
from msonet.history import record_change
from networks.models import Membership, Network
from officers.models import Appointment, Person
from users.models import User

from .models import ITEM_DETAILS, ChecklistHidden, Item, NotApplicable, Progress

EARLIEST_DATE = datetime.date(1990, 1, 1)

DETAIL_LABELS = {
    "date": "The date",
    "reference": "The MHRA registration reference",
    "system_lead": "The name of the system's lead",
}
DATE_LABELS = {
    Item.MHRA_REGISTRATION: "The date you registered with the MHRA",
    Item.NATIONAL_WEBINAR: "The date of the webinar",
}


def _name(user) -> str:
    return user.get_full_name() if user is not None else "the system"


def checklist_can_change(user, appointment: Appointment) -> bool:
    """The holder of an active appointment, and the national lead, may tick its checklist; a chair
    who sees it only reads it."""
    if not user.is_authenticated or appointment.status != Appointment.Status.ACTIVE:
        return False
    return user.is_national_lead or (user.pk is not None and appointment.person.user_id == user.pk)


def item_applies(item: str, role: str) -> bool:
    return not NotApplicable.objects.filter(item=item, role=role).exists()


def _clean_details(item: str, details: dict, *, today: datetime.date) -> dict:
    """The details an item records, checked: each required, dates real and not in the future."""
    wanted = ITEM_DETAILS.get(item, ())
    unknown = set(details) - set(wanted)
    if unknown:
        raise ValueError(f"{item} records no {', '.join(sorted(unknown))}")
    errors = {}
    cleaned = {}
    for name in wanted:
        value = details.get(name)
        if isinstance(value, str):
            value = " ".join(value.split())
        label = DATE_LABELS.get(item, "The date you joined") if name == "date" else DETAIL_LABELS[name]
        if not value:
            errors[name] = f"Enter {label[0].lower()}{label[1:]}"
        elif name == "date" and value > today:
            errors[name] = f"{label} must be today or in the past"
        elif name == "date" and value < EARLIEST_DATE:
            errors[name] = f"{label} must be after {EARLIEST_DATE:%-d %B %Y}"
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _locked_appointment(appointment: Appointment | int, *, by: User) -> Appointment:
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    appointment = (
        Appointment.objects.select_for_update(of=("self",)).select_related("person", "organisation__region").get(pk=pk)
    )
    if appointment.status != Appointment.Status.ACTIVE:
        raise ValidationError("The checklist is for active appointments: this one is not active.", code="not_active")
    if not checklist_can_change(by, appointment):
        raise PermissionDenied("Only the officer in this role, and the national lead, can change this checklist.")
    return appointment


def mark_done(*, appointment: Appointment | int, item: str, by: User, **details) -> Progress:
    """Mark a checklist item of an active appointment done, with what it records (`date`,
    `reference`, `system_lead`, as ITEM_DETAILS says), by its holder or the national lead. Marking a
    done item again replaces what it recorded.

    The MHRA registration also records the date and reference on the appointment and resolves its
    organisation's open "not registered with the MHRA" flag at once. Contacting the chair emails the
    regional network's chair and vice-chairs, each once whatever the number of times it is marked.
    """
    if item not in Item.values:
        raise ValidationError("Choose an item of the checklist.", code="invalid_item")
    today = timezone.localdate()
    details = _clean_details(item, details, today=today)
    with transaction.atomic():
        appointment = _locked_appointment(appointment, by=by)
        if not item_applies(item, appointment.role):
            raise ValidationError(
                f"“{Item(item).label}” does not apply to a {appointment.get_role_display().lower()}.",
                code="not_applicable",
            )
        progress = Progress.objects.filter(appointment=appointment, item=item).first()
        verb = "Marked done" if progress is None else "Details changed"
        if progress is None:
            progress = Progress(appointment=appointment, item=item)
        progress.done_at = timezone.now()
        progress.done_by = by
        for name in ("date", "reference", "system_lead"):
            setattr(progress, name, details.get(name, None if name == "date" else ""))
        record_change(progress, user=by, reason=f"{verb} by {_name(by)}")
        progress.save()

        if item == Item.MHRA_REGISTRATION:
            appointment.mhra_registered_on = details["date"]
            appointment.mhra_reference = details["reference"]
            record_change(appointment, user=by, reason=f"MHRA registration recorded by {_name(by)}")
            appointment.save(update_fields=["mhra_registered_on", "mhra_reference", "updated_at"])
            organisation_flags_resolve(
                organisation_id=appointment.organisation_id,
                kinds=[Flag.Kind.MHRA_NOT_REGISTERED],
                user=by,
                reason=f"MHRA registration recorded by {_name(by)}",
                today=today,
            )
        elif item == Item.CHAIR_CONTACT:
            _tell_chairs(appointment)
    return progress


def mark_undone(*, appointment: Appointment | int, item: str, by: User) -> None:
    """Undo a checklist item marked done, by the holder or the national lead. Undoing the MHRA
    registration clears the registration date and reference from the appointment (the flag comes
    back at the next compliance scan). A national webinar attended stays done: attendance is kept in
    the register, not here."""
    if item not in Item.values:
        raise ValidationError("Choose an item of the checklist.", code="invalid_item")
    with transaction.atomic():
        appointment = _locked_appointment(appointment, by=by)
        progress = Progress.objects.filter(appointment=appointment, item=item).first()
        registered = item == Item.MHRA_REGISTRATION and appointment.mhra_registered_on is not None
        if progress is None and not registered:
            raise ValidationError(f"“{Item(item).label}” is not marked done.", code="not_done")
        if registered:
            appointment.mhra_registered_on = None
            appointment.mhra_reference = ""
            record_change(appointment, user=by, reason=f"MHRA registration cleared by {_name(by)}")
            appointment.save(update_fields=["mhra_registered_on", "mhra_reference", "updated_at"])
        if progress is not None:
            record_change(progress, user=by, reason=f"Undone by {_name(by)}")
            progress.delete()


def _locked_person(person: Person | int, *, by: User) -> Person:
    pk = person.pk if isinstance(person, Person) else person
    person = Person.objects.select_for_update().get(pk=pk)
    if not (by.is_national_lead or (by.pk is not None and person.user_id == by.pk)):
        raise PermissionDenied("Only the person themself, and the national lead, can choose this.")
    return person


def checklist_hide(*, person: Person | int, by: User) -> bool:
    """Hide the getting-started checklist from the person's home page, at their choice (or the
    national lead's). Their checklists stay on their own pages. Returns False when it was hidden
    already (nothing changes)."""
    with transaction.atomic():
        person = _locked_person(person, by=by)
        if ChecklistHidden.objects.filter(person=person).exists():
            return False
        hidden = ChecklistHidden(person=person)
        record_change(hidden, user=by, reason=f"Hidden from the home page by {_name(by)}")
        hidden.save()
    return True


def checklist_show(*, person: Person | int, by: User) -> bool:
    """Show the getting-started checklist on the person's home page again (while they are new in
    post). Returns False when it was not hidden (nothing changes)."""
    with transaction.atomic():
        person = _locked_person(person, by=by)
        hidden = ChecklistHidden.objects.filter(person=person).first()
        if hidden is None:
            return False
        record_change(hidden, user=by, reason=f"Shown on the home page again by {_name(by)}")
        hidden.delete()
    return True


def _tell_chairs(appointment: Appointment) -> int:
    """Email the chair and vice-chairs of the organisation's regional network that the new officer
    has been in touch: once per chair and appointment (the email's dedupe key)."""
    organisation = appointment.organisation
    if organisation.region_id is None:
        return 0
    network = Network.objects.filter(kind=Network.Kind.REGIONAL, region_id=organisation.region_id).first()
    if network is None:
        return 0
    chairs = Membership.objects.current().chairs().filter(network=network).select_related("person").order_by("pk")
    checklist_url = settings.SITE_URL + reverse("workspace:checklist", args=[appointment.pk])
    sent = 0
    for membership in chairs:
        email = email_queue(
            to=[membership.person.work_email],
            template="workspace_chair_contact",
            context={
                "chair": membership.person,
                "membership": membership,
                "network": network,
                "person": appointment.person,
                "appointment": appointment,
                "organisation": organisation,
                "checklist_url": checklist_url,
            },
            dedupe_key=f"workspace-chair-contact:{appointment.pk}:{membership.person_id}",
        )
        sent += email is not None
    return sent


def applicability_set(*, not_applicable: dict[str, set[str]], by: User) -> int:
    """The national lead sets, for each role given, the items that do not apply to it (the rest
    apply). Roles left out are unchanged. Returns the number of changes, each kept in the history."""
    if not by.is_national_lead:
        raise PermissionDenied("Only the national lead decides which items apply to each role.")
    for role, items in not_applicable.items():
        if role not in Appointment.Role.values or not set(items) <= set(Item.values):
            raise ValidationError("Choose roles and items of the checklist.", code="invalid_choice")
    try:
        return _applicability_save(not_applicable, by=by)
    except IntegrityError as exc:  # the same row added at the same moment by another lead
        raise ValidationError(
            "The items changed at the same moment on another screen. Nothing was saved: check them and save again.",
            code="conflict",
        ) from exc


def _applicability_save(not_applicable: dict[str, set[str]], *, by: User) -> int:
    changes = 0
    with transaction.atomic():
        existing = {
            (row.role, row.item): row
            for row in NotApplicable.objects.select_for_update().filter(role__in=list(not_applicable))
        }
        for role, items in not_applicable.items():
            role_label = Appointment.Role(role).label.lower()
            for item in Item.values:
                row = existing.get((role, item))
                if item in items and row is None:
                    row = NotApplicable(role=role, item=item)
                    record_change(row, user=by, reason=f"Not applicable to {role_label}, set by {_name(by)}")
                    row.save()
                    changes += 1
                elif item not in items and row is not None:
                    record_change(row, user=by, reason=f"Applicable to {role_label} again, set by {_name(by)}")
                    row.delete()
                    changes += 1
    return changes
