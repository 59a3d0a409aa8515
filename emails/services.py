"""Every email of the portal goes through here: rendered, stored in the outbox, sent once.

A workflow calls `email_queue` inside its transaction. The email is stored in that
transaction (no commit, no email) and a `send_email` task is queued when it commits. If
Redis cannot take the task, the request goes on and the email waits in the outbox until
`send_pending_emails` (run by beat every five minutes, or by hand) sends it.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.template import Context, Engine
from django.utils import timezone

from .models import OutboundEmail
from .tasks import send_email

logger = logging.getLogger(__name__)

# Younger unsent emails are left to the task queued on commit, which is usually on its way.
PENDING_AFTER = datetime.timedelta(minutes=1)

# Publish the task once: a web request must not wait for Redis. The outbox keeps the email.
PUBLISH_RETRY_POLICY = {"max_retries": 0}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


def email_render(template: str, context: dict) -> RenderedEmail:
    """Render templates/emails/<template>/subject.txt, body.txt and body.html.

    The subject and the text body are rendered without HTML escaping; the HTML body is escaped
    as usual. The subject is one line.
    """
    engine = Engine.get_default()

    def render(name: str, *, autoescape: bool) -> str:
        return engine.get_template(f"emails/{template}/{name}").render(Context(context, autoescape=autoescape))

    return RenderedEmail(
        subject=" ".join(render("subject.txt", autoescape=False).split()),
        body_text=render("body.txt", autoescape=False).strip() + "\n",
        body_html=render("body.html", autoescape=True).strip(),
    )


def email_queue(*, to: list[str], template: str, context: dict, dedupe_key: str = "") -> OutboundEmail | None:
    """Store an email in the current transaction and send it when the transaction commits.

    With a `dedupe_key`, the email is queued only once: when an email with the same key exists,
    nothing is queued and None is returned.
    """
    if dedupe_key and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    return email_queue_rendered(
        to=to, template=template, rendered=email_render(template, context), dedupe_key=dedupe_key
    )


def email_queue_rendered(
    *, to: list[str], template: str, rendered: RenderedEmail, dedupe_key: str = ""
) -> OutboundEmail | None:
    """Store an email already rendered (such as the account emails django-allauth writes) and
    send it when the transaction commits, as `email_queue` does."""
    to = [address for address in to if address]
    if not to:
        raise ValueError("An email needs at least one recipient.")
    email = OutboundEmail(
        to=to,
        template=template,
        dedupe_key=dedupe_key,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
    )
    try:
        with transaction.atomic():
            email.save()
    except IntegrityError:
        if dedupe_key:  # queued meanwhile by a concurrent transaction
            return None
        raise
    transaction.on_commit(lambda: _send_email_later(email.pk))
    return email


def _send_email_later(email_id: int) -> None:
    """Hand the email to Celery; if that fails, leave it to send_pending_emails."""
    try:
        send_email.apply_async((email_id,), retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:
        # Redis unreachable (kombu OperationalError, connection errors), or, with tasks running
        # in-process, the mail server failing. Either way the email is in the outbox.
        logger.warning("Email %s was not sent now; send_pending_emails will send it.", email_id, exc_info=True)


def email_send(*, email_id: int) -> bool:
    """Send one email from the outbox, unless it has been sent. True when this call sent it.

    The row is locked while sending and marked sent in the same transaction, so concurrent and
    repeated calls deliver it once. A row locked by another sender is skipped (returns False).
    On failure the attempt and error are recorded and the exception is raised again, so the
    caller (the task) can retry.
    """
    lock = {"skip_locked": True} if connection.features.has_select_for_update_skip_locked else {}
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update(**lock).unsent().filter(pk=email_id).first()
        if email is None:
            return False
        email.attempts += 1
        email.last_attempt_at = timezone.now()
        try:
            email.as_message().send()
        except Exception as exc:
            email.last_error = f"{exc.__class__.__name__}: {exc}"
            email.save(update_fields=["attempts", "last_attempt_at", "last_error"])
            failure = exc
        else:
            email.sent_at = email.last_attempt_at
            email.last_error = ""
            email.save(update_fields=["attempts", "last_attempt_at", "last_error", "sent_at"])
            return True
    # Raised after the atomic block, so the record of the failed attempt is kept.
    raise failure


@dataclass
class PendingEmailsReport:
    sent: int = 0
    failed: int = 0
    pending: int = 0

    def summary_line(self) -> str:
        return f"sent={self.sent} failed={self.failed} pending={self.pending}"


def email_send_pending(*, older_than: datetime.timedelta = PENDING_AFTER) -> PendingEmailsReport:
    """Send every unsent email queued more than `older_than` ago, oldest first.

    `pending` counts the emails still unsent afterwards: the failed ones, those queued in the
    last minute, and any another sender was sending at the time.
    """
    report = PendingEmailsReport()
    email_ids = list(
        OutboundEmail.objects.due(older_than=older_than).order_by("created_at", "pk").values_list("pk", flat=True)
    )
    for email_id in email_ids:
        try:
            if email_send(email_id=email_id):
                report.sent += 1
        except Exception:
            report.failed += 1
            logger.warning("Email %s could not be sent.", email_id, exc_info=True)
    report.pending = OutboundEmail.objects.unsent().count()
    return report
