"""The pages of messages to the network: writing, the preview and its second confirmation, sending,
following a message's sending and retrying its failures, and the officer's Messages page; each in
a fixed number of queries, and 404 for anyone outside their scope."""

import pytest
from django.urls import reverse
from django.utils import timezone

from emails.models import OutboundEmail
from mailings.models import Message, Recipient
from mailings.services import LARGE_MESSAGE
from officers.models import Appointment, Person
from tests.factories import AppointmentFactory, MessageFactory, OrganisationFactory, RecipientFactory

BODY = "Dear colleagues,\n\nThe alert is at https://www.england.nhs.uk/alerts/."


def write(client, **data):
    return client.post(
        reverse("mailings:write"), {"subject": "Patient safety alert", "body": BODY, "copy_mailboxes": "on", **data}
    )


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response.url.rstrip("/").split("/")[-1]


def test_the_lead_writes_previews_and_sends_a_message(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.lead)
    assert client.get(reverse("mailings:write")).status_code == 200
    token = token_of(write(client, roles=[Appointment.Role.MSO]))
    preview = client.get(reverse("mailings:preview", args=[token]))
    text = preview.content.decode()
    assert "4 addresses" in text and "2 people" in text and "2 generic MSO mailboxes" in text
    assert "mso.a@nhs.net" in text and "ral.mso@nhs.net" in text
    assert not Message.objects.exists()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("mailings:send", args=[token]))
    message = Message.objects.get()
    assert response.status_code == 302 and response.url == message.get_absolute_url()
    assert callbacks and message.recipients.count() == 4
    # Pressing Send again (the back button, a double click) sends nothing more.
    client.post(reverse("mailings:send", args=[token]))
    assert Message.objects.count() == 1 and OutboundEmail.objects.count() == 4


def test_bad_input_shows_the_error_and_writes_nothing(client, world):
    client.force_login(world.lead)
    response = write(client, subject="Alert\nwith a second line", body="Open javascript:alert(1)")
    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text and "Enter the subject on one line." in text
    assert "Links must start with http:// or https://" in text
    assert not Message.objects.exists() and not OutboundEmail.objects.exists()


def test_an_audience_that_reaches_no_one_is_refused_on_the_form(client, world):
    client.force_login(world.lead)
    response = write(client, roles=[Appointment.Role.MEDICINES_CHAMPION])
    assert response.status_code == 200
    assert "No one matches this audience" in response.content.decode()


def test_more_than_200_addresses_ask_a_second_confirmation(client, world):
    organisation = OrganisationFactory(generic_mailbox="")
    people = Person.objects.bulk_create(
        Person(first_name="Team", last_name=f"Member {n}", work_email=f"team{n}@nhs.net") for n in range(LARGE_MESSAGE)
    )
    Appointment.objects.bulk_create(
        Appointment(person=p, organisation=organisation, role="team_member", status="active", start_date="2024-01-01")
        for p in people
    )
    client.force_login(world.lead)
    token = token_of(write(client))
    assert (
        "you will be asked to confirm once more"
        in client.get(reverse("mailings:preview", args=[token])).content.decode()
    )
    response = client.post(reverse("mailings:send", args=[token]))
    assert response.status_code == 200
    assert "Yes, send it to 204 addresses" in response.content.decode()
    assert not Message.objects.exists()
    response = client.post(reverse("mailings:send", args=[token]), {"confirmed": "yes"})
    assert response.status_code == 302 and Message.objects.get().recipient_count == 204


def test_a_chair_is_refused_404_for_an_audience_outside_their_networks(client, world):
    client.force_login(world.chair_a)
    response = write(client, networks=[world.network_b.pk])
    assert response.status_code == 404
    assert not Message.objects.exists()
    # Their own network is fine, and reaches only its members.
    token = token_of(write(client, networks=[world.network_a.pk], copy_mailboxes=""))
    client.post(reverse("mailings:send", args=[token]))
    assert list(Message.objects.get().recipients.values_list("address", flat=True)) == ["mso.a@nhs.net"]


def test_an_officer_cannot_write(client, world):
    client.force_login(world.mso)
    assert client.get(reverse("mailings:write")).status_code == 404
    assert write(client).status_code == 404
    assert client.get(reverse("mailings:sent")).status_code == 404


def test_another_senders_draft_is_not_found(client, world):
    client.force_login(world.lead)
    token = token_of(write(client))
    client.force_login(world.chair_a)
    assert client.get(reverse("mailings:preview", args=[token])).status_code == 404
    assert client.post(reverse("mailings:send", args=[token])).status_code == 404


def _sent_message(world, size):
    message = MessageFactory(sender=world.lead, network=world.national)
    for n in range(size):
        RecipientFactory(message=message, address=f"person{n}@nhs.net")
    failed = RecipientFactory(message=message, address="gone@nhs.net")
    OutboundEmail.objects.filter(pk=failed.email_id).update(
        failed_at=timezone.now(), last_error="550 5.1.1 No such user"
    )
    sent = RecipientFactory(message=message, address="mso.a@nhs.net", person=world.mso_person)
    OutboundEmail.objects.filter(pk=sent.email_id).update(sent_at=timezone.now())
    return message


def test_the_message_page_shows_each_recipients_status_and_retries_the_failed(client, world):
    message = _sent_message(world, 3)
    client.force_login(world.lead)
    text = client.get(message.get_absolute_url()).content.decode()
    assert "5: 1 sent, 3 waiting, 1 failed" in text
    assert "550 5.1.1 No such user" in text and "Retry the 1 failed" in text
    listed = client.get(reverse("mailings:sent")).context["page_obj"].object_list
    assert [(row.pk, row.sent_count, row.failed_count) for row in listed] == [(message.pk, 1, 1)]
    failed = client.get(message.get_absolute_url(), {"status": "failed"}).content.decode()
    assert "gone@nhs.net" in failed and "person0@nhs.net" not in failed
    response = client.post(reverse("mailings:retry", args=[message.pk]))
    assert response.status_code == 302
    assert Recipient.objects.get(address="gone@nhs.net").email.failed_at is None
    assert message.history.first().history_change_reason == "Retried 1 failed emails"


def test_a_chair_cannot_follow_or_retry_the_leads_message(client, world):
    message = _sent_message(world, 1)
    client.force_login(world.chair_a)
    assert client.get(message.get_absolute_url()).status_code == 404
    assert client.post(reverse("mailings:retry", args=[message.pk])).status_code == 404
    assert Recipient.objects.get(address="gone@nhs.net").email.failed_at is not None
    assert message not in client.get(reverse("mailings:sent")).context["page_obj"].object_list


def test_a_chair_follows_the_messages_of_their_network(client, world):
    message = MessageFactory(sender=world.lead, network=world.network_a)
    client.force_login(world.chair_a)
    assert client.get(message.get_absolute_url()).status_code == 200


def test_the_officer_reads_the_messages_sent_to_them_only(client, world):
    theirs = _sent_message(world, 1)
    other = MessageFactory(subject="For someone else")
    RecipientFactory(message=other, address="mso.b@nhs.net", person=world.other_person)
    # A copy to their organisation's mailbox is not a message to them.
    mailbox_copy = MessageFactory(subject="Mailbox only")
    RecipientFactory(message=mailbox_copy, address="ral.mso@nhs.net", kind="mailbox", organisation=world.org_a)
    client.force_login(world.mso)
    inbox = client.get(reverse("mailings:inbox")).content.decode()
    assert theirs.subject in inbox and "For someone else" not in inbox and "Mailbox only" not in inbox
    page = client.get(reverse("mailings:read", args=[theirs.pk])).content.decode()
    assert '<a class="nhsuk-link" href="https://www.england.nhs.uk/patient-safety/">' in page
    assert client.get(reverse("mailings:read", args=[other.pk])).status_code == 404


def test_the_header_links_to_messages_for_officers_and_senders(client, world):
    for user in (world.mso, world.lead, world.chair_a):
        client.force_login(user)
        assert f'href="{reverse("mailings:inbox")}"' in client.get(reverse("directory:home")).content.decode()
    client.force_login(world.no_role)
    assert f'href="{reverse("mailings:inbox")}"' not in client.get(reverse("directory:home")).content.decode()


# A fixed number of queries per page, whatever the number of recipients and messages.


@pytest.fixture(params=[3, 60], ids=["3-recipients", "60-recipients"])
def sized(request, world):
    for _ in range(request.param):
        AppointmentFactory(organisation=OrganisationFactory(region=world.london), role=Appointment.Role.TEAM_MEMBER)
    for _ in range(request.param // 3):
        _sent_message(world, 3)
    return _sent_message(world, request.param)


def test_the_pages_run_a_fixed_number_of_queries(client, world, sized, django_assert_max_num_queries):
    client.force_login(world.lead)
    with django_assert_max_num_queries(12):
        token = token_of(write(client))
    pages = [
        reverse("mailings:write"),
        reverse("mailings:preview", args=[token]),
        reverse("mailings:sent"),
        sized.get_absolute_url(),
        sized.get_absolute_url() + "?status=waiting",
    ]
    for url in pages:
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200
    client.force_login(world.mso)
    for url in (reverse("mailings:inbox"), reverse("mailings:read", args=[sized.pk])):
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200
