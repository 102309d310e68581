from django.db.models import Q, QuerySet

from vaxpass.accounts.models import User
from vaxpass.imports.models import ImportBatch
from vaxpass.imports.services import can_import
from vaxpass.records.scopes import facilities_in_scope


def batches_in_scope(user: User) -> QuerySet[ImportBatch]:
    """The batches an account uploaded, and those of the facilities in its scope."""
    if not can_import(user):
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(
        Q(uploaded_by=user) | Q(facility__in=facilities_in_scope(user))
    ).select_related("uploaded_by", "facility")
