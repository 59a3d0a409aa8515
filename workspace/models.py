"""Getting started in post: the checklist a newly appointed officer works through.

Each active appointment has a checklist of `Item`s. An item is done when its holder (or the national
lead) marks it done, which stores a `Progress` row with who, when and what was recorded; two items
are also done by what the register already knows: the MHRA registration when the appointment has an
MHRA registration date, the national webinar when the person attended one on or after their start
date. The national lead decides which items do not apply to a role (`NotApplicable`).

The checklist is for people new in post: it is offered on the home page, and counted on the progress
list, for GETTING_STARTED_MONTHS months from the start date of the appointment. Anyone may hide it
from their home page (`ChecklistHidden`) and show it again from the checklist's page.
"""

import calendar
import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from access import scopes
from meetings.models import Attendance, Meeting
from officers.models import Appointment, AppointmentQuerySet, Person


class Item(models.TextChoices):
    """The getting-started items, in the order they are shown."""

    MHRA_REGISTRATION = "mhra_registration", "Register with the MHRA as the named MSO"
    MAILBOX_ACCESS = "mailbox_access", "Confirm access to the generic MSO mailbox"
    CHAIR_CONTACT = "chair_contact", "Contact the chair of your regional network"
    KEY_CONTACTS = "key_contacts", "Make contact with your organisation's key people"
    INCIDENT_SYSTEM = "incident_system", "Get access to the local incident reporting system"
    NATIONAL_WORKSPACE = "national_workspace", "Join the national MSO workspace"
    PATIENT_SAFETY_WORKSPACE = "patient_safety_workspace", "Join the patient safety workspace"
    MSIP_WORKSPACE = "msip_workspace", "Join the medicines safety improvement programme workspace"
    NATIONAL_WEBINAR = "national_webinar", "Attend a national MSO webinar"


# What marking each item done records (beyond who and when): the Progress fields it needs.
ITEM_DETAILS: dict[str, tuple[str, ...]] = {
    Item.MHRA_REGISTRATION: ("date", "reference"),
    Item.INCIDENT_SYSTEM: ("system_lead",),
    Item.NATIONAL_WORKSPACE: ("date",),
    Item.PATIENT_SAFETY_WORKSPACE: ("date",),
    Item.MSIP_WORKSPACE: ("date",),
    Item.NATIONAL_WEBINAR: ("date",),
}

# One line on what each item is, for the checklist.
ITEM_HINTS: dict[str, str] = {
    Item.MHRA_REGISTRATION: "Tell the MHRA you are your organisation's named MSO, then record the date and reference.",
    Item.MAILBOX_ACCESS: "Make sure you can read and send from your organisation's generic MSO mailbox.",
    Item.CHAIR_CONTACT: "Introduce yourself to the chair of your regional MSO network.",
    Item.KEY_CONTACTS: "Meet the chief pharmacist, patient safety specialist and the other people you will work with.",
    Item.INCIDENT_SYSTEM: "Ask for access to the system your organisation reports patient safety incidents in.",
    Item.NATIONAL_WORKSPACE: "Join the online workspace where the national MSO network shares news and resources.",
    Item.PATIENT_SAFETY_WORKSPACE: "Join the patient safety workspace for national patient safety updates.",
    Item.MSIP_WORKSPACE: "Join the workspace of the medicines safety improvement programme.",
    Item.NATIONAL_WEBINAR: "Join the monthly national webinar for MSOs and MDSOs.",
}

# A word or two for each item, where a list names several (the progress list).
ITEM_SHORT_LABELS: dict[str, str] = {
    Item.MHRA_REGISTRATION: "MHRA registration",
    Item.MAILBOX_ACCESS: "generic mailbox",
    Item.CHAIR_CONTACT: "regional chair",
    Item.KEY_CONTACTS: "key people",
    Item.INCIDENT_SYSTEM: "incident reporting system",
    Item.NATIONAL_WORKSPACE: "national MSO workspace",
    Item.PATIENT_SAFETY_WORKSPACE: "patient safety workspace",
    Item.MSIP_WORKSPACE: "improvement programme workspace",
    Item.NATIONAL_WEBINAR: "national webinar",
}

# The items the register also counts as done without a Progress row.
DERIVED_ITEMS = (Item.MHRA_REGISTRATION, Item.NATIONAL_WEBINAR)


class NotApplicable(models.Model):
    """An item that does not apply to a role (the national lead's choice): it is not shown to, nor
    counted for, anyone appointed in that role."""

    item = models.CharField(max_length=40, choices=Item.choices)
    # An Appointment.Role value; no choices here, so that a new role needs no migration of this table.
    role = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "item"]
        verbose_name = "item not applicable to a role"
        verbose_name_plural = "items not applicable to a role"
        constraints = [
            models.UniqueConstraint(
                fields=["item", "role"],
                name="workspace_one_not_applicable_per_item_and_role",
                violation_error_message="This item is already marked not applicable to this role.",
            ),
        ]

    def __str__(self):
        return f"{self.get_item_display()}: not for {self.get_role_display()}"

    def get_role_display(self) -> str:
        return dict(Appointment.Role.choices).get(self.role, self.role)

    @classmethod
    def by_role(cls) -> dict[str, set[str]]:
        """{role: {items not applicable}} for every role (one query)."""
        table: dict[str, set[str]] = {role: set() for role in Appointment.Role.values}
        for item, role in cls.objects.values_list("item", "role"):
            table.setdefault(role, set()).add(item)
        return table


class Progress(models.Model):
    """An item marked done for an appointment: by whom, when, and what was recorded with it."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="workspace_progress")
    item = models.CharField(max_length=40, choices=Item.choices)
    done_at = models.DateTimeField()
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField(
        null=True, blank=True, help_text="The date recorded with the item: registered, joined or attended on."
    )
    reference = models.CharField("MHRA registration reference", max_length=50, blank=True)
    system_lead = models.CharField("incident reporting system lead", max_length=150, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["appointment", "item"]
        verbose_name = "getting-started item done"
        verbose_name_plural = "getting-started items done"
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "item"],
                name="workspace_one_progress_per_appointment_and_item",
                violation_error_message="This item is already marked done for this appointment.",
            ),
        ]

    def __str__(self):
        return f"{self.get_item_display()}: {self.appointment}"


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month `months` months before `day` (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def new_in_post_since(today: datetime.date | None = None) -> datetime.date:
    """The first start date of an appointment whose holder is still new in post: GETTING_STARTED_MONTHS
    months before today. The checklist is offered to them, and the progress list counts them."""
    return months_before(today or timezone.localdate(), settings.GETTING_STARTED_MONTHS)


def is_new_in_post(appointment: Appointment, today: datetime.date | None = None) -> bool:
    """Whether the appointment started within the last GETTING_STARTED_MONTHS months (or starts later)."""
    return appointment.start_date >= new_in_post_since(today)


class ChecklistHidden(models.Model):
    """A person chose not to see the getting-started checklist on their home page (an officer who
    knows the role already, say). Showing it again from the checklist's page deletes the row; the
    history keeps both."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="checklist_hidden")
    hidden_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "checklist hidden from a home page"
        verbose_name_plural = "checklists hidden from home pages"

    def __str__(self):
        return f"Getting-started checklist hidden by {self.person}"


class ChecklistQuerySet(AppointmentQuerySet):
    def visible_to(self, user):
        """The checklists a user may see; the one rule for the checklist pages and the progress list.

        The national lead sees every one; a chair or vice-chair of a regional network sees those of
        the organisations in its region; an officer sees their own. Anyone else sees none.
        """
        return scopes.scoped(
            self,
            user,
            lambda: Q(person__user=user) | scopes.in_chaired_regions(user, regional_networks_only=True),
        )

    def with_progress(self, not_applicable: dict[str, set[str]] | None = None):
        """Annotate, set-based (no query per row): `done_<item>` for every item (True, False, or None
        where the item does not apply to the role), `done_count` and `item_count` (the items that
        apply to the role). `not_applicable` is NotApplicable.by_role(), read here when not given.
        """
        if not_applicable is None:
            not_applicable = NotApplicable.by_role()
        roles = Appointment.Role.values
        annotations = {}
        done_terms = []
        for item in Item.values:
            applies_to = [role for role in roles if item not in not_applicable.get(role, set())]
            marked = Exists(Progress.objects.filter(appointment=OuterRef("pk"), item=item))
            if item == Item.MHRA_REGISTRATION:
                done = Q(mhra_registered_on__isnull=False)
            elif item == Item.NATIONAL_WEBINAR:
                attended = Attendance.objects.filter(
                    meeting__kind=Meeting.Kind.NATIONAL_WEBINAR,
                    person=OuterRef("person"),
                    meeting__held_on__gte=OuterRef("start_date"),
                )
                done = Q(marked) | Q(Exists(attended))
            else:
                done = Q(marked)
            annotations[f"done_{item}"] = Case(
                When(~Q(role__in=applies_to), then=Value(None)),
                When(done, then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(null=True),
            )
            done_terms.append(
                Case(When(Q(role__in=applies_to) & done, then=Value(1)), default=Value(0), output_field=IntegerField())
            )
        counts = {role: len(Item.values) - len(not_applicable.get(role, set()) & set(Item.values)) for role in roles}
        item_count = Case(
            *(When(role=role, then=Value(count)) for role, count in counts.items()),
            default=Value(len(Item.values)),
            output_field=IntegerField(),
        )
        done_count = ExpressionWrapper(sum(done_terms[1:], done_terms[0]), output_field=IntegerField())
        return self.annotate(**annotations, done_count=done_count, item_count=item_count)

    def new_in_post(self, today: datetime.date | None = None):
        """Appointments that started within the last GETTING_STARTED_MONTHS months (or start later)."""
        return self.filter(start_date__gte=new_in_post_since(today))

    def getting_started(self, today: datetime.date | None = None):
        """Active appointments of officers new in post with items still to do (after `with_progress`)."""
        return self.current().new_in_post(today).filter(done_count__lt=F("item_count"))


class Checklist(Appointment):
    """An appointment seen as its getting-started checklist (no table of its own)."""

    objects = ChecklistQuerySet.as_manager()

    class Meta:
        proxy = True

    def get_absolute_url(self):
        return reverse("workspace:checklist", args=[self.pk])

    def outstanding_items(self) -> list[str]:
        """The items still to do (after `with_progress`)."""
        return [item.value for item in Item if getattr(self, f"done_{item.value}", None) is False]

    def outstanding_summary(self) -> str:
        """The items still to do in a few words each, for a list."""
        text = ", ".join(ITEM_SHORT_LABELS[item] for item in self.outstanding_items())
        return text[:1].upper() + text[1:]
