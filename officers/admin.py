from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from msonet.admin import NationalLeadAdmin, NationalLeadInline
from msonet.import_export import LeadImportExportMixin
from organisations import admin as organisations_admin
from organisations.models import Organisation, Region

from .models import Appointment, ChangeRequest, Person, TeamProposal
from .resources import PeopleResource

PERSON_SEARCH_FIELDS = ("first_name", "last_name", "work_email", "user__email")
ORGANISATION_SEARCH_FIELDS = ("organisation__ods_code", "organisation__name")


class CurrentAppointmentFilter(admin.SimpleListFilter):
    """Filters people by their active appointments; a subquery, so nobody is listed twice."""

    appointment_field = ""

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        appointments = Appointment.objects.current().filter(**{self.appointment_field: self.value()})
        return queryset.filter(pk__in=appointments.values("person"))


class CurrentRoleFilter(CurrentAppointmentFilter):
    title = "current role"
    parameter_name = "current_role"
    appointment_field = "role"

    def lookups(self, request, model_admin):
        return Appointment.Role.choices


class CurrentRegionFilter(CurrentAppointmentFilter):
    title = "region of current organisation"
    parameter_name = "current_region"
    appointment_field = "organisation__region__code"

    def lookups(self, request, model_admin):
        return [(region.code, region.name) for region in Region.objects.all()]


class CurrentOrganisationTypeFilter(CurrentAppointmentFilter):
    title = "type of current organisation"
    parameter_name = "current_organisation_type"
    appointment_field = "organisation__kind"

    def lookups(self, request, model_admin):
        return Organisation.Kind.choices


class AppointmentInline(NationalLeadInline):
    model = Appointment
    fields = ("organisation", "role", "status", "start_date", "end_date", "mhra_registered_on", "mhra_reference")
    autocomplete_fields = ("organisation",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation")


class OrganisationAppointmentInline(NationalLeadInline):
    model = Appointment
    fields = ("person", "role", "status", "start_date", "end_date", "mhra_registered_on", "mhra_reference")
    autocomplete_fields = ("person",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


# organisations sits below officers, so an organisation's appointments join its admin page here, not there.
admin.site.unregister(Organisation)


@admin.register(Organisation)
class OrganisationAdmin(organisations_admin.OrganisationAdmin):
    inlines = (*organisations_admin.OrganisationAdmin.inlines, OrganisationAppointmentInline)


@admin.register(Person)
class PersonAdmin(LeadImportExportMixin, NationalLeadAdmin):
    """People, with the import and export of people and their appointments (officers.imports: the
    same checks, preview and history as the portal's import). networks.admin adds their memberships."""

    resource_classes = [PeopleResource]
    list_display = ("last_name", "first_name", "work_email", "job_title", "profession", "details_confirmed_on", "user")
    list_display_links = ("last_name", "first_name")
    list_filter = (CurrentRoleFilter, CurrentRegionFilter, CurrentOrganisationTypeFilter, "profession")
    list_select_related = ("user",)
    search_fields = (
        *PERSON_SEARCH_FIELDS,
        "appointments__organisation__ods_code",
        "appointments__organisation__name",
    )
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("first_name", "last_name", "job_title", "profession", "registration_number")}),
        ("Contact", {"fields": ("work_email", "phone")}),
        ("Account and confirmation", {"fields": ("user", "details_confirmed_on", "created_at", "updated_at")}),
    )
    inlines = (AppointmentInline,)


@admin.register(Appointment)
class AppointmentAdmin(LeadImportExportMixin, NationalLeadAdmin):
    """Appointments, with the same import and export as people (one row per appointment)."""

    resource_classes = [PeopleResource]
    list_display = (
        "person",
        "organisation",
        "organisation__region",
        "role",
        "status",
        "start_date",
        "end_date",
        "mhra_registered_on",
    )
    list_filter = ("role", "status", "organisation__region", "organisation__kind")
    list_select_related = ("person", "organisation__region")
    search_fields = (
        *(f"person__{field}" for field in PERSON_SEARCH_FIELDS),
        *ORGANISATION_SEARCH_FIELDS,
    )
    autocomplete_fields = ("person", "organisation")
    date_hierarchy = "start_date"
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("person", "organisation", "role", "status", "start_date", "end_date")}),
        ("MHRA registration", {"fields": ("mhra_registered_on", "mhra_reference")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )


class RequestAdmin(NationalLeadAdmin):
    """A request to the national lead, read-only here: it is decided on the portal's review page
    (`review_url_name`), which goes through the workflow's service, so no path skips its checks."""

    review_url_name = ""

    @admin.display(description="Review page")
    def review_page(self, obj):
        return format_html(
            '<a href="{}">Open the request in the portal</a>', reverse(self.review_url_name, args=[obj.pk])
        )

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(RequestAdmin):
    """Change requests, to look up and audit; read-only. The lead approves or rejects on the portal's
    review page, which applies the change through officers.changes (so no path skips its checks)."""

    review_url_name = "officers:change-review"

    list_display = (
        "id",
        "submitted_at",
        "requested_by",
        "person",
        "organisation",
        "status",
        "reviewed_by",
        "reviewed_at",
    )
    list_display_links = ("id", "submitted_at")
    list_filter = ("status",)
    list_select_related = ("requested_by", "person", "organisation", "reviewed_by")
    search_fields = (
        "requested_by__email",
        *(f"person__{field}" for field in PERSON_SEARCH_FIELDS),
        *ORGANISATION_SEARCH_FIELDS,
    )
    date_hierarchy = "submitted_at"
    fields = (
        "review_page",
        "requested_by",
        "person",
        "organisation",
        "changes",
        "status",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
    )
    readonly_fields = fields


@admin.register(TeamProposal)
class TeamProposalAdmin(RequestAdmin):
    """Proposals to organisations' medication safety teams, to look up and audit; read-only. The lead
    approves or rejects on the portal's review page, which goes through officers.team."""

    review_url_name = "officers:team-review"

    list_display = (
        "id",
        "submitted_at",
        "first_name",
        "last_name",
        "organisation",
        "role",
        "proposed_by",
        "status",
        "reviewed_by",
        "reviewed_at",
    )
    list_display_links = ("id", "submitted_at")
    list_filter = ("status", "role", "organisation__region")
    list_select_related = ("organisation", "proposed_by", "reviewed_by")
    search_fields = ("first_name", "last_name", "work_email", "proposed_by__email", *ORGANISATION_SEARCH_FIELDS)
    date_hierarchy = "submitted_at"
    fields = (
        "review_page",
        "organisation",
        "role",
        "start_date",
        "first_name",
        "last_name",
        "work_email",
        "job_title",
        "profession",
        "proposed_by",
        "status",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
        "appointment",
    )
    readonly_fields = fields
