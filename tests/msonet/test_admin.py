"""The admin is the national lead's tool for the whole registry: every model, with history, search and filters."""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from committees.models import CommitteeMember
from handovers.models import HandoverChecklistItem
from meetings import admin as meetings_admin
from meetings.models import Attendance, Meeting, UnmatchedAttendee
from networks.models import Membership
from officers.models import Appointment, ChangeRequest
from registrations.models import RegistrationRequest
from tests.factories import (
    AppointmentFactory,
    CommitteeFactory,
    HandoverFactory,
    MeetingFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PersonFactory,
    TeamProposalFactory,
    UserFactory,
)
from users.models import TrustedEmailDomain, User

REGISTRY_APPS = ("users", "officers", "registrations", "committees", "networks", "meetings", "handovers")
# Admins that only show records: their changes go through a service on a portal page.
READ_ONLY_ADMINS = {
    "officers.changerequest",
    "registrations.registrationrequest",
    "officers.teamproposal",
    "meetings.unmatchedattendee",
}
# Logs the portal writes, with a read-only admin and no history of their own (tested beside their feature).
LOG_MODELS = {"meetings.exportlog"}
# Sign-in sessions, kept only so that a user's sessions can be ended; no admin (tests/users/test_sessions.py).
# Personal calendar feeds, whose token is a secret their user resets on their Webinars page; no admin
# (tests/meetings/test_calendar_feed.py).
NO_ADMIN_MODELS = {"users.usersession", "meetings.calendarfeed"}


def registry_models():
    return [
        model
        for app_label in REGISTRY_APPS
        for model in apps.get_app_config(app_label).get_models()
        if not model._meta.model_name.startswith("historical")
        and model._meta.label_lower not in LOG_MODELS | NO_ADMIN_MODELS
    ]


MODEL_LABELS = [model._meta.label_lower for model in registry_models()]


def admin_url(label, page, *args):
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{page}", args=args)


def make_handover(outgoing=None):
    """An open handover from `outgoing` (a new appointment if none) to a pending one at the same organisation."""
    outgoing = outgoing or AppointmentFactory()
    return HandoverFactory(
        outgoing_appointment=outgoing,
        incoming_appointment=AppointmentFactory(organisation=outgoing.organisation, status=Appointment.Status.PENDING),
        leaving_date=datetime.date(2026, 12, 31),
        due_date=datetime.date(2027, 1, 31),
    )


@pytest.fixture
def records(world):
    """One saved object of every registry model, keyed by model label."""
    committee = CommitteeFactory(organisation=world.org_a, chair_name="Grace Hartley")
    meeting = MeetingFactory(network=world.national, kind=Meeting.Kind.NATIONAL_WEBINAR)
    handover = make_handover(world.mso_appointment)
    return {
        "users.user": world.mso,
        "users.trustedemaildomain": TrustedEmailDomain.objects.create(domain="hscni.net", added_by=world.lead),
        "officers.person": world.mso_person,
        "officers.appointment": world.mso_appointment,
        "officers.changerequest": ChangeRequest.objects.create(
            requested_by=world.mso, person=world.mso_person, changes={"phone": {"old": "", "new": "020 7000 0000"}}
        ),
        "registrations.registrationrequest": RegistrationRequest.objects.create(
            user=world.no_role,
            organisation=world.org_b,
            role=Appointment.Role.TEAM_MEMBER,
            start_date=datetime.date(2026, 11, 2),
            first_name="Sam",
            last_name="Okoro",
            job_title="Pharmacist",
            profession="pharmacist",
        ),
        "officers.teamproposal": TeamProposalFactory(organisation=world.org_a, proposed_by=world.mso),
        "committees.committee": committee,
        "committees.committeemember": CommitteeMember.objects.create(
            committee=committee, person=world.mso_person, name=world.mso_person.full_name
        ),
        "networks.network": world.network_a,
        "networks.membership": world.mso_person.memberships.first(),
        "meetings.meeting": meeting,
        "meetings.attendance": Attendance.objects.create(meeting=meeting, person=world.mso_person, minutes_attended=45),
        "meetings.unmatchedattendee": UnmatchedAttendee.objects.create(
            meeting=meeting, name="Guest", email="guest@example.org", key="guest@example.org"
        ),
        "handovers.handover": handover,
        "handovers.handoverchecklistitem": HandoverChecklistItem.objects.create(
            handover=handover,
            item=HandoverChecklistItem.Item.MAILBOX_ACCESS,
            ticked_at=timezone.now(),
            ticked_by=world.mso,
        ),
    }


def test_every_registry_model_has_an_admin_with_a_history_view():
    assert {model.__name__ for model in registry_models()} == {
        "User",
        "TrustedEmailDomain",
        "Person",
        "Appointment",
        "ChangeRequest",
        "RegistrationRequest",
        "TeamProposal",
        "Committee",
        "CommitteeMember",
        "Network",
        "Membership",
        "Meeting",
        "Attendance",
        "UnmatchedAttendee",
        "Handover",
        "HandoverChecklistItem",
    }
    for model in registry_models():
        assert isinstance(admin.site._registry.get(model), SimpleHistoryAdmin), model


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODEL_LABELS)
def test_lead_can_open_every_admin_page(client, world, records, label):
    assert not world.lead.is_superuser
    client.force_login(world.lead)
    pk = records[label].pk
    for url in [
        admin_url(label, "changelist"),
        admin_url(label, "change", pk),
        admin_url(label, "history", pk),
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get(admin_url(label, "add")).status_code == (403 if label in READ_ONLY_ADMINS else 200)


@pytest.mark.django_db
def test_lead_sees_every_registry_model_on_the_admin_index(client, world):
    client.force_login(world.lead)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    for label in MODEL_LABELS:
        assert admin_url(label, "changelist") in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODEL_LABELS)
def test_user_without_staff_access_is_sent_to_the_admin_login(client, world, records, label):
    client.force_login(world.mso)
    for url in [admin_url(label, "changelist"), admin_url(label, "change", records[label].pk)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_staff_without_the_lead_role_or_permissions_cannot_use_the_registry_admin(client, world, records):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(admin_url("officers.person", "changelist")).status_code == 403
    assert client.get(admin_url("officers.appointment", "change", world.mso_appointment.pk)).status_code == 403


@pytest.mark.django_db
def test_admin_refuses_a_second_active_named_mso_with_the_constraint_message(client, world):
    client.force_login(world.lead)
    response = client.post(
        admin_url("officers.appointment", "add"),
        {
            "person": world.other_person.pk,
            "organisation": world.org_a.pk,
            "role": Appointment.Role.MSO,
            "status": Appointment.Status.ACTIVE,
            "start_date": "2026-11-01",
        },
    )
    assert response.status_code == 200
    assert "This organisation already has an active named officer in this role." in response.content.decode()
    assert Appointment.objects.filter(organisation=world.org_a).count() == 1


@pytest.mark.django_db
def test_admin_saves_a_pending_mso_and_records_who_made_it(client, world):
    client.force_login(world.lead)
    response = client.post(
        admin_url("officers.appointment", "add"),
        {
            "person": world.other_person.pk,
            "organisation": world.org_a.pk,
            "role": Appointment.Role.MSO,
            "status": Appointment.Status.PENDING,
            "start_date": "2026-11-01",
        },
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get(organisation=world.org_a, status=Appointment.Status.PENDING)
    assert appointment.history.get().history_user == world.lead


def change_form_data(response):
    """The POST data a browser would send back from an admin change page, inlines included."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += formset.forms
        data.update({field.html_name: field.value() for field in formset.management_form})
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            data[field.html_name] = "on" if value is True else value
    return data


def post_membership_row(client, user, url, **fields):
    """Post the admin change form at `url` as it stands, with one more row in its memberships inline."""
    client.force_login(user)
    data = change_form_data(client.get(url))
    row = data["memberships-TOTAL_FORMS"]
    data["memberships-TOTAL_FORMS"] = row + 1
    data.update({f"memberships-{row}-{name}": value for name, value in {**fields, "joined_on": "2026-11-01"}.items()})
    return client.post(url, data)


@pytest.mark.django_db
def test_person_inline_refuses_a_second_current_membership_of_a_network(client, world):
    response = post_membership_row(
        client,
        world.lead,
        admin_url("officers.person", "change", world.mso_person.pk),
        network=world.network_a.pk,
        role=Membership.Role.MEMBER,
    )
    assert response.status_code == 200
    assert "This person is already a member of this network." in response.content.decode()
    assert world.mso_person.memberships.count() == 2


@pytest.mark.django_db
def test_network_inline_refuses_a_second_chair(client, world):
    response = post_membership_row(
        client,
        world.lead,
        admin_url("networks.network", "change", world.network_a.pk),
        person=world.other_person.pk,
        role=Membership.Role.CHAIR,
    )
    assert response.status_code == 200
    assert "This network already has a chair." in response.content.decode()
    assert world.network_a.memberships.filter(role=Membership.Role.CHAIR).count() == 1


@pytest.mark.django_db
def test_lead_adds_an_officer_to_a_network_through_the_inline(client, world):
    client.force_login(world.lead)
    url = admin_url("networks.network", "change", world.network_a.pk)
    data = change_form_data(client.get(url))
    row = data["memberships-TOTAL_FORMS"]
    data.update(
        {
            "memberships-TOTAL_FORMS": row + 1,
            f"memberships-{row}-person": world.other_person.pk,
            f"memberships-{row}-role": Membership.Role.VICE_CHAIR,
            f"memberships-{row}-joined_on": "2026-11-01",
        }
    )
    assert client.post(url, data).status_code == 302
    membership = world.network_a.memberships.get(person=world.other_person)
    assert membership.role == Membership.Role.VICE_CHAIR
    assert membership.history.get().history_user == world.lead


@pytest.mark.django_db
def test_network_page_edits_chairs_and_links_to_the_member_list(client, world):
    client.force_login(world.lead)
    response = client.get(admin_url("networks.network", "change", world.network_a.pk))
    [inline] = response.context["inline_admin_formsets"]
    assert [form.instance.person.user for form in inline.formset.forms] == [world.chair_a]
    members_url = f"{admin_url('networks.membership', 'changelist')}?network__id__exact={world.network_a.pk}"
    assert members_url in response.content.decode()
    members = client.get(members_url).context["cl"].queryset
    assert {m.person.user for m in members} == {world.mso, world.chair_a}


@pytest.mark.django_db
def test_meeting_with_long_attendance_is_saved_and_attendance_edited_from_its_own_list(client, world, monkeypatch):
    monkeypatch.setattr(meetings_admin, "INLINE_ROW_LIMIT", 2)
    client.force_login(world.lead)
    meeting = MeetingFactory(network=world.national, kind=Meeting.Kind.NATIONAL_WEBINAR)
    url = admin_url("meetings.meeting", "change", meeting.pk)
    for person in (world.mso_person, world.other_person):
        Attendance.objects.create(meeting=meeting, person=person)
    assert len(client.get(url).context["inline_admin_formsets"]) == 1

    Attendance.objects.create(meeting=meeting, person=PersonFactory())
    response = client.get(url)
    assert response.context["inline_admin_formsets"] == []
    attendance_url = f"{admin_url('meetings.attendance', 'changelist')}?meeting__id__exact={meeting.pk}"
    assert attendance_url in response.content.decode()
    data = change_form_data(response)
    data["title"] = "National MSO webinar (recording available)"
    assert client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "National MSO webinar (recording available)"
    assert client.get(attendance_url).context["cl"].result_count == 3


@pytest.mark.django_db
def test_lead_creates_a_login_with_email_and_password(client, world):
    client.force_login(world.lead)
    response = client.post(
        admin_url("users.user", "add"),
        {
            "email": "New.Officer@NHS.net",
            "name": "New Officer",
            "usable_password": "true",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.officer@nhs.net")
    assert user.check_password("a long enough passphrase")
    assert not user.is_staff and not user.is_national_lead


@pytest.mark.django_db
def test_lead_makes_a_user_a_national_lead_and_the_change_is_audited(client, world):
    client.force_login(world.lead)
    url = admin_url("users.user", "change", world.no_role.pk)
    data = change_form_data(client.get(url))
    data.update({"is_national_lead": "on", "is_staff": "on"})
    assert client.post(url, data).status_code == 302
    world.no_role.refresh_from_db()
    assert world.no_role.is_national_lead and world.no_role.is_staff
    assert world.no_role.history.latest().history_user == world.lead
    assert client.get(reverse("admin:auth_user_password_change", args=[world.no_role.pk])).status_code == 200


@pytest.mark.django_db
def test_lead_who_is_not_a_superuser_cannot_change_a_superuser(client, world):
    superuser = User.objects.create_superuser("admin@england.nhs.uk", "a long enough passphrase")
    client.force_login(world.lead)
    change_url = admin_url("users.user", "change", superuser.pk)
    assert client.get(change_url).status_code == 200  # read only
    assert client.post(change_url, {"email": "taken@nhs.net"}).status_code == 403
    assert client.get(reverse("admin:auth_user_password_change", args=[superuser.pk])).status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "admin@england.nhs.uk"


@pytest.mark.django_db
def test_user_admin_refuses_an_email_already_used_in_another_case(client, world):
    client.force_login(world.lead)
    response = client.post(
        admin_url("users.user", "add"),
        {"email": "MSO.A@nhs.net", "usable_password": "false"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "A user with this email address already exists." in content
    assert "user_email_unique_ci" not in content
    assert User.objects.filter(email__iexact="mso.a@nhs.net").count() == 1


@pytest.mark.django_db
def test_appointment_search_by_ods_code_and_filter_by_region(client, world):
    client.force_login(world.lead)
    url = admin_url("officers.appointment", "changelist")
    found = client.get(url, {"q": world.org_a.ods_code}).context["cl"].queryset
    assert list(found) == [world.mso_appointment]
    in_region = client.get(url, {"organisation__region__id__exact": world.north_west.pk}).context["cl"].queryset
    assert list(in_region) == [world.other_appointment]


@pytest.mark.django_db
def test_person_search_by_organisation_name_and_email_and_filter_by_current_role(client, world):
    client.force_login(world.lead)
    url = admin_url("officers.person", "changelist")
    assert list(client.get(url, {"q": "Manchester"}).context["cl"].queryset) == [world.other_person]
    assert list(client.get(url, {"q": "mso.a@nhs.net"}).context["cl"].queryset) == [world.mso_person]
    AppointmentFactory(person=world.mso_person, organisation=world.org_b, role=Appointment.Role.DEPUTY_MSO)
    msos = client.get(url, {"current_role": Appointment.Role.MSO}).context["cl"].queryset
    assert sorted(p.pk for p in msos) == sorted([world.mso_person.pk, world.other_person.pk])
    london = client.get(url, {"current_region": "Y56"}).context["cl"].queryset
    assert list(london) == [world.mso_person]


def add_rows(label, world, count):
    """Adds `count` more rows to the model's changelist, each with its own related objects."""
    for _ in range(count):
        if label == "users.user":
            UserFactory()
        elif label == "users.trustedemaildomain":
            TrustedEmailDomain.objects.create(domain=f"trust{TrustedEmailDomain.objects.count()}.example.org.uk")
        elif label == "officers.person":
            PersonFactory(user=UserFactory())
        elif label == "officers.appointment":
            AppointmentFactory()
        elif label == "officers.changerequest":
            person = PersonFactory(user=UserFactory())
            ChangeRequest.objects.create(
                requested_by=person.user, person=person, changes={"phone": {"old": "", "new": "020 7000 0000"}}
            )
        elif label == "committees.committee":
            CommitteeFactory(organisation=OrganisationFactory())
        elif label == "committees.committeemember":
            committee = CommitteeFactory(organisation=OrganisationFactory())
            CommitteeMember.objects.create(committee=committee, person=PersonFactory(), name="Sam Quinn")
        elif label == "networks.network":
            NetworkFactory(parent=NetworkFactory())
        elif label == "networks.membership":
            MembershipFactory(network=NetworkFactory())
        elif label == "meetings.meeting":
            MeetingFactory(network=NetworkFactory())
        elif label == "meetings.attendance":
            Attendance.objects.create(meeting=MeetingFactory(network=NetworkFactory()), person=PersonFactory())
        elif label == "meetings.unmatchedattendee":
            meeting = MeetingFactory(network=NetworkFactory())
            UnmatchedAttendee.objects.create(meeting=meeting, name="Guest", email="guest@example.org", key="guest")
        elif label == "handovers.handover":
            make_handover()
        elif label == "handovers.handoverchecklistitem":
            HandoverChecklistItem.objects.create(
                handover=make_handover(),
                item=HandoverChecklistItem.Item.NATIONAL_DATABASE,
                ticked_at=timezone.now(),
                ticked_by=UserFactory(),
            )


@pytest.mark.django_db
@pytest.mark.parametrize("label", MODEL_LABELS)
def test_changelist_queries_do_not_grow_with_the_number_of_rows(client, world, records, label):
    client.force_login(world.lead)
    url = admin_url(label, "changelist")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    add_rows(label, world, 1)
    before = queries()
    add_rows(label, world, 5)
    assert queries() == before


@pytest.mark.django_db
def test_network_changelist_counts_current_members(client, world):
    client.force_login(world.lead)
    ended = world.mso_person.memberships.get(network=world.network_a)
    ended.left_on = datetime.date(2026, 6, 30)
    ended.save()
    networks = {n.pk: n for n in client.get(admin_url("networks.network", "changelist")).context["cl"].result_list}
    assert networks[world.network_a.pk].current_member_count == 1  # the chair
    assert networks[world.national.pk].current_member_count == 2


@pytest.mark.django_db
def test_handover_status_and_completion_cannot_be_edited_in_the_admin(client, world):
    handover = make_handover(world.mso_appointment)
    client.force_login(world.lead)
    content = client.get(admin_url("handovers.handover", "change", handover.pk)).content.decode()
    for field in ("status", "completed_at", "completed_by", "completion_note"):
        assert f'name="{field}"' not in content
