import datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from msonet.forms import DateInputField
from officers.models import Appointment, Person

from .models import HandoverChecklistItem

# How far ahead a handover may be started (someone on a fixed-term post may know years ahead), and
# how long after the leaving date it may be due.
LEAVING_MAX_AHEAD = datetime.timedelta(days=5 * 365)
DUE_MAX_AFTER_LEAVING = datetime.timedelta(days=365)


class HandoverStartForm(forms.Form):
    """Start a handover: the leaving date, the due date (by default HANDOVER_DUE_DAYS later) and,
    when they already have a record, the successor."""

    leaving_date = DateInputField(
        name="The leaving date",
        label="When do you leave the role?",
        help_text="The last day in the role. For example, 31 3 2026",
    )
    due_date = DateInputField(
        name="The due date",
        label="When should the handover be complete? (optional)",
        required=False,
        help_text="",
    )
    successor_email = forms.EmailField(
        label="Your successor's work email (optional)",
        required=False,
        max_length=254,
        help_text=(
            "Only if your successor is already in the national register. Otherwise leave this blank: when "
            "they register and the national MSO team approves them, they are added to this handover."
        ),
        error_messages={"invalid": "Enter the email address in the correct format, like name@nhs.net"},
    )

    def __init__(self, *args, appointment: Appointment, **kwargs):
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        self.fields[
            "due_date"
        ].help_text = (
            f"If you leave this blank, the handover is due {settings.HANDOVER_DUE_DAYS} days after the leaving date."
        )

    def clean_successor_email(self) -> Person | None:
        email = self.cleaned_data["successor_email"].strip()
        if not email:
            return None
        person = Person.objects.filter(work_email__iexact=email).first()
        if person is None:
            raise forms.ValidationError(
                "No one with this email address is in the national register. Leave it blank: your successor "
                "is added to the handover when their registration is approved."
            )
        if person.pk == self.appointment.person_id:
            raise forms.ValidationError("Enter your successor's email address, not the outgoing officer's")
        return person

    def clean(self):
        cleaned = super().clean()
        leaving, due = cleaned.get("leaving_date"), cleaned.get("due_date")
        if leaving and leaving < self.appointment.start_date:
            self.add_error("leaving_date", "The leaving date must be on or after the date the appointment started")
        elif leaving and leaving > timezone.localdate() + LEAVING_MAX_AHEAD:
            self.add_error("leaving_date", "The leaving date must be within the next 5 years")
        if leaving and due and due < leaving:
            self.add_error("due_date", "The due date must be on or after the leaving date")
        elif leaving and due and due > leaving + DUE_MAX_AFTER_LEAVING:
            self.add_error("due_date", "The due date must be within 12 months of the leaving date")
        return cleaned

    def start_kwargs(self) -> dict:
        successor = self.cleaned_data["successor_email"]
        return {
            "leaving_date": self.cleaned_data["leaving_date"],
            "due_date": self.cleaned_data["due_date"],
            "successor_id": successor.pk if successor else None,
        }


class ChecklistItemForm(forms.Form):
    item = forms.ChoiceField(choices=HandoverChecklistItem.Item.choices)


class HandoverCompleteForm(forms.Form):
    reason = forms.CharField(
        label="Reason for completing now (national lead only)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Needed only when checklist items are unticked or no successor is named. It is kept with the handover."
        ),
    )

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()
