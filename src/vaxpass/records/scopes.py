"""Place scopes: the one place where "what may this account see" is decided.

Every page, API route and export gets its querysets from here, so a new view cannot
forget the filter. An account without a role (or an inactive one) sees nothing.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from vaxpass.accounts.models import FACILITY_ROLES, NATION_ROLES, RECORDING_ROLES, Role, User
from vaxpass.places.models import Facility, within
from vaxpass.records.models import Dose, Person


def _nation(user: User) -> bool:
    return user.role in NATION_ROLES or (user.is_superuser and not user.role)


def facilities_in_scope(user: User) -> QuerySet[Facility]:
    qs = Facility.objects.all()
    if not user.is_active:
        return qs.none()
    if _nation(user):
        return qs
    if user.role in FACILITY_ROLES and user.facility_id:
        # A facility's scope covers its own mobile teams and temporary sites.
        return qs.filter(Q(pk=user.facility_id) | Q(parent_id=user.facility_id))
    if user.division_id and user.role in (
        Role.DISTRICT_MANAGER,
        Role.PROVINCE_MANAGER,
        Role.WARD_POLICE,
    ):
        return qs.filter(within(user.division))
    return qs.none()


def doses_in_scope(user: User) -> QuerySet[Dose]:
    qs = Dose.objects.all()
    if not user.is_active:
        return qs.none()
    if _nation(user):
        return qs
    if user.role == Role.WARD_POLICE and user.division_id:
        # Ward police check the identities of the people registered in their ward.
        return qs.filter(within(user.division, "person__"))
    if user.role in FACILITY_ROLES or user.division_id:
        return qs.filter(facility__in=facilities_in_scope(user))
    return qs.none()


def people_in_scope(user: User) -> QuerySet[Person]:
    qs = Person.objects.all()
    if not user.is_active:
        return qs.none()
    if _nation(user):
        return qs
    if user.role == Role.WARD_POLICE and user.division_id:
        return qs.filter(within(user.division))
    if user.role in FACILITY_ROLES or user.division_id:
        facilities = facilities_in_scope(user)
        dosed_here = Exists(Dose.objects.filter(person=OuterRef("pk"), facility__in=facilities))
        registered_here = Q(registration__facility__in=facilities)
        if user.division_id:
            return qs.filter(registered_here | dosed_here | within(user.division))
        return qs.filter(registered_here | dosed_here)
    return qs.none()


def can_record_at(user: User, facility: Facility) -> bool:
    """Recording is for facility staff, at their facility or its own field sites. Decided
    without a query: it runs on every dose recorded."""
    return (
        user.is_active
        and user.role in RECORDING_ROLES
        and bool(user.facility_id)
        and facility.active
        and user.facility_id in (facility.pk, facility.parent_id)
    )
