"""A key store per test (key files in the test's own directory) with the national PKI
made, and people whose doses are verified, ready for their facility to sign."""

from datetime import date

import pytest

from vaxpass.records.models import DoseStatus
from vaxpass.records.services import DoseRequest, Identity, record_dose

COMIRNATY = "EU/1/20/1528"
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
    from vaxpass.records.models import Dose

    registry_id = citizen_id or dose.person.citizen_id
    Dose.objects.filter(pk=dose.pk).update(status=DoseStatus.VERIFIED, registry_id=registry_id)
    dose.person.registry_id = registry_id
    dose.person.save()
    dose.refresh_from_db()
    return dose


def _vaccinate(staff, facility, identity: Identity, *days_and_products):
    """Record doses for one person at a facility; returns them, verified."""
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
