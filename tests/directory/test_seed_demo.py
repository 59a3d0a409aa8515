"""`manage.py seed_demo`: real ODS organisations, fictional officers, one sign-in per role; safe to run again."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from access import scopes
from committees.models import Committee, CommitteeMember
from compliance.coverage import with_coverage
from compliance.models import Flag
from directory.management.commands.seed_demo import (
    CHAIR_EMAIL,
    DEMO_EMAIL_SUFFIX,
    DEMO_PASSWORD,
    LEAD_EMAIL,
    MSO_EMAIL,
)
from meetings.models import Attendance, Meeting
from networks.models import Membership, Network
from officers.models import Appointment, Person
from organisations.models import Cover, Organisation, Region
from registrations.models import RegistrationRequest
from users.models import User

COUNTED_MODELS = [
    Organisation,
    Region,
    Network,
    Person,
    Appointment,
    Membership,
    Committee,
    CommitteeMember,
    Meeting,
    Attendance,
    User,
    EmailAddress,
]


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def row_counts() -> dict:
    counts = {model.__name__: model.objects.count() for model in COUNTED_MODELS}
    counts.update(
        {f"history of {model.__name__}": model.history.count() for model in COUNTED_MODELS if hasattr(model, "history")}
    )
    return counts


def demo_snapshot() -> list:
    """What the fictional data says, independent of database ids."""
    return sorted(
        Appointment.objects.values_list(
            "person__work_email", "organisation__ods_code", "role", "status", "start_date", "mhra_registered_on"
        )
    ) + sorted(Membership.objects.values_list("person__work_email", "network__slug", "role", "joined_on"))


@pytest.fixture
def seeded(db):
    return seed_demo()


def test_seed_demo_creates_the_national_and_seven_regional_networks(seeded):
    national = Network.objects.get(kind=Network.Kind.NATIONAL)
    assert (national.name, national.slug) == ("National MSO network", "national")
    regional = Network.objects.filter(kind=Network.Kind.REGIONAL)
    assert sorted(network.region.code for network in regional) == ["Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"]
    assert {network.parent for network in regional} == {national}
    assert Network.objects.get(slug="london").region.name == "London"
    for network in regional:
        assert network.memberships.current().filter(role=Membership.Role.CHAIR).count() == 1, network


def test_seed_demo_gives_most_open_trusts_an_mso_and_leaves_gaps(seeded):
    trusts = Organisation.objects.open().filter(kind=Organisation.Kind.NHS_TRUST)
    with_mso = trusts.filter(appointments__status="active", appointments__role="mso").distinct().count()
    assert 0.55 * trusts.count() < with_mso < 0.85 * trusts.count()
    assert trusts.count() - with_mso >= 5
    assert Appointment.objects.current().filter(role=Appointment.Role.MDSO).exists()
    assert Appointment.objects.current().filter(role=Appointment.Role.DEPUTY_MSO).exists()
    assert Appointment.objects.filter(mhra_registered_on__isnull=False).exists()
    assert RegistrationRequest.objects.waiting().count() == 3
    assert RegistrationRequest.objects.filter(email_domain_trusted=False).count() == 1
    icbs = Organisation.objects.filter(kind=Organisation.Kind.ICB)
    covering = Organisation.objects.filter(kind=Organisation.Kind.COVERING_BODY)
    assert Appointment.objects.current().filter(organisation__in=icbs).exists()
    assert not Appointment.objects.exclude(organisation__in=trusts | icbs | covering).exists()


def test_seed_demo_loads_the_pharmacy_sample_with_a_covering_body_and_runs_the_scan(seeded):
    pharmacies = Organisation.objects.filter(kind=Organisation.Kind.PHARMACY)
    assert pharmacies.count() == 2991
    npa = Organisation.objects.get(kind=Organisation.Kind.COVERING_BODY)
    assert npa.covers_given.get().rule == Cover.Rule.SMALL_PHARMACY_COMPANIES
    assert npa.named_mso is not None
    # The scan has run: flags are open, none on a pharmacy, a sub-ICB location or outside England.
    assert Flag.objects.open().exists()
    assert not Flag.objects.open().filter(organisation__kind__in=["pharmacy", "sub_icb", "gp_practice"]).exists()
    assert not Flag.objects.open().exclude(organisation__in=Organisation.objects.in_england()).exists()
    # The companies under the threshold are covered by the covering body; those above it are expected.
    companies = with_coverage(Organisation.objects.filter(kind=Organisation.Kind.PHARMACY_COMPANY))
    assert {company.mso_status for company in companies} >= {"covered", "missing"}


def test_seed_demo_officers_are_fictional_and_in_the_national_and_their_regional_network(seeded):
    assert not Person.objects.exclude(work_email__endswith=DEMO_EMAIL_SUFFIX).exists()
    national = Network.objects.get(slug="national")
    for appointment in Appointment.objects.current().select_related("organisation")[:50]:
        networks = set(appointment.person.memberships.current().values_list("network", flat=True))
        assert national.pk in networks
        if appointment.organisation.region_id:
            regional = Network.objects.get(kind=Network.Kind.REGIONAL, region=appointment.organisation.region_id)
            assert regional.pk in networks


def test_seed_demo_adds_committees_two_national_webinars_with_attendance_and_the_next_one_scheduled(seeded):
    assert Committee.objects.exists()
    assert CommitteeMember.objects.filter(person__isnull=False).exists()
    represented = Committee.objects.filter(has_patient_representation=True)
    assert represented.exists()
    assert not represented.filter(members__is_patient_representative=True).count() < represented.count()
    webinars = Meeting.objects.filter(kind=Meeting.Kind.NATIONAL_WEBINAR, network__slug="national")
    held = webinars.filter(starts_at__isnull=True)
    assert held.count() == 2
    for webinar in held:
        assert webinar.attendances.count() > 10
    (upcoming,) = webinars.filter(starts_at__isnull=False)
    assert upcoming.starts_at > timezone.now()
    assert upcoming.starts_uk.weekday() == 2 and (upcoming.starts_uk.hour, upcoming.ends_uk.hour) == (14, 15)
    assert upcoming.joining_link.startswith("https://")
    assert not upcoming.attendances.exists()


@pytest.mark.parametrize("email", [LEAD_EMAIL, CHAIR_EMAIL, MSO_EMAIL])
def test_each_demo_account_signs_in_through_allauth(client, seeded, email):
    response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("directory:home")
    assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)
    assert EmailAddress.objects.get(email=email).verified


def test_demo_accounts_hold_their_roles(seeded):
    lead = User.objects.get(email=LEAD_EMAIL)
    assert lead.is_national_lead and lead.is_staff
    chair = User.objects.get(email=CHAIR_EMAIL)
    assert [network.slug for network in scopes.chaired_networks(chair)] == ["london"]
    mso = User.objects.get(email=MSO_EMAIL)
    appointment = mso.person.appointments.current().get()
    assert appointment.role == Appointment.Role.MSO
    assert appointment.organisation.ods_code == "RAL"
    assert appointment.organisation.region.code == "Y56"


def test_seed_demo_prints_the_sign_ins(seeded):
    for email in (LEAD_EMAIL, CHAIR_EMAIL, MSO_EMAIL):
        assert email in seeded
    assert DEMO_PASSWORD in seeded
    assert "created=" in seeded


def test_second_run_adds_and_changes_nothing(seeded):
    before = row_counts()
    snapshot = demo_snapshot()
    output = seed_demo()
    assert row_counts() == before
    assert demo_snapshot() == snapshot
    assert "Demo officers: already loaded, nothing added" in output


def test_seed_demo_makes_the_same_officers_every_time(seeded):
    snapshot = demo_snapshot()
    Attendance.objects.all().delete()
    Meeting.objects.all().delete()
    Committee.objects.all().delete()
    Membership.objects.all().delete()
    Appointment.objects.all().delete()
    Person.objects.all().delete()
    seed_demo()
    assert demo_snapshot() == snapshot


@pytest.mark.django_db
def test_seed_demo_refuses_where_demo_data_is_not_allowed(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="DEMO_DATA_ALLOWED"):
        seed_demo()
    assert not Organisation.objects.exists()
    assert not Network.objects.exists()
    assert not User.objects.exists()
