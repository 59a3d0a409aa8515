import datetime

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from msonet.forms import DateInputField
from networks.models import Network
from officers.models import Person

from .attendance_files import UploadError, read_upload
from .models import Meeting

# How far ahead a meeting may be recorded: the webinars are planned about a year ahead.
MEETING_MAX_AHEAD = datetime.timedelta(days=2 * 365)


class MeetingForm(forms.ModelForm):
    """A meeting's title, date and (in the national network only) kind; the network comes from the page."""

    held_on = DateInputField(
        name="The date of the meeting", label="Date of the meeting", help_text="For example, 14 10 2026"
    )

    class Meta:
        model = Meeting
        fields = ["title", "held_on", "kind"]
        labels = {"title": "Title", "kind": "Kind of meeting"}
        help_texts = {"title": "For example, National MSO webinar: insulin safety."}
        widgets = {"kind": forms.RadioSelect}

    def __init__(self, *args, network: Network, **kwargs):
        super().__init__(*args, **kwargs)
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
