import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from access import scopes
from officers.models import Appointment
from organisations.models import Organisation

# A handover is "due soon" when its due date is at most this many days away.
DUE_SOON_DAYS = 7


class HandoverQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The handovers a user may see; the one rule for the list and the handover page.

        The national lead sees every handover; an officer sees those where they are the outgoing or
        the incoming officer; a network chair sees those of organisations in the regions of the
        networks they chair (read-only).
        """
        return scopes.scoped(
            self,
            user,
            lambda: (
                Q(outgoing_appointment__person__user=user)
                | Q(incoming_appointment__person__user=user)
                | scopes.in_chaired_regions(user)
            ),
        )

    def unfinished(self):
        return self.exclude(status=Handover.Status.COMPLETED)

    def due_soon(self, day: datetime.date | None = None):
        """Unfinished handovers due between `day` (today) and DUE_SOON_DAYS after it."""
        day = day or timezone.localdate()
        return self.unfinished().filter(due_date__gte=day, due_date__lte=day + datetime.timedelta(days=DUE_SOON_DAYS))

    def lapsed(self, day: datetime.date | None = None):
        """Handovers marked lapsed, and unfinished ones whose due date is before `day` (today)."""
        day = day or timezone.localdate()
        return self.filter(Q(status=Handover.Status.LAPSED) | Q(status=Handover.Status.OPEN, due_date__lt=day))

    def with_people(self):
        """With the organisation, both appointments and their people, and the checklist, in two queries."""
        return self.select_related(
            "organisation__region",
            "outgoing_appointment__person",
            "outgoing_appointment__organisation",
            "incoming_appointment__person",
        ).prefetch_related(
            models.Prefetch("checklist", queryset=HandoverChecklistItem.objects.select_related("ticked_by"))
        )


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

    objects = HandoverQuerySet.as_manager()
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

    def get_absolute_url(self):
        return reverse("handovers:detail", args=[self.pk])

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED

    def is_lapsed(self, day: datetime.date | None = None) -> bool:
        """Marked lapsed, or unfinished after its due date."""
        if self.status == self.Status.LAPSED:
            return True
        return self.status == self.Status.OPEN and self.due_date < (day or timezone.localdate())

    def is_due_soon(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return not self.is_completed and day <= self.due_date <= day + datetime.timedelta(days=DUE_SOON_DAYS)

    @property
    def ticks(self) -> dict:
        """The ticked checklist items by item (uses the prefetched `checklist` when there is one)."""
        return {tick.item: tick for tick in self.checklist.all()}

    def checklist_rows(self) -> list[tuple[str, str, "HandoverChecklistItem | None"]]:
        """Every checklist item in order as (item, label, tick or None)."""
        ticks = self.ticks
        return [(item.value, item.label, ticks.get(item.value)) for item in HandoverChecklistItem.Item]

    def unticked_items(self) -> list[str]:
        """The labels of the checklist items not yet ticked."""
        return [label for _item, label, tick in self.checklist_rows() if tick is None]

    def people_users(self) -> set[int]:
        """The ids of the users of the outgoing and incoming officers."""
        ids = {self.outgoing_appointment.person.user_id}
        if self.incoming_appointment is not None:
            ids.add(self.incoming_appointment.person.user_id)
        return ids - {None}

    def is_involved(self, user) -> bool:
        """The national lead and the outgoing and incoming officers act on a handover; a chair who
        sees it only reads it."""
        return user.is_authenticated and (user.is_national_lead or user.pk in self.people_users())

    def can_change(self, user) -> bool:
        """Tick and untick the checklist: the outgoing and incoming officers and the national lead."""
        return not self.is_completed and self.is_involved(user)

    def is_completer(self, user) -> bool:
        """Who completes a handover: the national lead; the outgoing officer once a successor is attached."""
        if not user.is_authenticated:
            return False
        if user.is_national_lead:
            return True
        return self.incoming_appointment_id is not None and user.pk == self.outgoing_appointment.person.user_id

    def completion_problems(self) -> list[str]:
        """What is left undone: the checklist items not ticked, and no successor named."""
        problems = []
        unticked = self.unticked_items()
        if unticked:
            problems.append("these checklist items are not ticked: " + "; ".join(unticked))
        if self.incoming_appointment_id is None:
            problems.append("no successor is named, so the role will be left vacant")
        return problems

    def can_complete(self, user, day: datetime.date | None = None) -> bool:
        """Whether `user` may complete the handover on `day` (today): the one rule of the "Complete
        the handover" button and of handovers.services.handover_complete.

        Not before the leaving date, and only by a completer (`is_completer`): the national lead,
        who may complete with items undone by giving the reason; the outgoing officer, once nothing
        is left undone.
        """
        if self.is_completed or not self.is_completer(user):
            return False
        if (day or timezone.localdate()) < self.leaving_date:
            return False
        return user.is_national_lead or not self.completion_problems()

    def completable_from(self, user, day: datetime.date | None = None) -> datetime.date | None:
        """The leaving date, when `user` may not complete the handover on `day` (today) only because
        that date has not come; None otherwise."""
        day = day or timezone.localdate()
        if day < self.leaving_date and self.can_complete(user, self.leaving_date):
            return self.leaving_date
        return None


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
