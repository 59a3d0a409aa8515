from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from msonet.admin import NationalLeadAdmin

from .models import Flag, ScanRun


class FlagStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("acknowledged", "Acknowledged"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        return {
            "open": queryset.unacknowledged,
            "acknowledged": queryset.acknowledged,
            "resolved": queryset.resolved,
        }.get(self.value(), queryset.all)()


@admin.register(Flag)
class FlagAdmin(NationalLeadAdmin):
    """Compliance flags, to look up and audit; read-only. The scan opens and resolves them and the
    lead acknowledges them on the flag board, through compliance.services."""

    list_display = ("organisation", "kind", "opened_at", "resolved_at", "acknowledged_at", "acknowledged_by")
    list_filter = (FlagStatusFilter, "kind", "organisation__region", "organisation__kind")
    list_select_related = ("organisation", "acknowledged_by")
    search_fields = ("organisation__name", "organisation__ods_code", "acknowledgement_note")
    date_hierarchy = "opened_at"
    fields = (
        "board_page",
        "organisation",
        "kind",
        "opened_at",
        "resolved_at",
        "acknowledged_at",
        "acknowledged_by",
        "acknowledgement_note",
        "handover",
        "appointment",
    )
    readonly_fields = fields

    @admin.display(description="Flag board")
    def board_page(self, obj):
        url = reverse("compliance:board") + f"?q={obj.organisation.ods_code}&status=all"
        return format_html('<a href="{}">See the flag on the flag board</a>', url)

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScanRun)
class ScanRunAdmin(NationalLeadAdmin):
    """The record of the compliance scan's latest runs: when each started and finished and what it
    changed; read-only (the scan writes and prunes them)."""

    list_display = ("finished_at", "started_at", "opened", "resolved", "open", "lapsed_handovers")
    date_hierarchy = "finished_at"
    fields = list_display
    readonly_fields = fields

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
