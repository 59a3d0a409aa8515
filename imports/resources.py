"""The admin's import and export screens (django-import-export) for people, appointments and network
memberships, going through the same imports as the portal's pages.

`PeopleResource` and `MembershipResource` hand the uploaded rows to `people.people_import` and
`memberships.memberships_import` (the same checks, all or nothing, with history) and turn their
report into import-export's `Result`, so the admin shows its usual preview, line-numbered errors
and confirm step. Their exports hold the same columns and values as the portal's, written (like
every admin export) by msonet.spreadsheets, which keeps every formula-like cell text.
`LeadImportExportMixin` gives a ModelAdmin these resources, CSV and XLSX imports read by
msonet.uploads as the portal's are (`UploadCSV`, `UploadXLSX`: every row keeps its line in the
file), the portal's upload checks (the whole file read within the limits in the form, so a refusal
is a plain message before anything is stored) and the national lead's permission.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.admin import ImportExportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm
from import_export.results import Error, Result, RowResult
from tablib import Dataset

from msonet import uploads
from msonet.admin import is_active_national_lead
from officers.models import Appointment, Person

from . import memberships, people
from .forms import check_import_file, read_import_file
from .rows import CHANGED, ImportReport
from .spreadsheets import Table

DIFF_HEADERS = ["line", "record", "what", "changes"]
# The first column of a dataset made by UploadCSV or UploadXLSX: each row's line in the file.
LINE = "line in the file"


class _UploadFormat:
    """An import format that reads the uploaded bytes with msonet.uploads.read_table into a tablib
    Dataset whose first column is each row's line in the file (the form has already read the file
    through, so the limits refused it there, with a message, if they were to)."""

    file_format = ""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        table = uploads.read_table(bytes(in_stream), self.file_format, uploads.import_limits())
        width = len(table.headers)
        dataset = Dataset(headers=[LINE, *table.headers])
        for line, cells in table.rows:
            dataset.append([line, *cells, *([""] * (width - len(cells)))])
        return dataset


class UploadCSV(_UploadFormat, CSV):
    file_format = uploads.CSV


class UploadXLSX(_UploadFormat, XLSX):
    file_format = uploads.XLSX


def table_from_dataset(dataset: Dataset) -> Table:
    """A tablib Dataset as a Table: one from UploadCSV or UploadXLSX keeps each row's line in the
    file; any other (header row first) numbers its rows from line 2. Blank rows are left out."""
    headers = [str(header or "").strip() for header in dataset.headers or []]
    with_lines = headers[:1] == [LINE]
    rows = []
    for number, values in enumerate(dataset, start=2):
        if with_lines:
            number, *values = values
        cells = ["" if value is None else value for value in values]
        if any(str(value).strip() for value in cells):
            rows.append((number, cells))
    return Table(headers=headers[1:] if with_lines else headers, rows=rows)


def result_from_report(report: ImportReport) -> Result:
    result = Result()
    result.diff_headers = list(DIFF_HEADERS)
    result.import_report = report
    errors_by_line: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for error in report.errors:
        if error.line is None:
            result.append_base_error(Error(ValueError(error.message)))
        else:
            errors_by_line[error.line][error.column or "row"].append(error.message)
    # Lines past the first uploads.ERRORS_LISTED are counted, not listed (the page and its memory).
    for line, errors in sorted(errors_by_line.items())[: uploads.ERRORS_LISTED]:
        row = {"line": line, "record": "", "what": "", "changes": ""}
        result.append_invalid_row(line, row, ValidationError(dict(errors)))
    if len(errors_by_line) > uploads.ERRORS_LISTED:
        result.append_base_error(Error(ValueError(uploads.more_errors(len(errors_by_line)))))
    if report.errors:
        return result
    for preview in report.rows:
        row_result = RowResult()
        row_result.import_type = RowResult.IMPORT_TYPE_UPDATE if preview.kind == CHANGED else RowResult.IMPORT_TYPE_NEW
        row_result.diff = [preview.line, preview.key, preview.description, preview.changes_text()]
        result.append_row_result(row_result)
    result.totals[RowResult.IMPORT_TYPE_NEW] = report.new
    result.totals[RowResult.IMPORT_TYPE_UPDATE] = report.changed
    result.totals[RowResult.IMPORT_TYPE_SKIP] = report.unchanged
    result.total_rows = report.new + report.changed + report.unchanged
    return result


class ReportResource(resources.Resource):
    """A resource whose import is one of this app's imports and whose export its rows. Its fields
    are the dataset's columns (declared by `resource_for`), so the admin's export form lists them."""

    columns: tuple = ()
    display_name = ""

    @classmethod
    def get_display_name(cls):
        return cls.display_name

    def get_user_visible_fields(self):
        return [Field(column_name=column.header) for column in self.columns if column.imported]

    def run_import(self, table: Table, *, file_name: str, user, dry_run: bool) -> ImportReport:
        raise NotImplementedError

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        report = self.run_import(
            table_from_dataset(dataset),
            file_name=kwargs.get("file_name") or "",
            user=kwargs.get("user"),
            dry_run=dry_run,
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
    return type(name, (base,), {"__module__": __name__, "__doc__": base.__doc__, **fields})


class _PeopleResource(ReportResource):
    """People with their appointments, one row per appointment (people.COLUMNS)."""

    columns = people.COLUMNS
    display_name = "People and appointments"

    def run_import(self, table, *, file_name, user, dry_run):
        return people.people_import(table=table, file_name=file_name, user=user, dry_run=dry_run)

    def export_rows(self, queryset):
        if queryset is None:
            return people.export_rows()
        if queryset.model is Appointment:
            appointments = queryset.select_related("person", "organisation").order_by(
                *people.export_queryset().query.order_by
            )
            return people.export_rows(appointments=appointments, people=Person.objects.none())
        return people.export_rows(
            appointments=people.export_queryset().filter(person__in=queryset.values("pk")), people=queryset
        )


class _MembershipResource(ReportResource):
    """Network memberships (memberships.COLUMNS)."""

    columns = memberships.COLUMNS
    display_name = "Network memberships"

    def run_import(self, table, *, file_name, user, dry_run):
        return memberships.memberships_import(table=table, file_name=file_name, user=user, dry_run=dry_run)

    def export_rows(self, queryset):
        if queryset is None:
            return memberships.export_rows()
        return memberships.export_rows(
            queryset.select_related("person", "network").order_by(*memberships.export_queryset().query.order_by)
        )


PeopleResource = resource_for(_PeopleResource, "PeopleResource")
MembershipResource = resource_for(_MembershipResource, "MembershipResource")


def add_read_error(form, error) -> None:
    """Put on the import form why the file could not be read, as msonet.uploads says it."""
    if isinstance(error, uploads.UploadRefused):
        form.add_error("import_file", str(error))
    else:
        form.add_error("import_file", "The file cannot be read. Check that it is the CSV or Excel file you meant.")


class LeadImportForm(ImportForm):
    """The admin's upload, checked as the portal's is: size first, then the type by its content,
    which must be the format chosen; then the whole file read within the limits (msonet.uploads),
    so that what cannot be imported is refused here, in the portal's words, before it is stored."""

    def clean_import_file(self):
        import_file = self.cleaned_data["import_file"]
        self.detected_format = check_import_file(import_file)
        read_import_file(import_file, self.detected_format, dataset="people")
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
