"""The national lead issues, lists, revokes and follows the use of the partners' API keys here."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from audit.models import ContactView
from msonet.admin import NationalLeadPermissionsMixin

from .models import PartnerKey, Scope
from .services import partner_key_issue, partner_key_revoke


class PartnerKeyForm(forms.ModelForm):
    class Meta:
        model = PartnerKey
        fields = [
            "name",
            "partner",
            "scope_register",
            "scope_contacts",
            "scope_coverage",
            "contacts_reason",
            "expiry_date",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope_contacts") and not (cleaned.get("contacts_reason") or "").strip():
            self.add_error("contacts_reason", "Give the reason this partner needs the officers' contact details.")
        expiry = cleaned.get("expiry_date")
        if expiry is not None and expiry <= timezone.now():
            self.add_error("expiry_date", "The expiry must be in the future.")
        if not any(cleaned.get(f"scope_{scope}") for scope in Scope.values):
            raise ValidationError("Choose at least one scope.")
        return cleaned


@admin.register(PartnerKey)
class PartnerKeyAdmin(NationalLeadPermissionsMixin, admin.ModelAdmin):
    """Issued here (the key is shown once, in the message after saving), never changed after: a key
    is revoked (for good) with the list's action, and expires at its expiry."""

    form = PartnerKeyForm
    list_display = (
        "prefix",
        "name",
        "partner",
        "scope_list",
        "created",
        "expiry_date",
        "last_used_at",
        "revoked",
        "contact_views",
    )
    list_filter = ("revoked", "scope_contacts", "created")
    search_fields = ("name", "partner", "prefix")
    actions = ["revoke"]
    readonly_on_change = (
        "prefix",
        "name",
        "partner",
        "scope_register",
        "scope_contacts",
        "scope_coverage",
        "contacts_reason",
        "created",
        "expiry_date",
        "issued_by",
        "revoked",
        "revoked_at",
        "last_used_at",
        "contact_views",
    )

    def get_queryset(self, request):
        views = (
            ContactView.objects.filter(api_key=OuterRef("prefix"))
            .order_by()
            .values("api_key")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("issued_by")
            .annotate(contact_view_count=Subquery(views, output_field=IntegerField()))
        )

    def get_fields(self, request, obj=None):
        return self.readonly_on_change if obj is not None else PartnerKeyForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_on_change if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # a key is revoked, so that the log of its use keeps its name

    @admin.display(description="scopes")
    def scope_list(self, key):
        return ", ".join(sorted(key.scopes))

    @admin.display(description="contact details read")
    def contact_views(self, key):
        count = getattr(key, "contact_view_count", None) or 0
        url = reverse("admin:audit_contactview_changelist") + f"?api_key={key.prefix}"
        return format_html('<a href="{}">{} in the contact-view log</a>', url, count)

    def save_model(self, request, obj, form, change):
        if change:
            return
        issued, key = partner_key_issue(
            issued_by=request.user,
            name=obj.name,
            partner=obj.partner,
            scopes={scope for scope in Scope.values if getattr(obj, f"scope_{scope}")},
            contacts_reason=obj.contacts_reason,
            expiry_date=obj.expiry_date,
        )
        obj.__dict__.update({name: value for name, value in issued.__dict__.items() if name != "_state"})
        obj._state.adding = False
        messages.warning(
            request,
            f"The API key for {issued.partner} is {key} . Give it to the partner now, by a secure route: "
            "it is not kept and cannot be shown again.",
        )

    @admin.action(description="Revoke the selected keys (for good)")
    def revoke(self, request, queryset):
        revoked = sum(partner_key_revoke(key=key) for key in queryset)
        self.message_user(request, f"{revoked} key{'s' if revoked != 1 else ''} revoked.", messages.SUCCESS)
