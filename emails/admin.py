from django.contrib import admin, messages
from django.template.defaultfilters import truncatechars

from msonet.admin import NationalLeadPermissionsMixin, is_active_national_lead

from .models import OutboundEmail
from .services import email_send


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("sent", "Sent"), ("unsent", "Not sent yet"), ("failing", "Not sent, last attempt failed")]

    def queryset(self, request, queryset):
        if self.value() == "sent":
            return queryset.sent()
        if self.value() == "unsent":
            return queryset.unsent()
        if self.value() == "failing":
            return queryset.failing()
        return queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(NationalLeadPermissionsMixin, admin.ModelAdmin):
    """The outbox, read-only: what the portal sent or has still to send, and why an email is waiting."""

    list_display = ("created_at", "recipients", "subject", "template", "sent_at", "attempts", "error")
    list_filter = (StatusFilter, "bulk", "template", "created_at")
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    actions = ["send_now"]
    fields = (
        "to",
        "subject",
        "template",
        "dedupe_key",
        "created_at",
        "sent_at",
        "attempts",
        "last_attempt_at",
        "last_error",
        "reply_to",
        "bulk",
        "failed_at",
        "attachments",
        "body_text",
        "body_html",
    )
    readonly_fields = fields

    @admin.display(description="recipients")
    def recipients(self, email):
        return ", ".join(email.to)

    @admin.display(description="last error")
    def error(self, email):
        return truncatechars(email.last_error, 80)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_permission(self, request):
        return is_active_national_lead(request) or request.user.has_perm("emails.change_outboundemail")

    @admin.action(description="Send now (unsent ones only)", permissions=["send"])
    def send_now(self, request, queryset):
        sent = failed = 0
        for email_id in queryset.unsent().values_list("pk", flat=True):
            try:
                sent += email_send(email_id=email_id)
            except Exception as exc:
                failed += 1
                self.message_user(request, f"Email {email_id} was not sent: {exc}", messages.ERROR)
        skipped = queryset.count() - sent - failed
        self.message_user(
            request,
            f"Sent {sent}; failed {failed}; skipped {skipped} (already sent, or being sent).",
            messages.SUCCESS if not failed else messages.WARNING,
        )
