"""Organisations: imported from ODS files through organisations.services.ods_import, exported with
organisations.resources.OrganisationResource's columns.

The import takes the ODS layouts (the 27-column extracts and the ICB names file) as CSV, as ODS
publishes them, or as an XLSX workbook with the same columns. The ODS service checks every row,
writes all or nothing and keeps the history; its report is turned into this app's ImportReport.
"""

import datetime
from types import SimpleNamespace

from django.utils import timezone

from msonet import uploads
from organisations.models import Duty, Organisation, coverage_status
from organisations.ods import COLUMN_COUNT, KINDS, SourceRow, read_csv
from organisations.resources import OrganisationResource
from organisations.services import OdsImportReport, ods_import

from .rows import CHANGED, NEW, ImportReport, Progress, RowError, RowPreview, imported_text

KIND_CHOICES = [(kind.name, kind.label) for kind in KINDS.values()]


def _xlsx_text(value) -> str:
    # ODS writes dates as YYYYMMDD; a workbook may hold them as dates.
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%Y%m%d")
    return imported_text(value)


def source_rows(data: bytes, file_format: str, *, header_row: bool, progress: Progress | None = None):
    """The file's rows as the ODS service reads them, with their line numbers, read through
    msonet.uploads within the import limits (UploadRefused beyond them)."""
    limits = uploads.import_limits()
    if file_format == uploads.CSV:
        rows = read_csv(data, limits)
        if progress is not None:
            progress(len(rows))
        return rows
    rows = []
    width = COLUMN_COUNT
    for count, (line, values) in enumerate(uploads.iter_rows(data, file_format, limits), start=1):
        cells = [_xlsx_text(value) for value in values]
        if header_row and count == 1:
            width = len(cells)
        # A workbook's row ends at its last value; the columns after it are empty.
        cells += [""] * (width - len(cells))
        rows.append(SourceRow(line, tuple(cells)))
        if progress is not None and count % uploads.PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(len(rows))
    return rows


def organisations_import(
    *,
    data: bytes,
    file_format: str,
    kind: str,
    file_name: str,
    user=None,
    dry_run: bool = True,
    progress: Progress | None = None,
) -> ImportReport:
    report = ImportReport(dataset="organisations", file_name=file_name, dry_run=dry_run)
    try:
        rows = source_rows(data, file_format, header_row=KINDS[kind].header_row, progress=progress)
    except uploads.UploadRefused as exc:
        report.errors.append(RowError(None, "", str(exc)))
        return report
    ods_report = ods_import(rows=rows, kind=kind, file_name=file_name, dry_run=dry_run, user=user)
    return from_ods_report(ods_report, report)


def from_ods_report(ods_report: OdsImportReport, report: ImportReport) -> ImportReport:
    report.errors = [RowError(problem.line, "", problem.message) for problem in ods_report.errors]
    if report.errors:
        return report
    report.new = ods_report.created
    report.changed = ods_report.updated
    report.unchanged = ods_report.unchanged
    kind_labels = {value: str(label) for value, label in Organisation.Kind.choices}
    for change in sorted(ods_report.changes, key=lambda change: change.line or 0):
        organisation = change.organisation
        if change.created:
            kind = kind_labels.get(organisation.kind, organisation.kind)
            report.rows.append(
                RowPreview(change.line, NEW, organisation.ods_code, f"new organisation: {organisation.name} ({kind})")
            )
        else:
            report.rows.append(
                RowPreview(
                    change.line,
                    CHANGED,
                    organisation.ods_code,
                    organisation.name,
                    [(label, before, after) for label, (before, after) in change.changes.items()],
                )
            )
    report.notes.extend(ods_report.notes)
    report.notes.extend(f"Warning: {line}" for line in ods_report.warning_lines())
    return report


# Export: OrganisationResource's columns (as the admin exports them), read as plain values rather
# than through the resource's fields, which take most of the time on 25,000 rows.

EXPORT_VALUES = (
    "ods_code",
    "name",
    "kind",
    "opened_on",  # for the status
    "closed_on",  # for the status
    "region__name",
    "parent_icb__ods_code",
    "parent__ods_code",
    "opened_on",
    "closed_on",
    "successor__ods_code",
    "address",
    "postcode",
    "phone",
    "ods_role_codes",
    "generic_mailbox",
    "board_director_name",
    "board_director_email",
)
# The coverage annotations (Organisation.objects.with_coverage) each row's three coverage columns come from.
COVERAGE_PARTS = ("named", "covered", "cover_in_force", "expected")
COVERAGE_VALUES = ("in_england", *(f"{duty}_{part}" for duty in Duty.values for part in COVERAGE_PARTS))


def export_queryset():
    return Organisation.objects.order_by("ods_code").with_coverage()


def export_count() -> int:
    return Organisation.objects.count()


def export_headers() -> list[str]:
    return OrganisationResource().get_export_headers()


def export_rows(organisations=None):
    """One row per organisation, in the order of export_headers()."""
    if organisations is None:
        organisations = export_queryset()
    kind_labels = {value: str(label) for value, label in Organisation.Kind.choices}
    today = timezone.localdate()
    for values in organisations.values_list(*EXPORT_VALUES, *COVERAGE_VALUES).iterator(chunk_size=2000):
        code, name, kind, opened_on, closed_on, *rest = values[: len(EXPORT_VALUES)]
        coverage = dict(zip(COVERAGE_VALUES, values[len(EXPORT_VALUES) :], strict=True))
        status = Organisation.status_on(SimpleNamespace(opened_on=opened_on, closed_on=closed_on), today)
        coverage_columns = [
            coverage_status(
                in_england=coverage["in_england"],
                is_open=status == "open",
                **{part: coverage[f"{duty}_{part}"] for part in COVERAGE_PARTS},
            )
            for duty in Duty.values
        ]
        yield [code, name, kind_labels.get(kind, kind), status, *rest, *coverage_columns]
