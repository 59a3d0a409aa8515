from django.contrib import admin

from msonet.admin import NationalLeadAdmin, NationalLeadInline

from .models import Handover, HandoverChecklistItem


class ChecklistItemInline(NationalLeadInline):
    model = HandoverChecklistItem
    fields = ("item", "ticked_at", "ticked_by")
    autocomplete_fields = ("ticked_by",)
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticked_by")


@admin.register(Handover)
class HandoverAdmin(NationalLeadAdmin):
    list_display = (
        "organisation",
        "organisation__region",
        "role",
        "outgoing_appointment__person",
        "incoming_appointment__person",
        "leaving_date",
        "due_date",
        "status",
    )
    list_filter = ("status", "outgoing_appointment__role", "organisation__region", "organisation__kind")
    list_select_related = (
        "organisation__region",
        "outgoing_appointment__person",
        "incoming_appointment__person",
    )
    search_fields = (
        "organisation__ods_code",
        "organisation__name",
        "outgoing_appointment__person__first_name",
        "outgoing_appointment__person__last_name",
        "outgoing_appointment__person__work_email",
        "incoming_appointment__person__first_name",
        "incoming_appointment__person__last_name",
        "incoming_appointment__person__work_email",
    )
    autocomplete_fields = ("organisation", "outgoing_appointment", "incoming_appointment", "started_by", "completed_by")
    date_hierarchy = "due_date"
    # Completing a handover ends one appointment and starts another: that happens only through
    # handover_complete (the handover's page), never by editing its status here.
    readonly_fields = ("status", "created_at", "completed_at", "completed_by", "completion_note")
    fieldsets = (
        (None, {"fields": ("organisation", "outgoing_appointment", "incoming_appointment", "status")}),
        ("Dates", {"fields": ("leaving_date", "due_date")}),
        ("Record", {"fields": ("started_by", "created_at", "completed_at", "completed_by", "completion_note")}),
    )
    inlines = (ChecklistItemInline,)

    @admin.display(description="role", ordering="outgoing_appointment__role")
    def role(self, handover):
        return handover.outgoing_appointment.get_role_display()


@admin.register(HandoverChecklistItem)
class HandoverChecklistItemAdmin(NationalLeadAdmin):
    list_display = ("item", "handover", "ticked_at", "ticked_by")
    list_filter = ("item", "handover__status", "handover__organisation__region")
    list_select_related = ("handover__organisation", "handover__outgoing_appointment", "ticked_by")
    search_fields = ("handover__organisation__ods_code", "handover__organisation__name", "ticked_by__email")
    autocomplete_fields = ("handover", "ticked_by")
