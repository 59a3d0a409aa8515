"""Sending a message: one email per address through the outbox, queued on commit, each address
once however many roles it holds; the mailbox copies; the 200-address confirmation; bad input."""

import math
import uuid

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from emails.models import OutboundEmail
from mailings.audience import Audience
from mailings.models import BODY_MAX_LENGTH, Message, Recipient
from mailings.services import LARGE_MESSAGE, message_retry_failed, message_send
from officers.models import Appointment, Person
from tests.factories import AppointmentFactory, MessageFactory, OrganisationFactory

BODY = "Dear colleagues,\n\nThe new alert is at https://www.england.nhs.uk/alerts/.\n\nThank you."


def send(user, audience=None, **kwargs):
    return message_send(
        user=user,
        subject=kwargs.pop("subject", "Patient safety alert"),
        body=kwargs.pop("body", BODY),
        audience=audience or Audience(),
        **kwargs,
    )


def test_message_queues_one_email_per_address_on_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = send(world.lead, Audience(copy_mailboxes=False))
    assert len(callbacks) == 1
    assert sorted(message.recipients.values_list("address", flat=True)) == ["mso.a@nhs.net", "mso.b@nhs.net"]
    emails = OutboundEmail.objects.filter(recipient__message=message)
    assert all(email.bulk and len(email.to) == 1 for email in emails)
    assert {email.dedupe_key for email in emails} == {
        f"message:{message.pk}:mso.a@nhs.net",
        f"message:{message.pk}:mso.b@nhs.net",
    }
    assert message.recipient_count == 2
    assert message.network == world.national
    assert message.history.count() == 1


def test_replies_to_a_message_go_to_its_sender(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(world.chair_a, Audience(copy_mailboxes=False))
    assert mail.outbox
    assert all(sent.reply_to == ["chair.a@nhs.net"] for sent in mail.outbox)
    assert all("Replies to this email go to Chloe Adeyemi." in sent.body for sent in mail.outbox)
    assert {tuple(email.reply_to) for email in OutboundEmail.objects.all()} == {("chair.a@nhs.net",)}


def test_an_address_holding_two_roles_gets_one_email(world):
    AppointmentFactory(person=world.mso_person, organisation=world.org_a, role=Appointment.Role.MDSO)
    AppointmentFactory(
        person=world.mso_person, organisation=OrganisationFactory(generic_mailbox=""), role=Appointment.Role.DEPUTY_MSO
    )
    message = send(world.lead, Audience(copy_mailboxes=False))
    assert list(message.recipients.filter(person=world.mso_person).values_list("address", flat=True)) == [
        "mso.a@nhs.net"
    ]
    assert OutboundEmail.objects.filter(to=["mso.a@nhs.net"]).count() == 1


def test_generic_mailboxes_receive_one_copy_each(world):
    # A second officer at organisation A: its mailbox is still copied once.
    AppointmentFactory(organisation=world.org_a, role=Appointment.Role.TEAM_MEMBER)
    message = send(world.lead, Audience())
    mailboxes = message.recipients.filter(kind=Recipient.Kind.MAILBOX)
    assert sorted(mailboxes.values_list("address", "organisation")) == [
        ("r0a.mso@nhs.net", world.org_b.pk),
        ("ral.mso@nhs.net", world.org_a.pk),
    ]
    copy = OutboundEmail.objects.get(to=["ral.mso@nhs.net"])
    assert "generic MSO mailbox" in copy.body_text
    assert "generic MSO mailbox" not in OutboundEmail.objects.get(to=["mso.a@nhs.net"]).body_text


def test_a_mailbox_that_is_also_a_persons_address_gets_one_email(world):
    world.org_b.generic_mailbox = "MSO.A@nhs.net"
    world.org_b.save()
    message = send(world.lead, Audience())
    assert message.recipients.filter(address="mso.a@nhs.net").get().kind == Recipient.Kind.PERSON


def test_more_than_200_addresses_need_a_second_confirmation(world):
    for _ in range(LARGE_MESSAGE - 1):  # with the two in the world and no mailboxes: 201
        AppointmentFactory(organisation=world.org_a, role=Appointment.Role.TEAM_MEMBER)
    with pytest.raises(ValidationError) as refused:
        send(world.lead, Audience(copy_mailboxes=False))
    assert "confirmed" in refused.value.message_dict
    assert not Message.objects.exists() and not OutboundEmail.objects.exists()
    message = send(world.lead, Audience(copy_mailboxes=False), confirmed=True)
    assert message.recipient_count == LARGE_MESSAGE + 1


def test_exactly_200_addresses_need_no_second_confirmation(world):
    for _ in range(LARGE_MESSAGE - 2):
        AppointmentFactory(organisation=world.org_a, role=Appointment.Role.TEAM_MEMBER)
    assert send(world.lead, Audience(copy_mailboxes=False)).recipient_count == LARGE_MESSAGE


@pytest.mark.parametrize(
    ("field", "subject", "body", "error"),
    [
        ("subject", "Alert\nSecond line", BODY, "one line"),
        ("subject", "Alert\rSecond line", BODY, "one line"),
        ("subject", "   ", BODY, "Enter a subject"),
        ("subject", "x" * 151, BODY, "150 characters or fewer"),
        ("body", "Alert", "", "Enter the message"),
        ("body", "Alert", "x" * (BODY_MAX_LENGTH + 1), "20,000 characters or fewer"),
        ("body", "Alert", "Click javascript:alert(1) now", "http:// or https://"),
        ("body", "Alert", "Files at ftp://files.nhs.net/alert.pdf", "http:// or https://"),
        ("body", "Alert", "Write to mailto:mso@nhs.net", "http:// or https://"),
        ("body", "Alert", "See data:text/html;base64,PHNjcmlwdD4=", "http:// or https://"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_written(world, field, subject, body, error):
    with pytest.raises(ValidationError) as refused:
        send(world.lead, subject=subject, body=body)
    assert any(error in text for text in refused.value.message_dict[field])
    assert not Message.objects.exists() and not OutboundEmail.objects.exists() and not Recipient.objects.exists()


def test_an_empty_audience_is_refused_and_nothing_is_written(world):
    with pytest.raises(ValidationError) as refused:
        send(world.lead, Audience(roles=(Appointment.Role.MEDICINES_CHAMPION,)))
    assert "No one matches" in refused.value.message_dict["audience"][0]
    assert not Message.objects.exists() and not OutboundEmail.objects.exists()


def test_a_chair_reaches_only_the_current_members_of_their_networks(world):
    message = send(world.chair_a, Audience(copy_mailboxes=False))
    assert list(message.recipients.values_list("address", flat=True)) == ["mso.a@nhs.net"]
    assert message.network == world.network_a


def test_a_chair_is_refused_an_audience_outside_their_networks(world):
    with pytest.raises(PermissionDenied):
        send(world.chair_a, Audience(networks=(world.network_b.pk,)))
    assert not Message.objects.exists()


def test_an_officer_cannot_send_a_message(world):
    with pytest.raises(PermissionDenied):
        send(world.mso)


def test_sending_twice_from_one_preview_sends_once(world):
    token = uuid.uuid4()
    first = send(world.lead, token=token)
    second = send(world.lead, token=token)
    assert first.pk == second.pk
    assert Message.objects.count() == 1 and OutboundEmail.objects.count() == 4


def test_the_emails_have_no_tracking_and_links_as_written(world):
    send(world.lead, Audience(copy_mailboxes=False))
    email = OutboundEmail.objects.get(to=["mso.a@nhs.net"])
    assert '<a href="https://www.england.nhs.uk/alerts/"' in email.body_html
    assert "<img" not in email.body_html
    assert email.body_html.count("href=") == 2  # the alert, and the portal's messages page
    assert "<p>Dear colleagues,</p>" in email.body_html
    assert email.subject == "Patient safety alert"


def test_retrying_puts_only_the_failed_emails_back(world):
    message = send(world.lead, Audience(copy_mailboxes=False))
    failed = message.recipients.get(address="mso.a@nhs.net").email
    OutboundEmail.objects.filter(pk=failed.pk).update(failed_at=message.sent_at, last_error="550 No such user")
    assert message_retry_failed(message=message, user=world.lead) == 1
    failed.refresh_from_db()
    assert failed.failed_at is None and failed.last_error == "550 No such user"
    assert message.history.first().history_change_reason == "Retried 1 failed emails"


def test_an_officer_cannot_retry_a_message(world):
    message = send(world.lead)
    with pytest.raises(PermissionDenied):
        message_retry_failed(message=message, user=world.mso)


def test_sending_to_thousands_of_people_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    organisation = OrganisationFactory(generic_mailbox="")
    people = Person.objects.bulk_create(
        Person(first_name="Team", last_name=f"Member {n}", work_email=f"team{n}@nhs.net") for n in range(2500)
    )
    Appointment.objects.bulk_create(
        Appointment(person=p, organisation=organisation, role="team_member", status="active", start_date="2024-01-01")
        for p in people
    )
    # The audience, the sender, the message and its history, then the emails and the recipients in
    # INSERTs of up to 1,000 rows (fewer on SQLite, which takes at most 999 values a statement).
    inserts = sum(
        math.ceil(
            2502
            / min(1000, connection.ops.bulk_batch_size([field.name for field in model._meta.concrete_fields], people))
        )
        for model in (OutboundEmail, Recipient)
    )
    with django_assert_max_num_queries(12 + inserts):
        message = send(world.lead, Audience(copy_mailboxes=False), confirmed=True)
    assert message.recipient_count == 2502
    assert OutboundEmail.objects.filter(recipient__message=message).count() == 2502


def test_the_audience_is_described_in_words(world):
    message = send(
        world.lead, Audience(roles=(Appointment.Role.MSO, Appointment.Role.MDSO), regions=(world.london.pk,))
    )
    assert message.audience_description == (
        "Medication safety officers or Medical device safety officers, in London; "
        "copied to their organisations' generic MSO mailboxes"
    )
    chair_message = send(world.chair_a, Audience(copy_mailboxes=False))
    assert chair_message.audience_description == "Every current member of London MSO network"


@pytest.mark.parametrize("body", ["", "x" * (BODY_MAX_LENGTH + 1)])
def test_the_database_refuses_a_message_body_empty_or_over_the_limit(world, body):
    message = MessageFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(body=body)
    Message.objects.filter(pk=message.pk).update(body="x" * BODY_MAX_LENGTH)  # the limit itself is allowed
