from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm

from officers.models import Appointment
from users.admin import NationalLeadAdmin, NationalLeadInline, is_active_national_lead

from .models import KeyContact, Organisation, Region
from .resources import ODS_IMPORT_RESOURCES, OdsCsvFormat, OrganisationResource
from .services import OdsImportReport


@admin.register(Region)
class RegionAdmin(NationalLeadAdmin):
    list_display = ("code", "name", "organisation_count")
    search_fields = ("code", "name")
    ordering = ("code",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(organisation_count=Count("organisations"))

    @admin.display(description="organisations", ordering="organisation_count")
    def organisation_count(self, region):
        return region.organisation_count

    def has_delete_permission(self, request, obj=None):
        # The seven regions come with the database; organisations refer to them.
        return False


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed"), ("not-yet-open", "Not yet open")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "open":
            return queryset.open()
        if self.value() == "closed":
            return queryset.filter(closed_on__lte=today)
        if self.value() == "not-yet-open":
            return queryset.filter(opened_on__gt=today)
        return queryset


class KeyContactInline(NationalLeadInline):
    model = KeyContact
    fields = ("role", "name", "email", "phone")
    show_change_link = False


class AppointmentInline(NationalLeadInline):
    model = Appointment
    fields = ("person", "role", "status", "start_date", "end_date", "mhra_registered_on", "mhra_reference")
    autocomplete_fields = ("person",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


class OdsImportForm(ImportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].help_text = (
            "An ODS CSV file as published: etr.csv, eccg.csv, edispensary.csv, epharmacyhq.csv, epraccur.csv or "
            "the ICB names file. Import the ICB file first, so that organisations are linked to their ICB, and "
            "epharmacyhq.csv before edispensary.csv, so that pharmacies are linked to named companies. Nothing "
            "is saved until you confirm the preview; if any row is bad, nothing is saved at all."
        )

    def clean_import_file(self):
        import_file = self.cleaned_data["import_file"]
        if import_file.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {filesizeformat(import_file.size)}; "
                f"the largest file accepted is {filesizeformat(settings.IMPORT_MAX_UPLOAD_BYTES)}. "
                "Import larger files with manage.py import_ods."
            )
        return import_file


@admin.register(Organisation)
class OrganisationAdmin(ImportExportMixin, NationalLeadAdmin):
    """Organisations, with the ODS import (preview, then confirm) and CSV/XLSX export.

    The import goes through `services.ods_import`, like `manage.py import_ods`.
    """

    list_display = ("ods_code", "name", "kind", "region", "status")
    list_display_links = ("ods_code", "name")
    list_filter = (StatusFilter, "region", "kind")
    list_select_related = ("region",)
    search_fields = ("name", "ods_code", "generic_mailbox")
    autocomplete_fields = ("parent_icb", "parent", "successor")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("ods_code", "name", "kind", "region", "parent_icb", "parent")}),
        ("Open and closed", {"fields": ("opened_on", "closed_on", "successor")}),
        ("Contact", {"fields": ("generic_mailbox", "address", "postcode", "phone")}),
        ("Board director for medication safety", {"fields": ("board_director_name", "board_director_email")}),
        ("ODS record", {"fields": ("ods_role_codes", "created_at", "updated_at")}),
    )
    inlines = (KeyContactInline, AppointmentInline)

    import_form_class = OdsImportForm
    import_formats = [OdsCsvFormat]
    export_formats = [CSV, XLSX]

    @admin.display(description="status")
    def status(self, organisation):
        return organisation.status

    def get_import_resource_classes(self, request):
        return ODS_IMPORT_RESOURCES

    def get_export_resource_classes(self, request):
        return [OrganisationResource]

    def has_import_permission(self, request):
        return is_active_national_lead(request) or request.user.has_perms(
            ["organisations.add_organisation", "organisations.change_organisation"]
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        report = self._ods_report(getattr(response, "context_data", None) or {})
        if report and not report.errors:
            messages.info(request, f"If you confirm: {report.summary_line()}")
            self._report_messages(request, report)
        return response

    def add_success_message(self, result, request):
        report = getattr(result, "ods_report", None)
        if report is None:
            return super().add_success_message(result, request)
        if report.errors:
            # The data changed between the preview and the confirmation.
            messages.error(
                request,
                f"Nothing was imported: {report.file_name} now has {len(report.errors)} bad rows "
                f"({'; '.join(str(error) for error in report.errors[:5])}). Import it again to see them all.",
            )
            return
        messages.success(request, f"Imported {report.file_name}: {report.summary_line()}")
        self._report_messages(request, report)

    @staticmethod
    def _ods_report(context) -> OdsImportReport | None:
        return getattr(context.get("result"), "ods_report", None)

    @staticmethod
    def _report_messages(request, report: OdsImportReport) -> None:
        for note in report.notes:
            messages.info(request, note)
        for line in report.warning_lines():
            messages.warning(request, f"Warning: {line}")


@admin.register(KeyContact)
class KeyContactAdmin(NationalLeadAdmin):
    list_display = ("name", "role", "organisation", "email", "phone")
    list_filter = ("role",)
    list_select_related = ("organisation",)
    search_fields = ("name", "email", "organisation__name", "organisation__ods_code")
    autocomplete_fields = ("organisation",)
