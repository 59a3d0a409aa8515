"""The admin for logins and the trusted email domains (the base classes are msonet.admin's)."""

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from msonet.admin import HistoryAdminMixin, NationalLeadAdmin, NationalLeadPermissionsMixin

from .forms import TrustedEmailDomainForm
from .models import BUILT_IN_TRUSTED_DOMAINS, TrustedEmailDomain, User
from .services import user_sessions_end


class UserEmailMixin:
    """Stores email addresses in lower case and refuses one already used in any case."""

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError("A user with this email address already exists.", code="unique")
        return email


class UserCreationForm(UserEmailMixin, auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class UserChangeForm(UserEmailMixin, auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "name", "is_national_lead", "is_staff", "is_active", "groups")


@admin.register(User)
class UserAdmin(NationalLeadPermissionsMixin, HistoryAdminMixin, SimpleHistoryAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password", "name")}),
        ("Role and access", {"fields": ("is_national_lead", "is_staff", "is_active", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "name", "is_national_lead", "is_staff", "is_active", "last_login")
    list_filter = ("is_national_lead", "is_staff", "is_active", "groups")
    search_fields = ("email", "name", "person__first_name", "person__last_name", "person__work_email")
    ordering = ("email",)
    filter_horizontal = ("groups",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Deactivating an account signs it out everywhere at once.
            user_sessions_end(users=[obj])

    def has_change_permission(self, request, obj=None):
        # Only a superuser may change a superuser (their password included), so no one gains their rights.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(TrustedEmailDomain)
class TrustedEmailDomainAdmin(NationalLeadAdmin):
    form = TrustedEmailDomainForm
    list_display = ("domain", "note", "added_by", "added_at")
    search_fields = ("domain", "note")
    readonly_fields = ("added_by", "added_at")
    list_select_related = ("added_by",)

    def changelist_view(self, request, extra_context=None):
        built_in = " and ".join(sorted(BUILT_IN_TRUSTED_DOMAINS))
        extra_context = {
            **(extra_context or {}),
            "title": f"Trusted email domains (besides {built_in}, which are always trusted)",
        }
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
