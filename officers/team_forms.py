"""Forms for proposals to an organisation's medication safety team."""

from django import forms
from django.utils import timezone

from msonet.forms import EARLIEST_DATE, DateInputField

from .forms import START_DATE_MAX_AHEAD
from .models import Appointment, Profession


class TeamProposalForm(forms.Form):
    """Who is proposed, and for which team role. `values()` gives the keyword arguments for team_proposal_submit."""

    role = forms.ChoiceField(
        label="Which role are you proposing them for?",
        choices=[(role.value, role.label) for role in Appointment.TEAM_ROLES],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the role you are proposing them for"},
    )
    first_name = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Enter their first name"}
    )
    last_name = forms.CharField(label="Last name", max_length=100, error_messages={"required": "Enter their last name"})
    work_email = forms.EmailField(
        label="Work email",
        help_text="Their own work address (not a shared mailbox). If they are already in the register, the "
        "role is added to their record.",
        error_messages={
            "required": "Enter their work email address",
            "invalid": "Enter an email address in the correct format, like name@nhs.net",
        },
    )
    job_title = forms.CharField(label="Job title", max_length=200, error_messages={"required": "Enter their job title"})
    profession = forms.ChoiceField(
        label="Profession",
        choices=[("", "Choose their profession"), *Profession.choices],
        error_messages={"required": "Select their profession"},
    )
    start_date = DateInputField(
        name="The date they started in the role",
        label="When did they start in this role?",
        help_text="If they have not started yet, give the date they will start. For example, 15 3 2026",
    )

    def clean_first_name(self):
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self):
        return " ".join(self.cleaned_data["last_name"].split())

    def clean_job_title(self):
        return " ".join(self.cleaned_data["job_title"].split())

    def clean_work_email(self):
        return self.cleaned_data["work_email"].strip().lower()

    def clean_start_date(self):
        start = self.cleaned_data["start_date"]
        if start > timezone.localdate() + START_DATE_MAX_AHEAD:
            raise forms.ValidationError("The date they started in the role must be within the next 12 months")
        if start < EARLIEST_DATE:
            raise forms.ValidationError("The date they started in the role must be after 1 January 1990")
        return start

    def values(self) -> dict:
        return dict(self.cleaned_data)


class TeamProposalRejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason for rejecting the proposal",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text="The person who made the proposal receives this in an email.",
        error_messages={"required": "Enter the reason for rejecting the proposal"},
    )

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()
