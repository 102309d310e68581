"""Shared fixtures: the real places loaded once per test database, a registry of its own,
and personas at two facilities in two provinces (Hà Nội and Hồ Chí Minh City)."""

from dataclasses import dataclass

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from vaxpass.places.loading import load_places

        load_places()


@pytest.fixture
def committed_places(transactional_db):
    """For a test whose writes commit (a second connection must see them): the places,
    which the flush after another such test leaves empty (pytest-django runs these tests
    after the others, so only they notice)."""
    from vaxpass.places.loading import load_places
    from vaxpass.places.models import Division

    if not Division.objects.exists():
        load_places()


@pytest.fixture(autouse=True)
def _registry_per_test(settings, tmp_path):
    """SQLite: a registry file per test (and an empty models directory). PostgreSQL: the registry schema inside the test
    database, rolled back with the test's transaction."""
    from vaxpass.records import registry

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.REGISTRY_URL = f"sqlite:{tmp_path / 'registry.sqlite3'}"
    # No stage-2 model unless the test saves one: a model left in ./var by the demo must
    # not decide what a test expects to go to review.
    settings.CLEANING_MODELS_DIR = tmp_path / "models"
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


# --- signing and passports: a key store per test, verified doses ---------------------

VAXZEVRIA = "EU/1/21/1529"


@pytest.fixture
def key_store(settings, tmp_path):
    from vaxpass.passports import keys

    passphrase = tmp_path / "passphrase"
    passphrase.write_text("a test passphrase of some length\n")
    passphrase.chmod(0o600)
    settings.KEY_STORE = {
        "backend": "files",
        "directory": tmp_path / "keys",
        "passphrase_file": passphrase,
    }
    settings.DATA_DIR = tmp_path
    keys.key_store.cache_clear()
    keys._cached_signer.cache_clear()
    yield
    keys.key_store.cache_clear()
    keys._cached_signer.cache_clear()


@pytest.fixture
def pki(key_store, db):
    from vaxpass.passports.keys import init_national_pki

    return init_national_pki()


def _verify(dose, citizen_id: str | None = None):
    """What cleaning does when a dose matches the registry: link it and mark it verified."""
    from vaxpass.records.models import Dose, DoseStatus

    registry_id = citizen_id or dose.person.citizen_id
    Dose.objects.filter(pk=dose.pk).update(status=DoseStatus.VERIFIED, registry_id=registry_id)
    dose.person.registry_id = registry_id
    dose.person.save()
    dose.refresh_from_db()
    return dose


def _vaccinate(staff, facility, identity, *days_and_products):
    """Record doses for one person at a facility; returns them, verified."""
    from vaxpass.records.services import DoseRequest, record_dose

    doses, person = [], None
    for given_on, product in days_and_products:
        request = DoseRequest(
            facility=facility,
            product=product,
            given_on=given_on,
            person=person,
            identity=None if person else identity,
        )
        dose = record_dose(staff, request).dose
        person = type(dose.person).objects.get(pk=dose.person_id)
        doses.append(dose)
    return [_verify(d) for d in doses]


@pytest.fixture
def an(personas):
    """Nguyễn Văn An, two doses of AstraZeneca at facility A, verified."""
    from datetime import date

    from vaxpass.records.services import Identity

    p = personas
    identity = Identity(
        full_name="Nguyễn Văn An",
        birth_date="04/03/1970",
        citizen_id="001070000001",
        phone="0912000111",
        ward=p.facility_a.ward,
    )
    return _vaccinate(
        p.staff_a,
        p.facility_a,
        identity,
        (date(2021, 7, 1), VAXZEVRIA),
        (date(2021, 9, 1), VAXZEVRIA),
    )


@pytest.fixture
def verify_dose():
    return _verify


@pytest.fixture
def vaccinate():
    return _vaccinate


@pytest.fixture
def new_facility():
    """make_facility, for tests that need a third facility."""
    return make_facility


@pytest.fixture
def new_user():
    return make_user
