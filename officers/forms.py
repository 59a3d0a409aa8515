import datetime

from django import forms
from django.forms.models import fields_for_model

from msonet.validators import tidy_phone, validate_uk_phone

from .changes import PERSON_FIELDS
from .models import Person

# How far ahead a start date may be: someone appointed to start next year can register now.
START_DATE_MAX_AHEAD = datetime.timedelta(days=365)


class ChangeDetailsForm(forms.Form):
    """An officer's own details, and the generic mailbox of each organisation they serve, as they
    want them to be. Only these fields exist: anything else posted (status, reviewer, person, other
    organisations) is ignored."""

    def __init__(self, *args, person: Person, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.organisations = list(organisations)
        for name, field in fields_for_model(Person, fields=PERSON_FIELDS).items():
            self.fields[name] = field
        self.fields["profession"].choices = [("", "Not recorded"), *self.fields["profession"].choices[1:]]
        self.fields["work_email"].help_text = (
            "Where the national MSO team and your network contact you. This does not change the email "
            "address you sign in with."
        )
        self.fields["registration_number"].help_text = Person._meta.get_field("registration_number").help_text
        for organisation in self.organisations:
            self.fields[self.mailbox_field_name(organisation)] = forms.EmailField(
                label=f"Generic MSO mailbox of {organisation.name}",
                required=False,
                max_length=254,
                help_text="The shared mailbox that receives national medication safety communications.",
            )

    @staticmethod
    def mailbox_field_name(organisation) -> str:
        return f"mailbox_{organisation.pk}"

    def person_fields(self):
        return [self[name] for name in PERSON_FIELDS]

    def mailbox_fields(self):
        return [self[self.mailbox_field_name(organisation)] for organisation in self.organisations]

    def clean_phone(self):
        phone = tidy_phone(self.cleaned_data["phone"])
        validate_uk_phone(phone)
        return phone

    def clean_work_email(self):
        email = self.cleaned_data["work_email"].strip()
        if email.lower() == self.person.work_email.lower():
            return self.person.work_email  # a change of capitals only is no change
        if Person.objects.filter(work_email__iexact=email).exclude(pk=self.person.pk).exists():
            raise forms.ValidationError("Another person in the register already uses this work email.")
        return email

    def clean(self):
        cleaned = super().clean()
        for organisation in self.organisations:
            name = self.mailbox_field_name(organisation)
            if name in cleaned and not cleaned[name] and organisation.generic_mailbox:
                self.add_error(
                    name,
                    "Enter the generic MSO mailbox. If the organisation no longer has one, tell the national MSO team.",
                )
        return cleaned

    def person_values(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in PERSON_FIELDS}

    def mailbox_values(self) -> dict[int, str]:
        return {
            organisation.pk: self.cleaned_data[self.mailbox_field_name(organisation)]
            for organisation in self.organisations
        }


class ChangeRejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason for rejecting the request",
        help_text="The officer receives this by email.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Enter the reason for rejecting the request."},
    )
