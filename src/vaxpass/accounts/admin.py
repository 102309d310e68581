from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from vaxpass.accounts.models import ApiToken, User


@admin.register(User)
class StaffAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (
        ("Role and scope", {"fields": ("role", "facility", "division")}),
    )
    list_display = ("username", "get_full_name", "role", "facility", "division", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("facility", "division")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "created_at", "revoked")
    readonly_fields = ("digest",)
