from django.contrib import admin

from vaxpass.places.models import Division, Facility


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "era", "province", "current_province")
    list_filter = ("era", "level")
    search_fields = ("code", "name")
    raw_id_fields = ("parent", "province", "current_province")


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "ward", "parent", "active", "official")
    list_filter = ("kind", "active", "official")
    search_fields = ("code", "name")
    raw_id_fields = (
        "ward",
        "parent",
        "legacy_ward",
        "legacy_district",
        "legacy_province",
        "current_ward",
        "current_province",
        "created_by",
    )
