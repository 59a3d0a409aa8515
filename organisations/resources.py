"""django-import-export resources and the CSV format for the organisations admin.

Export: `OrganisationResource` (CSV or XLSX), with region, parent ICB, parent and
successor as names and codes.

Import: the admin imports ODS files only, through the same code as `manage.py
import_ods`. The upload is checked and read through by `check_ods_upload` in the form
(msonet.uploads: its size, its type by content, its rows within the limits), so a file that
cannot be imported is refused there with a plain message before anything is stored.
`OdsCsvFormat` reads the uploaded bytes with `ods.read_csv` into a tablib
Dataset (one row per line of the file, with its line number and any problem reading it);
an `OdsImportResource` for each kind of file hands those rows to
`services.ods_import` — which checks every row and applies the whole file, or nothing —
and turns its report into import-export's `Result`, so the admin shows its usual
preview, line-numbered errors and confirm step.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from import_export import resources
from import_export.fields import Field
from import_export.formats.base_formats import Format
from import_export.results import Error, Result, RowResult
from tablib import Dataset

from msonet import uploads

from .models import Organisation, Region
from .ods import KINDS, ImportKind, SourceRow, check_ods_file, read_csv
from .services import OrganisationChange, ods_import


class OrganisationResource(resources.ModelResource):
    kind = Field(attribute="kind", column_name="type")
    status = Field(attribute="status", column_name="status", readonly=True)
    region = Field(attribute="region__name", column_name="region")
    parent_icb = Field(attribute="parent_icb__ods_code", column_name="parent ICB")
    parent = Field(attribute="parent__ods_code", column_name="parent")
    successor = Field(attribute="successor__ods_code", column_name="successor")
    # Who answers for its officers and mailbox (organisations.coverage), export only.
    mso_coverage = Field(attribute="mso_status", column_name="MSO coverage", readonly=True)
    mdso_coverage = Field(attribute="mdso_status", column_name="MDSO coverage", readonly=True)
    mailbox_coverage = Field(attribute="mailbox_status", column_name="generic mailbox coverage", readonly=True)

    class Meta:
        model = Organisation
        name = "Organisations"
        fields = (
            "ods_code",
            "name",
            "kind",
            "status",
            "region",
            "parent_icb",
            "parent",
            "opened_on",
            "closed_on",
            "successor",
            "address",
            "postcode",
            "phone",
            "ods_role_codes",
            "generic_mailbox",
            "board_director_name",
            "board_director_email",
            "mso_coverage",
            "mdso_coverage",
            "mailbox_coverage",
        )
        export_order = fields

    def dehydrate_kind(self, organisation: Organisation) -> str:
        return organisation.get_kind_display()

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("region", "parent_icb", "parent", "successor").with_coverage()


LINE, PROBLEM = "line", "problem"


def check_ods_upload(import_file) -> None:
    """Refuse, with a ValidationError in the portal's words, an upload the ODS import cannot read:
    too large, not an ODS CSV file, or beyond the limits (msonet.uploads)."""
    try:
        data = uploads.read_upload(import_file, settings.IMPORT_MAX_UPLOAD_BYTES)
        check_ods_file(data)
        read_csv(data)
    except uploads.UploadRefused as exc:
        raise ValidationError(str(exc), code="file_refused") from None


class OdsCsvFormat(Format):
    """An ODS CSV file as published: the headerless 27-column extracts and the ICB names file."""

    def __init__(self, encoding=None):
        # ODS files are read as UTF-8 whatever the admin's encoding (see organisations.ods).
        self.encoding = encoding

    def get_title(self):
        return "ODS CSV file"

    def create_dataset(self, in_stream):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        rows = read_csv(in_stream)
        width = max((len(row.values) for row in rows), default=0)
        dataset = Dataset(headers=[LINE, PROBLEM, *(f"column_{number}" for number in range(1, width + 1))])
        for row in rows:
            dataset.append([row.line, row.problem, *row.values, *([None] * (width - len(row.values)))])
        return dataset

    def can_import(self):
        return True

    def get_extension(self):
        return "csv"

    def get_content_type(self):
        return "text/csv"


def source_rows(dataset: Dataset) -> list[SourceRow]:
    """The file's rows back from an `OdsCsvFormat` dataset (padding removed)."""
    rows = []
    for line, problem, *values in dataset:
        while values and values[-1] is None:
            values.pop()
        rows.append(SourceRow(int(line), tuple(values), problem or ""))
    return rows


class OdsImportResource(resources.Resource):
    """Imports one kind of ODS file in the admin with `services.ods_import`."""

    kind: ImportKind

    @classmethod
    def get_display_name(cls):
        return cls.kind.label

    def get_user_visible_fields(self):
        return [Field(column_name=column) for column in self.kind.columns]

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        result = Result()
        result.diff_headers = ["line", "ODS code", "name", "type", "region", "status", "changes"]
        if dataset.headers[:2] != [LINE, PROBLEM]:
            result.append_base_error(Error(ValueError("Upload the file in the ODS CSV format.")))
            return result
        rows = source_rows(dataset)
        report = ods_import(
            rows=rows,
            kind=self.kind,
            file_name=kwargs.get("file_name") or "",
            dry_run=dry_run,
            user=kwargs.get("user"),
        )
        result.ods_report = report
        if report.errors:
            values_by_line = {row.line: row.values for row in rows}
            # Lines past the first uploads.ERRORS_LISTED are counted, not listed (the page and its memory).
            if len(report.errors) > uploads.ERRORS_LISTED:
                result.append_base_error(Error(ValueError(uploads.more_errors(len(report.errors)))))
            for problem in report.errors[: uploads.ERRORS_LISTED]:
                values = values_by_line.get(problem.line, ())
                row = {
                    "line": problem.line or "",
                    "ODS code": values[0] if values else "",
                    "name": values[1] if len(values) > 1 else "",
                }
                result.append_invalid_row(problem.line or "", row, ValidationError(problem.message))
            return result
        region_names = dict(Region.objects.values_list("pk", "name"))
        for change in report.changes:
            result.append_row_result(self._row_result(change, region_names))
        result.totals[RowResult.IMPORT_TYPE_NEW] = report.created
        result.totals[RowResult.IMPORT_TYPE_UPDATE] = report.updated
        result.totals[RowResult.IMPORT_TYPE_SKIP] = report.unchanged
        result.total_rows = report.created + report.updated + report.unchanged
        return result

    @staticmethod
    def _row_result(change: OrganisationChange, region_names: dict[int, str]) -> RowResult:
        organisation = change.organisation
        row_result = RowResult()
        row_result.import_type = RowResult.IMPORT_TYPE_NEW if change.created else RowResult.IMPORT_TYPE_UPDATE
        row_result.instance = organisation
        row_result.add_instance_info(organisation)
        row_result.diff = [
            change.line,
            organisation.ods_code,
            organisation.name,
            organisation.get_kind_display(),
            region_names.get(organisation.region_id, ""),
            organisation.status,
            change.changes_text(),
        ]
        return row_result


class TrustsResource(OdsImportResource):
    kind = KINDS["trusts"]


class IcbsResource(OdsImportResource):
    kind = KINDS["icbs"]


class SubIcbsResource(OdsImportResource):
    kind = KINDS["sub-icbs"]


class PharmaciesResource(OdsImportResource):
    kind = KINDS["pharmacies"]


class PharmacyHqsResource(OdsImportResource):
    kind = KINDS["pharmacy-hqs"]


class GpPracticesResource(OdsImportResource):
    kind = KINDS["gp-practices"]


# The admin's list of kinds, by position: new kinds go at the end so that existing positions keep their meaning.
ODS_IMPORT_RESOURCES = [
    TrustsResource,
    IcbsResource,
    SubIcbsResource,
    PharmaciesResource,
    GpPracticesResource,
    PharmacyHqsResource,
]
