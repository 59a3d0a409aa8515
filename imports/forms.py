from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from msonet import uploads
from msonet.bulk import without_cycle_collection
from msonet.import_export import check_import_file
from msonet.spreadsheets import CONTENT_TYPES, XLSX
from organisations.ods import KIND_CHOICES, KINDS, read_rows

XLSX_CONTENT_TYPE = CONTENT_TYPES[XLSX]


@dataclass(frozen=True)
class ReadUpload:
    """What the upload form read: the number of rows, and a workbook's rows as read
    (msonet.uploads.pack_rows; empty for CSV), for the check and the import to read again."""

    rows_total: int
    table: bytes = b""


@without_cycle_collection()
def read_import_file(uploaded, file_format: str, *, dataset: str, ods_kind: str = "") -> ReadUpload:
    """Read the whole file as the import will (msonet.uploads, within the limits: rows, cells,
    characters, cells beyond the header). A refusal is a ValidationError, so the file is refused
    before anything is stored. A workbook is parsed here only: its rows are kept (`table`), and the
    check and the import read them rather than the workbook."""
    try:
        data = uploads.read_upload(uploaded, settings.IMPORT_MAX_UPLOAD_BYTES)
        read = None
        if file_format == uploads.XLSX:
            read = list(uploads.iter_rows(data, file_format, uploads.import_limits()))
        table = uploads.pack_rows(read) if read is not None else b""
        if dataset == "organisations":
            header_row = KINDS[ods_kind].header_row if ods_kind in KINDS else False
            # A workbook's rows are the ODS import's rows one for one (organisations.ods.workbook_rows).
            rows = read_rows(data, file_format, header_row=header_row) if read is None else read
            unread = [row for row in rows if read is None and row.problem]  # not UTF-8, or not valid CSV
            if unread:
                more = f" (and {len(unread) - 3:,} more lines)" if len(unread) > 3 else ""
                lines = "; ".join(f"line {row.line}: {row.problem}" for row in unread[:3])
                raise uploads.UploadRefused(f"The file cannot be read: {lines}{more}.")
            return ReadUpload(max(len(rows) - 1, 0) if header_row else len(rows), table)
        if read is None:
            return ReadUpload(len(uploads.read_table(data, file_format, uploads.import_limits()).rows))
        return ReadUpload(len(uploads.table_of(read).rows), table)
    except uploads.UploadRefused as exc:
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
        self.rows_total = 0
        self.table = b""
        text = "UTF-8 or UTF-16 text" if dataset == "organisations" else "UTF-8, UTF-16 or Windows-1252 text"
        self.fields["file"].help_text = (
            f"A CSV file ({text}) or an Excel workbook (.xlsx), at most "
            f"{filesizeformat(settings.IMPORT_MAX_UPLOAD_BYTES)} and {settings.IMPORT_MAX_ROWS:,} rows. "
            "Nothing is saved until you have seen the check and confirmed it."
        )
        if dataset != "organisations":
            del self.fields["ods_kind"]

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        self.file_format = check_import_file(uploaded)
        return uploaded

    def clean(self):
        cleaned_data = super().clean()
        uploaded = cleaned_data.get("file")
        if uploaded is not None and self.file_format and not self.errors:
            try:
                read = read_import_file(
                    uploaded, self.file_format, dataset=self.dataset, ods_kind=cleaned_data.get("ods_kind", "")
                )
                self.rows_total, self.table = read.rows_total, read.table
            except forms.ValidationError as error:
                self.add_error("file", error)
        return cleaned_data
