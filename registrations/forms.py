from django import forms
from django.utils import timezone

from msonet.forms import EARLIEST_DATE, YES_NO, DateInputField
from msonet.validators import tidy_phone, validate_uk_phone
from officers.forms import START_DATE_MAX_AHEAD
from officers.models import Appointment, Profession
from organisations.models import Organisation

from .models import RegistrationRequest


class RegistrationOrganisationForm(forms.Form):
    """Step 1 of registration: find the organisation by name or ODS code."""

    q = forms.CharField(
        label="Organisation name or ODS code",
        max_length=255,
        help_text="For example Royal Free or RAL.",
        error_messages={"required": "Enter the name or ODS code of your organisation"},
    )

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())


class RegistrationRequestForm(forms.Form):
    """Step 2 of registration: the role and the applicant's details.

    Only these fields are read from the post: a request's status, reviewer or appointment cannot be
    set by the applicant. `request_details()` gives the keyword arguments for registration_submit.
    """

    role = forms.ChoiceField(
        label="Which role are you registering for?",
        choices=Appointment.Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the role you are registering for"},
    )
    start_date = DateInputField(
        name="The date you started in the role",
        label="When did you start in this role?",
        help_text="If you have not started yet, give the date you will start. For example, 15 3 2025",
    )
    first_name = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Enter your first name"}
    )
    last_name = forms.CharField(label="Last name", max_length=100, error_messages={"required": "Enter your last name"})
    job_title = forms.CharField(label="Job title", max_length=200, error_messages={"required": "Enter your job title"})
    profession = forms.ChoiceField(
        label="Profession",
        choices=[("", "Choose your profession"), *Profession.choices],
        error_messages={"required": "Select your profession"},
    )
    registration_number = forms.CharField(
        label="Professional registration number (optional)",
        max_length=30,
        required=False,
        help_text="For example your GPhC, NMC or GMC number.",
    )
    phone = forms.CharField(
        label="Work telephone number",
        max_length=30,
        help_text="A number the national MSO team can call you on during working hours.",
        error_messages={"required": "Enter your work telephone number"},
    )
    mhra_registered = forms.ChoiceField(
        label="Are you registered with the MHRA as your organisation's named officer?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
        help_text="Only for the named MSO or MDSO. Leave this out if you are a deputy or team member.",
    )
    mhra_registered_on = DateInputField(
        name="The date you registered with the MHRA",
        label="Date you registered with the MHRA",
        required=False,
        help_text="For example, 15 3 2025",
    )
    has_mailbox_access = forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if you have access to the generic MSO mailbox"},
    )
    proposed_mailbox = forms.EmailField(
        label="Your organisation's generic MSO mailbox (optional)",
        required=False,
        max_length=254,
        error_messages={"invalid": "Enter the mailbox address in the correct format, like mso@example.nhs.uk"},
    )

    def __init__(self, *args, user, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.organisation = organisation
        if organisation.generic_mailbox:
            del self.fields["proposed_mailbox"]
            self.fields[
                "has_mailbox_access"
            ].label = f"Do you have access to the generic MSO mailbox, {organisation.generic_mailbox}?"
        else:
            del self.fields["has_mailbox_access"]
            self.fields["proposed_mailbox"].help_text = (
                f"We have no generic MSO mailbox on record for {organisation.name}. If it has one, give its "
                "address and we will record it when your registration is approved."
            )
        if not self.is_bound:
            self.initial.update(self._details_on_record())

    def _details_on_record(self) -> dict:
        """Prefill from the user's person record, else from the name on their account."""
        person = self.user.person_record
        if person is not None:
            return {
                field: getattr(person, field)
                for field in ("first_name", "last_name", "job_title", "profession", "registration_number", "phone")
            }
        first, _, last = (self.user.name or "").strip().partition(" ")
        return {"first_name": first, "last_name": last.strip()}

    def clean_first_name(self):
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self):
        return " ".join(self.cleaned_data["last_name"].split())

    def clean_job_title(self):
        return " ".join(self.cleaned_data["job_title"].split())

    def clean_registration_number(self):
        return "".join(self.cleaned_data["registration_number"].split()).upper()

    def clean_phone(self):
        phone = tidy_phone(self.cleaned_data["phone"])
        validate_uk_phone(phone)
        return phone

    def clean_start_date(self):
        start = self.cleaned_data["start_date"]
        today = timezone.localdate()
        if start > today + START_DATE_MAX_AHEAD:
            raise forms.ValidationError("The date you started in the role must be within the next 12 months")
        if start < EARLIEST_DATE:
            raise forms.ValidationError("The date you started in the role must be after 1 January 1990")
        return start

    def clean_mhra_registered_on(self):
        registered = self.cleaned_data["mhra_registered_on"]
        if registered is not None:
            if registered > timezone.localdate():
                raise forms.ValidationError("The date you registered with the MHRA must be today or in the past")
            if registered < EARLIEST_DATE:
                raise forms.ValidationError("The date you registered with the MHRA must be after 1 January 1990")
        return registered

    def clean_proposed_mailbox(self):
        mailbox = self.cleaned_data["proposed_mailbox"].strip().lower()
        if mailbox and mailbox == self.user.email.lower():
            raise forms.ValidationError("Enter the shared mailbox of your organisation, not your own email address")
        return mailbox

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role in Appointment.NAMED_ROLES:
            answer = data.get("mhra_registered")
            if not answer and "mhra_registered" not in self.errors:
                self.add_error("mhra_registered", "Select yes if you are registered with the MHRA as the named officer")
            elif answer == "yes" and not data.get("mhra_registered_on") and "mhra_registered_on" not in self.errors:
                self.add_error("mhra_registered_on", "Enter the date you registered with the MHRA")
        if role:
            self._refuse_repeated_role(role)
        return data

    def _refuse_repeated_role(self, role: str) -> None:
        label = Appointment.Role(role).label
        organisation = self.organisation
        if Appointment.objects.current().filter(person__user=self.user, organisation=organisation, role=role).exists():
            self.add_error("role", f"You are already the {label.lower()} at {organisation.name}")
        elif (
            RegistrationRequest.objects.waiting().filter(user=self.user, organisation=organisation, role=role).exists()
        ):
            self.add_error(
                "role",
                f"You have already asked to be the {label.lower()} at {organisation.name}. "
                "Wait for the national MSO team to review that request, or withdraw it first",
            )

    def request_details(self) -> dict:
        """The cleaned answers as keyword arguments for registrations.services.registration_submit."""
        data = self.cleaned_data
        named = data["role"] in Appointment.NAMED_ROLES
        if "proposed_mailbox" in self.fields:
            proposed_mailbox = data["proposed_mailbox"]
            has_mailbox_access = bool(proposed_mailbox)
        else:
            proposed_mailbox = ""
            has_mailbox_access = data["has_mailbox_access"] == "yes"
        return {
            "role": data["role"],
            "start_date": data["start_date"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "job_title": data["job_title"],
            "profession": data["profession"],
            "registration_number": data["registration_number"],
            "phone": data["phone"],
            "mhra_registered_on": data["mhra_registered_on"]
            if named and data.get("mhra_registered") == "yes"
            else None,
            "has_mailbox_access": has_mailbox_access,
            "proposed_mailbox": proposed_mailbox,
        }


class RegistrationRejectForm(forms.Form):
    """The national lead's reason for rejecting a registration; the applicant receives it."""

    reason = forms.CharField(
        label="Reason for rejecting the request",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text="The applicant receives this in an email.",
        error_messages={"required": "Enter the reason for rejecting the request"},
    )

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()
