"""Users and groups: managed by ops staff and superusers only, never by merchants.

A merchant holds no user or group permissions (see roles.py); these admins also refuse them
outright, so a permission granted by mistake still does not let a merchant create staff
accounts or join the "Ops staff" group. Only superusers touch superuser accounts and flags.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group

from integrations.commerce.models import User
from integrations.core.admin import sees_all_companies


class OpsOnlyAdminMixin:
    def has_module_permission(self, request):
        return sees_all_companies(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return sees_all_companies(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return sees_all_companies(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return sees_all_companies(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return sees_all_companies(request.user) and super().has_delete_permission(request, obj)


class LightSyncUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class LightSyncUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "company")


@admin.register(User)
class UserAdmin(OpsOnlyAdminMixin, BaseUserAdmin):
    form = LightSyncUserChangeForm
    add_form = LightSyncUserCreationForm
    list_display = ("username", "email", "company", "is_staff", "is_active")
    list_filter = ("company", "is_staff", "is_superuser", "is_active", "groups")
    list_select_related = ("company",)
    search_fields = ("username", "first_name", "last_name", "email", "company__name")
    fieldsets = (
        (None, {"fields": ("username", "password", "company")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "company", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(OpsOnlyAdminMixin, BaseGroupAdmin):
    pass
