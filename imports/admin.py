from django.contrib import admin

from msonet.admin import NationalLeadPermissionsMixin
from officers import admin as officers_admin
from organisations.models import Organisation

from .models import ExportJob, ImportJob
from .organisations import OrganisationResource

# The organisation admin (organisations.admin, with its appointments from officers.admin) gets its
# export here: the export's coverage columns are compliance's, above the organisations app.
admin.site.unregister(Organisation)


@admin.register(Organisation)
class OrganisationAdmin(officers_admin.OrganisationAdmin):
    def get_export_resource_classes(self, request):
        return [OrganisationResource]

    def has_export_permission(self, request):
        return self.has_view_permission(request)


class ReadOnlyJobAdmin(NationalLeadPermissionsMixin, admin.ModelAdmin):
    """Jobs are made and moved on by the portal's import and export pages; here they are looked up."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyJobAdmin):
    list_display = ("created_at", "file_name", "dataset", "user", "status", "new_count", "changed_count", "error_count")
    list_filter = ("dataset", "status")
    list_select_related = ("user",)
    search_fields = ("file_name", "user__email")
    date_hierarchy = "created_at"
    fields = (
        "file_name",
        "dataset",
        "ods_kind",
        "file_format",
        "file_size",
        "user",
        "created_at",
        "status",
        "message",
        "new_count",
        "changed_count",
        "unchanged_count",
        "error_count",
        "checked_at",
        "imported_by",
        "imported_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("table")


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyJobAdmin):
    list_display = ("created_at", "dataset", "file_format", "user", "status", "rows_total")
    list_filter = ("dataset", "file_format", "status")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    date_hierarchy = "created_at"
    fields = ("dataset", "file_format", "user", "created_at", "status", "rows_total", "finished_at", "message")
    readonly_fields = fields
