from django import forms

from .models import TrustedEmailDomain, email_domain


class TrustedEmailDomainForm(forms.ModelForm):
    class Meta:
        model = TrustedEmailDomain
        fields = ["domain", "note"]

    def clean_domain(self):
        """Accepts "@Example.org.uk" or a whole address and keeps the domain in lower case."""
        value = self.cleaned_data["domain"].strip()
        return email_domain(value) if "@" in value else value.rstrip(".").lower()


class ResendConfirmationForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@nhs.net",
        },
    )

    def clean_email(self):
        return self.cleaned_data["email"].lower()
