from django.contrib import admin

from officers.admin import RequestAdmin

from .models import Offer


@admin.register(Offer)
class OfferAdmin(RequestAdmin):
    """Offers to present, to look up and audit; read-only. The lead accepts or declines on the portal's
    review page, which goes through presentations.services (so no path skips its checks)."""

    review_url_name = "presentations:review"

    list_display = ("id", "submitted_at", "title", "person", "status", "meeting", "reviewed_by", "reviewed_at")
    list_display_links = ("id", "submitted_at", "title")
    list_filter = ("status",)
    list_select_related = ("person", "meeting", "reviewed_by")
    search_fields = ("title", "person__first_name", "person__last_name", "person__work_email")
    date_hierarchy = "submitted_at"
    fields = (
        "review_page",
        "person",
        "title",
        "summary",
        "preferred_months",
        "status",
        "submitted_at",
        "meeting",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
    )
    readonly_fields = fields
