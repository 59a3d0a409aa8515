from django.contrib import admin

from msonet.admin import NationalLeadPermissionsMixin

from .models import Anonymisation, ContactView


class ReadOnlyAdmin(NationalLeadPermissionsMixin, admin.ModelAdmin):
    """A log for the national lead to read: nobody adds, changes or deletes its rows in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContactView)
class ContactViewAdmin(ReadOnlyAdmin):
    """Who saw whose contact details, when and on which page."""

    list_display = ("viewed_at", "viewer", "api_key", "person", "path")
    list_filter = ("viewed_at",)
    list_select_related = ("viewer", "person")
    search_fields = ("viewer__email", "api_key", "person__first_name", "person__last_name", "person__work_email")
    date_hierarchy = "viewed_at"
    fields = ("viewed_at", "viewer", "api_key", "person", "path")
    readonly_fields = fields


@admin.register(Anonymisation)
class AnonymisationAdmin(ReadOnlyAdmin):
    """The people anonymised after the retention period, and when."""

    list_display = ("anonymised_at", "person", "last_role_ended_on", "retention_years")
    list_select_related = ("person",)
    date_hierarchy = "anonymised_at"
    fields = ("anonymised_at", "person", "last_role_ended_on", "retention_years")
    readonly_fields = fields
