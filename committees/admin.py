from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from msonet.admin import NationalLeadAdmin, NationalLeadInline

from .models import Committee, CommitteeMember


class CommitteeMemberInline(NationalLeadInline):
    model = CommitteeMember
    fields = ("name", "person", "role", "profession", "is_patient_representative")
    autocomplete_fields = ("person",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


@admin.register(Committee)
class CommitteeAdmin(NationalLeadAdmin):
    list_display = (
        "name",
        "organisation",
        "organisation__region",
        "chair_name",
        "meeting_frequency",
        "last_met_on",
        "reports_to",
        "has_patient_representation",
    )
    list_filter = (
        "has_patient_representation",
        "meeting_frequency",
        "reports_to",
        "organisation__region",
        "organisation__kind",
    )
    # The terms of reference are uploaded on the committee's page, where the file's size and type are
    # checked and it is kept in private storage; here they are shown only.
    exclude = ("terms_of_reference",)
    readonly_fields = ("terms_of_reference_link", "terms_of_reference_type", "terms_of_reference_uploaded_at")
    list_select_related = ("organisation__region",)
    search_fields = ("name", "chair_name", "organisation__ods_code", "organisation__name")
    autocomplete_fields = ("organisation",)
    inlines = (CommitteeMemberInline,)

    @admin.display(description="terms of reference")
    def terms_of_reference_link(self, committee):
        if not committee.terms_of_reference:
            return "Not uploaded"
        url = reverse("committees:terms-of-reference", args=[committee.organisation.ods_code])
        return format_html('<a href="{}">Download the terms of reference</a>', url)


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(NationalLeadAdmin):
    list_display = ("name", "committee", "role", "profession", "is_patient_representative", "person")
    list_filter = ("is_patient_representative", "profession", "committee__organisation__region")
    list_select_related = ("committee__organisation", "person")
    search_fields = (
        "name",
        "person__first_name",
        "person__last_name",
        "person__work_email",
        "committee__organisation__ods_code",
        "committee__organisation__name",
    )
    autocomplete_fields = ("committee", "person")
