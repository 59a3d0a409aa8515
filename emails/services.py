"""Every email of the portal goes through here: rendered, stored in the outbox, sent once.

A workflow calls `email_queue` inside its transaction. The email is stored in that
transaction (no commit, no email) and a `send_email` task is queued when it commits. If
Redis cannot take the task, the request goes on and the email waits in the outbox until
`send_pending_emails` (run by beat every five minutes, or by hand) sends it.
"""

import contextlib
import datetime
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.template import Context, Engine
from django.utils import timezone

from .models import OutboundEmail
from .tasks import send_bulk_emails, send_email

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


def email_queue(
    *, to: list[str], template: str, context: dict, dedupe_key: str = "", attachments: list[dict] | None = None
) -> OutboundEmail | None:
    """Store an email in the current transaction and send it when the transaction commits.

    With a `dedupe_key`, the email is queued only once: when an email with the same key exists,
    nothing is queued and None is returned. `attachments` are text files, each
    {"filename": ..., "content": ..., "mimetype": ...} (such as an `.ics` invitation).
    """
    if dedupe_key and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    return email_queue_rendered(
        to=to,
        template=template,
        rendered=email_render(template, context),
        dedupe_key=dedupe_key,
        attachments=attachments,
    )


def email_queue_rendered(
    *,
    to: list[str],
    template: str,
    rendered: RenderedEmail,
    dedupe_key: str = "",
    attachments: list[dict] | None = None,
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
        attachments=attachments or [],
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


@dataclass(frozen=True)
class BulkEmail:
    """One email of a message to many people: its one address, its rendering and its dedupe key."""

    to: str
    rendered: RenderedEmail
    dedupe_key: str
    attachments: tuple = ()
    reply_to: tuple[str, ...] = ()  # where replies go (the sender of a message), else the portal's address


BULK_BATCH = 1000


def email_queue_bulk(*, emails: list[BulkEmail], template: str) -> list[OutboundEmail]:
    """Store many emails (each to one address) in the current transaction, in a few INSERTs of
    BULK_BATCH rows whatever their number, and start the bulk sender when the transaction commits.

    They are bulk rows: `send_bulk_emails` sends them at BULK_EMAILS_PER_MINUTE, oldest first. Every
    email needs a dedupe key, so that queuing the same message again stores nothing twice: the
    database refuses the whole batch (IntegrityError) when a key has been queued before.
    """
    if any(not email.to or not email.dedupe_key for email in emails):
        raise ValueError("Each bulk email needs its address and a dedupe key.")
    now = timezone.now()
    rows = OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                to=[email.to],
                template=template,
                dedupe_key=email.dedupe_key,
                subject=email.rendered.subject,
                body_text=email.rendered.body_text,
                body_html=email.rendered.body_html,
                attachments=list(email.attachments),
                reply_to=list(email.reply_to),
                bulk=True,
                created_at=now,
            )
            for email in emails
        ],
        batch_size=BULK_BATCH,
    )
    if rows:
        transaction.on_commit(_send_bulk_emails_later)
    return rows


def _send_bulk_emails_later() -> None:
    """Start the bulk sender now rather than at its next minute; if Redis cannot take the task,
    beat starts it within the minute."""
    try:
        send_bulk_emails.apply_async(retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:
        logger.warning("The bulk sender was not started now; beat will start it.", exc_info=True)


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
            if email.bulk and refused_for_good(exc):
                email.failed_at = email.last_attempt_at
            email.save(update_fields=["attempts", "last_attempt_at", "last_error", "failed_at"])
            failure = exc
        else:
            email.sent_at = email.last_attempt_at
            email.last_error = ""
            email.save(update_fields=["attempts", "last_attempt_at", "last_error", "sent_at"])
            return True
    # Raised after the atomic block, so the record of the failed attempt is kept.
    raise failure


def refused_for_good(exc: Exception) -> bool:
    """Whether the mail server's answer was a permanent refusal (a 5xx code: no such mailbox, a
    message refused), which trying again the next minute will not change. A 4xx answer, a dropped
    connection or an unreachable server is passing, and is tried again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


@transaction.atomic
def email_retry(*, emails) -> int:
    """Put the bulk emails the mail server refused back in the bulk sender's queue (their attempts
    and last error are kept until the next try), and start it on commit. Returns how many."""
    count = emails.unsent().filter(bulk=True, failed_at__isnull=False).update(failed_at=None)
    if count:
        transaction.on_commit(_send_bulk_emails_later)
    return count


@dataclass
class BulkReport:
    sent: int = 0
    refused: int = 0
    deferred: int = 0
    pending: int = 0
    busy: bool = False

    def summary_line(self) -> str:
        if self.busy:
            return "busy: another bulk sender is running"
        return f"sent={self.sent} refused={self.refused} deferred={self.deferred} pending={self.pending}"


BULK_LOCK = 0x4D534F42  # the advisory lock that lets one bulk sender run at a time ("MSOB")


@contextlib.contextmanager
def _bulk_sender_lock():
    """One bulk sender at a time, so that the rate holds. On PostgreSQL a session advisory lock,
    freed if the worker dies; SQLite serves one process (development), which needs none."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [BULK_LOCK])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [BULK_LOCK])


def email_send_bulk(*, per_minute: int | None = None) -> BulkReport:
    """Send the bulk emails due, oldest first, no more than `per_minute` (BULK_EMAILS_PER_MINUTE)
    in any minute: this run sends what the last 60 seconds' sending leaves of it.

    An email the mail server refuses for good is marked failed and waits for `email_retry`; on a
    passing failure (the server down or busy) the run stops and the next one tries again. Each email
    is sent by `email_send`, so none is sent twice however often this runs.
    """
    per_minute = per_minute or settings.BULK_EMAILS_PER_MINUTE
    report = BulkReport()
    with _bulk_sender_lock() as locked:
        if not locked:
            report.busy = True
            return report
        since = timezone.now() - datetime.timedelta(minutes=1)
        allowance = max(per_minute - OutboundEmail.objects.bulk_sent_since(since).count(), 0)
        email_ids = list(OutboundEmail.objects.bulk_due().values_list("pk", flat=True)[:allowance])
        for email_id in email_ids:
            try:
                if email_send(email_id=email_id):
                    report.sent += 1
            except Exception as exc:
                if refused_for_good(exc):
                    report.refused += 1
                    continue
                report.deferred = len(email_ids) - report.sent - report.refused
                logger.warning("The mail server failed; the bulk sender will try again.", exc_info=True)
                break
    report.pending = OutboundEmail.objects.bulk_due().count()
    return report


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
