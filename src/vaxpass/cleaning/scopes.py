"""Which review items an account may see and decide: the one place this is decided.

- Facility staff and heads of a ward health station (or of a mobile team or temporary
  site belonging to one): the ``station`` queue of the station's ward (current
  structure). Hospitals and clinics have no queue: identities are checked in the ward
  where the person lives, not where the dose was given.
- Ward police: the ``police`` queue of their ward (an account scoped to a 2021 ward sees
  the current wards its territory went to).
- The national administrator: every queue (oversight, and the demo).
- Everyone else: nothing. Items outside the scope do not exist for the account (404).

Links already applied (automatic ones included) can be looked up and undone by the same
accounts for the people of their ward (``cleaned_doses_in_scope``).
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from vaxpass.accounts.models import FACILITY_ROLES, Role, User
from vaxpass.cleaning.models import ItemStatus, Queue, ReviewItem
from vaxpass.places.models import Era, Facility, FacilityKind, WardSuccession
from vaxpass.records.models import Dose


def station_of(user: User) -> Facility | None:
    """The ward health station an account works for, if any."""
    if not user.is_active or user.role not in FACILITY_ROLES or not user.facility_id:
        return None
    facility = user.facility
    if facility.kind != FacilityKind.HEALTH_STATION and facility.parent_id:
        facility = facility.parent
    return facility if facility.kind == FacilityKind.HEALTH_STATION else None


def police_wards(user: User) -> list[int]:
    division = user.division
    if division is None:
        return []
    if division.era == Era.CURRENT:
        return [division.pk]
    return list(
        WardSuccession.objects.filter(legacy_ward=division).values_list(
            "current_ward_id", flat=True
        )
    )


def queue_of(user: User) -> tuple[str, list[int]] | None:
    """The account's queue and the wards it covers, or None (no queue, or all for the
    national administrator: see ``sees_every_queue``)."""
    if not user.is_active:
        return None
    if user.role == Role.WARD_POLICE and user.division_id:
        return Queue.POLICE, police_wards(user)
    station = station_of(user)
    if station is not None and station.current_ward_id:
        return Queue.STATION, [station.current_ward_id]
    return None


def sees_every_queue(user: User) -> bool:
    return user.is_active and user.role == Role.NATIONAL_ADMIN


def has_review_queue(user: User) -> bool:
    return sees_every_queue(user) or queue_of(user) is not None


def review_items_in_scope(user: User) -> QuerySet[ReviewItem]:
    """Every review item (open or resolved) the account may see."""
    items = ReviewItem.objects.all()
    if sees_every_queue(user):
        return items
    queue = queue_of(user)
    if queue is None:
        return items.none()
    name, wards = queue
    return items.filter(queue=name, ward_id__in=wards)


def open_items_in_scope(user: User) -> QuerySet[ReviewItem]:
    """The account's work: open items of doses still waiting for a link."""
    return review_items_in_scope(user).filter(status=ItemStatus.OPEN, dose__status="recorded")


def cleaned_doses_in_scope(user: User) -> QuerySet[Dose]:
    """Doses whose cleaning the account may look at and take back (undo a link): those
    of the people of its ward, and those with a review item in its queue. The national
    administrator: all."""
    if sees_every_queue(user):
        return Dose.objects.all()
    queue = queue_of(user)
    if queue is None:
        return Dose.objects.none()
    _name, wards = queue
    reviewed = review_items_in_scope(user).filter(dose=OuterRef("pk"))
    return Dose.objects.filter(Q(person__current_ward_id__in=wards) | Exists(reviewed))
