from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from msonet.admin import NationalLeadAdmin, NationalLeadInline
from msonet.import_export import LeadImportExportMixin
from officers import admin as officers_admin
from officers.models import Person

from .models import Membership, Network
from .resources import MembershipResource

PERSON_SEARCH_FIELDS = ("person__first_name", "person__last_name", "person__work_email", "person__user__email")

# A change page posts every inline row back, and Django refuses a form of more than
# DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) fields. A network's members (the national network has
# thousands) are therefore edited from their own list, linked from the network's page; a meeting's
# attendance likewise (meetings.admin).


def _changelist_link(model, filter_field, obj, text):
    url = reverse(f"admin:networks_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}={}">{}</a>', url, filter_field, obj.pk, text)


class ChairInline(NationalLeadInline):
    model = Membership
    fields = ("person", "role", "joined_on", "left_on")
    autocomplete_fields = ("person",)
    verbose_name = "chair or vice-chair"
    verbose_name_plural = "chairs and vice-chairs"

    def get_queryset(self, request):
        return super().get_queryset(request).chairs().select_related("person")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(role.value, role.label) for role in Membership.CHAIR_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Network)
class NetworkAdmin(NationalLeadAdmin):
    list_display = ("name", "kind", "region", "parent", "current_members")
    list_filter = ("kind", "region")
    list_select_related = ("region", "parent")
    search_fields = ("name", "slug", "region__name")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    readonly_fields = ("members",)
    inlines = (ChairInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(current_member_count=Count("memberships", filter=Q(memberships__left_on__isnull=True)))
        )

    @admin.display(description="current members", ordering="current_member_count")
    def current_members(self, network):
        return network.current_member_count

    @admin.display(description="members")
    def members(self, network):
        if network.pk is None:
            return "Add members once the network is saved."
        count = network.memberships.current().count()
        return _changelist_link(Membership, "network__id__exact", network, f"{count} current members: list and edit")


class MembershipInline(NationalLeadInline):
    model = Membership
    fields = ("network", "role", "joined_on", "left_on")
    autocomplete_fields = ("network",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("network")


# officers sits below networks, so a person's memberships join their admin page here, not there.
admin.site.unregister(Person)


@admin.register(Person)
class PersonAdmin(officers_admin.PersonAdmin):
    inlines = (*officers_admin.PersonAdmin.inlines, MembershipInline)


@admin.register(Membership)
class MembershipAdmin(LeadImportExportMixin, NationalLeadAdmin):
    """Memberships, with the import and export of network memberships (networks.imports: the same
    checks, preview and history as the portal's import)."""

    resource_classes = [MembershipResource]
    list_display = ("person", "network", "role", "joined_on", "left_on")
    list_filter = ("role", "network__kind", "network__region", "network")
    list_select_related = ("person", "network")
    search_fields = (*PERSON_SEARCH_FIELDS, "network__name")
    autocomplete_fields = ("person", "network")
    date_hierarchy = "joined_on"
