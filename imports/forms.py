from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from .organisations import KIND_CHOICES
from .spreadsheets import CONTENT_TYPES, XLSX, FileRefused, check_uploaded_file

XLSX_CONTENT_TYPE = CONTENT_TYPES[XLSX]


def check_import_file(uploaded) -> str:
    """The upload's format ("csv" or "xlsx"), checked by size and content before it is read as a
    table; a ValidationError with a message for the person uploading otherwise."""
    try:
        return check_uploaded_file(uploaded, settings.IMPORT_MAX_UPLOAD_BYTES)
    except FileRefused as exc:
        raise forms.ValidationError(str(exc), code="file_refused") from None


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv," + XLSX_CONTENT_TYPE}),
        error_messages={
            "required": "Choose a CSV or Excel (.xlsx) file to upload.",
            "empty": "The file is empty.",
        },
    )
    ods_kind = forms.ChoiceField(
        label="What the file holds",
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the ODS file holds."},
    )

    field_order = ["ods_kind", "file"]  # as the page shows them, so the error summary follows the page

    def __init__(self, *args, dataset: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        self.file_format = ""
        self.fields["file"].help_text = (
            f"A CSV file (UTF-8) or an Excel workbook (.xlsx), at most "
            f"{filesizeformat(settings.IMPORT_MAX_UPLOAD_BYTES)}. Nothing is saved until you have seen the "
            "check and confirmed it."
        )
        if dataset != "organisations":
            del self.fields["ods_kind"]

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        self.file_format = check_import_file(uploaded)
        return uploaded
