import datetime

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from msonet.forms import DateInputField
from networks.models import Network
from officers.models import Person

from .attendance_files import UploadError, read_upload
from .models import UK_TIME, Meeting

# How far ahead a meeting may be recorded: the webinars are planned about a year ahead.
MEETING_MAX_AHEAD = datetime.timedelta(days=2 * 365)


TIME_FORMATS = ["%H:%M", "%H.%M", "%H%M"]

# Where the model's and the service's errors about the meeting's times show in the form.
FORM_FIELD_OF = {"starts_at": "start_time", "ends_at": "end_time"}


def _time_field(label: str, name: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=TIME_FORMATS,
        help_text="In UK time, on the 24-hour clock. For example, 14:00",
        error_messages={"invalid": f"Enter {name} as hours and minutes, for example 14:00"},
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-5", "inputmode": "numeric"}),
    )


class MeetingForm(forms.ModelForm):
    """A meeting's title, date and (in the national network only) kind; the network comes from the page.

    With a start and end time (UK time) it is a scheduled meeting, whose invitations the service sends;
    without them, a record of a meeting held (attendance is marked on it)."""

    held_on = DateInputField(
        name="The date of the meeting", label="Date of the meeting", help_text="For example, 14 10 2026"
    )
    start_time = _time_field("Start time", "the start time")
    end_time = _time_field("End time", "the end time")
    joining_link = forms.URLField(
        label="Joining link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="The address people use to join, starting https:// (a Microsoft Teams link, for example).",
        error_messages={"invalid": "Enter a joining link starting https://"},
    )

    class Meta:
        model = Meeting
        fields = ["title", "held_on", "joining_link", "agenda", "kind"]
        labels = {"title": "Title", "kind": "Kind of meeting", "agenda": "Agenda"}
        help_texts = {
            "title": "For example, National MSO webinar: insulin safety.",
            "agenda": "Sent with the invitation and shown on the Webinars and meetings page.",
        }
        widgets = {"kind": forms.RadioSelect, "agenda": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, network: Network, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["title", "held_on", "start_time", "end_time", "joining_link", "agenda", "kind"])
        if self.instance.is_scheduled and not self.is_bound:
            self.initial["start_time"] = self.instance.starts_uk.time()
            self.initial["end_time"] = self.instance.ends_uk.time()
        self.instance.network = network
        if network.kind == Network.Kind.NATIONAL:
            self.fields["kind"].choices = Meeting.Kind.choices
            if self.instance.pk is None and not self.is_bound:
                self.initial["kind"] = Meeting.Kind.NATIONAL_WEBINAR
        else:
            del self.fields["kind"]
            self.instance.kind = Meeting.Kind.NETWORK_MEETING

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Enter the title of the meeting")
        return title

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on is not None and held_on.year < 2000:
            raise forms.ValidationError("The date of the meeting must be in 2000 or later")
        if held_on is not None and held_on > timezone.localdate() + MEETING_MAX_AHEAD:
            raise forms.ValidationError("The date of the meeting must be within the next 2 years")
        return held_on

    def clean_joining_link(self):
        return self.cleaned_data["joining_link"].strip()

    def clean(self):
        """The start and end as moments in UK time, on the meeting's date (the model checks the end
        comes after the start; the service, that a meeting is scheduled in the future)."""
        cleaned = super().clean()
        held_on, start, end = cleaned.get("held_on"), cleaned.get("start_time"), cleaned.get("end_time")
        if start is None and end is None:
            if "start_time" not in self.errors and "end_time" not in self.errors:
                self.instance.starts_at = self.instance.ends_at = None
                if cleaned.get("joining_link") or cleaned.get("agenda"):
                    self.add_error("start_time", "Enter the start time, to schedule the meeting")
            return cleaned
        if start is None and "start_time" not in self.errors:
            self.add_error("start_time", "Enter the start time")
        if end is None and "end_time" not in self.errors:
            self.add_error("end_time", "Enter the end time")
        if held_on is not None and start is not None and end is not None:
            self.instance.starts_at = datetime.datetime.combine(held_on, start, tzinfo=UK_TIME)
            self.instance.ends_at = datetime.datetime.combine(held_on, end, tzinfo=UK_TIME)
        return cleaned

    def add_error(self, field, error):
        """The model's and the service's errors about `starts_at` and `ends_at` go to the time boxes."""
        if field is None and isinstance(error, forms.ValidationError) and hasattr(error, "error_dict"):
            error = forms.ValidationError(
                {FORM_FIELD_OF.get(name, name): messages for name, messages in error.error_dict.items()}
            )
        super().add_error(FORM_FIELD_OF.get(field, field), error)


class PersonSearchForm(forms.Form):
    q = forms.CharField(label="Name or email address", required=False, max_length=200)

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def text(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""


class AttendanceMarkForm(forms.Form):
    """People to mark as attending: any of the network's current members not yet recorded."""

    people = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        label="Who attended",
        error_messages={
            "required": "Choose at least one person who attended",
            "invalid_choice": "Choose people who are current members of the network and not yet recorded",
            "invalid_pk_value": "Choose people who are current members of the network and not yet recorded",
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = candidates


class AttendanceUploadForm(forms.Form):
    """An attendance file, checked for size and type and read into rows as it is validated."""

    file = forms.FileField(
        label="Attendance file",
        error_messages={"required": "Choose a file to upload", "empty": "The file is empty"},
    )

    def __init__(self, *args, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.IMPORT_MAX_UPLOAD_BYTES)
        self.fields["file"].help_text = f"{help_text} The largest file accepted is {limit}.".strip()
        self.rows: list = []

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.rows = read_upload(upload)
        except UploadError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


class ImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


class MatchForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=Person.objects.all(),
        widget=forms.HiddenInput,
        error_messages={"required": "Choose the person", "invalid_choice": "Choose a person from the list"},
    )
