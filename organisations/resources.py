"""django-import-export resources for the organisations admin.

The export (with each organisation's coverage, which compliance measures) is the imports app's
(imports.organisations.OrganisationResource, added to this admin by imports.admin).

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
from import_export.fields import Field
from import_export.formats.base_formats import Format

from msonet import uploads
from msonet.import_export import ReportResource, UploadFormat

from .ods import KINDS, ImportKind, check_ods_file, read_csv
from .services import ods_import


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
