"""The synthetic generator: realistic, consistent, deterministic, and its injected errors
at the configured rates (measured on the output files, against the ground truth)."""

import hashlib
import math
from collections import Counter, defaultdict
from datetime import date

import pytest
from conftest import generated, read, wards

from vaxpass.core.identity import PROVINCE_CODES, cccd_facts, name_key, normalize_name
from vaxpass.core.vaccines import get_product
from vaxpass.synth import errors as err
from vaxpass.synth.errors import ErrorRates
from vaxpass.synth.generator import Generator, national_wards


def digest(directory) -> dict[str, str]:
    return {
        name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
        for name in ("registry.csv", "facilities.csv", "doses.csv", "truth.csv")
    }


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    Generator(wards(("01",)), seed=1).write(a, 1500)
    Generator(wards(("01",)), seed=1).write(b, 1500)
    Generator(wards(("01",)), seed=2).write(c, 1500)
    assert digest(a) == digest(b)
    assert digest(a)["registry.csv"] != digest(c)["registry.csv"]


def test_people_are_realistic_and_their_ids_encode_them():
    out = generated(5000)
    registry = read(out / "registry.csv")
    assert 0.98 * 5000 < len(registry) < 5000  # a few people are missing from the registry
    assert len({p["citizen_id"] for p in registry}) == len(registry)
    current_wards = {w.current_code for w in wards()}
    for person in registry:
        facts = cccd_facts(person["citizen_id"])
        assert person["citizen_id"][:3] in PROVINCE_CODES
        assert facts.birth_year == int(person["birth_date"][:4])
        assert facts.sex == person["sex"]
        assert normalize_name(person["full_name"]) == person["full_name"]
        assert person["ward_code"] in current_wards
        assert len(person["old_id_number"]) in (0, 9)
    family = Counter(p["full_name"].split()[0] for p in registry)
    assert family.most_common(1)[0][0] == "Nguyễn"
    assert 0.3 < family["Nguyễn"] / len(registry) < 0.46
    households = Counter(p["household_id"] for p in registry)
    assert 2.5 < len(registry) / len(households) < 4.5
    # Households share one ward; most people of working age have a phone.
    by_household = defaultdict(set)
    for p in registry:
        by_household[p["household_id"]].add(p["ward_code"])
    assert all(len(w) == 1 for w in by_household.values())


def test_facilities_cover_every_ward_and_mobile_teams_have_parents():
    out = generated(5000)
    facilities = read(out / "facilities.csv")
    codes = {f["code"] for f in facilities}
    assert len(codes) == len(facilities)
    assert {f["ward_code"] for f in facilities if f["kind"] == "station"} == {
        w.code for w in wards()
    }
    assert 16_000 < len(facilities) < 20_000  # about 18,000 official sites nationally
    for team in (f for f in facilities if f["kind"] == "mobile"):
        assert team["parent_code"] in codes
    assert set(Counter(f["kind"] for f in facilities)) == {
        "station",
        "mobile",
        "hospital",
        "clinic",
    }


def test_doses_follow_realistic_series():
    out = generated(5000)
    truth = read(out / "truth.csv")
    by_person = defaultdict(list)
    for t in truth:
        if not t["duplicate_of"]:
            by_person[t["person_key"]].append(t)
    for records in by_person.values():
        days = [date.fromisoformat(r["given_on"]) for r in records]
        assert days == sorted(days)
        assert [int(r["dose_number"]) for r in records] == list(range(1, len(records) + 1))
        assert date(2021, 3, 8) <= days[0] and days[-1] <= date(2022, 12, 31)
    doses = read(out / "doses.csv")
    products = Counter(d["product"] for d in doses)
    assert all(get_product(code) for code in products)
    assert len(products) >= 6
    vaccinated = len(by_person) / 5000
    assert 0.75 < vaccinated < 0.95
    assert 2.0 < len(doses) / len(by_person) < 3.2


def test_a_phone_registers_a_whole_household():
    doses = read(generated(5000) / "doses.csv")
    people_per_registration = defaultdict(set)
    for d in doses:
        people_per_registration[d["registration_ref"]].add(d["person_ref"].split("-")[0])
    assert (
        sum(len(p) > 1 for p in people_per_registration.values()) > len(people_per_registration) / 2
    )


# --- error rates ---------------------------------------------------------------------------


def within(observed: int, trials: int, rate: float) -> bool:
    """Within 4.5 standard deviations of the binomial mean (the seed is fixed, so this is
    deterministic; the bound is what a correct generator meets for any seed)."""
    if trials == 0:
        return rate == 0
    sd = math.sqrt(trials * rate * (1 - rate))
    return abs(observed - trials * rate) <= 4.5 * sd + 1


def measured_rates(out):
    """For each pattern: (records it was injected into, records it could apply to)."""
    truth = read(out / "truth.csv")
    counts: dict[str, list[int]] = {name: [0, 0] for name in ErrorRates.names()}
    people, persons_missing = set(), set()
    for t in truth:
        applied = set(filter(None, t["errors"].split(";")))
        context = dict(
            birth_date=t["birth_date"],
            name=t["full_name"],
            has_old_id=bool(t["old_id_number"]),
            has_relative=int(t["household_size"]) > 1,
        )
        for name in err.BIRTH_DATE_ERRORS + err.NAME_ERRORS + err.ID_ERRORS:
            counts[name][0] += name in applied
            counts[name][1] += err.eligible(name, **context)
        original = not t["duplicate_of"]
        counts["dose_recorded_twice"][0] += not original
        counts["dose_recorded_twice"][1] += original
        for name in ("dose_not_uploaded", "unlisted_site"):
            counts[name][0] += name in applied
            counts[name][1] += original
        people.add(t["person_key"])
        if t["in_registry"] == "0":
            persons_missing.add(t["person_key"])
    counts["not_in_registry"] = [len(persons_missing), len(people)]
    doses = read(out / "doses.csv")
    phones = defaultdict(set)
    for d in doses:
        phones[d["registration_phone"]].add(d["registration_ref"])
    registrations = {d["registration_ref"] for d in doses}
    shared = sum(len(refs) - 1 for refs in phones.values())
    counts["shared_phone"] = [shared, len(registrations)]
    return counts


def check_rates(out, rates: ErrorRates):
    counts = measured_rates(out)
    for name, (observed, trials) in counts.items():
        rate = getattr(rates, name)
        assert trials > 0, name
        assert within(observed, trials, rate), f"{name}: {observed}/{trials} for rate {rate}"


def test_error_rates_match_the_configuration_small():
    check_rates(generated(5000), ErrorRates())


def test_configured_rates_are_followed(tmp_path):
    rates = ErrorRates(
        name_unaccented=0.2, birth_date_swapped=0.3, id_missing=0.1, dose_not_uploaded=0.1
    )
    Generator(wards(("01", "79")), seed=3, rates=rates).write(tmp_path, 4000)
    check_rates(tmp_path, rates)


def test_zero_rates_give_clean_records(tmp_path):
    rates = ErrorRates(**dict.fromkeys(ErrorRates.names(), 0.0))
    Generator(wards(("01",)), seed=4, rates=rates).write(tmp_path, 1000)
    truth = {t["record_id"]: t for t in read(tmp_path / "truth.csv")}
    doses = read(tmp_path / "doses.csv")
    assert len(doses) == len(truth)
    for d in doses:
        t = truth[d["record_id"]]
        assert (d["citizen_id"], d["full_name"], d["birth_date"]) == (
            t["citizen_id"],
            t["full_name"],
            t["birth_date"],
        )


@pytest.mark.slow
def test_error_rates_at_100k_people():
    check_rates(generated(100_000, seed=11), ErrorRates())


def test_injected_errors_are_the_errors_they_claim_to_be():
    out = generated(5000)
    truth = {t["record_id"]: t for t in read(out / "truth.csv")}
    ids_by_household = defaultdict(set)
    for p in [*read(out / "registry.csv"), *truth.values()]:
        ids_by_household[p["household_id"]].add(p["citizen_id"])
    seen = Counter()
    for d in read(out / "doses.csv"):
        t = truth[d["record_id"]]
        applied = set(filter(None, t["errors"].split(";")))
        seen.update(applied)
        if "birth_date_swapped" in applied:
            assert d["birth_date"] == err.swap_day_month(t["birth_date"]) != t["birth_date"]
        elif "birth_date_year_only" in applied:
            assert d["birth_date"] == t["birth_date"][:4]
        elif "birth_date_typo" in applied:
            assert d["birth_date"] != t["birth_date"] and len(d["birth_date"]) == 10
            date.fromisoformat(d["birth_date"])
        else:
            assert d["birth_date"] == t["birth_date"]
        if "name_unaccented" in applied:
            assert name_key(d["full_name"]) == name_key(t["full_name"])
            assert d["full_name"] == err.strip_accents(d["full_name"]) != t["full_name"]
        elif "name_tone_style" in applied:
            assert (
                d["full_name"] != t["full_name"]
                and normalize_name(d["full_name"]) == t["full_name"]
            )
        elif "name_misspelled" in applied:
            assert normalize_name(d["full_name"]) != t["full_name"]
        else:
            assert d["full_name"] == t["full_name"]
        if "id_missing" in applied:
            assert d["citizen_id"] == ""
        elif "id_old_number" in applied:
            assert d["citizen_id"] == t["old_id_number"] and len(d["citizen_id"]) == 9
        elif "id_leading_zero_dropped" in applied:
            assert d["citizen_id"] == t["citizen_id"].lstrip("0") != t["citizen_id"]
        elif "id_of_relative" in applied:
            assert d["citizen_id"] != t["citizen_id"]
            assert d["citizen_id"] in ids_by_household[t["household_id"]]
        elif "id_mistyped" in applied:
            assert d["citizen_id"] != t["citizen_id"] and len(d["citizen_id"]) == 12
        else:
            assert d["citizen_id"] == t["citizen_id"]
        if t["duplicate_of"]:
            original = truth[t["duplicate_of"]]
            assert (original["given_on"], original["person_key"]) == (
                t["given_on"],
                t["person_key"],
            )
            assert original["facility_code"] != t["facility_code"]
    assert all(
        seen[name]
        for name in (
            "birth_date_swapped",
            "name_unaccented",
            "id_of_relative",
            "id_old_number",
            "dose_recorded_twice",
            "unlisted_site",
        )
    )
    facility_codes = {f["code"] for f in read(out / "facilities.csv")}
    unlisted = [t for t in truth.values() if "unlisted_site" in t["errors"]]
    assert unlisted and all(t["facility_code"] not in facility_codes for t in unlisted)
    not_uploaded = {t["record_id"] for t in truth.values() if t["uploaded"] == "0"}
    assert not_uploaded and not not_uploaded & {d["record_id"] for d in read(out / "doses.csv")}


def test_rates_that_cannot_add_up_are_refused():
    with pytest.raises(ValueError, match="add up to more than 1"):
        Generator(wards(("01",)), rates=ErrorRates(id_missing=0.6, id_mistyped=0.6))


def test_unknown_province_is_refused():
    with pytest.raises(ValueError, match="no wards"):
        national_wards(["99"])
