"""django-import-export resources for the organisations admin.

Export: `OrganisationResource` (CSV or XLSX), with region, parent ICB, parent and successor as names
and codes (the lead's export page writes the same columns: imports.organisations).

Import: the admin imports ODS files only, through the same service as `manage.py import_ods` and the
lead's import page (`services.ods_import`), by the portal's one bridge to import-export
(msonet.import_export). The upload is checked and read through by `check_ods_upload` in the form
(msonet.uploads: its size, its type by content, its rows within the limits), so a file that cannot
be imported is refused there with a plain message before anything is stored. `OdsCsvFormat` reads
the uploaded bytes with `ods.read_csv`; an `OdsImportResource` for each kind of file hands those rows
to `services.ods_import`, which checks every row and applies the whole file, or nothing, and the
admin shows its report as its usual preview, line-numbered errors and confirm step.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from import_export import resources
from import_export.fields import Field
from import_export.formats.base_formats import Format

from compliance.coverage import with_coverage
from msonet import uploads
from msonet.import_export import ReportResource, UploadFormat

from .models import Organisation
from .ods import KINDS, ImportKind, check_ods_file, read_csv
from .services import ods_import


class OrganisationResource(resources.ModelResource):
    kind = Field(attribute="kind", column_name="type")
    status = Field(attribute="status", column_name="status", readonly=True)
    region = Field(attribute="region__name", column_name="region")
    parent_icb = Field(attribute="parent_icb__ods_code", column_name="parent ICB")
    parent = Field(attribute="parent__ods_code", column_name="parent")
    successor = Field(attribute="successor__ods_code", column_name="successor")
    # Who answers for its officers and mailbox (compliance.coverage), export only.
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
        return with_coverage(queryset.select_related("region", "parent_icb", "parent", "successor"))


def check_ods_upload(import_file) -> None:
    """Refuse, with a ValidationError in the portal's words, an upload the ODS import cannot read:
    too large, not an ODS CSV file, or beyond the limits (msonet.uploads)."""
    try:
        data = uploads.read_upload(import_file, settings.IMPORT_MAX_UPLOAD_BYTES)
        check_ods_file(data)
        read_csv(data)
    except uploads.UploadRefused as exc:
        raise ValidationError(str(exc), code="file_refused") from None


class OdsCsvFormat(UploadFormat, Format):
    """An ODS CSV file as published: the headerless 27-column extracts and the ICB names file."""

    def __init__(self, encoding=None):
        # ODS files are read as UTF-8 whatever the admin's encoding (see organisations.ods).
        self.encoding = encoding

    def get_title(self):
        return "ODS CSV file"

    def read(self, data):
        rows = read_csv(data)
        return rows, len(rows)

    def can_import(self):
        return True

    def get_extension(self):
        return "csv"

    def get_content_type(self):
        return "text/csv"


class OdsImportResource(ReportResource):
    """Imports one kind of ODS file in the admin with `services.ods_import`."""

    kind: ImportKind

    @classmethod
    def get_display_name(cls):
        return cls.kind.label

    def get_user_visible_fields(self):
        return [Field(column_name=column) for column in self.kind.columns]

    def run_import(self, content, *, file_name, user, dry_run):
        return ods_import(rows=content, kind=self.kind, file_name=file_name, dry_run=dry_run, user=user)


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
