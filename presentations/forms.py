"""The officer's offer to present, and the national lead's decision on it."""

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from .models import SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, months_ahead
from .services import month_label, upcoming_webinars


class OfferForm(forms.Form):
    """What the officer offers. `values()` gives the keyword arguments for presentations.services.offer_submit."""

    title = forms.CharField(
        label="Title of your presentation",
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "required": "Enter the title of your presentation",
            "max_length": f"The title must be {TITLE_MAX_LENGTH} characters or fewer",
        },
    )
    summary = forms.CharField(
        label="Summary",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=SUMMARY_MAX_LENGTH,
        help_text=f"What you would cover and why it matters to other MSOs, in up to {SUMMARY_MAX_LENGTH} characters.",
        error_messages={
            "required": "Enter a summary of your presentation",
            "max_length": f"The summary must be {SUMMARY_MAX_LENGTH} characters or fewer",
        },
    )
    preferred_months = forms.MultipleChoiceField(
        label="Which months would suit you?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply. Leave them all unticked if any month suits you.",
        error_messages={"invalid_choice": "“%(value)s” is not one of the next 12 months. Choose months from the list"},
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["preferred_months"].choices = [
            (f"{month:%Y-%m}", month_label(month)) for month in months_ahead(self.today)
        ]

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_summary(self):
        return self.cleaned_data["summary"].strip()

    def values(self) -> dict:
        return {**self.cleaned_data, "today": self.today}


class WebinarChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, meeting):
        return f"{date_format(meeting.held_on, 'j F Y')}: {meeting.title}"


class AcceptForm(forms.Form):
    """The upcoming national webinar the lead places the offer on."""

    meeting = WebinarChoiceField(
        label="Which webinar will they present at?",
        queryset=upcoming_webinars(),
        empty_label="Choose a webinar",
        error_messages={
            "required": "Choose the webinar they will present at",
            "invalid_choice": "Choose a national webinar that has not taken place yet",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Today's upcoming webinars, not those of the day the form class was defined.
        self.fields["meeting"].queryset = upcoming_webinars()


class MoveForm(AcceptForm):
    """The upcoming national webinar the lead moves an accepted offer to: any but the one it is on."""

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["meeting"]
        field.label = "Which webinar will they present at instead?"
        field.error_messages["required"] = "Choose the webinar they will present at instead"
        field.error_messages["invalid_choice"] = "Choose another national webinar that has not taken place yet"
        if current is not None:
            field.queryset = field.queryset.exclude(pk=current.pk)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason for declining the offer",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text="The officer receives this in an email.",
        error_messages={"required": "Enter the reason for declining the offer"},
    )

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()
