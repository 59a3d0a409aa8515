"""Change of details: the officer asks, the national lead approves or rejects, the change applies once."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from emails.models import OutboundEmail
from officers.changes import (
    change_details_submit,
    change_request_approve,
    change_request_reject,
    history_reason,
    mailbox_organisations,
)
from officers.models import (
    Appointment,
    ChangeRequest,
    ChangeRequestConflict,
    ChangeRequestDecided,
    ChangeRequestError,
    Person,
    RequestStatus,
)
from organisations.models import Organisation
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, UserFactory

PERSON_FIELDS = ("first_name", "last_name", "job_title", "profession", "registration_number", "work_email", "phone")


def form_data(person, /, **changes):
    """The change form as the officer would send it: their details as they are, with `changes`."""
    data = {field: getattr(person, field) for field in PERSON_FIELDS}
    data.update({f"mailbox_{org.pk}": org.generic_mailbox for org in mailbox_organisations(person)})
    data.update(changes)
    return data


def send_change(client, user, **changes):
    client.force_login(user)
    return client.post(reverse("officers:change-details"), form_data(user.person, **changes))


def ask(world, **changes):
    """A waiting request from the London MSO, made through the service."""
    person = world.mso_person
    [change] = change_details_submit(requested_by=world.mso, person_values=form_data(person, **changes))
    return change


def page_text(response):
    return response.content.decode()


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


# Asking for a change.


def test_officer_sees_the_change_form_with_their_details(client, world):
    client.force_login(world.mso)
    response = client.get(reverse("officers:change-details"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["work_email"].value() == "mso.a@nhs.net"
    assert form["first_name"].value() == world.mso_person.first_name


def test_saving_creates_a_request_with_only_the_changed_fields_and_leaves_the_record(client, world):
    person = world.mso_person
    old_title, old_phone = person.job_title, person.phone
    response = send_change(client, world.mso, job_title="Lead Medication Safety Pharmacist", phone="020 7794 0500")
    assert response.status_code == 302
    assert response["Location"] == reverse("officers:change-sent")
    change = ChangeRequest.objects.get()
    assert change.person == person
    assert change.organisation is None
    assert change.requested_by == world.mso
    assert change.status == RequestStatus.SUBMITTED
    assert change.changes == {
        "job_title": {"old": old_title, "new": "Lead Medication Safety Pharmacist"},
        "phone": {"old": old_phone, "new": "020 7794 0500"},
    }
    person.refresh_from_db()
    assert (person.job_title, person.phone) == (old_title, old_phone)


def test_confirmation_page_shows_the_change_sent_for_review(client, world):
    response = send_change(client, world.mso, job_title="Lead Medication Safety Pharmacist")
    response = client.get(response["Location"])
    content = page_text(response)
    assert "Your change has been sent for review" in content
    assert "Lead Medication Safety Pharmacist" in content
    assert "Job title" in content


def test_saving_without_a_change_gives_a_message_and_makes_no_request(client, world):
    response = send_change(client, world.mso)
    assert response["Location"] == reverse("officers:change-details")
    response = client.get(response["Location"])
    assert "Nothing was sent for review" in page_text(response)
    assert not ChangeRequest.objects.exists()


def test_a_change_of_capitals_only_in_the_work_email_is_no_change(client, world):
    send_change(client, world.mso, work_email="MSO.A@nhs.net")
    assert not ChangeRequest.objects.exists()


def test_invalid_work_email_is_rejected_with_a_message(client, world):
    response = send_change(client, world.mso, work_email="not-an-email")
    assert response.status_code == 200
    assert "There is a problem" in page_text(response)
    assert "Enter a valid email address." in page_text(response)
    assert not ChangeRequest.objects.exists()


def test_work_email_another_person_uses_is_rejected_with_a_message(client, world):
    response = send_change(client, world.mso, work_email="MSO.B@nhs.net")
    assert response.status_code == 200
    assert "Another person in the register already uses this work email." in page_text(response)
    assert not ChangeRequest.objects.exists()


def test_first_name_is_required(client, world):
    response = send_change(client, world.mso, first_name="  ")
    assert response.status_code == 200
    assert response.context["form"].errors["first_name"]
    assert not ChangeRequest.objects.exists()


def test_unknown_profession_is_rejected(client, world):
    response = send_change(client, world.mso, profession="astronaut")
    assert response.status_code == 200
    assert response.context["form"].errors["profession"]
    assert not ChangeRequest.objects.exists()


def test_a_second_change_replaces_the_waiting_one(client, world):
    send_change(client, world.mso, job_title="Lead pharmacist")
    first = ChangeRequest.objects.get()
    send_change(client, world.mso, job_title="Lead pharmacist", phone="020 7000 0000")
    first.refresh_from_db()
    assert first.status == RequestStatus.WITHDRAWN
    assert first.review_reason == "Replaced by a later request from the officer."
    waiting = ChangeRequest.objects.waiting().get()
    assert set(waiting.changes) == {"job_title", "phone"}


def test_the_form_starts_from_the_change_waiting_for_review(client, world):
    send_change(client, world.mso, job_title="Lead pharmacist")
    response = client.get(reverse("officers:change-details"))
    assert response.context["form"]["job_title"].value() == "Lead pharmacist"
    assert "You have a change waiting for review" in page_text(response)


def test_sending_the_same_change_again_keeps_the_waiting_request(client, world):
    send_change(client, world.mso, job_title="Lead pharmacist")
    response = send_change(client, world.mso, job_title="Lead pharmacist")
    assert response["Location"] == reverse("officers:change-details")
    assert ChangeRequest.objects.count() == 1
    assert ChangeRequest.objects.get().status == RequestStatus.SUBMITTED


def test_fields_the_officer_may_not_set_are_ignored(client, world):
    client.force_login(world.mso)
    data = form_data(world.mso_person, job_title="Lead pharmacist")
    data.update(
        {
            "status": RequestStatus.APPROVED,
            "reviewed_by": world.lead.pk,
            "reviewed_at": "2025-01-01T00:00:00Z",
            "requested_by": world.other_mso.pk,
            "person": world.other_person.pk,
            "organisation": world.org_b.pk,
            "details_confirmed_on": "2020-01-01",
            "user": world.other_mso.pk,
            f"mailbox_{world.org_b.pk}": "stolen@nhs.net",
            "generic_mailbox": "stolen@nhs.net",
        }
    )
    client.post(reverse("officers:change-details"), data)
    change = ChangeRequest.objects.get()
    assert change.person == world.mso_person
    assert change.requested_by == world.mso
    assert change.status == RequestStatus.SUBMITTED
    assert change.reviewed_by is None and change.reviewed_at is None
    assert set(change.changes) == {"job_title"}
    world.mso_person.refresh_from_db()
    assert world.mso_person.details_confirmed_on is None
    assert world.mso_person.user == world.mso


# The generic mailbox of the officer's organisations.


def test_officer_can_ask_to_change_the_mailbox_of_the_organisation_they_serve(client, world):
    world.org_a.generic_mailbox = "rfl.mso@nhs.net"
    world.org_a.save()
    response = send_change(client, world.mso, **{f"mailbox_{world.org_a.pk}": "rf-tr.medsafety@nhs.net"})
    assert response["Location"] == reverse("officers:change-sent")
    change = ChangeRequest.objects.get()
    assert change.organisation == world.org_a
    assert change.person is None
    assert change.changes == {"generic_mailbox": {"old": "rfl.mso@nhs.net", "new": "rf-tr.medsafety@nhs.net"}}
    world.org_a.refresh_from_db()
    assert world.org_a.generic_mailbox == "rfl.mso@nhs.net"


def test_details_and_mailbox_changes_make_one_request_each(client, world):
    send_change(client, world.mso, job_title="Lead pharmacist", **{f"mailbox_{world.org_a.pk}": "rfl.mso@nhs.net"})
    assert ChangeRequest.objects.filter(person=world.mso_person).count() == 1
    assert ChangeRequest.objects.filter(organisation=world.org_a).count() == 1


def test_mailbox_of_an_organisation_the_officer_does_not_serve_is_ignored(client, world):
    response = send_change(client, world.mso, **{f"mailbox_{world.org_b.pk}": "stolen@nhs.net"})
    assert response["Location"] == reverse("officers:change-details")
    assert not ChangeRequest.objects.exists()


def test_service_refuses_the_mailbox_of_an_organisation_the_officer_does_not_serve(world):
    with pytest.raises(ChangeRequestError, match="generic mailbox only of an organisation"):
        change_details_submit(
            requested_by=world.mso,
            person_values=form_data(world.mso_person),
            mailbox_values={world.org_b.pk: "stolen@nhs.net"},
        )
    assert not ChangeRequest.objects.exists()


def test_deputy_may_change_the_mailbox_but_a_team_member_or_former_officer_may_not(client, world):
    deputy = UserFactory()
    AppointmentFactory(person=PersonFactory(user=deputy), organisation=world.org_a, role=Appointment.Role.DEPUTY_MSO)
    team_member = UserFactory()
    AppointmentFactory(person=PersonFactory(user=team_member), organisation=world.org_a, role="team_member")
    former = UserFactory()
    AppointmentFactory(
        person=PersonFactory(user=former),
        organisation=world.org_a,
        role=Appointment.Role.DEPUTY_MSO,
        status=Appointment.Status.ENDED,
        end_date=datetime.date(2025, 1, 1),
    )
    field = f"mailbox_{world.org_a.pk}"
    for user, has_field in ((deputy, True), (team_member, False), (former, False)):
        client.force_login(user)
        assert (field in client.get(reverse("officers:change-details")).context["form"].fields) is has_field


def test_removing_the_mailbox_is_refused(client, world):
    world.org_a.generic_mailbox = "rfl.mso@nhs.net"
    world.org_a.save()
    response = send_change(client, world.mso, **{f"mailbox_{world.org_a.pk}": ""})
    assert response.status_code == 200
    assert "Enter the generic MSO mailbox" in page_text(response)
    assert not ChangeRequest.objects.exists()


def test_invalid_mailbox_is_rejected(client, world):
    response = send_change(client, world.mso, **{f"mailbox_{world.org_a.pk}": "medsafety"})
    assert response.status_code == 200
    assert "Enter a valid email address." in page_text(response)
    assert not ChangeRequest.objects.exists()


# The officer's requests.


def test_officer_sees_their_requests_and_their_status(client, world):
    approved = ask(world, job_title="Lead pharmacist")
    change_request_approve(request_id=approved.pk, reviewer=world.lead)
    waiting = ask(world, phone="020 7000 0000")
    other = change_details_submit(requested_by=world.other_mso, person_values=form_data(world.other_person, phone="1"))
    client.force_login(world.mso)
    response = client.get(reverse("officers:my-change-requests"))
    content = page_text(response)
    assert [change.pk for change in response.context["change_requests"]] == [waiting.pk, approved.pk]
    assert "Approved" in content and "Waiting for review" in content
    assert reverse("officers:my-change-request", args=[other[0].pk]) not in content


def test_officer_sees_one_of_their_requests_with_the_reason_it_was_rejected(client, world):
    change = ask(world, job_title="Lead pharmacist")
    change_request_reject(request_id=change.pk, reviewer=world.lead, reason="Your trust says you are a deputy.")
    client.force_login(world.mso)
    content = page_text(client.get(reverse("officers:my-change-request", args=[change.pk])))
    assert "Your trust says you are a deputy." in content
    assert "Lead pharmacist" in content
    assert "Withdraw this request" not in content


def test_officer_can_withdraw_a_waiting_request(client, world):
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(world.mso)
    response = client.post(reverse("officers:change-withdraw", args=[change.pk]), follow=True)
    assert "You withdrew your change" in page_text(response)
    change.refresh_from_db()
    assert change.status == RequestStatus.WITHDRAWN
    assert change.reviewed_by == world.mso
    assert change.reviewed_at is not None


def test_withdrawing_a_decided_request_gives_a_message_and_changes_nothing(client, world):
    change = ask(world, job_title="Lead pharmacist")
    change_request_approve(request_id=change.pk, reviewer=world.lead)
    client.force_login(world.mso)
    response = client.post(reverse("officers:change-withdraw", args=[change.pk]), follow=True)
    assert "This request was already approved by lead@england.nhs.uk" in page_text(response)
    change.refresh_from_db()
    assert change.status == RequestStatus.APPROVED


def test_withdraw_is_post_only(client, world):
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(world.mso)
    assert client.get(reverse("officers:change-withdraw", args=[change.pk])).status_code == 405
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED


# Confirming the details are still correct.


def test_confirm_details_sets_today_and_keeps_the_history(client, world):
    client.force_login(world.mso)
    response = client.post(reverse("officers:confirm-details"), follow=True)
    assert "Thank you for confirming that your details are still correct." in page_text(response)
    person = Person.objects.get(pk=world.mso_person.pk)
    assert person.details_confirmed_on == timezone.localdate()
    latest = person.history.first()
    assert latest.details_confirmed_on == timezone.localdate()
    assert latest.history_user == world.mso
    assert latest.history_change_reason == "Details confirmed as correct"


def test_person_page_shows_when_the_details_were_last_confirmed(client, world):
    world.mso_person.details_confirmed_on = datetime.date(2025, 3, 4)
    world.mso_person.save()
    client.force_login(world.mso)
    content = page_text(client.get(world.mso_person.get_absolute_url()))
    assert "Details last confirmed" in content
    assert "4 March 2025" in content
    assert reverse("officers:change-details") in content
    assert reverse("officers:confirm-details") in content


def test_other_people_do_not_see_the_change_and_confirm_buttons_on_a_person_page(client, world):
    for user in (world.other_mso, world.chair_a, world.lead):
        client.force_login(user)
        content = page_text(client.get(world.mso_person.get_absolute_url()))
        assert reverse("officers:change-details") not in content
        assert reverse("officers:confirm-details") not in content


def test_confirm_details_is_post_only(client, world):
    client.force_login(world.mso)
    assert client.get(reverse("officers:confirm-details")).status_code == 405
    world.mso_person.refresh_from_db()
    assert world.mso_person.details_confirmed_on is None


# The national lead's queue and decisions.


def test_queue_lists_waiting_requests_oldest_first_with_who_asked_and_the_target(client, world):
    newer = change_details_submit(
        requested_by=world.other_mso, person_values=form_data(world.other_person, job_title="Deputy chief pharmacist")
    )[0]
    older = ask(world, job_title="Lead pharmacist")
    ChangeRequest.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=2))
    mailbox = change_details_submit(
        requested_by=world.mso,
        person_values=form_data(world.mso_person, job_title="Lead pharmacist"),
        mailbox_values={world.org_a.pk: "rfl.mso@nhs.net"},
    )[0]
    decided = change_details_submit(
        requested_by=world.other_mso,
        person_values=form_data(world.other_person),
        mailbox_values={world.org_b.pk: "mft.mso@nhs.net"},
    )[0]
    change_request_reject(request_id=decided.pk, reviewer=world.lead, reason="Not the trust's mailbox.")
    client.force_login(world.lead)
    response = client.get(reverse("officers:change-queue"))
    assert [change.pk for change in response.context["page_obj"]] == [older.pk, newer.pk, mailbox.pk]
    content = page_text(response)
    assert "mso.a@nhs.net" in content and "mso.b@nhs.net" in content
    assert world.mso_person.full_name in content
    assert world.org_a.name in content
    assert "Generic MSO mailbox" in content
    assert reverse("officers:change-review", args=[decided.pk]) not in content


def test_queue_says_when_nothing_is_waiting(client, world):
    client.force_login(world.lead)
    assert "No change requests are waiting" in page_text(client.get(reverse("officers:change-queue")))


def test_lead_sees_the_before_and_after_of_a_request(client, world):
    old_title = world.mso_person.job_title
    change = ask(world, job_title="Lead pharmacist", profession="pharmacy_technician")
    client.force_login(world.lead)
    response = client.get(reverse("officers:change-review", args=[change.pk]))
    rows = {row.label: row for row in response.context["rows"]}
    assert set(rows) == {"Job title", "Profession"}
    assert (rows["Job title"].old, rows["Job title"].now, rows["Job title"].new) == (
        old_title,
        old_title,
        "Lead pharmacist",
    )
    assert (rows["Profession"].old, rows["Profession"].new) == ("Pharmacist", "Pharmacy technician")
    content = page_text(response)
    assert "When requested" in content and "Now" in content and "Asked for" in content
    assert "mso.a@nhs.net" in content
    assert reverse("officers:change-approve", args=[change.pk]) in content
    assert reverse("officers:change-reject", args=[change.pk]) in content


def test_approving_applies_the_change_and_records_who_asked_and_who_approved(
    client, world, django_capture_on_commit_callbacks
):
    change = ask(world, job_title="Lead pharmacist", work_email="amara.osei@nhs.net")
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("officers:change-approve", args=[change.pk]), follow=True)
    assert f"Change request #{change.pk} approved" in page_text(response)
    person = Person.objects.get(pk=world.mso_person.pk)
    assert (person.job_title, person.work_email) == ("Lead pharmacist", "amara.osei@nhs.net")
    latest = person.history.first()
    assert latest.history_change_reason == (
        f"Change request #{change.pk} asked by mso.a@nhs.net, approved by lead@england.nhs.uk"
    )
    assert latest.history_user == world.lead
    assert latest.job_title == "Lead pharmacist"
    change.refresh_from_db()
    assert change.status == RequestStatus.APPROVED
    assert change.reviewed_by == world.lead
    assert change.reviewed_at is not None
    [email] = mail.outbox
    assert email.to == ["mso.a@nhs.net"]
    assert email.subject == "Your change of details has been approved"
    assert "Job title: Lead pharmacist" in email.body


def test_approving_a_mailbox_change_shows_in_the_organisations_history(client, world):
    [change] = change_details_submit(
        requested_by=world.mso,
        person_values=form_data(world.mso_person),
        mailbox_values={world.org_a.pk: "rfl.mso@nhs.net"},
    )
    client.force_login(world.lead)
    client.post(reverse("officers:change-approve", args=[change.pk]))
    world.org_a.refresh_from_db()
    assert world.org_a.generic_mailbox == "rfl.mso@nhs.net"
    latest = world.org_a.history.first()
    assert latest.history_user == world.lead
    assert latest.history_change_reason.startswith(f"Change request #{change.pk} asked by mso.a@nhs.net")
    history_url = reverse("directory:organisation-history", args=[world.org_a.ods_code])
    history_page = page_text(client.get(history_url))
    assert f"Change request #{change.pk} asked by mso.a@nhs.net" in history_page
    assert "rfl.mso@nhs.net" in history_page
    assert re.search(rf"By</dt>\s*<dd[^>]*>{world.lead.get_full_name()}<", history_page)
    organisation_page = page_text(client.get(world.org_a.get_absolute_url()))
    assert history_url in organisation_page


def test_mailbox_change_is_not_approved_once_the_officer_no_longer_serves_the_organisation(client, world):
    [change] = change_details_submit(
        requested_by=world.mso,
        person_values=form_data(world.mso_person),
        mailbox_values={world.org_a.pk: "rfl.mso@nhs.net"},
    )
    Appointment.objects.filter(pk=world.mso_appointment.pk).update(
        status=Appointment.Status.ENDED, end_date=datetime.date(2025, 12, 31)
    )
    client.force_login(world.lead)
    response = client.post(reverse("officers:change-approve", args=[change.pk]), follow=True)
    assert "is no longer the active MSO, MDSO or deputy" in page_text(response)
    world.org_a.refresh_from_db()
    assert world.org_a.generic_mailbox == "ral.mso@nhs.net"


def test_rejecting_needs_a_reason(client, world):
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(world.lead)
    response = client.post(reverse("officers:change-reject", args=[change.pk]), {"reason": "   "})
    assert response.status_code == 200
    assert "Enter the reason for rejecting the request." in page_text(response)
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED
    assert not OutboundEmail.objects.exists()


def test_service_refuses_to_reject_without_a_reason(world):
    change = ask(world, job_title="Lead pharmacist")
    with pytest.raises(ChangeRequestError, match="Give the reason"):
        change_request_reject(request_id=change.pk, reviewer=world.lead, reason=" ")
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED


def test_rejecting_with_a_reason_emails_it_and_changes_nothing(client, world, django_capture_on_commit_callbacks):
    old_title = world.mso_person.job_title
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("officers:change-reject", args=[change.pk]),
            {"reason": "Your trust lists you as deputy MSO.", "status": "approved"},
            follow=True,
        )
    assert f"Change request #{change.pk} rejected" in page_text(response)
    change.refresh_from_db()
    assert change.status == RequestStatus.REJECTED
    assert change.review_reason == "Your trust lists you as deputy MSO."
    assert change.reviewed_by == world.lead
    world.mso_person.refresh_from_db()
    assert world.mso_person.job_title == old_title
    [email] = mail.outbox
    assert email.to == ["mso.a@nhs.net"]
    assert email.subject == "Your change of details was not approved"
    assert "Your trust lists you as deputy MSO." in email.body
    assert "Your trust lists you as deputy MSO." in email.alternatives[0][0]


def test_conflict_is_shown_and_nothing_is_overwritten(client, world):
    change = ask(world, job_title="Lead pharmacist", phone="020 7000 0000")
    person = Person.objects.get(pk=world.mso_person.pk)
    person.job_title = "Chief pharmacist"  # changed by the lead in the admin meanwhile
    person.save()
    client.force_login(world.lead)
    review = page_text(client.get(reverse("officers:change-review", args=[change.pk])))
    assert "The record has changed since this request was made (job title)" in review
    assert "Changed since" in review
    assert reverse("officers:change-approve", args=[change.pk]) not in review
    response = client.post(reverse("officers:change-approve", args=[change.pk]), follow=True)
    assert "The record has changed since this request was made (job title)" in page_text(response)
    person.refresh_from_db()
    assert (person.job_title, person.phone) == ("Chief pharmacist", world.mso_person.phone)
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED
    assert not OutboundEmail.objects.exists()


def test_conflict_names_the_mailbox_with_its_acronym_in_capitals(client, world):
    [change] = change_details_submit(
        requested_by=world.mso,
        person_values=form_data(world.mso_person),
        mailbox_values={world.org_a.pk: "rfl.mso@nhs.net"},
    )
    Organisation.objects.filter(pk=world.org_a.pk).update(generic_mailbox="changed.meanwhile@nhs.net")
    client.force_login(world.lead)
    review = page_text(client.get(reverse("officers:change-review", args=[change.pk])))
    assert "The record has changed since this request was made (generic MSO mailbox)" in review
    response = client.post(reverse("officers:change-approve", args=[change.pk]), follow=True)
    assert "The record has changed since this request was made (generic MSO mailbox)" in page_text(response)


def test_service_conflict_lists_the_fields(world):
    change = ask(world, job_title="Lead pharmacist", phone="020 7000 0000")
    Person.objects.filter(pk=world.mso_person.pk).update(phone="1", job_title="Chief pharmacist")
    with pytest.raises(ChangeRequestConflict) as raised:
        change_request_approve(request_id=change.pk, reviewer=world.lead)
    assert raised.value.fields == ["job_title", "phone"]


def test_approving_an_already_approved_request_gives_a_clear_message(client, world):
    change = ask(world, job_title="Lead pharmacist")
    change_request_approve(request_id=change.pk, reviewer=world.lead)
    history_count = world.mso_person.history.count()
    client.force_login(world.lead)
    response = client.post(reverse("officers:change-approve", args=[change.pk]), follow=True)
    assert "This request was already approved by lead@england.nhs.uk at " in page_text(response)
    assert world.mso_person.history.count() == history_count
    with pytest.raises(ChangeRequestDecided, match="already approved by lead@england.nhs.uk"):
        change_request_approve(request_id=change.pk, reviewer=world.lead)


def test_rejecting_an_approved_request_gives_a_clear_message(client, world):
    change = ask(world, job_title="Lead pharmacist")
    change_request_approve(request_id=change.pk, reviewer=world.lead)
    client.force_login(world.lead)
    response = client.post(reverse("officers:change-reject", args=[change.pk]), {"reason": "No"}, follow=True)
    assert "This request was already approved" in page_text(response)
    change.refresh_from_db()
    assert change.status == RequestStatus.APPROVED


def test_approving_a_work_email_another_person_took_meanwhile_writes_nothing(client, world):
    change = ask(world, work_email="amara.osei@nhs.net", job_title="Lead pharmacist")
    PersonFactory(work_email="Amara.Osei@nhs.net")
    client.force_login(world.lead)
    response = client.post(reverse("officers:change-approve", args=[change.pk]), follow=True)
    assert "another person in the register already uses amara.osei@nhs.net" in page_text(response)
    world.mso_person.refresh_from_db()
    assert world.mso_person.work_email == "mso.a@nhs.net"
    assert world.mso_person.job_title != "Lead pharmacist"
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED


def test_approving_an_invalid_value_gives_the_validation_message_and_writes_nothing(world):
    change = ask(world, job_title="Lead pharmacist")
    ChangeRequest.objects.filter(pk=change.pk).update(
        changes={**change.changes, "profession": {"old": "pharmacist", "new": "astronaut"}}
    )
    with pytest.raises(ChangeRequestError, match="Profession: Value 'astronaut' is not a valid choice"):
        change_request_approve(request_id=change.pk, reviewer=world.lead)
    world.mso_person.refresh_from_db()
    assert world.mso_person.job_title != "Lead pharmacist"


def test_history_reason_fits_the_column_with_long_emails():
    reason = history_reason(request_id=12345, asked_by="a" * 60 + "@nhs.net", approved_by="b" * 60 + "@nhs.net")
    assert len(reason) <= 100
    assert reason.startswith("Change request #12345 asked by aaa")
    assert ", approved by bbb" in reason


def test_one_waiting_request_per_person_is_a_database_rule(world):
    from django.db import IntegrityError, transaction

    ask(world, job_title="Lead pharmacist")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.create(requested_by=world.mso, person=world.mso_person, changes={})


# Who may use which page: owner / other officer / chair / lead / anonymous.

OWN_PAGES = ["officers:change-details", "officers:change-sent", "officers:my-change-requests"]


@pytest.mark.parametrize("name", OWN_PAGES)
@pytest.mark.parametrize("role", ["mso", "chair_a"])
def test_officers_and_chairs_with_a_person_record_open_their_own_pages(client, world, name, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", OWN_PAGES)
@pytest.mark.parametrize("role", ["no_role", "lead"])
def test_accounts_without_a_person_record_get_not_found(client, world, name, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse(name)).status_code == 404


def test_account_without_a_person_record_cannot_send_or_confirm(client, world):
    client.force_login(world.no_role)
    assert (
        client.post(reverse("officers:change-details"), form_data(world.mso_person, job_title="X")).status_code == 404
    )
    assert client.post(reverse("officers:confirm-details")).status_code == 404
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("name", [*OWN_PAGES, "officers:confirm-details", "officers:change-queue"])
def test_anonymous_visitor_is_sent_to_sign_in(client, world, name):
    response = client.post(reverse(name)) if name == "officers:confirm-details" else client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "name",
    ["officers:my-change-request", "officers:change-withdraw", "officers:change-review", "officers:change-approve"],
)
def test_anonymous_visitor_is_sent_to_sign_in_from_a_request(client, world, name):
    change = ask(world, job_title="Lead pharmacist")
    response = client.post(reverse(name, args=[change.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED


def test_owner_sees_their_request(client, world):
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(world.mso)
    assert client.get(reverse("officers:my-change-request", args=[change.pk])).status_code == 200


@pytest.mark.parametrize("role", ["other_mso", "chair_a", "lead", "no_role"])
def test_nobody_else_sees_or_withdraws_an_officers_request(client, world, role):
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(getattr(world, role))
    assert client.get(reverse("officers:my-change-request", args=[change.pk])).status_code == 404
    assert client.post(reverse("officers:change-withdraw", args=[change.pk])).status_code == 404
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED


def test_an_officer_cannot_change_another_persons_details(client, world):
    """The change page is always the signed-in user's own: posting another person's id changes nothing of theirs."""
    client.force_login(world.other_mso)
    data = form_data(world.other_person, job_title="Hijacked")
    data.update(person=world.mso_person.pk, person_id=world.mso_person.pk, pk=world.mso_person.pk)
    client.post(reverse("officers:change-details"), data)
    assert not ChangeRequest.objects.filter(person=world.mso_person).exists()
    assert ChangeRequest.objects.get().person == world.other_person


@pytest.mark.parametrize("role", ["mso", "other_mso", "chair_a", "no_role"])
def test_only_the_national_lead_opens_the_queue_and_a_request(client, world, role):
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(getattr(world, role))
    assert client.get(reverse("officers:change-queue")).status_code == 404
    assert client.get(reverse("officers:change-review", args=[change.pk])).status_code == 404


@pytest.mark.parametrize("role", ["mso", "other_mso", "chair_a", "no_role"])
def test_only_the_national_lead_approves_or_rejects(client, world, role):
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(getattr(world, role))
    assert client.post(reverse("officers:change-approve", args=[change.pk])).status_code == 404
    assert client.post(reverse("officers:change-reject", args=[change.pk]), {"reason": "No"}).status_code == 404
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED
    world.mso_person.refresh_from_db()
    assert world.mso_person.job_title != "Lead pharmacist"


def test_lead_opens_the_queue_and_every_request(client, world):
    change = ask(world, job_title="Lead pharmacist")
    change_request_reject(request_id=change.pk, reviewer=world.lead, reason="No")
    client.force_login(world.lead)
    assert client.get(reverse("officers:change-queue")).status_code == 200
    response = client.get(reverse("officers:change-review", args=[change.pk]))
    assert response.status_code == 200
    assert reverse("officers:change-approve", args=[change.pk]) not in page_text(response)


def test_approve_and_reject_are_post_only(client, world):
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(world.lead)
    assert client.get(reverse("officers:change-approve", args=[change.pk])).status_code == 405
    assert client.get(reverse("officers:change-reject", args=[change.pk])).status_code == 405
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED


def test_unknown_request_is_not_found_for_the_lead(client, world):
    client.force_login(world.lead)
    assert client.get(reverse("officers:change-review", args=[999999])).status_code == 404
    assert client.post(reverse("officers:change-approve", args=[999999])).status_code == 404


def test_lead_home_page_links_to_the_queue(client, world):
    client.force_login(world.lead)
    assert reverse("officers:change-queue") in page_text(client.get(reverse("directory:home")))


def test_only_the_lead_has_change_requests_in_the_menu(client, world):
    client.force_login(world.lead)
    assert "Change requests</a>" in page_text(client.get(reverse("directory:home")))
    for user in (world.mso, world.chair_a, world.no_role):
        client.force_login(user)
        assert reverse("officers:change-queue") not in page_text(client.get(reverse("directory:home")))


def test_admin_shows_a_change_request_read_only_with_a_link_to_the_review_page(client, world):
    change = ask(world, job_title="Lead pharmacist")
    client.force_login(world.lead)
    url = reverse("admin:officers_changerequest_change", args=[change.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert reverse("officers:change-review", args=[change.pk]) in page_text(response)
    assert client.post(url, {"status": RequestStatus.APPROVED}).status_code == 403
    delete_url = reverse("admin:officers_changerequest_delete", args=[change.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    change.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED


# The queue runs the same queries whatever its length.

# Session, user (with their person record and the two-factor check: users.backends), the header's
# chaired networks, then the page: the count for the paginator and one query for the page of requests.
QUEUE_QUERIES = 5


@pytest.mark.parametrize("size", [3, 40])
def test_queue_queries_do_not_grow_with_the_number_of_requests(client, world, size, django_assert_num_queries):
    for index in range(size):
        user = UserFactory()
        person = PersonFactory(user=user)
        organisation = OrganisationFactory()
        AppointmentFactory(person=person, organisation=organisation)
        change_details_submit(
            requested_by=user,
            person_values=form_data(person, job_title=f"Title {index}"),
            mailbox_values={organisation.pk: f"mso{index}@nhs.net"} if index % 2 else None,
        )
    client.force_login(world.lead)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("officers:change-queue"))
    assert len(response.context["page_obj"]) == min(size + size // 2, 50)


def test_a_lead_cannot_approve_their_own_change_request(client, world):
    lead_person = PersonFactory(user=world.lead, work_email=world.lead.email, job_title="National MSO lead")
    [change] = change_details_submit(
        requested_by=world.lead, person_values=form_data(lead_person, job_title="Head of medication safety")
    )
    client.force_login(world.lead)
    response = client.post(reverse("officers:change-approve", args=[change.pk]), follow=True)
    assert "You cannot review a request you made yourself" in page_text(response)
    change.refresh_from_db()
    lead_person.refresh_from_db()
    assert change.status == RequestStatus.SUBMITTED
    assert lead_person.job_title == "National MSO lead"
    other_lead = UserFactory(email="deputy.lead@england.nhs.uk", is_national_lead=True, is_staff=True)
    change_request_approve(request_id=change.pk, reviewer=other_lead)
    lead_person.refresh_from_db()
    assert lead_person.job_title == "Head of medication safety"
