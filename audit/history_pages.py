"""The history pages of an organisation and of a person: who changed what, when, from what to what
and why, read from the history tables in a fixed number of queries whatever their length."""

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery

from audit.profile_changes import FieldChange, display_value, field_label
from officers.models import Appointment, Person
from organisations.models import KeyContact, Organisation, Region

# The most recent changes a history page reads: its pages are cut from these.
HISTORY_LIMIT = 500

ODS_IMPORT_REASON = "ODS import"
# Changes made with no one signed in, by what made them: the first reason that matches names it.
AUTOMATIC_CHANGES = (
    ("Anonymised:", "Nightly anonymisation of former officers"),
    ("Lapsed", "Nightly compliance scan"),
    ("Opened by the scan", "Nightly compliance scan"),
    ("Resolved by the scan", "Nightly compliance scan"),
)
AUTOMATIC = "The MSO Network (automatic)"

ACTIONS = {"+": "Added", "~": "Changed", "-": "Removed"}


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime.datetime
    by: str
    what: str
    action: str
    fields: list[FieldChange]
    reason: str


def changed_by(user, reason: str) -> str:
    """Who made a change, as a reader should see it: the person's name (or email address), the ODS
    import with its file, or the scheduled job that made it; never "None"."""
    name = (user.get_full_name() or user.email) if user is not None else ""
    if reason.startswith(ODS_IMPORT_REASON):
        file_name = reason.removeprefix(ODS_IMPORT_REASON).strip()
        text = f"ODS import of {file_name}" if file_name else "ODS import"
        return f"{text}, run by {name}" if name else text
    if name:
        return name
    for start, job in AUTOMATIC_CHANGES:
        if reason.startswith(start):
            return job
    return AUTOMATIC


def _entries(model, fields: tuple[str, ...], rows_filter: Q, describe, displays: dict) -> list[HistoryEntry]:
    """The changes to `model`'s rows matching `rows_filter`, newest first: two queries (the rows,
    then the row before each, for what it was before). `displays` maps a field to a function
    giving the text of its value (for foreign keys)."""
    history = model.history.model
    previous = (
        history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    rows = list(
        history.objects.filter(rows_filter)
        .annotate(previous_id=Subquery(previous))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:HISTORY_LIMIT]
    )
    before = history.objects.in_bulk([row.previous_id for row in rows if row.previous_id])

    def shown(row, name) -> str:
        value = getattr(row, f"{name}_id" if name in displays else name)
        return displays[name](value) if name in displays else display_value(model, name, value)

    entries = []
    for row in rows:
        old = before.get(row.previous_id) if row.history_type == "~" else None
        changes = []
        for name in fields:
            new_text = "" if row.history_type == "-" else shown(row, name)
            old_text = shown(row, name) if row.history_type == "-" else (shown(old, name) if old else "")
            if row.history_type == "~" and old is not None and old_text == new_text:
                continue
            if old_text or new_text:
                changes.append(FieldChange(field_label(model, name), old_text, new_text))
        if row.history_type == "~" and not changes:
            continue
        reason = row.history_change_reason or ""
        by = changed_by(row.history_user, reason)
        if reason.startswith(ODS_IMPORT_REASON):
            reason = ""  # "By" names the import and its file already
        entries.append(
            HistoryEntry(
                at=row.history_date,
                by=by,
                what=describe(row),
                action=ACTIONS[row.history_type],
                fields=changes,
                reason=reason,
            )
        )
    return entries


def _newest_first(*groups: list[HistoryEntry]) -> list[HistoryEntry]:
    return sorted((entry for group in groups for entry in group), key=lambda entry: entry.at, reverse=True)[
        :HISTORY_LIMIT
    ]


ORGANISATION_FIELDS = (
    "name",
    "kind",
    "region",
    "opened_on",
    "closed_on",
    "address",
    "postcode",
    "phone",
    "generic_mailbox",
)
PRIVATE_ORGANISATION_FIELDS = ("board_director_name", "board_director_email")
APPOINTMENT_FIELDS = ("role", "status", "start_date", "end_date", "mhra_registered_on", "mhra_reference")
PERSON_FIELDS = ("first_name", "last_name", "job_title", "profession")
CONTACT_FIELDS = ("work_email", "phone", "registration_number")


def organisation_history(organisation: Organisation, *, show_private: bool) -> list[HistoryEntry]:
    """The changes to an organisation's record and to its officers' appointments there, and, for those
    who may see its private profile (`show_private`), its team roles, key contacts and board
    director. Newest first; a fixed number of queries."""
    regions = {region.pk: region.name for region in Region.objects.all()}
    organisation_fields = ORGANISATION_FIELDS + (PRIVATE_ORGANISATION_FIELDS if show_private else ())
    own = _entries(
        Organisation,
        organisation_fields,
        Q(id=organisation.pk),
        lambda row: "Organisation record",
        {"region": lambda pk: regions.get(pk, "")},
    )
    appointments_filter = Q(organisation_id=organisation.pk)
    if not show_private:
        appointments_filter &= Q(role__in=Appointment.NAMED_ROLES)
    people = Person.objects.filter(appointments__organisation=organisation).distinct().in_bulk()
    appointments = _entries(
        Appointment,
        APPOINTMENT_FIELDS,
        appointments_filter,
        lambda row: f"{row.get_role_display()}: {people[row.person_id].full_name if row.person_id in people else ''}",
        {},
    )
    contacts = (
        _entries(
            KeyContact,
            ("name", "email", "phone"),
            Q(organisation_id=organisation.pk),
            lambda row: f"Key contact: {row.get_role_display()}",
            {},
        )
        if show_private
        else []
    )
    return _newest_first(own, appointments, contacts)


def person_history(person: Person, *, show_contact: bool) -> list[HistoryEntry]:
    """The changes to a person's record (their contact details only when `show_contact`) and to their
    appointments. Newest first; a fixed number of queries."""
    fields = PERSON_FIELDS + (CONTACT_FIELDS if show_contact else ())
    own = _entries(Person, fields, Q(id=person.pk), lambda row: "Personal details", {})
    organisations = Organisation.objects.filter(appointments__person=person).distinct().in_bulk()
    appointments = _entries(
        Appointment,
        APPOINTMENT_FIELDS,
        Q(person_id=person.pk),
        lambda row: (
            f"{row.get_role_display()} at "
            f"{organisations[row.organisation_id].name if row.organisation_id in organisations else ''}"
        ),
        {},
    )
    return _newest_first(own, appointments)
