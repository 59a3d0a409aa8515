from django.contrib import admin

from msonet.admin import NationalLeadAdmin

from .models import ChecklistHidden, NotApplicable, Progress


class ReadOnlyAdmin(NationalLeadAdmin):
    """Shown to the national lead, changed only through the checklist's own pages (workspace.services),
    which keep the MHRA registration, the flags and the chair's email in step."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Progress)
class ProgressAdmin(ReadOnlyAdmin):
    list_display = (
        "appointment__person",
        "appointment__organisation",
        "appointment__role",
        "item",
        "done_at",
        "done_by",
    )
    list_filter = ("item", "appointment__role", "appointment__organisation__region")
    list_select_related = ("appointment__person", "appointment__organisation", "done_by")
    search_fields = (
        "appointment__person__first_name",
        "appointment__person__last_name",
        "appointment__person__work_email",
        "appointment__organisation__ods_code",
        "appointment__organisation__name",
    )
    date_hierarchy = "done_at"


@admin.register(NotApplicable)
class NotApplicableAdmin(ReadOnlyAdmin):
    list_display = ("item", "role_display", "created_at")
    list_filter = ("item", "role")

    @admin.display(description="role", ordering="role")
    def role_display(self, row):
        return row.get_role_display()


@admin.register(ChecklistHidden)
class ChecklistHiddenAdmin(ReadOnlyAdmin):
    list_display = ("person", "hidden_at")
    list_select_related = ("person",)
    search_fields = ("person__first_name", "person__last_name", "person__work_email")
    date_hierarchy = "hidden_at"
