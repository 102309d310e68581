"""Read-only views of cleaning state for the national administrator: changes go through
the services (review pages, `vaxpass clean`), never through the admin."""

from django.contrib import admin

from vaxpass.cleaning.models import (
    CleaningDecision,
    CleaningRun,
    Correction,
    MergeProposal,
    ReviewItem,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CleaningRun)
class RunAdmin(ReadOnly):
    list_display = ("pk", "kind", "status", "started_at", "doses_total", "doses_done",
                    "model_version")  # fmt: skip
    list_filter = ("kind", "status")


@admin.register(CleaningDecision)
class DecisionAdmin(ReadOnly):
    list_display = ("dose_id", "decision", "stage", "citizen_id", "probability", "method",
                    "decided_at", "current")  # fmt: skip
    list_filter = ("decision", "method", "current")
    search_fields = ("citizen_id", "candidate_id")
    raw_id_fields = ("dose", "run", "decided_by")


@admin.register(ReviewItem)
class ItemAdmin(ReadOnly):
    list_display = ("pk", "dose_id", "queue", "ward", "status", "opened_at", "resolved_at")
    list_filter = ("queue", "status")
    raw_id_fields = ("dose", "decision", "ward", "resolution")


@admin.register(Correction)
class CorrectionAdmin(ReadOnly):
    list_display = ("dose_id", "citizen_id", "method", "applied_at", "undone_at")
    raw_id_fields = ("dose", "decision", "person_before", "person")


@admin.register(MergeProposal)
class MergeAdmin(ReadOnly):
    list_display = ("dose_id", "other_id", "citizen_id", "status", "created_at")
    list_filter = ("status",)
