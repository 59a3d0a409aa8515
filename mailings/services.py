"""Writing to the network: the one way a message is checked, stored and queued, and its failed
emails retried. Every email goes through the outbox (`emails.services.email_queue_bulk`): stored
in the message's transaction, sent by the bulk sender at BULK_EMAILS_PER_MINUTE."""

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from access import scopes
from emails.models import OutboundEmail
from emails.services import BulkEmail, email_queue_bulk, email_render, email_retry
from msonet.history import record_change
from networks.models import Network

from .audience import Audience, audience_describe, audience_in_scope, audience_recipients, person_address
from .models import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH, Message, Recipient
from .text import body_html, validate_links

# A message to more addresses than this needs a second confirmation.
LARGE_MESSAGE = 200
EMAIL_TEMPLATE = "network_message"
RECIPIENT_BATCH = 1000


def message_validate(*, subject: str, body: str) -> tuple[str, str]:
    """The subject and body as they will be stored, or a ValidationError naming each problem."""
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip(" \t")
    if "\n" in subject or "\r" in subject:
        errors.setdefault("subject", []).append("Enter the subject on one line.")
    subject = subject.strip()
    if not subject:
        errors.setdefault("subject", []).append("Enter a subject.")
    elif len(subject) > SUBJECT_MAX_LENGTH:
        errors.setdefault("subject", []).append(
            f"The subject must be {SUBJECT_MAX_LENGTH} characters or fewer (it has {len(subject)})."
        )
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        errors.setdefault("body", []).append("Enter the message.")
    elif len(body) > BODY_MAX_LENGTH:
        errors.setdefault("body", []).append(
            f"The message must be {BODY_MAX_LENGTH:,} characters or fewer (it has {len(body):,})."
        )
    else:
        try:
            validate_links(body)
        except ValidationError as error:
            errors.setdefault("body", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return subject, body


def sender_network(user, audience: Audience) -> Network | None:
    """The network a message is from: the national network for the lead; for a chair, the network
    of the audience when it names one they chair, otherwise the first network they chair."""
    if user.is_national_lead:
        return Network.objects.filter(kind=Network.Kind.NATIONAL).first()
    chaired = sorted(scopes.chaired_networks(user), key=lambda network: network.name.lower())
    named = [network for network in chaired if network.pk in audience.networks]
    return (named or chaired or [None])[0]


def _render(message: Message, *, mailbox: bool):
    return email_render(
        EMAIL_TEMPLATE,
        {
            "message": message,
            "body_html": body_html(message.body, email=True),
            "from_name": message.from_name,
            "sender_name": _sender_name(message.sender),
            "mailbox": mailbox,
            "portal_url": settings.SITE_URL + reverse("mailings:inbox"),
        },
    )


def _sender_name(user) -> str:
    person = getattr(user, "person", None)
    return person.full_name if person else (user.get_full_name() or user.email)


def sender_address(user) -> str:
    """Where replies to a message go: the sender's work email, or their sign-in email."""
    person = getattr(user, "person", None)
    return person_address(person.work_email if person else "", user.email)


@transaction.atomic
def message_send(
    *,
    user,
    subject: str,
    body: str,
    audience: Audience,
    confirmed: bool = False,
    token: uuid.UUID | None = None,
) -> Message:
    """Check a message, store it with one Recipient per address and queue one email to each,
    sent when the transaction commits.

    Refused (ValidationError) for a subject that is empty, too long or on more than one line, a body
    that is empty, over BODY_MAX_LENGTH or with a link that is not http(s), an audience that
    reaches no one, and an audience of more than LARGE_MESSAGE addresses not `confirmed`; refused
    (PermissionDenied) for a sender who is neither the lead nor a chair, or an audience naming a
    network they do not chair. `token` (from the preview) makes sending twice send once: the
    message already sent with it is returned. A fixed number of queries, whatever the audience."""
    if not audience_in_scope(user, audience):
        raise PermissionDenied("You can only write to the networks you chair.")
    subject, body = message_validate(subject=subject, body=body)
    if token is not None:
        existing = Message.objects.filter(token=token, sender=user).first()
        if existing is not None:
            return existing
    recipients = audience_recipients(user, audience)
    if not recipients:
        raise ValidationError(
            {"audience": ["No one matches this audience. Choose fewer criteria, or other ones."]}, code="empty_audience"
        )
    if len(recipients) > LARGE_MESSAGE and not confirmed:
        raise ValidationError(
            {"confirmed": [f"This message goes to {len(recipients):,} addresses. Confirm that you want to send it."]},
            code="confirm_large",
        )
    now = timezone.now()
    message = Message(
        sender=user,
        network=sender_network(user, audience),
        subject=subject,
        body=body,
        audience=audience.as_json(),
        audience_description=audience_describe(audience, user),
        copy_mailboxes=audience.copy_mailboxes,
        recipient_count=len(recipients),
        created_at=now,
        sent_at=now,
        token=token,
    )
    record_change(message, user=user, reason=f"Sent to {len(recipients)} addresses")
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if token is not None:  # sent meanwhile from the same preview
            existing = Message.objects.filter(token=token, sender=user).first()
            if existing is not None:
                return existing
        raise
    renderings = {False: _render(message, mailbox=False), True: _render(message, mailbox=True)}
    reply_to = (sender_address(user),)
    emails = email_queue_bulk(
        emails=[
            BulkEmail(
                to=entry.address,
                rendered=renderings[entry.is_mailbox],
                dedupe_key=f"message:{message.pk}:{entry.address}",
                reply_to=reply_to,
            )
            for entry in recipients
        ],
        template=EMAIL_TEMPLATE,
    )
    Recipient.objects.bulk_create(
        [
            Recipient(
                message=message,
                address=entry.address,
                kind=entry.kind,
                person_id=entry.person_id,
                organisation_id=entry.organisation_id,
                email_id=email.pk,
            )
            for entry, email in zip(recipients, emails, strict=True)
        ],
        batch_size=RECIPIENT_BATCH,
    )
    return message


@transaction.atomic
def message_retry_failed(*, message: Message, user) -> int:
    """Put the message's emails the mail server refused back in the bulk sender's queue; the
    history records who retried them. Returns how many. PermissionDenied for a user who may not
    see the message."""
    if not Message.objects.visible_to(user).filter(pk=message.pk).exists():
        raise PermissionDenied("You cannot retry this message.")
    count = email_retry(emails=OutboundEmail.objects.filter(recipient__message=message))
    if count:
        message = Message.objects.select_for_update().get(pk=message.pk)
        message.last_retried_at = timezone.now()
        record_change(message, user=user, reason=f"Retried {count} failed emails")
        message.save(update_fields=["last_retried_at"])
    return count
