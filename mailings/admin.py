from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from msonet.admin import NationalLeadPermissionsMixin

from .models import Message, Recipient


class ReadOnlyAdminMixin:
    """Messages are written and sent only through the portal's pages (`mailings.services`)."""

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, NationalLeadPermissionsMixin, SimpleHistoryAdmin):
    """The messages sent to the network, read-only, with their history."""

    list_display = ("sent_at", "subject", "sender", "network", "recipient_count", "copy_mailboxes")
    list_filter = ("network", "copy_mailboxes", "sent_at")
    search_fields = ("subject", "body", "sender__email")
    date_hierarchy = "created_at"
    list_select_related = ("sender", "network")
    fields = (
        "subject",
        "sender",
        "network",
        "audience_description",
        "audience",
        "copy_mailboxes",
        "recipient_count",
        "created_at",
        "sent_at",
        "last_retried_at",
        "body",
    )
    readonly_fields = fields


@admin.register(Recipient)
class RecipientAdmin(ReadOnlyAdminMixin, NationalLeadPermissionsMixin, admin.ModelAdmin):
    """Who each message went to, one address each, with its email in the outbox."""

    list_display = ("address", "kind", "message", "person", "organisation", "email")
    list_filter = ("kind",)
    search_fields = ("address", "message__subject")
    list_select_related = ("message", "person", "organisation", "email")
    raw_id_fields = ("message", "person", "organisation", "email")
    fields = ("message", "address", "kind", "person", "organisation", "email")
    readonly_fields = fields
