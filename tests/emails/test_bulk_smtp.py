"""The bulk sender against a real SMTP server on loopback (aiosmtpd): a mailbox refused with 550 is
recorded with the server's answer and sent once when retried; a server answering 421 is tried again."""

import pytest

from emails.models import OutboundEmail
from emails.services import email_queue_bulk, email_retry, email_send_bulk
from tests.emails.test_bulk import addresses, bulk
from tests.smtp_server import mail_server, use_mail_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_a_mailbox_the_server_refuses_is_recorded_with_its_answer_and_sent_once_when_retried(
    settings,
    mail_server,  # noqa: F811
):
    use_mail_server(settings, mail_server)
    handler = mail_server.handler_state
    handler.refuse = {"officer.2@nhs.net"}
    email_queue_bulk(emails=bulk(addresses(5)), template="test_message")

    report = email_send_bulk(per_minute=100)
    assert (report.sent, report.refused, report.pending) == (4, 1, 0)
    refused = OutboundEmail.objects.get(to=["officer.2@nhs.net"])
    assert refused.failed_at is not None and refused.sent_at is None
    assert "550" in refused.last_error and "No such mailbox here" in refused.last_error
    assert sorted(handler.addresses()) == sorted(set(addresses(5)) - {"officer.2@nhs.net"})

    handler.refuse = set()  # the mailbox has been set up
    assert email_retry(emails=OutboundEmail.objects.all()) == 1
    assert email_send_bulk(per_minute=100).sent == 1
    assert sorted(handler.addresses()) == sorted(addresses(5))  # each address once
    assert not OutboundEmail.objects.unsent().exists()


def test_a_busy_server_s_421_leaves_the_emails_waiting_and_the_next_run_sends_them(
    settings,
    mail_server,  # noqa: F811
):
    use_mail_server(settings, mail_server)
    handler = mail_server.handler_state
    handler.busy = True
    email_queue_bulk(emails=bulk(addresses(3)), template="test_message")

    report = email_send_bulk(per_minute=100)
    assert (report.sent, report.refused, report.deferred, report.pending) == (0, 0, 3, 3)
    tried = OutboundEmail.objects.get(attempts=1)
    assert "421" in tried.last_error and tried.failed_at is None

    handler.busy = False
    assert email_send_bulk(per_minute=100).sent == 3
    assert sorted(handler.addresses()) == sorted(addresses(3))
