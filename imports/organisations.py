"""The organisations dataset's export: `OrganisationResource` for the admin's export screen (CSV or
XLSX, with region, parent ICB, parent and successor as names and codes, and each organisation's
coverage from compliance.coverage), and the same columns on the lead's export page, read as plain
values rather than through the resource's fields, which take most of the time on 25,000 rows.
Its import is organisations.services.ods_import."""

from types import SimpleNamespace

from django.utils import timezone
from import_export import resources
from import_export.fields import Field

from compliance.coverage import with_coverage
from organisations.models import Duty, Organisation, coverage_status


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
# The coverage annotations (those OrganisationResource exports) each row's three coverage columns come from.
COVERAGE_PARTS = ("named", "covered", "cover_in_force", "expected")
COVERAGE_VALUES = ("in_england", *(f"{duty}_{part}" for duty in Duty.values for part in COVERAGE_PARTS))


def export_queryset():
    """Every organisation, by ODS code, annotated with its coverage as the admin's export is."""
    return OrganisationResource().filter_export(Organisation.objects.order_by("ods_code"))


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
