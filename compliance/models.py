import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from access import scopes
from handovers.models import Handover
from officers.models import Appointment
from organisations.models import Organisation


class FlagQuerySet(models.QuerySet):
    def open(self):
        """Flags whose condition still holds (acknowledged or not)."""
        return self.filter(resolved_at__isnull=True)

    def unacknowledged(self):
        return self.open().filter(acknowledged_at__isnull=True)

    def acknowledged(self):
        return self.open().filter(acknowledged_at__isnull=False)

    def resolved(self):
        return self.filter(resolved_at__isnull=False)

    def opened_before(self, moment: datetime.datetime):
        return self.filter(opened_at__lt=moment)

    def visible_to(self, user):
        """The flags a user may see: every flag for the national lead; for a network chair or
        vice-chair, the flags of organisations in the regions of the networks they chair; none
        for anyone else. The flag board, the organisation page and the digest all use this."""
        return scopes.scoped(self, user, lambda: scopes.in_chaired_regions(user))


# The generation (msonet.generations) of the flags table: figures of flags cached under it are
# counted again after any committed write to it.
FLAGS_GENERATION = "flags"


class Flag(models.Model):
    """An open finding about an organisation, such as no named MSO. The compliance scan opens a
    flag when its condition becomes true and resolves it when the condition ends; an organisation
    has at most one open flag of each kind. Acknowledging a flag does not resolve it."""

    class Kind(models.TextChoices):
        NO_MSO = "no_mso", "No active named MSO"
        NO_MDSO = "no_mdso", "No active named MDSO"
        LAPSED_HANDOVER = "lapsed_handover", "Lapsed handover"
        MHRA_NOT_REGISTERED = "mhra_not_registered", "MSO not registered with the MHRA after 30 days"
        DETAILS_NOT_CONFIRMED = "details_not_confirmed", "Officer details not confirmed for 12 months"
        NO_MAILBOX = "no_mailbox", "No generic MSO mailbox"
        OFFICERS_AT_CLOSED = "officers_at_closed", "Officers in post at a closed organisation"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the flag is open.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledgement_note = models.TextField(blank=True)
    # What the flag was opened about, where there is one thing: the lapsed handover, the MSO's
    # appointment not registered with the MHRA, the named officer's appointment whose person has
    # not confirmed their details.
    handover = models.ForeignKey(Handover, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags")
    appointment = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags")

    objects = FlagQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["opened_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_flag_per_organisation_and_kind",
                violation_error_message="This organisation already has an open flag of this kind.",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("opened_at")),
                name="flag_resolved_not_before_opened",
                violation_error_message="A flag cannot be resolved before it was opened.",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "opened_at"], condition=Q(resolved_at__isnull=True), name="flag_open_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.organisation.name}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def status(self) -> str:
        if self.resolved_at:
            return "resolved"
        return "acknowledged" if self.acknowledged_at else "open"

    # What ends each kind of flag, in a few words for the board and the digest.
    RESOLUTIONS = {
        Kind.NO_MSO: "Register a named MSO",
        Kind.NO_MDSO: "Register a named MDSO",
        Kind.LAPSED_HANDOVER: "Complete the handover",
        Kind.MHRA_NOT_REGISTERED: "Record the MSO's MHRA registration",
        Kind.DETAILS_NOT_CONFIRMED: "The named officer confirms their details",
        Kind.NO_MAILBOX: "Record a generic MSO mailbox",
        Kind.OFFICERS_AT_CLOSED: "Move the officers to the successor, or end their appointments",
    }

    @property
    def resolution(self) -> str:
        return self.RESOLUTIONS[self.kind]


class ScanRunQuerySet(models.QuerySet):
    def latest_finished_at(self) -> datetime.datetime | None:
        """When the last scan finished (None before the first): the readiness check's measure of
        whether beat still runs the scan."""
        return self.order_by("-finished_at").values_list("finished_at", flat=True).first()


class ScanRun(models.Model):
    """One completed run of the compliance scan, with what it changed. Written in the scan's own
    transaction, so a scan that fails leaves no record; the scan keeps only the latest runs."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    opened = models.PositiveIntegerField(help_text="Flags opened by this run.")
    resolved = models.PositiveIntegerField(help_text="Flags resolved by this run.")
    open = models.PositiveIntegerField(help_text="Flags open after this run.")
    lapsed_handovers = models.PositiveIntegerField(help_text="Handovers this run marked as lapsed.")

    objects = ScanRunQuerySet.as_manager()

    class Meta:
        ordering = ["-finished_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__gte=models.F("started_at")),
                name="scanrun_finished_not_before_started",
                violation_error_message="A scan cannot finish before it started.",
            ),
            models.CheckConstraint(
                condition=Q(opened__gte=0, resolved__gte=0, open__gte=0, lapsed_handovers__gte=0),
                name="scanrun_counts_not_negative",
                violation_error_message="A scan's counts cannot be negative.",
            ),
        ]
        indexes = [models.Index(fields=["finished_at"], name="scanrun_finished_idx")]

    def __str__(self):
        return (
            f"Scan of {self.finished_at:%Y-%m-%d %H:%M}: opened={self.opened} resolved={self.resolved} open={self.open}"
        )
