"""The admin for logins, and the base classes every registry admin uses.

The admin is the national lead's tool for the whole registry. A national lead
(`User.is_national_lead`, with staff access) may view, add, change and delete every
record shown through `NationalLeadAdmin` and `NationalLeadInline`, whatever Django
permissions their account holds; other staff need permissions as usual. Every admin
keeps django-simple-history's history view, so each change shows who made it and when.
"""

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from .forms import TrustedEmailDomainForm
from .models import BUILT_IN_TRUSTED_DOMAINS, TrustedEmailDomain, User


def is_active_national_lead(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.is_national_lead


class NationalLeadPermissionsMixin:
    """Grants the national lead every admin permission; leaves other users' permissions as they are."""

    def has_module_permission(self, request):
        return is_active_national_lead(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_active_national_lead(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args, **kwargs):
        return is_active_national_lead(request) or super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return is_active_national_lead(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_active_national_lead(request) or super().has_delete_permission(request, obj)


class NationalLeadAdmin(NationalLeadPermissionsMixin, SimpleHistoryAdmin):
    """A registry model's admin: open to the national lead, with a history view."""


class ConstraintCheckingInlineFormSet(BaseInlineFormSet):
    """Checks the database constraints that involve the parent (such as one current membership per
    person and network), which Django leaves out on inline rows, so a row that breaks one shows the
    constraint's message instead of failing on save."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.is_valid() or not form.has_changed() or self._should_delete_form(form):
                continue
            not_on_form = {f.name for f in form.instance._meta.fields if f.name not in form.fields}
            try:
                form.instance.validate_constraints(exclude=not_on_form - {self.fk.name})
            except ValidationError as error:
                form.add_error(None, error.messages)


class NationalLeadInline(NationalLeadPermissionsMixin, admin.TabularInline):
    """A registry model edited on its parent's page, open to the national lead."""

    formset = ConstraintCheckingInlineFormSet
    extra = 0
    show_change_link = True


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
class UserAdmin(NationalLeadPermissionsMixin, SimpleHistoryAdmin, DjangoUserAdmin):
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
