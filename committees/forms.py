from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from msonet.forms import EARLIEST_DATE, YES_NO, DateInputField
from officers.models import Profession
from organisations.models import Organisation, Region

from . import uploads
from .models import Committee


def _tidy(value: str) -> str:
    return " ".join((value or "").split())


class CommitteeForm(forms.Form):
    """The committee record. `values()` gives the keyword arguments for committee_save."""

    name = forms.CharField(
        label="Name of the committee",
        max_length=200,
        help_text="For example Medication Safety Committee or Medicines Safety Group.",
        error_messages={"required": "Enter the name of the committee"},
    )
    chair_name = forms.CharField(
        label="Chair", max_length=150, required=False, help_text="The full name of the person who chairs it."
    )
    meeting_frequency = forms.ChoiceField(
        label="How often does it meet?",
        choices=Committee.Frequency.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    last_met_on = DateInputField(
        name="The date it last met",
        label="When did it last meet?",
        required=False,
        help_text="For example, 15 3 2026",
    )
    reports_to = forms.ChoiceField(
        label="Who does it report to?",
        choices=Committee.ReportsTo.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    reports_to_detail = forms.CharField(
        label="Name of the sub-committee it reports to",
        max_length=200,
        required=False,
        help_text="For example the Quality and Safety Committee.",
    )
    has_patient_representation = forms.ChoiceField(
        label="Are patients or people with lived experience represented on it?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if patients or people with lived experience are represented"},
    )
    patient_representation_detail = forms.CharField(
        label="How are they represented?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text="For example a patient safety partner who is a member, or a patient panel the committee consults.",
    )

    @classmethod
    def initial_for(cls, committee: Committee | None) -> dict:
        if committee is None:
            return {"name": "Medication safety committee"}
        initial = {name: getattr(committee, name) for name in cls.base_fields if name != "has_patient_representation"}
        initial["has_patient_representation"] = "yes" if committee.has_patient_representation else "no"
        return initial

    def clean_name(self):
        return _tidy(self.cleaned_data["name"])

    def clean_chair_name(self):
        return _tidy(self.cleaned_data["chair_name"])

    def clean_reports_to_detail(self):
        return _tidy(self.cleaned_data["reports_to_detail"])

    def clean_patient_representation_detail(self):
        return self.cleaned_data["patient_representation_detail"].strip()

    def clean_last_met_on(self):
        day = self.cleaned_data["last_met_on"]
        if day is not None:
            if day > timezone.localdate():
                raise forms.ValidationError("The date it last met must be today or in the past")
            if day < EARLIEST_DATE:
                raise forms.ValidationError("The date it last met must be after 1 January 1990")
        return day

    def clean(self):
        data = super().clean()
        if data.get("reports_to") == Committee.ReportsTo.SUB_COMMITTEE and not data.get("reports_to_detail"):
            self.add_error("reports_to_detail", "Enter the name of the sub-committee it reports to")
        represented = data.get("has_patient_representation") == "yes"
        if (
            represented
            and not data.get("patient_representation_detail")
            and not self.has_error("patient_representation_detail")
        ):
            self.add_error(
                "patient_representation_detail", "Say how patients or people with lived experience are represented"
            )
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        represented = data["has_patient_representation"] == "yes"
        return {
            "name": data["name"],
            "chair_name": data["chair_name"],
            "meeting_frequency": data["meeting_frequency"],
            "last_met_on": data["last_met_on"],
            "reports_to": data["reports_to"],
            "reports_to_detail": data["reports_to_detail"]
            if data["reports_to"] == Committee.ReportsTo.SUB_COMMITTEE
            else "",
            "has_patient_representation": represented,
            "patient_representation_detail": data["patient_representation_detail"] if represented else "",
        }


class CommitteeMemberForm(forms.Form):
    name = forms.CharField(label="Full name", max_length=150, error_messages={"required": "Enter the member's name"})
    role = forms.CharField(
        label="Role on the committee or job title",
        max_length=150,
        required=False,
        help_text="For example Chief Pharmacist, or Patient safety partner.",
    )
    profession = forms.ChoiceField(
        label="Profession",
        choices=[("", "Choose a profession"), *Profession.choices, ("none", "Not a health professional")],
        error_messages={"required": "Select the member's profession, or 'Not a health professional'"},
    )
    is_patient_representative = forms.BooleanField(label="A patient or lived-experience representative", required=False)

    @classmethod
    def initial_for(cls, member) -> dict:
        return {
            "name": member.name,
            "role": member.role,
            "profession": member.profession or "none",
            "is_patient_representative": member.is_patient_representative,
        }

    def clean_name(self):
        return _tidy(self.cleaned_data["name"])

    def clean_role(self):
        return _tidy(self.cleaned_data["role"])

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "role": data["role"],
            "profession": "" if data["profession"] == "none" else data["profession"],
            "is_patient_representative": data["is_patient_representative"],
        }


class TermsOfReferenceForm(forms.Form):
    """The terms of reference file: its size and type are checked (uploads.terms_of_reference_type);
    `content_type` is the type read from its content."""

    file = forms.FileField(
        label="Upload the terms of reference",
        error_messages={
            "required": "Choose the terms of reference file to upload",
            "empty": uploads.EMPTY,
        },
    )

    def __init__(self, *args, too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.fields[
            "file"
        ].help_text = (
            f"A PDF or Word document (.pdf, .docx or .doc), smaller than {filesizeformat(uploads.max_bytes())}."
        )
        self.fields["file"].widget.attrs["accept"] = ".pdf,.docx,.doc," + ",".join(uploads.EXTENSIONS)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.content_type = uploads.terms_of_reference_type(upload)
        except ValidationError as error:
            raise forms.ValidationError(error.messages, code=error.code) from error
        return upload

    def full_clean(self):
        super().full_clean()
        if self.too_large and self.is_bound:  # the upload handler stopped reading it
            self._errors.pop("file", None)
            self.add_error("file", uploads.too_large_message())


YES_NO_ANY = [("", "Any"), ("yes", "Yes"), ("no", "No")]


class CommitteeFilterForm(forms.Form):
    q = forms.CharField(label="Organisation name or ODS code", required=False, max_length=255)
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), to_field_name="code", required=False, empty_label="All regions"
    )
    patient_representation = forms.ChoiceField(label="Patient representation", choices=YES_NO_ANY, required=False)
    terms_of_reference = forms.ChoiceField(label="Terms of reference", choices=YES_NO_ANY, required=False)

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def filter(self, committees):
        """The committees matching the valid filters (an invalid one is left out and shown as an error)."""
        data = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        if data.get("region"):
            committees = committees.filter(organisation__region=data["region"])
        if data.get("patient_representation"):
            committees = committees.filter(has_patient_representation=data["patient_representation"] == "yes")
        if data.get("terms_of_reference") == "yes":
            committees = committees.exclude(terms_of_reference="")
        elif data.get("terms_of_reference") == "no":
            committees = committees.filter(terms_of_reference="")
        if data.get("q"):
            committees = committees.filter(
                organisation__in=Organisation.objects.search(data["q"]).order_by().values("pk")
            )
        return committees
