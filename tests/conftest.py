"""Shared fixtures: the real places loaded once per test database, a registry of its own,
and personas at two facilities in two provinces (Hà Nội and Hồ Chí Minh City)."""

from dataclasses import dataclass

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from vaxpass.places.loading import load_places

        load_places()


@pytest.fixture(autouse=True)
def _registry_per_test(settings, tmp_path):
    """SQLite: a registry file per test. PostgreSQL: the registry schema inside the test
    database, rolled back with the test's transaction."""
    from vaxpass.records import registry

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.REGISTRY_URL = f"sqlite:{tmp_path / 'registry.sqlite3'}"
    registry._registry_for.cache_clear()
    yield
    registry._registry_for.cache_clear()


@dataclass
class Personas:
    facility_a: object
    facility_b: object
    staff_a: object
    head_a: object
    staff_b: object
    police_a: object
    police_b: object
    district_a: object
    province_a: object
    province_b: object
    admin: object
    signer: object


def _legacy_ward(province_code: str):
    from vaxpass.places.models import Division, Era, Level

    return (
        Division.objects.filter(era=Era.LEGACY, level=Level.WARD, province__code=province_code)
        .order_by("code")
        .first()
    )


def make_facility(code: str, ward, **extra):
    from vaxpass.places.models import Facility, FacilityKind

    facility = Facility(
        code=code,
        name=f"Trạm Y tế {ward.name}",
        kind=extra.pop("kind", FacilityKind.HEALTH_STATION),
        **extra,
    )
    facility.place_in(ward)
    facility.save()
    return facility


def make_user(username: str, role: str, **scope):
    from vaxpass.accounts.models import User

    user = User(username=username, role=role, **scope)
    user.set_password("pw-" + username)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@pytest.fixture
def personas(db) -> Personas:
    from vaxpass.accounts.models import Role

    ward_a, ward_b = _legacy_ward("01"), _legacy_ward("79")
    a = make_facility("TYT-A", ward_a)
    b = make_facility("TYT-B", ward_b)
    return Personas(
        facility_a=a,
        facility_b=b,
        staff_a=make_user("staff_a", Role.FACILITY_STAFF, facility=a),
        head_a=make_user("head_a", Role.FACILITY_HEAD, facility=a),
        staff_b=make_user("staff_b", Role.FACILITY_STAFF, facility=b),
        police_a=make_user("police_a", Role.WARD_POLICE, division=a.current_ward),
        police_b=make_user("police_b", Role.WARD_POLICE, division=b.current_ward),
        district_a=make_user("district_a", Role.DISTRICT_MANAGER, division=a.legacy_district),
        province_a=make_user("province_a", Role.PROVINCE_MANAGER, division=a.current_province),
        province_b=make_user("province_b", Role.PROVINCE_MANAGER, division=b.current_province),
        admin=make_user("admin", Role.NATIONAL_ADMIN),
        signer=make_user("signer", Role.CENTRAL_SIGNER),
    )
