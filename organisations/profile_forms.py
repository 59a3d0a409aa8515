"""Forms for the officers' edits to their organisation's profile."""

from django import forms

from msonet.validators import tidy_phone, validate_uk_phone

from .models import KeyContact


def _tidy(value: str) -> str:
    return " ".join((value or "").split())


class KeyContactForm(forms.ModelForm):
    """A key contact: the role (one contact per role), name, email and telephone."""

    class Meta:
        model = KeyContact
        fields = ["role", "name", "email", "phone"]
        labels = {"role": "Role", "name": "Full name", "email": "Work email", "phone": "Work telephone"}
        help_texts = {"email": "An nhs.net or organisation address.", "phone": "Optional."}
        widgets = {"role": forms.RadioSelect}
        error_messages = {
            "role": {"required": "Select the contact's role"},
            "name": {"required": "Enter the contact's full name"},
            "email": {"invalid": "Enter an email address in the correct format, like name@nhs.net"},
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["role"].choices = KeyContact.Role.choices
        self.fields["email"].required = False

    def clean_name(self):
        return _tidy(self.cleaned_data["name"])

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean_phone(self):
        phone = tidy_phone(self.cleaned_data.get("phone"))
        validate_uk_phone(phone)
        return phone

    def validate_unique(self):
        """One contact per role is checked by the service (and the database), with its own message."""

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class BoardDirectorForm(forms.Form):
    name = forms.CharField(
        label="Full name",
        max_length=150,
        required=False,
        help_text="The executive director on the board who is responsible for medication safety. "
        "Leave it empty if no one holds the role.",
    )
    email = forms.EmailField(
        label="Work email",
        required=False,
        error_messages={"invalid": "Enter an email address in the correct format, like name@nhs.net"},
    )

    def clean_name(self):
        return _tidy(self.cleaned_data["name"])

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean(self):
        data = super().clean()
        if data.get("email") and not data.get("name"):
            self.add_error("name", "Enter the board director's full name, or remove the email address")
        return data
