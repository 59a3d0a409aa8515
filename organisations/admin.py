from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from import_export.admin import ImportExportMixin
from import_export.forms import ImportForm

from msonet.admin import NationalLeadAdmin, NationalLeadInline, is_active_national_lead
from msonet.import_export import add_read_error
from msonet.reports import ImportReport

from . import expectations
from .models import Cover, ExpectationOverride, KeyContact, Organisation, Region, TypeExpectation
from .resources import ODS_IMPORT_RESOURCES, OdsCsvFormat, check_ods_upload
from .services import ods_summary_line


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
        check_ods_upload(import_file)  # read through msonet.uploads, as every upload is
        return import_file


@admin.register(Organisation)
class OrganisationAdmin(ImportExportMixin, NationalLeadAdmin):
    """Organisations, with the ODS import (preview, then confirm); imports.admin adds the CSV/XLSX
    export (its coverage columns come from compliance, above this app).

    The import goes through `services.ods_import`, like `manage.py import_ods`; the export is written
    by msonet.spreadsheets (settings.EXPORT_FORMATS), like every admin's.
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
    inlines = (KeyContactInline,)  # officers.admin adds the organisation's appointments

    import_form_class = OdsImportForm
    import_formats = [OdsCsvFormat]
    # The organisations' history (the reason "ODS import <file>", with the user) is the log of an
    # import, as for the import_ods command and the lead's import page: no admin log entries are added.
    skip_admin_log = True

    @admin.display(description="status")
    def status(self, organisation):
        return organisation.status

    def add_data_read_fail_error_to_form(self, form, e):
        add_read_error(form, e)  # in the portal's words, never the name of an exception

    def get_import_resource_classes(self, request):
        return ODS_IMPORT_RESOURCES

    def has_import_permission(self, request):
        return is_active_national_lead(request) or request.user.has_perms(
            ["organisations.add_organisation", "organisations.change_organisation"]
        )

    def has_export_permission(self, request):
        return False  # until imports.admin adds the export

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        report = self._ods_report(getattr(response, "context_data", None) or {})
        if report and not report.errors:
            messages.info(request, f"If you confirm: {ods_summary_line(report)}")
            self._report_messages(request, report)
        return response

    def add_success_message(self, result, request):
        report = getattr(result, "report", None)
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
        messages.success(request, f"Imported {report.file_name}: {ods_summary_line(report)}")
        self._report_messages(request, report)

    @staticmethod
    def _ods_report(context) -> ImportReport | None:
        return getattr(context.get("result"), "report", None)

    @staticmethod
    def _report_messages(request, report: ImportReport) -> None:
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


# Who must name an officer and who covers whom: every change goes through organisations.expectations,
# as on the national lead's pages, so the admin cannot bypass a rule. Each form's clean() runs the
# service's own check, so a refusal shows on the form; save_model then calls the service, which
# checks again under its locks and keeps the history with the user and the reason.


def _check(check, **kwargs) -> None:
    try:
        check(**kwargs)
    except ValidationError as error:
        raise forms.ValidationError(error.messages) from None


class TypeExpectationAdminForm(forms.ModelForm):
    reason = forms.CharField(
        max_length=expectations.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the expectations change: kept in the history with your name.",
    )

    class Meta:
        model = TypeExpectation
        fields = (*expectations.EXPECTATION_FIELDS, expectations.THRESHOLD_FIELD)

    def values(self) -> dict:
        names = (*expectations.EXPECTATION_FIELDS, expectations.THRESHOLD_FIELD)
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}

    def clean(self):
        cleaned = super().clean()
        _check(expectations.type_expectation_check, kind=self.instance.kind, values=self.values())
        return cleaned


@admin.register(TypeExpectation)
class TypeExpectationAdmin(NationalLeadAdmin):
    """One row per type of organisation, created with the database: changed, never added or deleted."""

    form = TypeExpectationAdminForm
    list_display = ("kind", "expects_mso", "expects_mdso", "expects_mailbox", "own_officer_threshold")
    readonly_fields = ("kind", "updated_at")

    def get_fields(self, request, obj=None):
        threshold = (
            (expectations.THRESHOLD_FIELD,)
            if obj is not None and obj.kind == Organisation.Kind.PHARMACY_COMPANY
            else ()
        )
        return ("kind", *expectations.EXPECTATION_FIELDS, *threshold, "reason", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        expectations.type_expectations_set(
            changes={obj.kind: form.values()}, user=request.user, reason=form.cleaned_data["reason"]
        )


class ExpectationOverrideAdminForm(forms.ModelForm):
    class Meta:
        model = ExpectationOverride
        fields = ("organisation", "duty", "expected", "reason")

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation") or getattr(self.instance, "organisation", None)
        duty = cleaned.get("duty") or self.instance.duty
        if organisation is not None and duty:
            _check(
                expectations.expectation_override_check,
                organisation=organisation,
                duty=duty,
                expected=cleaned.get("expected", False),
            )
        return cleaned


@admin.register(ExpectationOverride)
class ExpectationOverrideAdmin(NationalLeadAdmin):
    form = ExpectationOverrideAdminForm
    list_display = ("organisation", "duty", "expected", "reason")
    list_filter = ("duty", "expected")
    list_select_related = ("organisation",)
    search_fields = ("organisation__name", "organisation__ods_code", "reason")
    autocomplete_fields = ("organisation",)

    def get_readonly_fields(self, request, obj=None):
        return ("organisation", "duty", "created_at") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        override = expectations.expectation_override_set(
            organisation=obj.organisation, duty=obj.duty, expected=obj.expected, reason=obj.reason, user=request.user
        )
        obj.pk = override.pk

    def delete_model(self, request, obj):
        expectations.expectation_override_set(
            organisation=obj.organisation,
            duty=obj.duty,
            expected=None,
            reason="Removed in the admin",
            user=request.user,
        )


class CoverAddAdminForm(forms.ModelForm):
    class Meta:
        model = Cover
        fields = ("covering", "organisation", "rule", "role", "starts_on", "ends_on", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("covering") and cleaned.get("role") and cleaned.get("starts_on"):
            _check(
                expectations.cover_check,
                covering=cleaned["covering"],
                organisation=cleaned.get("organisation"),
                rule=cleaned.get("rule", ""),
                role=cleaned["role"],
                starts_on=cleaned["starts_on"],
                ends_on=cleaned.get("ends_on"),
            )
        return cleaned


class CoverEndAdminForm(forms.ModelForm):
    """A cover, once added, changes only by ending: its end date and the reason it ends."""

    class Meta:
        model = Cover
        fields = ("ends_on", "reason")
        labels = {"reason": "Reason for the change"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].required = True
        self.fields["reason"].required = True

    def clean(self):
        cleaned = super().clean()
        if "ends_on" in cleaned:
            # Before the form's values are copied onto the instance, it holds the cover as saved.
            _check(expectations.cover_end_check, cover=self.instance, ends_on=cleaned["ends_on"])
        return cleaned


@admin.register(Cover)
class CoverAdmin(NationalLeadAdmin):
    list_display = ("covering", "covered", "role", "starts_on", "ends_on")
    list_filter = ("role", "rule")
    list_select_related = ("covering", "organisation")
    search_fields = ("covering__name", "covering__ods_code", "organisation__name", "organisation__ods_code")
    autocomplete_fields = ("covering", "organisation")
    date_hierarchy = "starts_on"

    @admin.display(description="covered organisations")
    def covered(self, cover):
        return cover.organisation if cover.organisation_id else cover.get_rule_display()

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = CoverEndAdminForm if obj is not None else CoverAddAdminForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        fields = ("covering", "organisation", "rule", "role", "starts_on", "ends_on", "reason")
        return (*fields, "created_at") if obj is not None else fields

    def get_readonly_fields(self, request, obj=None):
        return ("covering", "organisation", "rule", "role", "starts_on", "created_at") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            expectations.cover_end(cover_id=obj.pk, ends_on=obj.ends_on, user=request.user, reason=obj.reason)
            return
        cover = expectations.cover_add(
            covering=obj.covering,
            organisation=obj.organisation,
            rule=obj.rule,
            role=obj.role,
            starts_on=obj.starts_on,
            ends_on=obj.ends_on,
            reason=obj.reason,
            user=request.user,
        )
        obj.pk = cover.pk
