"""Who a message reaches: the people on the register its criteria choose, and their addresses.

The criteria combine with AND across kinds and OR within a kind: "MSOs or MDSOs, in London, who
missed the last three national webinars". The criteria about an appointment (role, region,
organisation type, open flag) hold of the same current appointment, and the mailboxes copied are
those of the organisations of those appointments. The national lead reaches anyone on the register
(a current appointment); a chair only the current members of the networks they chair
(`access.scopes.chaired_members`); anyone else no one.

Everything is set-based: the people and their addresses come in a fixed number of queries, whatever
the number of people.
"""

import dataclasses
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from access import scopes
from compliance.models import Flag
from meetings.models import ACTIVE_MEMBER_WEBINARS, Attendance, Meeting
from networks.models import Membership, Network
from officers.models import Appointment, Person
from organisations.models import Organisation, Region


class Webinars:
    """The webinar attendance criterion's values."""

    ANY = ""
    ATTENDED = "attended"
    MISSED = "missed"

    CHOICES = [
        (ANY, "Whatever their attendance"),
        (ATTENDED, f"Attended at least one of the last {ACTIVE_MEMBER_WEBINARS} national webinars"),
        (MISSED, f"Missed all of the last {ACTIVE_MEMBER_WEBINARS} national webinars"),
    ]


@dataclass(frozen=True)
class Audience:
    """The criteria of a message's audience. Empty criteria choose everyone in the sender's scope."""

    roles: tuple[str, ...] = ()  # Appointment.Role values
    regions: tuple[int, ...] = ()  # Region ids
    networks: tuple[int, ...] = ()  # Network ids
    organisation_kinds: tuple[str, ...] = ()  # Organisation.Kind values
    flag_kinds: tuple[str, ...] = ()  # Flag.Kind values
    webinars: str = Webinars.ANY
    copy_mailboxes: bool = True

    def __post_init__(self):
        # Stored sorted and without repeats, so that equal criteria are equal audiences.
        for field in ("roles", "regions", "networks", "organisation_kinds", "flag_kinds"):
            object.__setattr__(self, field, tuple(sorted(set(getattr(self, field)))))
        if self.webinars not in (Webinars.ANY, Webinars.ATTENDED, Webinars.MISSED):
            raise ValueError(f"Unknown webinar attendance criterion: {self.webinars!r}")

    def as_json(self) -> dict:
        return {
            key: list(value) if isinstance(value, tuple) else value for key, value in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_json(cls, data: dict) -> "Audience":
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(
            **{key: tuple(value) if isinstance(value, list) else value for key, value in data.items() if key in names}
        )


@dataclass(frozen=True)
class AudienceAddress:
    """One address of an audience: a person's, or a generic MSO mailbox copied."""

    address: str  # lower-cased
    kind: str  # "person" or "mailbox"
    person_id: int | None = None
    organisation_id: int | None = None

    @property
    def is_mailbox(self) -> bool:
        return self.kind == "mailbox"


def audience_networks(user) -> QuerySet:
    """The networks a sender may choose from: every network for the lead, those they chair for a chair."""
    return scopes.networks_with_membership(user)


def audience_in_scope(user, audience: Audience) -> bool:
    """Whether the sender may write to this audience at all: the lead or a chair, naming only networks
    they may reach. (One query, and only when the audience names networks.)"""
    if not user.is_authenticated or not (user.is_national_lead or scopes.is_chair(user)):
        return False
    if not audience.networks:
        return True
    reachable = audience_networks(user).filter(pk__in=audience.networks).count()
    return reachable == len(audience.networks)


def _appointments(user, audience: Audience) -> QuerySet:
    """The current appointments through which the audience is reached (one or more per person)."""
    appointments = scopes.scoped(
        Appointment.objects.current(), user, lambda: Q(person__in=scopes.chaired_members(user))
    )
    if audience.roles:
        appointments = appointments.filter(role__in=audience.roles)
    if audience.regions:
        appointments = appointments.filter(organisation__region__in=audience.regions)
    if audience.organisation_kinds:
        appointments = appointments.filter(organisation__kind__in=audience.organisation_kinds)
    if audience.flag_kinds:
        flags = (
            Flag.objects.visible_to(user)
            .open()
            .filter(organisation=OuterRef("organisation"), kind__in=audience.flag_kinds)
        )
        appointments = appointments.filter(Exists(flags))
    if audience.networks:
        memberships = Membership.objects.current().filter(
            person=OuterRef("person"), network__in=audience_networks(user).filter(pk__in=audience.networks)
        )
        appointments = appointments.filter(Exists(memberships))
    if audience.webinars:
        attended = Exists(
            Attendance.objects.filter(
                person=OuterRef("person"),
                meeting__in=Meeting.objects.last_national_webinars().values("pk"),
            )
        )
        appointments = appointments.filter(attended if audience.webinars == Webinars.ATTENDED else ~attended)
    return appointments


def audience_people(user, audience: Audience) -> QuerySet:
    """The people the audience chooses, as a queryset of Person (one query when evaluated)."""
    return Person.objects.filter(pk__in=_appointments(user, audience).values("person"))


def person_address(work_email: str, sign_in_email: str | None) -> str:
    return (work_email or sign_in_email or "").strip().lower()


def audience_recipients(user, audience: Audience) -> list[AudienceAddress]:
    """Every address of the audience, each once: the people's (their work email, or their sign-in
    email when they have none), then, with `copy_mailboxes`, the generic MSO mailboxes of their
    organisations that are not already a person's address. One query."""
    rows = (
        _appointments(user, audience)
        .order_by("person__last_name", "person__first_name", "person_id", "organisation_id")
        .values_list(
            "person_id", "person__work_email", "person__user__email", "organisation_id", "organisation__generic_mailbox"
        )
    )
    people: dict[str, AudienceAddress] = {}
    mailboxes: dict[str, AudienceAddress] = {}
    for person_id, work_email, sign_in_email, organisation_id, mailbox in rows.iterator(chunk_size=2000):
        address = person_address(work_email, sign_in_email)
        if address and address not in people:
            people[address] = AudienceAddress(address=address, kind="person", person_id=person_id)
        mailbox = (mailbox or "").strip().lower()
        if audience.copy_mailboxes and mailbox and mailbox not in mailboxes:
            mailboxes[mailbox] = AudienceAddress(address=mailbox, kind="mailbox", organisation_id=organisation_id)
    return [*people.values(), *(entry for address, entry in mailboxes.items() if address not in people)]


def audience_addresses(user, audience: Audience) -> list[str]:
    """The de-duplicated, lower-cased addresses the audience reaches (one query)."""
    return [entry.address for entry in audience_recipients(user, audience)]


def _names(choices, values) -> list[str]:
    labels = dict(choices)
    return [str(labels.get(value, value)) for value in values]


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def audience_describe(audience: Audience, user=None) -> str:
    """The audience in words, as the message's history keeps it (at most three queries). For a chair
    (`user`), it says whose members they are."""
    parts = []
    roles = [f"{label}s" for value, label in Appointment.Role.choices if value in audience.roles]
    chaired = []
    if user is not None and not user.is_national_lead and not audience.networks:
        chaired = sorted(network.name for network in scopes.chaired_networks(user))
    if roles:
        parts.append(_or(roles))
        if chaired:
            parts.append("who are members of " + _or(chaired))
    else:
        parts.append("Every current member of " + _or(chaired) if chaired else "Everyone on the register")
    if audience.regions:
        parts.append("in " + _or(list(Region.objects.filter(pk__in=audience.regions).values_list("name", flat=True))))
    if audience.organisation_kinds:
        parts.append(
            "at organisations of the type " + _or(_names(Organisation.Kind.choices, audience.organisation_kinds))
        )
    if audience.flag_kinds:
        parts.append("at organisations with an open flag: " + _or(_names(Flag.Kind.choices, audience.flag_kinds)))
    if audience.networks:
        names = list(Network.objects.filter(pk__in=audience.networks).values_list("name", flat=True))
        parts.append("who are members of " + _or(names))
    if audience.webinars:
        parts.append(
            "who attended at least one of the last three national webinars"
            if audience.webinars == Webinars.ATTENDED
            else "who missed the last three national webinars"
        )
    description = ", ".join(parts)
    if audience.copy_mailboxes:
        description += "; copied to their organisations' generic MSO mailboxes"
    return description
