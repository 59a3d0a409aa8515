"""People who left their last role more than the retention period ago (RETENTION_YEARS, 6 by default)
are anonymised by a scheduled job, in their records and in their history; running it twice changes
nothing the second time."""

import datetime
import io

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import Anonymisation
from audit.services import people_anonymise, people_due_for_anonymisation, retention_cutoff
from audit.tasks import anonymise_former_officers
from committees.models import Committee, CommitteeMember
from emails.models import OutboundEmail
from emails.services import RenderedEmail, email_queue_rendered
from officers.changes import change_details_submit, change_request_approve
from officers.models import Appointment, ChangeRequest, Person
from registrations.models import RegistrationRequest
from tests.factories import (
    AppointmentFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PersonFactory,
    TOTPAuthenticatorFactory,
    UserFactory,
)
from users.models import User, UserSession

PASSWORD = "correct horse battery staple"
TODAY = timezone.localdate()
SEVEN_YEARS_AGO = TODAY - datetime.timedelta(days=7 * 366)
TWO_YEARS_AGO = TODAY - datetime.timedelta(days=2 * 365)
STARTED = SEVEN_YEARS_AGO - datetime.timedelta(days=3 * 365)


def run(**options) -> str:
    out = io.StringIO()
    call_command("anonymise_former_officers", stdout=out, **options)
    return out.getvalue().strip()


def officer(email, *, ended_on=None, status=Appointment.Status.ENDED, left_on="same"):
    """A person with a login, an appointment (ended on `ended_on`) and a network membership."""
    user = UserFactory(email=email, name=f"Name of {email.split('@')[0]}")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    person = PersonFactory(user=user, work_email=email, registration_number="2045678", phone="020 7946 0000")
    AppointmentFactory(person=person, status=status, start_date=STARTED, end_date=ended_on)
    MembershipFactory(
        person=person, network=NetworkFactory(), joined_on=STARTED, left_on=ended_on if left_on == "same" else left_on
    )
    return person


@pytest.fixture
def former(world):
    """An officer who left seven years ago, with everything the portal may hold about them."""
    person = officer("former.officer@nhs.net", ended_on=SEVEN_YEARS_AGO)
    user = person.user
    TOTPAuthenticatorFactory(user=user)
    # A change of details the lead approved: its history reason names the officer's address.
    [change] = change_details_submit(requested_by=user, person_values=_values(person, job_title="Senior MSO"))
    change_request_approve(request_id=change.pk, reviewer=world.lead)
    RegistrationRequest.objects.create(
        user=user,
        organisation=world.org_a,
        role=Appointment.Role.DEPUTY_MSO,
        start_date=STARTED,
        first_name=person.first_name,
        last_name=person.last_name,
        job_title="Pharmacist",
        profession="pharmacist",
        phone="020 7946 0000",
        status="withdrawn",
        reviewed_at=timezone.now(),
    )
    committee = Committee.objects.create(organisation=world.org_a)
    CommitteeMember.objects.create(committee=committee, person=person, name=person.full_name)
    for to in (["former.officer@nhs.net"], ["former.officer@nhs.net", "chair.a@nhs.net"]):
        rendered = RenderedEmail(subject=f"To {', '.join(to)}", body_text=f"Dear {person.full_name}", body_html="")
        email_queue_rendered(to=to, template="test_message", rendered=rendered)
    return person


def _values(person, **changes):
    fields = ["first_name", "last_name", "job_title", "profession", "registration_number", "work_email", "phone"]
    return {**{name: getattr(person, name) for name in fields}, **changes}


def test_officer_who_left_seven_years_ago_is_anonymised_everywhere(former):
    person, user = former, former.user
    original_name, original_email = person.full_name, person.work_email
    client = Client()
    assert client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}).status_code == 302

    assert run() == "anonymised=1"

    person.refresh_from_db()
    assert person.full_name == "Former officer"
    assert person.work_email == f"former-officer-{person.pk}@anonymised.invalid"
    assert (person.phone, person.registration_number, person.job_title) == ("", "", "")
    user.refresh_from_db()
    assert not user.is_active
    assert user.email == f"former-user-{user.pk}@anonymised.invalid"
    assert user.name == ""
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert client.get(reverse("directory:home")).status_code == 302  # signed out

    # The history of the person and the login holds no trace of the name, address or numbers.
    for row in Person.history.filter(id=person.pk):
        assert (row.first_name, row.last_name, row.phone, row.registration_number) == ("Former", "officer", "", "")
        assert row.work_email == person.work_email
    for row in User.history.filter(id=user.pk):
        assert row.email == user.email and row.name == ""
    latest = Person.history.filter(id=person.pk).latest("history_date")
    assert latest.history_user is None
    assert latest.history_change_reason == "Anonymised: left their last role more than 6 years ago"

    request = RegistrationRequest.objects.get(user=user)
    assert (request.first_name, request.last_name, request.phone) == ("Former", "officer", "")
    assert all(row.first_name == "Former" for row in RegistrationRequest.history.filter(user_id=user.pk))
    change = ChangeRequest.objects.get(person=person)
    assert change.changes["job_title"] == {"old": "[removed]", "new": "[removed]"}
    assert all(row.changes["job_title"]["new"] == "[removed]" for row in ChangeRequest.history.filter(id=change.pk))
    assert CommitteeMember.objects.get(person=person).name == "Former officer"
    assert all(row.name == "Former officer" for row in CommitteeMember.history.filter(person_id=person.pk))

    # No change reason anywhere in the history names them any more.
    for model in (Person, User, ChangeRequest, RegistrationRequest, Appointment):
        reasons = " ".join(filter(None, model.history.values_list("history_change_reason", flat=True)))
        assert original_email not in reasons and original_name not in reasons
    # Emails only to them leave the outbox; one also sent to someone else stays.
    assert list(OutboundEmail.objects.filter(to__icontains=original_email).values_list("to", flat=True)) == [
        [original_email, "chair.a@nhs.net"]
    ]

    record = Anonymisation.objects.get(person=person)
    assert record.last_role_ended_on == SEVEN_YEARS_AGO
    assert record.retention_years == 6


def test_running_twice_changes_nothing_the_second_time(former):
    assert run() == "anonymised=1"
    before = {
        "people": list(Person.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values()),
        "history": [
            model.history.count() for model in (Person, User, RegistrationRequest, ChangeRequest, CommitteeMember)
        ],
        "records": Anonymisation.objects.count(),
    }

    assert run() == "anonymised=0"

    after = {
        "people": list(Person.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values()),
        "history": [
            model.history.count() for model in (Person, User, RegistrationRequest, ChangeRequest, CommitteeMember)
        ],
        "records": Anonymisation.objects.count(),
    }
    assert after == before


def test_people_who_still_hold_a_role_or_left_recently_are_kept(world):
    recent = officer("recent.leaver@nhs.net", ended_on=TWO_YEARS_AGO)
    still_member = officer("still.member@nhs.net", ended_on=SEVEN_YEARS_AGO, left_on=None)
    recent_member = officer("recent.member@nhs.net", ended_on=SEVEN_YEARS_AGO, left_on=TWO_YEARS_AGO)
    waiting = officer("waiting@nhs.net", ended_on=SEVEN_YEARS_AGO)
    AppointmentFactory(person=waiting, status=Appointment.Status.PENDING, start_date=TODAY)
    never_held_a_role = PersonFactory(work_email="never@nhs.net")
    gone = officer("gone@nhs.net", ended_on=SEVEN_YEARS_AGO)

    assert run() == "anonymised=1"

    assert Person.objects.get(pk=gone.pk).full_name == "Former officer"
    kept = [recent, still_member, recent_member, waiting, never_held_a_role, world.mso_person, world.other_person]
    for person in kept:
        fresh = Person.objects.get(pk=person.pk)
        assert fresh.work_email == person.work_email, person.work_email
        assert not Anonymisation.objects.filter(person=person).exists()


def test_retention_period_follows_the_setting_and_the_option(settings, world):
    person = officer("former.officer@nhs.net", ended_on=SEVEN_YEARS_AGO)
    settings.RETENTION_YEARS = 8
    assert run() == "anonymised=0"
    assert run(years=7) == "anonymised=1"
    assert Anonymisation.objects.get(person=person).retention_years == 7


def test_the_day_of_the_cutoff_is_kept(db):
    day = datetime.date(2026, 11, 23)
    ended_on_cutoff = officer("on.the.day@nhs.net", ended_on=retention_cutoff(day, 6))
    day_before = officer("day.before@nhs.net", ended_on=retention_cutoff(day, 6) - datetime.timedelta(days=1))
    due = set(people_due_for_anonymisation(today=day, years=6).values_list("pk", flat=True))
    assert due == {day_before.pk}
    assert ended_on_cutoff.pk not in due
    assert retention_cutoff(datetime.date(2028, 2, 29), 6) == datetime.date(2022, 2, 28)


def test_scheduled_task_runs_the_same_job_every_night(former):
    assert anonymise_former_officers.delay().get() == "anonymised=1"
    schedule = settings.CELERY_BEAT_SCHEDULE["anonymise-former-officers"]
    assert schedule["task"] == "audit.tasks.anonymise_former_officers"
    assert anonymise_former_officers.name == schedule["task"]


def test_anonymisation_queries_do_not_grow_with_the_number_of_people(db):
    if connection.vendor != "postgresql":
        pytest.skip("On SQLite the change reasons are scrubbed ten names or addresses at a time.")
    for index in range(2):
        officer(f"first.{index}@nhs.net", ended_on=SEVEN_YEARS_AGO)
    with CaptureQueriesContext(connection) as few:
        assert people_anonymise().anonymised == 2
    few_queries = len(few)
    for index in range(12):
        officer(f"second.{index}@nhs.net", ended_on=SEVEN_YEARS_AGO)
    with CaptureQueriesContext(connection) as many:
        assert people_anonymise().anonymised == 12
    assert len(many) == few_queries


def test_anonymised_person_page_shows_no_personal_details(client, world, former):
    run()
    client.force_login(world.lead)
    content = client.get(reverse("directory:person", args=[former.pk])).content.decode()
    assert "Former officer" in content
    assert "former.officer@nhs.net" not in content
    assert "020 7946 0000" not in content


def test_organisations_and_other_people_are_untouched(world, former):
    organisation = OrganisationFactory(name="Untouched Trust")
    before = list(Person.objects.exclude(pk=former.pk).order_by("pk").values())
    run()
    assert list(Person.objects.exclude(pk=former.pk).order_by("pk").values()) == before
    organisation.refresh_from_db()
    assert organisation.name == "Untouched Trust"
    assert User.objects.get(pk=world.lead.pk).is_active
