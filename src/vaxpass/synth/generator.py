"""A synthetic country: population registry, facilities, registrations and the dose
records of 2021-2022 with the error patterns of the real system, plus the ground truth.

Streaming: people are made household by household and written at once; what stays in
memory is the ward and facility catalogue and a few counters, whatever the size.
Deterministic: the same wards, seed, size and rates give byte-identical files.

Files written to the output directory:
  registry.csv    the population registry (REGISTRY_COLUMNS of the registry adapter)
  facilities.csv  the official facility list (code, name, kind, ward_era, ward_code, parent_code)
  doses.csv       dose records as the vaccination system holds them (DOSE_COLUMNS)
  truth.csv       per dose record: the true person and the errors injected (TRUTH_COLUMNS)
  manifest.json   seed, size, rates and counts
"""

import bisect
import csv
import itertools
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from vaxpass.adapters import adminunits
from vaxpass.adapters.registry.sql import REGISTRY_COLUMNS
from vaxpass.core.identity import make_cccd, normalize_name
from vaxpass.core.vaccines import get_product
from vaxpass.synth import errors as err
from vaxpass.synth.errors import ErrorRates
from vaxpass.synth.names import FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES, zipf_weights

FACILITY_COLUMNS = ("code", "name", "kind", "ward_era", "ward_code", "parent_code")
DOSE_COLUMNS = (
    "record_id",
    "person_ref",
    "registration_ref",
    "registration_phone",
    "citizen_id",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "address",
    "ward_code",
    "product",
    "lot",
    "given_on",
    "dose_number",
    "facility_code",
)
TRUTH_COLUMNS = (
    "record_id",
    "person_key",
    "citizen_id",
    "old_id_number",
    "in_registry",
    "full_name",
    "birth_date",
    "sex",
    "household_id",
    "household_size",
    "facility_code",
    "given_on",
    "dose_number",
    "uploaded",
    "duplicate_of",
    "errors",
)

FIRST_DAY = date(2021, 3, 8)  # Vietnam's first COVID-19 vaccination
LAST_DAY = date(2022, 12, 31)
# Share of first doses per month, March 2021 - June 2022 (the campaign's shape).
FIRST_DOSE_MONTHS = (
    ((2021, 3), 0.5),
    ((2021, 4), 0.5),
    ((2021, 5), 1),
    ((2021, 6), 2),
    ((2021, 7), 8),
    ((2021, 8), 16),
    ((2021, 9), 22),
    ((2021, 10), 19),
    ((2021, 11), 14),
    ((2021, 12), 9),
    ((2022, 1), 4),
    ((2022, 2), 2),
    ((2022, 3), 1),
    ((2022, 4), 1),
    ((2022, 5), 0.5),
    ((2022, 6), 0.5),
)
# Product mix of primary series by period, and of boosters.
PRIMARY_MIX = {
    "early": (("EU/1/21/1529", 0.9), ("Covishield", 0.08), ("BBIBP-CorV", 0.02)),
    "mid": (
        ("EU/1/21/1529", 0.35),
        ("BBIBP-CorV", 0.3),
        ("EU/1/20/1528", 0.17),
        ("EU/1/20/1507", 0.1),
        ("Covishield", 0.05),
        ("Sputnik-V", 0.01),
        ("Abdala", 0.01),
        ("EU/1/20/1525", 0.01),
    ),
    "late": (
        ("BBIBP-CorV", 0.3),
        ("EU/1/21/1529", 0.28),
        ("EU/1/20/1528", 0.25),
        ("EU/1/20/1507", 0.1),
        ("Abdala", 0.03),
        ("Hayat-Vax", 0.02),
        ("Sputnik-V", 0.01),
        ("EU/1/20/1525", 0.01),
    ),
}
BOOSTER_MIX = (("EU/1/20/1528", 0.45), ("EU/1/20/1507", 0.3), ("EU/1/21/1529", 0.25))
LOT_PREFIX = {
    "EU/1/21/1529": "NJ",
    "Covishield": "4121Z",
    "BBIBP-CorV": "2021",
    "EU/1/20/1528": "FK",
    "EU/1/20/1507": "0",
    "Sputnik-V": "II",
    "Abdala": "A",
    "Hayat-Vax": "HV",
    "EU/1/20/1525": "XD",
}
HOUSEHOLD_SIZES = ((1, 0.12), (2, 0.2), (3, 0.23), (4, 0.24), (5, 0.13), (6, 0.08))
MOBILE_PREFIXES = (
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "089",
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
)


@dataclass(frozen=True)
class Ward:
    """A ward of the 2021 (legacy) structure with its names and today's ward."""

    code: str  # legacy ward code
    name: str
    district_code: str
    district_name: str
    province_code: str  # two digits, the GSO code; the ID's province code is "0" + it
    province_name: str
    current_code: str  # the current-structure ward most of it went to


@dataclass
class Summary:
    people: int = 0
    households: int = 0
    registry_rows: int = 0
    facilities: int = 0
    dose_records: int = 0
    doses_given: int = 0
    not_uploaded: int = 0
    recorded_twice: int = 0
    unlisted_site: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class _Chooser:
    """Weighted choice by bisection on cumulative weights (random.choices recomputes the
    cumulative sum at every call)."""

    def __init__(self, items: Sequence[tuple[object, float]]):
        self.values = [v for v, _ in items]
        self.cumulative = list(itertools.accumulate(w for _, w in items))

    def __call__(self, rng: random.Random):
        x = rng.random() * self.cumulative[-1]
        return self.values[bisect.bisect_right(self.cumulative, x)]


def _chooser_zipf(names: Sequence[str]) -> _Chooser:
    return _Chooser(list(zip(names, zipf_weights(len(names)), strict=True)))


@dataclass
class _Person:
    key: int
    citizen_id: str
    old_id: str
    name: str
    birth: date
    birth_text: str  # ISO, or year only when the registry knows only the year
    sex: str
    phone: str
    in_registry: bool


class Generator:
    def __init__(self, wards: Sequence[Ward], *, seed: int = 2021, rates: ErrorRates | None = None):
        if not wards:
            raise ValueError("the generator needs at least one ward")
        self.wards = list(wards)
        self.seed = seed
        self.rates = rates or ErrorRates()
        self.rng = random.Random(seed)
        self._family = _Chooser(FAMILY_NAMES)
        self._middle = {s: _chooser_zipf(n) for s, n in MIDDLE_NAMES.items()}
        self._given = {s: _chooser_zipf(n) for s, n in GIVEN_NAMES.items()}
        self._household_size = _Chooser(HOUSEHOLD_SIZES)
        self._months = _Chooser(FIRST_DOSE_MONTHS)
        self._primary = {k: _Chooser(v) for k, v in PRIMARY_MIX.items()}
        self._booster = _Chooser(BOOSTER_MIX)
        self._serials: dict[tuple[str, str, int], int] = {}
        self._serial_offset = self.rng.randrange(1_000_000)
        self._old_ids = itertools.count(1)
        self._records = itertools.count(1)
        self._provinces = sorted({w.province_code for w in self.wards})
        self._error_bands = {
            group: list(itertools.accumulate(getattr(self.rates, e) for e in group))
            for group in (err.BIRTH_DATE_ERRORS, err.NAME_ERRORS, err.ID_ERRORS)
        }
        for group, bands in self._error_bands.items():
            if bands[-1] > 1:
                raise ValueError(f"the rates of {', '.join(group)} add up to more than 1")
        self.facilities_by_ward: dict[str, tuple[str, list[str]]] = {}
        self.facilities_by_district: dict[str, list[str]] = {}

    # --- facilities ----------------------------------------------------------------------

    def _facility_rows(self):
        """About 18,000 official sites nationally: a health station per ward, some with a
        mobile team; per district a health centre, two hospitals and seven clinics."""
        rng = self.rng
        seen_districts: set[str] = set()
        for ward in self.wards:
            station = f"TYT{ward.code}"
            yield (station, f"Trạm Y tế {ward.name}", "station", "legacy", ward.code, "")
            teams = []
            if rng.random() < 0.2:
                team = f"{station}-LD1"
                teams.append(team)
                yield (
                    team,
                    f"Đội tiêm lưu động {ward.name}",
                    "mobile",
                    "legacy",
                    ward.code,
                    station,
                )
            self.facilities_by_ward[ward.code] = (station, teams)
            if ward.district_code in seen_districts:
                continue
            seen_districts.add(ward.district_code)
            district = ward.district_code
            others = [f"TTYT{district}"]
            yield (
                others[0],
                f"Trung tâm Y tế {ward.district_name}",
                "hospital",
                "legacy",
                ward.code,
                "",
            )
            for n in (1, 2):
                code = f"BV{district}-{n}"
                others.append(code)
                label = "Bệnh viện Đa khoa" if n == 1 else "Bệnh viện"
                yield (
                    code,
                    f"{label} {ward.district_name} {n}",
                    "hospital",
                    "legacy",
                    ward.code,
                    "",
                )
            for n in range(1, 8):
                code = f"PK{district}-{n}"
                others.append(code)
                yield (
                    code,
                    f"Phòng khám Đa khoa {ward.district_name} số {n}",
                    "clinic",
                    "legacy",
                    ward.code,
                    "",
                )
            self.facilities_by_district[district] = others

    # --- people --------------------------------------------------------------------------

    def draw_name(self, sex: str) -> str:
        """A full name drawn as the generator's people's are (for benches and demos)."""
        return self._name(sex)

    def _name(self, sex: str, family: str | None = None) -> str:
        rng = self.rng
        family = family or self._family(rng)
        middle = self._middle[sex](rng)
        given = self._given[sex](rng)
        if rng.random() < 0.12:  # four-word names: Nguyễn Thị Minh Anh
            given = f"{self._middle[sex](rng)} {given}"
        return normalize_name(f"{family} {middle} {given}")

    def _citizen_id(self, province: str, sex: str, year: int) -> str:
        key = (province, sex, year)
        n = self._serials.get(key, 0)
        self._serials[key] = n + 1
        # A bijection of the counter onto 0-999999, offset per key so serials look random.
        offset = self._serial_offset + int(province) * 7193 + year * 131 + (sex == "F") * 500_009
        return make_cccd(province, sex, year, (n * 7919 + offset) % 1_000_000)

    def _phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10_000_000):07d}"

    def _person(
        self, key: int, home_province: str, sex: str, birth: date, family: str | None
    ) -> _Person:
        rng = self.rng
        born_in = home_province if rng.random() < 0.85 else rng.choice(self._provinces)
        old_id = ""
        if birth.year < 2000 and rng.random() < 0.7:
            old_id = f"{(next(self._old_ids) * 7919 + 100_000_007) % 1_000_000_000:09d}"
        year_only = birth.year < 1960 and rng.random() < 0.1
        return _Person(
            key=key,
            citizen_id=self._citizen_id("0" + born_in, sex, birth.year),
            old_id=old_id,
            name=self._name(sex, family),
            birth=birth,
            birth_text=str(birth.year) if year_only else birth.isoformat(),
            sex=sex,
            phone=self._phone() if 2021 - birth.year >= 15 and rng.random() < 0.85 else "",
            in_registry=rng.random() >= self.rates.not_in_registry,
        )

    def _birth(self, year: int) -> date:
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    def _household(self, start_key: int, province: str) -> list[_Person]:
        rng = self.rng
        size = self._household_size(rng)
        head_year = rng.randint(1936, 1998)
        head_sex = "M" if rng.random() < 0.7 else "F"
        head = self._person(start_key, province, head_sex, self._birth(head_year), None)
        members = [head]
        family = head.name.split()[0] if head_sex == "M" else None
        if size >= 2:
            spouse_year = min(2003, head_year + rng.randint(-6, 6))
            spouse_sex = "F" if head_sex == "M" else "M"
            members.append(
                self._person(start_key + 1, province, spouse_sex, self._birth(spouse_year), None)
            )
        for i in range(2, size):
            if i == 4 and head_year > 1960:  # a grandparent lives with the family
                year = head_year - rng.randint(22, 35)
                members.append(
                    self._person(start_key + i, province, rng.choice("MF"), self._birth(year), None)
                )
                continue
            year = min(2020, head_year + rng.randint(20, 38))
            members.append(
                self._person(start_key + i, province, rng.choice("MF"), self._birth(year), family)
            )
        return members

    # --- doses ---------------------------------------------------------------------------

    def _first_dose_day(self, birth: date) -> date | None:
        rng = self.rng
        age = 2021 - birth.year
        if age < 5:
            return None
        if age < 12:  # children 5-11 from April 2022, fewer of them
            if rng.random() > 0.6:
                return None
            return date(2022, 4, 14) + timedelta(days=int(rng.expovariate(1 / 40)))
        if age < 18:  # 12-17 from late October 2021
            if rng.random() > 0.92:
                return None
            return date(2021, 10, 28) + timedelta(days=int(rng.expovariate(1 / 30)))
        if rng.random() > 0.95:
            return None
        year, month = self._months(rng)
        start = date(year, month, 1)
        day = start + timedelta(days=rng.randrange(28))
        return max(day, FIRST_DAY)

    def _series(self, birth: date) -> list[tuple[str, date, int]]:
        """(product, date, dose number) of every dose this person was given."""
        rng = self.rng
        first = self._first_dose_day(birth)
        if first is None or first > LAST_DAY:
            return []
        period = (
            "early" if first < date(2021, 7, 1) else "mid" if first < date(2021, 10, 1) else "late"
        )
        product = self._primary[period](rng)
        if 2021 - birth.year < 18:
            product = "EU/1/20/1528" if rng.random() < 0.8 else "EU/1/20/1507"
        facts = get_product(product)
        assert facts is not None
        doses = [(product, first, 1)]
        day = first
        for number in range(2, facts.primary_series + 1):
            if rng.random() > 0.95:
                return doses
            extra = (
                rng.randint(28, 56)
                if product in ("EU/1/21/1529", "Covishield")
                else rng.randint(0, 21)
            )
            day = day + timedelta(days=facts.min_interval_days + extra)
            if day > LAST_DAY:
                return doses
            follow = "EU/1/20/1528" if product == "EU/1/21/1529" and rng.random() < 0.1 else product
            doses.append((follow, day, number))
        for number, chance, gap in ((len(doses) + 1, 0.65, 90), (len(doses) + 2, 0.25, 120)):
            if 2021 - birth.year < 18 or rng.random() > chance:
                break
            day = max(day + timedelta(days=gap + int(rng.expovariate(1 / 45))), date(2021, 12, 1))
            if day > LAST_DAY:
                break
            doses.append((self._booster(rng), day, number))
        return doses

    def _facility_for(self, ward: Ward) -> str:
        rng = self.rng
        station, teams = self.facilities_by_ward[ward.code]
        x = rng.random()
        if x < 0.7:
            return station
        if x < 0.8 and teams:
            return teams[0]
        return rng.choice(self.facilities_by_district[ward.district_code])

    # --- errors --------------------------------------------------------------------------

    def _pick(self, group: tuple[str, ...]) -> str | None:
        x = self.rng.random()
        index = bisect.bisect_right(self._error_bands[group], x)
        return group[index] if index < len(group) else None

    def _captured(
        self, person: _Person, household: list[_Person]
    ) -> tuple[dict[str, str], list[str]]:
        """The identity as typed at the site, and which errors went into it."""
        rng = self.rng
        applied: list[str] = []
        birth, name, cid = person.birth_text, person.name, person.citizen_id
        relatives = [m for m in household if m is not person]
        context = dict(
            birth_date=person.birth_text,
            name=person.name,
            has_old_id=bool(person.old_id),
            has_relative=bool(relatives),
        )
        error = self._pick(err.BIRTH_DATE_ERRORS)
        if error and err.eligible(error, **context):
            applied.append(error)
            if error == "birth_date_typo":
                birth = err.birth_date_typo(birth, rng)
            elif error == "birth_date_swapped":
                birth = err.swap_day_month(birth)
            else:
                birth = birth[:4]
        error = self._pick(err.NAME_ERRORS)
        if error and err.eligible(error, **context):
            applied.append(error)
            if error == "name_misspelled":
                name = err.misspell(name, rng)
            elif error == "name_unaccented":
                name = err.unaccent(name, rng)
            else:
                name = err.tone_variant(name) or name
        error = self._pick(err.ID_ERRORS)
        if error and err.eligible(error, **context):
            applied.append(error)
            if error == "id_mistyped":
                cid = err.mistype_id(cid, rng)
            elif error == "id_of_relative":
                cid = rng.choice(relatives).citizen_id
            elif error == "id_missing":
                cid = ""
            elif error == "id_old_number":
                cid = person.old_id
            else:
                cid = cid.lstrip("0")
        return {
            "citizen_id": cid,
            "full_name": name,
            "birth_date": birth,
            "sex": person.sex,
        }, applied

    # --- the run -------------------------------------------------------------------------

    def write(
        self, out: Path, people: int, progress: Callable[[int], None] | None = None
    ) -> Summary:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        rng, rates, summary = self.rng, self.rates, Summary()
        summary.errors = dict.fromkeys(ErrorRates.names(), 0)
        files = {
            name: (out / f"{name}.csv").open("w", newline="", encoding="utf-8")
            for name in ("registry", "facilities", "doses", "truth")
        }
        try:
            writers = {name: csv.writer(f) for name, f in files.items()}
            writers["registry"].writerow(REGISTRY_COLUMNS)
            writers["facilities"].writerow(FACILITY_COLUMNS)
            writers["doses"].writerow(DOSE_COLUMNS)
            writers["truth"].writerow(TRUTH_COLUMNS)
            for row in self._facility_rows():
                writers["facilities"].writerow(row)
                summary.facilities += 1
            key, households, group_phone = 1, 0, ""
            reported = 0
            while summary.people < people:
                ward = self.wards[rng.randrange(len(self.wards))]
                household = self._household(key, ward.province_code)[: people - summary.people]
                key += len(household)
                households += 1
                household_id = f"HGD{households:010d}"
                phone = next((m.phone for m in household if m.phone), "") or self._phone()
                registration_phone = phone
                if rng.random() < rates.shared_phone and group_phone:
                    registration_phone = group_phone  # a neighbour or group leader registered them
                    summary.errors["shared_phone"] += 1
                group_phone = phone
                address = (
                    f"Số {rng.randint(1, 300)}, Tổ {rng.randint(1, 40)}, {ward.name}, "
                    f"{ward.district_name}, {ward.province_name}"
                )
                for person in household:
                    self._write_person(
                        writers,
                        summary,
                        person,
                        household,
                        ward,
                        household_id,
                        households,
                        registration_phone,
                        address,
                    )
                summary.people += len(household)
                if progress and summary.people - reported >= 10_000:
                    progress(summary.people - reported)
                    reported = summary.people
            if progress:
                progress(summary.people - reported)
            summary.households = households
        finally:
            for f in files.values():
                f.close()
        manifest = {
            "seed": self.seed,
            "people": people,
            "wards": len(self.wards),
            "rates": self.rates.as_dict(),
            "summary": summary.__dict__,
        }
        (out / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8"
        )
        return summary

    def _write_person(
        self,
        writers,
        summary: Summary,
        person: _Person,
        household: list[_Person],
        ward: Ward,
        household_id: str,
        registration: int,
        registration_phone: str,
        address: str,
    ) -> None:
        rng, rates = self.rng, self.rates
        if person.in_registry:
            writers["registry"].writerow(
                (
                    person.citizen_id,
                    person.old_id,
                    person.name,
                    person.birth_text,
                    person.sex,
                    ward.current_code,
                    household_id,
                    person.phone,
                )
            )
            summary.registry_rows += 1
        else:
            summary.errors["not_in_registry"] += 1
        truth_identity = (
            person.key,
            person.citizen_id,
            person.old_id,
            int(person.in_registry),
            person.name,
            person.birth_text,
            person.sex,
            household_id,
            len(household),
        )
        for product, day, number in self._series(person.birth):
            summary.doses_given += 1
            facility = self._facility_for(ward)
            extra: list[str] = []
            if rng.random() < rates.unlisted_site:
                facility = f"DT{ward.code}-{rng.randint(1, 9)}"  # a school or stadium site
                extra.append("unlisted_site")
            record_id = f"R{next(self._records):011d}"
            lot = f"{LOT_PREFIX[product]}{rng.randint(1000, 9999)}"
            copies = [(record_id, facility, "", extra)]
            if rng.random() < rates.dose_recorded_twice:
                station = self.facilities_by_ward[ward.code][0]
                sites = [
                    c
                    for c in (station, *self.facilities_by_district[ward.district_code])
                    if c != facility
                ]
                other = rng.choice(sites)
                copies.append(
                    (f"R{next(self._records):011d}", other, record_id, ["dose_recorded_twice"])
                )
            for index, (rid, site, duplicate_of, tags) in enumerate(copies):
                captured, applied = self._captured(person, household)
                applied += tags
                uploaded = index > 0 or rng.random() >= rates.dose_not_uploaded
                if not uploaded:
                    applied.append("dose_not_uploaded")
                for name in applied:
                    summary.errors[name] += 1
                if uploaded:
                    summary.dose_records += 1
                    person_ref = f"P{person.key:010d}" + ("-2" if duplicate_of else "")
                    writers["doses"].writerow(
                        (
                            rid,
                            person_ref,
                            f"G{registration:010d}",
                            registration_phone,
                            captured["citizen_id"],
                            captured["full_name"],
                            captured["birth_date"],
                            captured["sex"],
                            person.phone or registration_phone,
                            address,
                            ward.code,
                            product,
                            lot,
                            day.isoformat(),
                            number,
                            site,
                        )
                    )
                else:
                    summary.not_uploaded += 1
                summary.recorded_twice += bool(duplicate_of)
                summary.unlisted_site += "unlisted_site" in applied
                writers["truth"].writerow(
                    (
                        rid,
                        *truth_identity,
                        site,
                        day.isoformat(),
                        number,
                        int(uploaded),
                        duplicate_of,
                        ";".join(applied),
                    )
                )


def national_wards(provinces: Sequence[str] | None = None) -> list[Ward]:
    """The 2021 wards (of the given legacy province codes, or all) from the maintained
    source, each with the current ward most of it went to."""
    source = adminunits.read_source()
    by_key = {(u.era, u.level, u.code): u for u in source.units}
    default: dict[str, str] = {}
    for legacy, current, is_default in source.successions:
        if is_default or legacy not in default:
            default[legacy] = current
    wanted = set(provinces or ())
    wards = []
    for unit in source.units:
        if unit.era != adminunits.LEGACY or unit.level != adminunits.WARD or unit.parent is None:
            continue
        district = by_key[unit.parent]
        assert district.parent is not None
        province = by_key[district.parent]
        if wanted and province.code not in wanted:
            continue
        wards.append(
            Ward(
                unit.code,
                unit.name,
                district.code,
                district.name,
                province.code,
                province.name,
                default.get(unit.code, ""),
            )
        )
    if wanted and not wards:
        raise ValueError(f"no wards in provinces {', '.join(sorted(wanted))}")
    return wards
