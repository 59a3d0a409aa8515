import datetime

from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboundEmailQuerySet(models.QuerySet):
    def sent(self):
        return self.filter(sent_at__isnull=False)

    def unsent(self):
        return self.filter(sent_at__isnull=True)

    def waiting(self):
        """Unsent emails still to be sent: all but those the mail server refused for good."""
        return self.unsent().filter(failed_at__isnull=True)

    def failing(self):
        """Unsent emails whose last attempt failed."""
        return self.unsent().filter(attempts__gt=0)

    def due(self, *, older_than: datetime.timedelta):
        """Unsent emails of their own task queued more than `older_than` ago: their task was lost,
        failed or never queued. Bulk emails are the bulk sender's (`bulk_due`)."""
        return self.unsent().filter(bulk=False, created_at__lt=timezone.now() - older_than)

    def bulk_due(self):
        """Unsent bulk emails the bulk sender is to send: not refused by the mail server (those wait
        for someone to retry them), oldest first."""
        return self.unsent().filter(bulk=True, failed_at__isnull=True).order_by("created_at", "pk")

    def bulk_sent_since(self, moment: datetime.datetime):
        return self.filter(bulk=True, sent_at__gte=moment)


class OutboundEmail(models.Model):
    """An email of the portal, stored in the transaction that caused it (the outbox).

    A row is sent by the `send_email` task queued when that transaction commits; rows the
    task did not send (Redis down, mail server down) are sent by `send_pending_emails`.
    A bulk row (one of a message to many people) has no task of its own: `send_bulk_emails`
    sends bulk rows oldest first, no more than BULK_EMAILS_PER_MINUTE a minute.
    `sent_at` is set in the same transaction as the sending, under a row lock, so a row is
    delivered once however many workers try.
    """

    to = models.JSONField("recipients", default=list, help_text="A list of email addresses.")
    subject = models.CharField(max_length=998)
    body_text = models.TextField("text body")
    body_html = models.TextField("HTML body", blank=True)
    template = models.CharField(max_length=100, help_text="The folder under templates/emails/ it was rendered from.")
    dedupe_key = models.CharField(
        max_length=200,
        blank=True,
        help_text="Set by the sender to mean 'this email once': a second email with the same key is not queued.",
    )
    created_at = models.DateTimeField("queued at", default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    bulk = models.BooleanField(
        default=False, help_text="One of a message to many people, sent by the bulk sender at its rate."
    )
    failed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the mail server refused it for good (a 5xx answer): it waits until someone retries it.",
    )
    reply_to = models.JSONField(
        default=list,
        blank=True,
        help_text="Where replies go, when not to the portal's own address: a list of addresses.",
    )
    attachments = models.JSONField(
        default=list,
        blank=True,
        help_text='Text attachments, each {"filename": ..., "content": ..., "mimetype": ...} (calendar invitations).',
    )

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        verbose_name = "outbound email"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(failed_at__isnull=True) | Q(sent_at__isnull=True),
                name="outboundemail_sent_or_failed",
                violation_error_message="An email that was sent has not failed.",
            ),
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="outboundemail_dedupe_key_unique",
                violation_error_message="An email with this dedupe key has already been queued.",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="outboundemail_unsent_idx"),
            models.Index(fields=["bulk", "sent_at"], name="outboundemail_bulk_sent_idx"),
        ]

    def __str__(self):
        return f"{self.subject} to {', '.join(self.to)}"

    def as_message(self) -> EmailMultiAlternatives:
        """The email as Django sends it: the text body, with the HTML body as an alternative and
        the attachments (such as an `.ics` invitation) after them."""
        message = EmailMultiAlternatives(
            subject=self.subject, body=self.body_text, to=self.to, reply_to=self.reply_to or None
        )
        if self.body_html:
            message.attach_alternative(self.body_html, "text/html")
        for attachment in self.attachments:
            message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
        return message
