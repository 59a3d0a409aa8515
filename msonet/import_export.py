"""The admin's import and export screens (django-import-export), driven by the portal's own imports.

django-import-export shows the upload form, the preview and the confirm step; the import itself is
the portal's, the same the lead's import pages run, with the same checks, all or nothing, with
history. The one bridge between them:

- an upload format (`UploadFormat`: `UploadCSV`, `UploadXLSX`, or an app's own, such as the ODS
  CSV format) reads the upload as the portal's import does (msonet.uploads) and hands what it read
  to the resource in a `ReadFile`, the tablib Dataset import-export passes along;
- a `ReportResource` gives what it read to the app's import service and builds import-export's
  `Result` from the service's report (msonet.reports.ImportReport) with `result_from_report`; its
  export holds the same columns and values as the portal's, written (like every admin export) by
  msonet.spreadsheets, which keeps every formula-like cell text;
- `LeadImportForm` checks the upload as the portal's upload form does (size, type by content, the
  whole file read within the limits), so a refusal is a plain message before anything is stored,
  and `LeadImportExportMixin` gives a ModelAdmin these formats, this form and the national lead's
  permission; `add_read_error` says in the portal's words why a file could not be read.
"""

from collections import defaultdict

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import resources
from import_export.admin import ImportExportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm
from import_export.results import Error, Result, RowResult
from tablib import Dataset

from msonet import uploads
from msonet.admin import is_active_national_lead
from msonet.reports import CHANGED, ImportReport

EXPECTED = "a CSV file or an Excel workbook (.xlsx)"
DIFF_HEADERS = ["line", "record", "what", "changes"]


def check_import_file(uploaded) -> str:
    """The upload's format ("csv" or "xlsx"), checked by size and content (an archive by its
    directory) before it is read as a table; a ValidationError with a message for the person
    uploading otherwise."""
    try:
        data = uploads.read_upload(uploaded, settings.IMPORT_MAX_UPLOAD_BYTES)
        return uploads.spreadsheet_format(
            uploaded.name or "", data, uploads.import_limits(), expected=EXPECTED, require_suffix=True
        )
    except uploads.UploadRefused as exc:
        raise forms.ValidationError(str(exc), code="file_refused") from None


def add_read_error(form, error) -> None:
    """Put on the import form why the file could not be read, as msonet.uploads says it."""
    if isinstance(error, uploads.UploadRefused):
        form.add_error("import_file", str(error))
    else:
        form.add_error("import_file", "The file cannot be read. Check that it is the CSV or Excel file you meant.")


class ReadFile(Dataset):
    """What an upload format read (`content`: a Table, or an app's rows), as the tablib Dataset
    import-export passes from the format to the resource; as long as its rows, so that import-export
    can tell an empty file."""

    def __init__(self, content, rows: int):
        super().__init__()
        self.content = content
        self.rows_read = rows

    def __len__(self):
        return self.rows_read


class UploadFormat:
    """An import format that reads the uploaded bytes as the portal's import does (`read`). The form
    has read the file through already, so the limits refused it there, with a message, if they were to."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def read(self, data: bytes) -> tuple[object, int]:
        """What the import takes, and how many rows it holds."""
        raise NotImplementedError

    def create_dataset(self, in_stream):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return ReadFile(*self.read(bytes(in_stream)))


class _TableFormat(UploadFormat):
    file_format = ""

    def read(self, data):
        table = uploads.read_table(data, self.file_format, uploads.import_limits())
        return table, len(table.rows)


class UploadCSV(_TableFormat, CSV):
    file_format = uploads.CSV


class UploadXLSX(_TableFormat, XLSX):
    file_format = uploads.XLSX


def result_from_report(report: ImportReport) -> Result:
    """import-export's Result for an import's report: its errors by line (the first
    uploads.ERRORS_LISTED lines, then how many more), or its new and changed rows; its counts (of
    the rows without an error, when there are errors) either way. The report itself is
    `result.report`, which the admin's import page (templates/admin/import_export/import.html) shows
    the counts and the confirm button's words from."""
    result = Result()
    result.diff_headers = list(DIFF_HEADERS)
    result.report = report
    errors_by_line: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for error in report.errors:
        if error.line is None:
            result.append_base_error(Error(ValueError(error.message)))
        else:
            errors_by_line[error.line][error.column or NON_FIELD_ERRORS].append(error.message)
    # Lines past the first uploads.ERRORS_LISTED are counted, not listed (the page and its memory).
    for line, errors in sorted(errors_by_line.items())[: uploads.ERRORS_LISTED]:
        row = {"line": line, "record": "", "what": "", "changes": ""}
        result.append_invalid_row(line, row, ValidationError(dict(errors)))
    if len(errors_by_line) > uploads.ERRORS_LISTED:
        result.append_base_error(Error(ValueError(uploads.more_errors(len(errors_by_line)))))
    if not report.errors:
        for row in report.rows:
            row_result = RowResult()
            row_result.import_type = RowResult.IMPORT_TYPE_UPDATE if row.kind == CHANGED else RowResult.IMPORT_TYPE_NEW
            row_result.diff = [row.line, row.key, row.description, row.changes_text()]
            result.append_row_result(row_result)
    result.totals[RowResult.IMPORT_TYPE_NEW] = report.new
    result.totals[RowResult.IMPORT_TYPE_UPDATE] = report.changed
    result.totals[RowResult.IMPORT_TYPE_SKIP] = report.unchanged
    result.total_rows = report.new + report.changed + report.unchanged
    return result


class ReportResource(resources.Resource):
    """A resource whose import is one of the portal's imports (`run_import`) and whose export its
    rows (`export_rows`). Its fields are the dataset's columns (declared by `resource_for`), so the
    admin's export form lists them."""

    columns: tuple = ()  # msonet.columns.Column
    display_name = ""

    @classmethod
    def get_display_name(cls):
        return cls.display_name

    def get_user_visible_fields(self):
        return [Field(column_name=column.header) for column in self.columns if column.imported]

    def run_import(self, content, *, file_name: str, user, dry_run: bool) -> ImportReport:
        """The app's import of what the upload format read."""
        raise NotImplementedError

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        if not isinstance(dataset, ReadFile):
            result = Result()
            result.append_base_error(Error(ValueError("Upload the file in one of the formats offered.")))
            return result
        report = self.run_import(
            dataset.content, file_name=kwargs.get("file_name") or "", user=kwargs.get("user"), dry_run=dry_run
        )
        return result_from_report(report)

    def export_rows(self, queryset):
        raise NotImplementedError

    def export(self, queryset=None, **kwargs):
        """The dataset's rows (the admin's chosen columns), values as they are: the export format
        (msonet.spreadsheets) makes the cells safe."""
        selected = kwargs.get("export_fields") or [column.key for column in self.columns]
        positions = [index for index, column in enumerate(self.columns) if column.key in selected]
        dataset = Dataset(headers=[self.columns[index].header for index in positions])
        for row in self.export_rows(queryset):
            dataset.append([row[index] for index in positions])
        return dataset


def resource_for(base: type[ReportResource], name: str) -> type[ReportResource]:
    """The resource class with one import-export Field per column, in the columns' order."""
    fields = {column.key: Field(column_name=column.header) for column in base.columns}
    return type(name, (base,), {"__module__": base.__module__, "__doc__": base.__doc__, **fields})


class LeadImportForm(ImportForm):
    """The admin's upload, checked as the portal's is: size first, then the type by its content,
    which must be the format chosen; then the whole file read within the limits (msonet.uploads),
    so that what cannot be imported is refused here, in the portal's words, before it is stored."""

    def clean_import_file(self):
        import_file = self.cleaned_data["import_file"]
        self.detected_format = check_import_file(import_file)
        try:
            data = uploads.read_upload(import_file, settings.IMPORT_MAX_UPLOAD_BYTES)
            uploads.read_table(data, self.detected_format, uploads.import_limits())
        except uploads.UploadRefused as exc:
            raise forms.ValidationError(str(exc), code="file_refused") from None
        return import_file

    def clean(self):
        cleaned_data = super().clean()
        detected = getattr(self, "detected_format", None)
        chosen = dict(self.fields["format"].choices).get(cleaned_data.get("format") or "")
        if detected and chosen and str(chosen).lower() != detected:
            self.add_error("format", f"The file holds {detected.upper()}, not {str(chosen).upper()}.")
        return cleaned_data


class LeadImportExportMixin(ImportExportMixin):
    """Import and export for a registry admin, open to the national lead. The records' history
    (with the file's name as the reason) is the log of an import, so no admin log entries are added."""

    import_formats = [UploadCSV, UploadXLSX]
    import_form_class = LeadImportForm
    skip_admin_log = True
    from_encoding = "utf-8-sig"

    def has_import_permission(self, request):
        return is_active_national_lead(request)

    def add_data_read_fail_error_to_form(self, form, e):
        """A file the form passed but that cannot be read after all (the limits changed between the
        two): its reason in the portal's words, never the name of an exception."""
        add_read_error(form, e)

    def has_export_permission(self, request):
        return is_active_national_lead(request)
