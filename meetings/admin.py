from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from msonet.admin import NationalLeadAdmin, NationalLeadInline, NationalLeadPermissionsMixin

from .models import Attendance, ExportLog, Meeting, UnmatchedAttendee

PERSON_SEARCH_FIELDS = ("person__first_name", "person__last_name", "person__work_email", "person__user__email")

# A change page posts every inline row back, and Django refuses a form of more than
# DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) fields. A long attendance list (a national webinar's) is
# therefore edited from its own list, linked from the meeting's page.
INLINE_ROW_LIMIT = 150


def _changelist_link(model, filter_field, obj, text):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}={}">{}</a>', url, filter_field, obj.pk, text)


class AttendanceInline(NationalLeadInline):
    model = Attendance
    fields = ("person", "minutes_attended")
    autocomplete_fields = ("person",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


@admin.register(Meeting)
class MeetingAdmin(NationalLeadAdmin):
    list_display = ("title", "kind", "network", "held_on", "attendance_count")
    list_filter = ("kind", "network__kind", "network")
    list_select_related = ("network",)
    search_fields = ("title", "network__name")
    autocomplete_fields = ("network",)
    date_hierarchy = "held_on"
    # A meeting is scheduled, rescheduled and cancelled on its page, which sends the invitations.
    readonly_fields = ("attendance_list", "starts_at", "ends_at", "joining_link", "agenda", "cancelled_at", "sequence")
    inlines = (AttendanceInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(attendee_count=Count("attendances"))

    def get_inlines(self, request, obj):
        if obj is not None and obj.attendances.count() > INLINE_ROW_LIMIT:
            return ()
        return self.inlines

    @admin.display(description="attendance list")
    def attendance_list(self, meeting):
        if meeting.pk is None:
            return "Add attendance below."
        count = meeting.attendances.count()
        text = f"{count} attended: list and edit"
        if count > INLINE_ROW_LIMIT:
            text += f" (more than {INLINE_ROW_LIMIT}, so not listed on this page)"
        return _changelist_link(Attendance, "meeting__id__exact", meeting, text)

    @admin.display(description="attendance", ordering="attendee_count")
    def attendance_count(self, meeting):
        return meeting.attendee_count


@admin.register(Attendance)
class AttendanceAdmin(NationalLeadAdmin):
    list_display = ("person", "meeting", "minutes_attended")
    list_filter = ("meeting__kind", "meeting__network")
    list_select_related = ("person", "meeting")
    search_fields = (*PERSON_SEARCH_FIELDS, "meeting__title")
    autocomplete_fields = ("meeting", "person")


@admin.register(UnmatchedAttendee)
class UnmatchedAttendeeAdmin(NationalLeadAdmin):
    """People in imported attendance files whom no email matched, read-only: they are matched or
    dismissed on the meeting's page, which records the attendance."""

    list_display = ("name", "email", "meeting", "status", "minutes_attended", "imported_at")
    list_filter = ("status", "meeting__network")
    list_select_related = ("meeting",)
    search_fields = ("name", "email", "meeting__title")
    fields = (
        "meeting",
        "name",
        "email",
        "minutes_attended",
        "status",
        "person",
        "imported_by",
        "imported_at",
        "resolved_by",
        "resolved_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExportLog)
class ExportLogAdmin(NationalLeadPermissionsMixin, admin.ModelAdmin):
    """Every export of a network's membership list, read-only: who took which list, when and how big."""

    list_display = ("created_at", "user", "network", "format", "row_count")
    list_filter = ("format", "network", "created_at")
    list_select_related = ("user", "network")
    search_fields = ("user__email", "network__name")
    date_hierarchy = "created_at"
    fields = ("created_at", "user", "network", "format", "row_count")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
