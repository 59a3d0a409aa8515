from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from access import scopes
from emails.models import OutboundEmail
from networks.models import Network
from officers.models import Person
from organisations.models import Organisation

SUBJECT_MAX_LENGTH = 150
# The longest body a message may have, in characters (about eight pages of text).
BODY_MAX_LENGTH = 20_000


def validate_one_line(value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValidationError("Enter the subject on one line.", code="subject_line_break")


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The messages a sender may see, with their recipients and their sending: every message for
        the national lead; for a chair or vice-chair, those they sent and those from the networks
        they chair now; none for anyone else (an officer reads their own through `Recipient`)."""
        return scopes.scoped(self, user, lambda: Q(sender=user) | Q(network__in=scopes.chaired_network_ids(user)))

    def received_by(self, user):
        """The messages sent to the user's person record, newest first."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipients__person__user=user, recipients__kind=Recipient.Kind.PERSON).order_by(
            "-sent_at", "-pk"
        )


class Message(models.Model):
    """A message from the national lead (to anyone on the register) or a network chair (to the
    current members of the networks they chair), sent as one email to each address of its audience."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_sent")
    network = models.ForeignKey(
        Network,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
        help_text="The network it is from: the national network for the lead, the chair's network for a chair.",
    )
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, validators=[validate_one_line])
    body = models.TextField(
        max_length=BODY_MAX_LENGTH, help_text="Plain text: paragraphs separated by a blank line, http(s) links."
    )
    audience = models.JSONField(default=dict, help_text="The audience's criteria, as the sender chose them.")
    audience_description = models.TextField(help_text="The audience, in words.")
    copy_mailboxes = models.BooleanField(
        "copy the generic MSO mailboxes",
        default=True,
        help_text="Each organisation's generic MSO mailbox receives a copy.",
    )
    recipient_count = models.PositiveIntegerField(default=0, help_text="The addresses it was sent to.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField("queued at", null=True, blank=True)
    last_retried_at = models.DateTimeField("failed emails last retried at", null=True, blank=True)
    token = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="From the preview it was sent from, so that sending twice sends once.",
    )

    objects = MessageQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(subject__contains="\n") & ~Q(subject__contains="\r"),
                name="message_subject_one_line",
                violation_error_message="Enter the subject on one line.",
            ),
            models.CheckConstraint(
                condition=~Q(subject=""),
                name="message_subject_not_empty",
                violation_error_message="Enter a subject.",
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length("body"), 0) & LessThanOrEqual(Length("body"), BODY_MAX_LENGTH),
                name="message_body_within_limit",
                violation_error_message=f"Enter a message of at most {BODY_MAX_LENGTH:,} characters.",
            ),
        ]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        return reverse("mailings:detail", args=[self.pk])

    @property
    def from_name(self) -> str:
        return self.network.name if self.network_id else "The national MSO network"


class RecipientQuerySet(models.QuerySet):
    def sent(self):
        return self.filter(email__sent_at__isnull=False)

    def failed(self):
        return self.filter(email__failed_at__isnull=False)

    def waiting(self):
        return self.filter(email__sent_at__isnull=True, email__failed_at__isnull=True)

    def with_status(self, status: str):
        return {"sent": self.sent, "failed": self.failed, "waiting": self.waiting}.get(status, self.all)()


class Recipient(models.Model):
    """One address a message went to: a person of the audience, or the generic MSO mailbox of one
    of their organisations (a copy). Each address once per message, whatever roles it holds."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        MAILBOX = "mailbox", "Generic MSO mailbox"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="recipients")
    address = models.EmailField(max_length=254, help_text="Lower-cased.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For a mailbox copy: the organisation whose generic MSO mailbox it is.",
    )
    email = models.OneToOneField(OutboundEmail, on_delete=models.PROTECT, related_name="recipient")

    objects = RecipientQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "address"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "address"],
                name="one_recipient_per_address_per_message",
                violation_error_message="This address already receives this message.",
            ),
            models.CheckConstraint(
                condition=Q(address=Lower("address")),
                name="recipient_address_lower_case",
                violation_error_message="Addresses are stored in lower case.",
            ),
        ]
        indexes = [models.Index(fields=["person", "kind"])]

    def __str__(self):
        return f"{self.address} ({self.message})"

    @property
    def status(self) -> str:
        if self.email.sent_at:
            return self.Status.SENT
        if self.email.failed_at:
            return self.Status.FAILED
        return self.Status.WAITING

    def get_status_display(self) -> str:
        return self.Status(self.status).label
