from django.contrib import admin

from vaxpass.records.models import AuditEntry, Dose, Person, Registration


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("full_name", "birth_date", "citizen_id", "phone", "registry_id")
    search_fields = ("citizen_id", "search_name", "phone")
    raw_id_fields = (
        "registration",
        "ward",
        "legacy_ward",
        "legacy_district",
        "legacy_province",
        "current_ward",
        "current_province",
    )


@admin.register(Dose)
class DoseAdmin(admin.ModelAdmin):
    list_display = (
        "given_on",
        "captured_name",
        "product",
        "dose_number",
        "facility",
        "status",
        "source",
    )
    list_filter = ("status", "source", "product")
    raw_id_fields = ("person", "facility", "captured_ward", "entered_by")


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("id", "phone", "channel", "facility", "created_at")
    search_fields = ("phone",)
    raw_id_fields = ("facility", "created_by")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "model", "object_id")
    list_filter = ("action", "model")
    search_fields = ("object_id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
