"""The getting-started checklists of a set of appointments, as the pages show them.

`checklists_for` reads everything the checklists need in a fixed number of queries, whatever the
number of appointments: the items not applicable to each role, the items marked done, the national
webinars attended, the next national webinar, the regional chairs, the key contacts, the named
MDSOs and what each officer said about mailbox access when they registered. `home_checklists` picks
those the officer's home page offers.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from meetings.models import Attendance, Meeting
from networks.models import Membership, Network
from officers.models import Appointment
from organisations.models import KeyContact
from registrations.models import RegistrationRequest

from .models import ITEM_DETAILS, ITEM_HINTS, ChecklistHidden, Item, NotApplicable, Progress, is_new_in_post

# The key contacts the "key people" item lists, in this order (the incident reporting system lead
# belongs to the incident system item).
KEY_CONTACT_ROLES = [role for role in KeyContact.Role if role != KeyContact.Role.INCIDENT_REPORTING_LEAD]


@dataclass
class ChecklistRow:
    item: str
    label: str
    hint: str
    done: bool = False
    progress: Progress | None = None
    # Why the item counts as done without being marked (the MHRA registration on record, a webinar
    # attended), shown instead of who marked it.
    done_note: str = ""

    @property
    def can_undo(self) -> bool:
        """Undoing applies to an item marked done, and to the MHRA registration on record."""
        return self.progress is not None or (self.done and self.item == Item.MHRA_REGISTRATION)

    @property
    def details(self) -> tuple[str, ...]:
        return ITEM_DETAILS.get(self.item, ())

    @property
    def slug(self) -> str:
        """The item as it appears in addresses (kebab-case)."""
        return self.item.replace("_", "-")


@dataclass
class KeyPerson:
    role: str
    name: str = ""
    email: str = ""
    phone: str = ""
    url: str = ""


@dataclass
class AppointmentChecklist:
    appointment: Appointment
    rows: list[ChecklistRow]
    chairs: list[Membership] = field(default_factory=list)
    regional_network: Network | None = None
    key_people: list[KeyPerson] = field(default_factory=list)
    incident_lead: KeyContact | None = None
    next_webinar: Meeting | None = None
    webinar_attended: Attendance | None = None
    said_mailbox_access: bool | None = None

    @property
    def done_count(self) -> int:
        return sum(row.done for row in self.rows)

    @property
    def item_count(self) -> int:
        return len(self.rows)

    @property
    def is_complete(self) -> bool:
        return self.done_count == self.item_count

    def row(self, item: str) -> ChecklistRow | None:
        return next((row for row in self.rows if row.item == item), None)


def checklists_for(appointments, *, today: datetime.date | None = None) -> list[AppointmentChecklist]:
    """The checklist of each appointment (with its person and organisation loaded), in the same
    order. At most nine queries whatever the number of appointments (none when there are none)."""
    appointments = list(appointments)
    if not appointments:
        return []
    today = today or timezone.localdate()
    not_applicable = NotApplicable.by_role()
    ids = [appointment.pk for appointment in appointments]
    progress: dict[tuple[int, str], Progress] = {
        (row.appointment_id, row.item): row
        for row in Progress.objects.filter(appointment_id__in=ids).select_related("done_by")
    }
    attended: dict[int, list[Attendance]] = {}
    for attendance in (
        Attendance.objects.filter(
            person_id__in={appointment.person_id for appointment in appointments},
            meeting__kind=Meeting.Kind.NATIONAL_WEBINAR,
        )
        .select_related("meeting")
        .order_by("meeting__held_on", "pk")
    ):
        attended.setdefault(attendance.person_id, []).append(attendance)
    next_webinar = (
        Meeting.objects.filter(kind=Meeting.Kind.NATIONAL_WEBINAR, held_on__gte=today).order_by("held_on", "pk").first()
    )
    regions = {appointment.organisation.region_id for appointment in appointments} - {None}
    networks = {
        network.region_id: network
        for network in Network.objects.filter(kind=Network.Kind.REGIONAL, region_id__in=regions).prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.current().chairs().select_related("person").order_by("role", "pk"),
                to_attr="chair_memberships",
            )
        )
    }
    organisation_ids = {appointment.organisation_id for appointment in appointments}
    contacts: dict[int, dict[str, KeyContact]] = {}
    for contact in KeyContact.objects.filter(organisation_id__in=organisation_ids):
        contacts.setdefault(contact.organisation_id, {})[contact.role] = contact
    mdsos = {
        mdso.organisation_id: mdso
        for mdso in Appointment.objects.current()
        .filter(organisation_id__in=organisation_ids, role=Appointment.Role.MDSO)
        .select_related("person")
    }
    mailbox_answers = dict(
        RegistrationRequest.objects.filter(appointment_id__in=ids).values_list("appointment_id", "has_mailbox_access")
    )

    checklists = []
    for appointment in appointments:
        organisation = appointment.organisation
        webinar = next(
            (a for a in attended.get(appointment.person_id, []) if a.meeting.held_on >= appointment.start_date), None
        )
        rows = []
        for item in Item:
            if item.value in not_applicable.get(appointment.role, set()):
                continue
            row = ChecklistRow(item=item.value, label=item.label, hint=ITEM_HINTS[item])
            row.progress = progress.get((appointment.pk, item.value))
            row.done = row.progress is not None
            if item == Item.MHRA_REGISTRATION:
                row.done = appointment.mhra_registered_on is not None
                if row.done and row.progress is None:
                    row.done_note = f"Registered on {appointment.mhra_registered_on:%-d %B %Y}" + (
                        f", reference {appointment.mhra_reference}" if appointment.mhra_reference else ""
                    )
                if not row.done:
                    row.progress = None
            elif item == Item.NATIONAL_WEBINAR and webinar is not None:
                row.done = True
                row.done_note = f"Attended {webinar.meeting.title} on {webinar.meeting.held_on:%-d %B %Y}"
            rows.append(row)
        network = networks.get(organisation.region_id)
        own = contacts.get(organisation.pk, {})
        key_people = [
            KeyPerson(role=role.label, name=c.name, email=c.email, phone=c.phone)
            if (c := own.get(role.value))
            else KeyPerson(role=role.label)
            for role in KEY_CONTACT_ROLES
        ]
        mdso = mdsos.get(organisation.pk)
        if appointment.role != Appointment.Role.MDSO:
            key_people.append(
                KeyPerson(
                    role="Medical device safety officer",
                    name=mdso.person.full_name,
                    email=mdso.person.work_email,
                    url=mdso.person.get_absolute_url(),
                )
                if mdso
                else KeyPerson(role="Medical device safety officer")
            )
        key_people.append(
            KeyPerson(
                role="Board director for medication safety",
                name=organisation.board_director_name,
                email=organisation.board_director_email,
            )
        )
        checklists.append(
            AppointmentChecklist(
                appointment=appointment,
                rows=rows,
                chairs=list(network.chair_memberships) if network else [],
                regional_network=network,
                key_people=key_people,
                incident_lead=own.get(KeyContact.Role.INCIDENT_REPORTING_LEAD),
                next_webinar=next_webinar,
                webinar_attended=webinar,
                said_mailbox_access=mailbox_answers.get(appointment.pk),
            )
        )
    return checklists


@dataclass
class HomeChecklists:
    """What the home page offers of a person's checklists."""

    # The checklists of their appointments new in post with items still to do (none when hidden).
    checklists: list[AppointmentChecklist]
    # The person hid them (ChecklistHidden) while they have such a checklist.
    hidden: bool = False


def home_checklists(person, appointments, *, today: datetime.date | None = None) -> HomeChecklists:
    """The getting-started checklists the person's home page offers: of the appointments given (their
    active ones) those new in post, with items still to do, unless the person hid the checklist from
    their home page. No query for an officer long in post; else one, then `checklists_for`'s."""
    today = today or timezone.localdate()
    recent = [appointment for appointment in appointments if is_new_in_post(appointment, today)]
    if not recent:
        return HomeChecklists(checklists=[])
    if ChecklistHidden.objects.filter(person=person).exists():
        return HomeChecklists(checklists=[], hidden=True)
    checklists = [view for view in checklists_for(recent, today=today) if not view.is_complete]
    return HomeChecklists(checklists=checklists)
