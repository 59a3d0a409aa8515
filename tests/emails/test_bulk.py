"""Bulk emails (a message to many people): stored set-based, sent at most BULK_EMAILS_PER_MINUTE a
minute by the bulk sender, a permanent refusal kept for a retry, a passing failure tried again."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import IntegrityError, transaction
from django.utils import timezone

from emails.models import OutboundEmail
from emails.services import (
    BulkEmail,
    email_queue,
    email_queue_bulk,
    email_render,
    email_retry,
    email_send_bulk,
    email_send_pending,
    refused_for_good,
)
from emails.tasks import send_bulk_emails

pytestmark = pytest.mark.django_db

CONTEXT = {"name": "Priya Shah", "message": "The national webinar is on Thursday."}


def bulk(addresses, key="message:1"):
    rendered = email_render("test_message", CONTEXT)
    return [BulkEmail(to=address, rendered=rendered, dedupe_key=f"{key}:{address}") for address in addresses]


def addresses(count):
    return [f"officer.{number}@nhs.net" for number in range(count)]


class RefusesOneBackend(LocmemBackend):
    """The mail server answers 550 for one mailbox and delivers the rest."""

    refused = "officer.1@nhs.net"

    def send_messages(self, messages):
        for message in messages:
            if self.refused in message.to:
                raise smtplib.SMTPRecipientsRefused({self.refused: (550, b"5.1.1 No such mailbox")})
        return super().send_messages(messages)


class DownAfterOneBackend(LocmemBackend):
    """Delivers one email, then the mail server goes away."""

    delivered = 0

    def send_messages(self, messages):
        if DownAfterOneBackend.delivered >= 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        DownAfterOneBackend.delivered += 1
        return super().send_messages(messages)


def test_bulk_emails_are_stored_in_a_fixed_number_of_queries_and_started_on_commit(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # A few INSERTs of many rows each (PostgreSQL takes 1,000 rows an INSERT, SQLite's limit on
    # parameters about 80), never one query per email.
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(40):
        rows = email_queue_bulk(emails=bulk(addresses(2500)), template="test_message")
    assert len(rows) == 2500
    assert OutboundEmail.objects.filter(bulk=True).count() == 2500
    assert len(callbacks) == 1  # one start of the bulk sender, not one task per email
    assert mail.outbox == []


def test_queuing_the_same_bulk_emails_again_is_refused_whole():
    email_queue_bulk(emails=bulk(addresses(3)), template="test_message")
    with pytest.raises(IntegrityError), transaction.atomic():
        email_queue_bulk(emails=bulk(addresses(4)), template="test_message")
    assert OutboundEmail.objects.count() == 3


def test_bulk_sender_sends_no_more_than_its_rate_in_any_minute():
    email_queue_bulk(emails=bulk(addresses(5)), template="test_message")
    assert email_send_bulk(per_minute=3).summary_line() == "sent=3 refused=0 deferred=0 pending=2"
    assert email_send_bulk(per_minute=3).sent == 0  # the same minute: nothing more
    assert len(mail.outbox) == 3
    a_minute_ago = timezone.now() - datetime.timedelta(seconds=61)
    OutboundEmail.objects.sent().update(sent_at=a_minute_ago)
    assert email_send_bulk(per_minute=3).summary_line() == "sent=2 refused=0 deferred=0 pending=0"
    assert sorted(message.to[0] for message in mail.outbox) == sorted(addresses(5))


def test_bulk_sender_uses_the_rate_of_the_settings(settings):
    settings.BULK_EMAILS_PER_MINUTE = 2
    email_queue_bulk(emails=bulk(addresses(5)), template="test_message")
    assert email_send_bulk().sent == 2


def test_a_mailbox_refused_for_good_is_marked_failed_and_the_others_are_sent(settings):
    settings.EMAIL_BACKEND = "tests.emails.test_bulk.RefusesOneBackend"
    email_queue_bulk(emails=bulk(addresses(3)), template="test_message")
    report = email_send_bulk(per_minute=10)
    assert (report.sent, report.refused, report.pending) == (2, 1, 0)
    refused = OutboundEmail.objects.get(to=["officer.1@nhs.net"])
    assert refused.sent_at is None and refused.failed_at is not None
    assert refused.last_error.startswith("SMTPRecipientsRefused")
    assert "550" in refused.last_error
    assert email_send_bulk(per_minute=10).sent == 0  # a refused email waits for someone to retry it


def test_a_retried_email_goes_back_to_the_bulk_sender_and_is_sent(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.emails.test_bulk.RefusesOneBackend"
    email_queue_bulk(emails=bulk(addresses(3)), template="test_message")
    email_send_bulk(per_minute=10)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert email_retry(emails=OutboundEmail.objects.all()) == 1  # only the refused one
    refused = OutboundEmail.objects.get(to=["officer.1@nhs.net"])
    assert refused.sent_at is not None and refused.failed_at is None
    assert refused.attempts == 2
    assert [message.to for message in mail.outbox].count(["officer.1@nhs.net"]) == 1


def test_a_passing_failure_stops_the_run_and_leaves_the_rest_waiting(settings):
    settings.EMAIL_BACKEND = "tests.emails.test_bulk.DownAfterOneBackend"
    DownAfterOneBackend.delivered = 0
    email_queue_bulk(emails=bulk(addresses(4)), template="test_message")
    report = email_send_bulk(per_minute=10)
    assert (report.sent, report.refused, report.deferred, report.pending) == (1, 0, 3, 3)
    waiting = OutboundEmail.objects.unsent()
    assert waiting.count() == 3
    assert not waiting.filter(failed_at__isnull=False).exists()
    assert waiting.filter(attempts=1).count() == 1  # the one tried; the others not touched

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_send_bulk(per_minute=10).sent == 3
    assert len(mail.outbox) == 4


def test_the_pending_job_leaves_bulk_emails_to_the_bulk_sender():
    email_queue_bulk(emails=bulk(addresses(3)), template="test_message")
    OutboundEmail.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert email_send_pending().sent == 0
    assert mail.outbox == []


def test_with_tasks_in_process_the_bulk_sender_sends_every_email(settings):
    settings.BULK_EMAILS_PER_MINUTE = 2
    settings.CELERY_TASK_ALWAYS_EAGER = True
    email_queue_bulk(emails=bulk(addresses(5)), template="test_message")
    assert send_bulk_emails() == "sent=5 refused=0 deferred=0 pending=0"


def test_an_attachment_is_sent_with_the_email(django_capture_on_commit_callbacks):
    calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    attachment = {"filename": "invitation.ics", "content": calendar, "mimetype": "text/calendar; method=REQUEST"}
    with django_capture_on_commit_callbacks(execute=True):
        email_queue(to=["mso.a@nhs.net"], template="test_message", context=CONTEXT, attachments=[attachment])
    (message,) = mail.outbox
    ((filename, content, mimetype),) = message.attachments
    assert (filename, content) == ("invitation.ics", calendar)
    assert mimetype.startswith("text/calendar")


@pytest.mark.parametrize(
    ("error", "for_good"),
    [
        (smtplib.SMTPRecipientsRefused({"a@nhs.net": (550, b"No such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@nhs.net": (450, b"Mailbox busy")}), False),
        (smtplib.SMTPDataError(554, b"Message refused"), True),
        (smtplib.SMTPDataError(451, b"Try again later"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
    ],
)
def test_only_a_5xx_answer_is_a_refusal_for_good(error, for_good):
    assert refused_for_good(error) is for_good


def test_the_database_refuses_an_email_both_sent_and_failed():
    email = email_queue(to=["mso.a@nhs.net"], template="test_message", context=CONTEXT)
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundEmail.objects.filter(pk=email.pk).update(sent_at=now, failed_at=now)
