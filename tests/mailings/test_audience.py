"""The audience builder against a hand-counted register: each criterion alone, in combination, and
in a chair's scope.

The register (current appointments only count; the networks' current members; the last three
national webinars are W1 to W3):

    person  appointments (organisation, region, type)            networks          webinars
    alice   MSO and MDSO at T1 (London trust, open NO_MDSO flag)  national, London  W3
    bob     MSO at T2 (North West trust, NO_MDSO flag resolved)   national, NW, MH  none (a network meeting)
    carol   deputy at T1; team member at I1 (London ICB,          London, MH        W1
            no mailbox, open NO_MAILBOX flag)
    dan     MSO at I1                                             national          W0 only (too old)
    erin    medicines champion at P1 (pharmacy company)           none              W2
    frank   MSO at T2, ended                                      national          W3
    gita    MDSO at T2, pending                                   none              none

Mailboxes: T1 t1.mso@, T2 t2.mso@, P1 p1.mso@, I1 none.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from compliance.models import Flag
from mailings.audience import Audience, Webinars, audience_addresses, audience_in_scope, audience_people
from networks.models import Membership, Network
from officers.models import Appointment
from organisations.models import Organisation
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    FlagFactory,
    MeetingFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PersonFactory,
    RegionFactory,
    TOTPAuthenticatorFactory,
    UserFactory,
    WebinarFactory,
)

Role = Appointment.Role
T1, T2, P1 = "t1.mso@nhs.net", "t2.mso@nhs.net", "p1.mso@nhs.net"


@pytest.fixture
def register(db):
    london = RegionFactory(code="Y56", name="London")
    north_west = RegionFactory(code="Y62", name="North West")
    national = NetworkFactory(name="National", slug="national", kind=Network.Kind.NATIONAL)
    london_net = NetworkFactory(name="London", slug="london", kind=Network.Kind.REGIONAL, region=london)
    nw_net = NetworkFactory(name="North West", slug="nw", kind=Network.Kind.REGIONAL, region=north_west)
    mental_health = NetworkFactory(name="Mental health", slug="mh")

    t1 = OrganisationFactory(ods_code="RT1", region=london, generic_mailbox=T1)
    t2 = OrganisationFactory(ods_code="RT2", region=north_west, generic_mailbox=T2)
    i1 = OrganisationFactory(ods_code="QI1", region=london, kind=Organisation.Kind.ICB, generic_mailbox="")
    p1 = OrganisationFactory(ods_code="FP1", region=None, kind=Organisation.Kind.PHARMACY_COMPANY, generic_mailbox=P1)
    FlagFactory(organisation=t1, kind=Flag.Kind.NO_MDSO)
    FlagFactory(organisation=i1, kind=Flag.Kind.NO_MAILBOX)
    FlagFactory(
        organisation=t2,
        kind=Flag.Kind.NO_MDSO,
        opened_at=timezone.now() - datetime.timedelta(days=9),
        resolved_at=timezone.now(),
    )

    def person(name, *appointments, networks=(), email=None):
        someone = PersonFactory(first_name=name.title(), last_name="Test", work_email=email or f"{name}@nhs.net")
        for organisation, role, *status in appointments:
            AppointmentFactory(
                person=someone,
                organisation=organisation,
                role=role,
                status=status[0] if status else Appointment.Status.ACTIVE,
                end_date=datetime.date(2025, 1, 1) if status and status[0] == "ended" else None,
            )
        for network in networks:
            MembershipFactory(person=someone, network=network)
        return someone

    alice = person("alice", (t1, Role.MSO), (t1, Role.MDSO), networks=(national, london_net))
    bob = person("bob", (t2, Role.MSO), networks=(national, nw_net, mental_health), email="Bob.Test@NHS.net")
    carol = person("carol", (t1, Role.DEPUTY_MSO), (i1, Role.TEAM_MEMBER), networks=(london_net, mental_health))
    dan = person("dan", (i1, Role.MSO), networks=(national,))
    erin = person("erin", (p1, Role.MEDICINES_CHAMPION))
    frank = person("frank", (t2, Role.MSO, "ended"), networks=(national,))
    gita = person("gita", (t2, Role.MDSO, "pending"))
    # A member who left the mental health network is not a current member.
    MembershipFactory(person=dan, network=mental_health, left_on=datetime.date(2025, 6, 1))

    w0, w1, w2, w3 = (
        WebinarFactory(network=national, held_on=datetime.date(2026, month, 10)) for month in (6, 7, 8, 9)
    )
    AttendanceFactory(meeting=w3, person=alice)
    AttendanceFactory(meeting=w1, person=carol)
    AttendanceFactory(meeting=w0, person=dan)
    AttendanceFactory(meeting=w2, person=erin)
    AttendanceFactory(meeting=w3, person=frank)
    AttendanceFactory(meeting=MeetingFactory(network=nw_net, held_on=datetime.date(2026, 9, 1)), person=bob)

    def chair(network, name):
        user = UserFactory(email=f"{name}@nhs.net")
        PersonFactory(user=user, work_email=user.email)
        MembershipFactory(person=user.person, network=network, role=Membership.Role.CHAIR)
        TOTPAuthenticatorFactory(user=user)
        return user

    return SimpleNamespace(
        lead=UserFactory(is_national_lead=True),
        london=london,
        north_west=north_west,
        national=national,
        london_net=london_net,
        nw_net=nw_net,
        mental_health=mental_health,
        chair_london=chair(london_net, "chair.london"),
        chair_mh=chair(mental_health, "chair.mh"),
        officer=UserFactory(email="officer@nhs.net"),
        people=SimpleNamespace(alice=alice, bob=bob, carol=carol, dan=dan, erin=erin, frank=frank, gita=gita),
    )


def names(user, audience):
    return sorted(person.first_name.lower() for person in audience_people(user, audience))


def addresses(user, audience):
    return sorted(audience_addresses(user, audience))


def at(*people):
    return sorted(f"{name}@nhs.net" if name != "bob" else "bob.test@nhs.net" for name in people)


# Each criterion alone, for the national lead.

CASES = [
    ("everyone", {}, ["alice", "bob", "carol", "dan", "erin"], [T1, T2, P1]),
    ("MSOs", {"roles": [Role.MSO]}, ["alice", "bob", "dan"], [T1, T2]),
    ("MDSOs", {"roles": [Role.MDSO]}, ["alice"], [T1]),
    ("deputies", {"roles": [Role.DEPUTY_MSO]}, ["carol"], [T1]),
    ("team members", {"roles": [Role.TEAM_MEMBER]}, ["carol"], []),
    ("medicines champions", {"roles": [Role.MEDICINES_CHAMPION]}, ["erin"], [P1]),
    ("MSOs or deputies", {"roles": [Role.MSO, Role.DEPUTY_MSO]}, ["alice", "bob", "carol", "dan"], [T1, T2]),
    ("London", {"regions": ["london"]}, ["alice", "carol", "dan"], [T1]),
    ("North West", {"regions": ["north_west"]}, ["bob"], [T2]),
    ("London or North West", {"regions": ["london", "north_west"]}, ["alice", "bob", "carol", "dan"], [T1, T2]),
    ("mental health network", {"networks": ["mental_health"]}, ["bob", "carol"], [T1, T2]),
    ("London network", {"networks": ["london_net"]}, ["alice", "carol"], [T1]),
    ("national network", {"networks": ["national"]}, ["alice", "bob", "dan"], [T1, T2]),
    ("ICBs", {"organisation_kinds": [Organisation.Kind.ICB]}, ["carol", "dan"], []),
    ("pharmacy companies", {"organisation_kinds": [Organisation.Kind.PHARMACY_COMPANY]}, ["erin"], [P1]),
    ("open no-MDSO flag", {"flag_kinds": [Flag.Kind.NO_MDSO]}, ["alice", "carol"], [T1]),
    ("open no-mailbox flag", {"flag_kinds": [Flag.Kind.NO_MAILBOX]}, ["carol", "dan"], []),
    ("either flag", {"flag_kinds": [Flag.Kind.NO_MDSO, Flag.Kind.NO_MAILBOX]}, ["alice", "carol", "dan"], [T1]),
    ("attended", {"webinars": Webinars.ATTENDED}, ["alice", "carol", "erin"], [T1, P1]),
    ("missed", {"webinars": Webinars.MISSED}, ["bob", "dan"], [T2]),
    # Combinations: AND across kinds; the appointment criteria hold of one appointment.
    ("MSOs in London", {"roles": [Role.MSO], "regions": ["london"]}, ["alice", "dan"], [T1]),
    ("deputies at ICBs", {"roles": [Role.DEPUTY_MSO], "organisation_kinds": [Organisation.Kind.ICB]}, [], []),
    ("MH network, missed", {"networks": ["mental_health"], "webinars": Webinars.MISSED}, ["bob"], [T2]),
    ("London, attended", {"regions": ["london"], "webinars": Webinars.ATTENDED}, ["alice", "carol"], [T1]),
    ("named with no-MDSO flag", {"roles": [Role.MSO, Role.MDSO], "flag_kinds": [Flag.Kind.NO_MDSO]}, ["alice"], [T1]),
    (
        "ICBs in London or North West",
        {"regions": ["london", "north_west"], "organisation_kinds": [Organisation.Kind.ICB]},
        ["carol", "dan"],
        [],
    ),
    (
        "MSOs, national network, missed, trusts",
        {
            "roles": [Role.MSO],
            "networks": ["national"],
            "webinars": Webinars.MISSED,
            "organisation_kinds": [Organisation.Kind.NHS_TRUST],
        },
        ["bob"],
        [T2],
    ),
]


def build(register, criteria, **extra) -> Audience:
    criteria = dict(criteria)
    for key in ("regions", "networks"):
        if key in criteria:
            criteria[key] = tuple(getattr(register, name).pk for name in criteria[key])
    return Audience(
        **{key: tuple(value) if isinstance(value, list) else value for key, value in criteria.items()}, **extra
    )


@pytest.mark.parametrize(("label", "criteria", "people", "mailboxes"), CASES, ids=[case[0] for case in CASES])
def test_the_audience_builder_matches_the_hand_count(register, label, criteria, people, mailboxes):
    audience = build(register, criteria)
    assert names(register.lead, audience) == people
    assert addresses(register.lead, audience) == sorted(at(*people) + mailboxes)
    assert addresses(register.lead, build(register, criteria, copy_mailboxes=False)) == at(*people)


def test_ended_and_pending_appointments_are_not_on_the_register(register):
    everyone = names(register.lead, Audience(networks=(register.national.pk,)))
    assert "frank" not in everyone and "gita" not in everyone


def test_addresses_are_lower_cased_and_fall_back_to_the_sign_in_email(register):
    erin = register.people.erin
    erin.work_email = ""
    erin.user = UserFactory(email="Erin.Home@NHS.net")
    erin.save()
    assert "erin.home@nhs.net" in audience_addresses(register.lead, Audience(copy_mailboxes=False))
    assert "bob.test@nhs.net" in audience_addresses(register.lead, Audience(copy_mailboxes=False))


CHAIR_CASES = [
    ("london chair, everyone", "chair_london", {}, ["alice", "carol"], [T1]),
    ("london chair, MSOs", "chair_london", {"roles": [Role.MSO]}, ["alice"], [T1]),
    ("london chair, missed", "chair_london", {"webinars": Webinars.MISSED}, [], []),
    ("london chair, ICBs", "chair_london", {"organisation_kinds": [Organisation.Kind.ICB]}, ["carol"], []),
    ("MH chair, everyone", "chair_mh", {}, ["bob", "carol"], [T1, T2]),
    ("MH chair, North West", "chair_mh", {"regions": ["north_west"]}, ["bob"], [T2]),
    ("MH chair, their network", "chair_mh", {"networks": ["mental_health"]}, ["bob", "carol"], [T1, T2]),
]


@pytest.mark.parametrize(
    ("label", "chair", "criteria", "people", "mailboxes"), CHAIR_CASES, ids=[case[0] for case in CHAIR_CASES]
)
def test_a_chair_reaches_only_their_networks_current_members(register, label, chair, criteria, people, mailboxes):
    user = getattr(register, chair)
    audience = build(register, criteria)
    assert audience_in_scope(user, audience)
    assert names(user, audience) == people
    assert addresses(user, audience) == sorted(at(*people) + mailboxes)


def test_a_chair_may_not_name_a_network_they_do_not_chair(register):
    assert not audience_in_scope(register.chair_london, build(register, {"networks": ["mental_health"]}))
    assert not audience_in_scope(register.chair_london, build(register, {"networks": ["london_net", "mental_health"]}))
    assert audience_in_scope(register.lead, build(register, {"networks": ["mental_health"]}))


def test_an_officer_reaches_no_one(register):
    assert not audience_in_scope(register.officer, Audience())
    assert audience_addresses(register.officer, Audience()) == []


@pytest.mark.parametrize("sender", ["lead", "chair_london", "chair_mh"])
def test_the_addresses_come_in_one_query_whatever_the_criteria(register, sender, django_assert_num_queries):
    audience = build(
        register,
        {
            "roles": [Role.MSO],
            "regions": ["london"],
            "networks": ["london_net"],
            "organisation_kinds": [Organisation.Kind.NHS_TRUST],
            "flag_kinds": [Flag.Kind.NO_MDSO, Flag.Kind.LAPSED_HANDOVER],
            "webinars": Webinars.ATTENDED,
        },
    )
    user = getattr(register, sender)
    with django_assert_num_queries(1):
        assert audience_addresses(user, audience) == ([] if sender == "chair_mh" else ["alice@nhs.net", T1])
