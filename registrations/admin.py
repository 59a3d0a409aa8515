from django.contrib import admin

from officers.admin import RequestAdmin

from .models import RegistrationRequest


@admin.register(RegistrationRequest)
class RegistrationRequestAdmin(RequestAdmin):
    """Registration requests, to look up and audit; read-only. The lead approves or rejects on the
    portal's review page, which goes through registrations.services (so no path skips its checks)."""

    review_url_name = "registrations:review"

    list_display = (
        "id",
        "submitted_at",
        "first_name",
        "last_name",
        "organisation",
        "role",
        "email_domain_trusted",
        "status",
        "reviewed_by",
        "reviewed_at",
    )
    list_display_links = ("id", "submitted_at")
    list_filter = ("status", "role", "email_domain_trusted", "organisation__region")
    list_select_related = ("organisation", "reviewed_by")
    search_fields = ("first_name", "last_name", "user__email", "organisation__ods_code", "organisation__name")
    date_hierarchy = "submitted_at"
    fields = (
        "review_page",
        "user",
        "organisation",
        "role",
        "start_date",
        "first_name",
        "last_name",
        "job_title",
        "profession",
        "registration_number",
        "phone",
        "mhra_registered_on",
        "has_mailbox_access",
        "proposed_mailbox",
        "email_domain_trusted",
        "status",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
        "appointment",
    )
    readonly_fields = fields
