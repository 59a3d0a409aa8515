from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from officers.models import Appointment
from organisations.models import Organisation


class Handover(models.Model):
    """The hand-over of a named role when its holder leaves."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        LAPSED = "lapsed", "Lapsed"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="handovers")
    outgoing_appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="handovers_out")
    incoming_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="handovers_in"
    )
    leaving_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completion_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("leaving_date")),
                name="handover_due_not_before_leaving",
                violation_error_message="The due date cannot be before the leaving date.",
            ),
            models.UniqueConstraint(
                fields=["outgoing_appointment"],
                condition=~Q(status="completed"),
                name="one_unfinished_handover_per_appointment",
                violation_error_message="This appointment already has a handover in progress.",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False),
                name="completed_handover_has_completion_time",
                violation_error_message="A completed handover needs its completion time.",
            ),
            models.CheckConstraint(
                condition=Q(incoming_appointment__isnull=True)
                | ~Q(incoming_appointment=models.F("outgoing_appointment")),
                name="handover_incoming_differs_from_outgoing",
                violation_error_message="The successor's appointment must differ from the outgoing one.",
            ),
        ]

    def __str__(self):
        return f"Handover of {self.outgoing_appointment.get_role_display()} at {self.organisation.name}"


class HandoverChecklistItem(models.Model):
    class Item(models.TextChoices):
        MAILBOX_ACCESS = "mailbox_access", "Generic MSO mailbox access transferred"
        MHRA_REGISTRATION = "mhra_registration", "MHRA registration updated"
        NATIONAL_DATABASE = "national_database", "National database updated"
        CHAIR_INTRODUCED = "chair_introduced", "Regional network chair introduced to the successor"

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="checklist")
    item = models.CharField(max_length=30, choices=Item.choices)
    ticked_at = models.DateTimeField()
    ticked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["item"]
        constraints = [
            models.UniqueConstraint(fields=["handover", "item"], name="one_tick_per_checklist_item"),
        ]

    def __str__(self):
        return self.get_item_display()
