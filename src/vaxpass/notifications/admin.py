from django.contrib import admin

from vaxpass.notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "phone", "reference", "sent_at")
    list_filter = ("kind", "sent_at")
    search_fields = ("phone", "reference")
    readonly_fields = ("phone", "text", "kind", "reference", "created_at", "sent_at")

    def has_add_permission(self, request):
        return False
