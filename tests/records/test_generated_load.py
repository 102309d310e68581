"""Generated data loaded into the registry and the database, and the demo built on it."""

import csv

import pytest
from django.core.management import CommandError, call_command

from vaxpass.accounts.models import User
from vaxpass.places.models import Facility
from vaxpass.records.demo import DEMO_PASSWORD, create_demo_accounts
from vaxpass.records.loading import load_generated
from vaxpass.records.models import AuditEntry, Dose, DoseSource, DoseStatus, Person
from vaxpass.records.registry import get_registry, registry_admin

pytestmark = pytest.mark.django_db


def rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def generated(tmp_path):
    call_command("generate", people=1500, seed=5, provinces="01,79", out=str(tmp_path), verbosity=0)
    return tmp_path


def test_load_keeps_every_record_as_captured(generated):
    report = load_generated(generated)
    doses, facilities = rows(generated / "doses.csv"), rows(generated / "facilities.csv")
    known = {f["code"] for f in facilities}
    storable = [d for d in doses if d["facility_code"] in known]
    assert report.unlisted_site == len(doses) - len(storable) > 0
    assert Dose.objects.count() == report.doses == len(storable)
    assert Facility.objects.count() == len(facilities)
    assert registry_admin().count() == len(rows(generated / "registry.csv"))
    assert Person.objects.count() == len({d["person_ref"] for d in storable})
    # Captured identity kept exactly, errors and all; everything enters as recorded.
    sample = storable[len(storable) // 2]
    dose = Dose.objects.get(idempotency_key=f"synth:{sample['record_id']}")
    assert (dose.captured_citizen_id, dose.captured_name, dose.captured_birth_date) == (
        sample["citizen_id"],
        sample["full_name"],
        sample["birth_date"],
    )
    assert dose.facility.code == sample["facility_code"]
    assert not Dose.objects.exclude(status=DoseStatus.RECORDED).exists()
    assert not Dose.objects.exclude(source=DoseSource.IMPORT).exists()
    # Located in the 2021 ward, rolled up to today's province.
    assert not Person.objects.filter(current_province=None).exists()
    assert not Facility.objects.filter(current_ward=None).exists()
    teams = Facility.objects.filter(kind="mobile")
    assert teams.exists() and not teams.filter(parent=None).exists()
    # Dose 2 after a dose 1 that was never uploaded is flagged.
    assert report.flags.get("dose_number_gap", 0) > 0
    assert AuditEntry.objects.filter(model="records.Dose").count() == report.doses


def test_loading_twice_adds_nothing(generated):
    load_generated(generated)
    counts = (Dose.objects.count(), Person.objects.count(), Facility.objects.count())
    report = load_generated(generated)
    assert report.already_loaded
    assert (Dose.objects.count(), Person.objects.count(), Facility.objects.count()) == counts


def test_registry_answers_for_generated_people(generated):
    load_generated(generated)
    person = rows(generated / "registry.csv")[10]
    found = get_registry().get(person["citizen_id"])
    assert (
        found
        and found.full_name == person["full_name"]
        and found.household_id == person["household_id"]
    )


def test_every_demo_account_reaches_its_own_home_page(generated, client):
    load_generated(generated)
    accounts, token = create_demo_accounts()
    assert token.startswith("vxp_")
    templates = {
        "staff_a": "facility",
        "head_a": "facility",
        "staff_b": "facility",
        "police_a": "police",
        "district_a": "area",
        "province_a": "area",
        "signer": "area",
        "admin": "area",
    }
    assert {a.username for a in accounts} == set(templates)
    for username, kind in templates.items():
        assert client.login(username=username, password=DEMO_PASSWORD), username
        response = client.get("/")
        assert response.status_code == 200, username
        assert f"records/home_{kind}.html" in [t.name for t in response.templates], username
        assert response.context["dose_total"] > 0 or kind == "police", username
        client.logout()
    staff_a, staff_b = User.objects.get(username="staff_a"), User.objects.get(username="staff_b")
    assert staff_a.facility.current_province != staff_b.facility.current_province


def test_generate_command_checks_its_options(tmp_path):
    with pytest.raises(CommandError, match="unknown error pattern"):
        call_command("generate", people=10, out=str(tmp_path), rate=["nope=0.1"], verbosity=0)
    with pytest.raises(CommandError, match="not between 0 and 1"):
        call_command("generate", people=10, out=str(tmp_path), rate=["id_missing=2"], verbosity=0)
    with pytest.raises(CommandError, match="no wards"):
        call_command("generate", people=10, out=str(tmp_path), provinces="99", verbosity=0)
