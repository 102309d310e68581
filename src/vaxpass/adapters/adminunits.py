"""Vietnam's administrative divisions as the maintained `vietnamadminunits` package holds
them: the structure before 1 July 2025 (63 provinces, districts, wards), the structure
since (34 provinces, wards) and its converter's table of which legacy ward went where.

Plain Python, no Django: the places app loads this into the database, and the synthetic
generator places people in these wards without a database.
"""

from dataclasses import dataclass

LEGACY, CURRENT = "legacy", "current"
PROVINCE, DISTRICT, WARD = "province", "district", "ward"
LEVELS = (PROVINCE, DISTRICT, WARD)


@dataclass(frozen=True)
class Unit:
    era: str
    level: str
    code: str
    name: str
    kind: str
    parent: tuple[str, str, str] | None  # (era, level, code) of the parent unit
    key: str  # the source's ascii key, used by its converter table


def _province_kind(name: str) -> str:
    return "Thành phố" if name.startswith("Thành phố") else "Tỉnh"


@dataclass
class Source:
    units: list[Unit]  # parents before children
    successions: list[tuple[str, str, bool]]  # (legacy ward code, current ward code, is_default)
    province_merges: dict[str, str]  # legacy province code -> current province code


def read_source() -> Source:
    """Every unit of both eras and the mapping between them, from vietnamadminunits."""
    from vietnamadminunits.converter import converter_2025 as converter
    from vietnamadminunits.database import get_data

    units: dict[tuple[str, str, str], Unit] = {}

    def add(unit: Unit) -> None:
        units.setdefault((unit.era, unit.level, unit.code), unit)

    legacy_rows = get_data(
        [
            "provinceCode",
            "province",
            "provinceKey",
            "districtCode",
            "district",
            "districtType",
            "districtKey",
            "wardCode",
            "ward",
            "wardType",
            "wardKey",
        ],
        table="admin_units_legacy",
    )
    legacy_ward_by_key: dict[str, str] = {}
    legacy_province_key: dict[str, str] = {}
    for row in sorted(
        legacy_rows, key=lambda r: (r["provinceCode"], r["districtCode"], r["wardCode"] or "")
    ):
        province = (LEGACY, PROVINCE, row["provinceCode"])
        district = (LEGACY, DISTRICT, row["districtCode"])
        add(
            Unit(
                *province,
                row["province"],
                _province_kind(row["province"]),
                None,
                row["provinceKey"],
            )
        )
        add(
            Unit(
                *district, row["district"], row["districtType"] or "", province, row["districtKey"]
            )
        )
        legacy_province_key[row["provinceKey"]] = row["provinceCode"]
        if row["wardCode"]:  # five island districts have no ward level
            add(
                Unit(
                    LEGACY,
                    WARD,
                    row["wardCode"],
                    row["ward"],
                    row["wardType"] or "",
                    district,
                    row["wardKey"],
                )
            )
            key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"
            legacy_ward_by_key[key] = row["wardCode"]

    current_rows = get_data(
        ["provinceCode", "province", "provinceKey", "wardCode", "ward", "wardType", "wardKey"],
        table="admin_units",
    )
    current_ward_by_key: dict[tuple[str, str], str] = {}
    for row in sorted(current_rows, key=lambda r: (r["provinceCode"], r["wardCode"])):
        province = (CURRENT, PROVINCE, row["provinceCode"])
        add(
            Unit(
                *province,
                row["province"],
                _province_kind(row["province"]),
                None,
                row["provinceKey"],
            )
        )
        add(
            Unit(
                CURRENT,
                WARD,
                row["wardCode"],
                row["ward"],
                row["wardType"] or "",
                province,
                row["wardKey"],
            )
        )
        current_ward_by_key[(row["provinceKey"], row["wardKey"])] = row["wardCode"]

    successions: dict[tuple[str, str], bool] = {}
    for new_province, wards in converter.DICT_PROVINCE_WARD_NO_DIVIDED.items():
        for new_ward, legacy_keys in wards.items():
            current = current_ward_by_key.get((new_province, new_ward))
            for legacy_key in legacy_keys:
                legacy = legacy_ward_by_key.get(legacy_key)
                if current and legacy:
                    successions[(legacy, current)] = True
    for new_province, divided in converter.DICT_PROVINCE_WARD_DIVIDED.items():
        for legacy_key, parts in divided.items():
            legacy = legacy_ward_by_key.get(legacy_key)
            for part in parts:
                current = current_ward_by_key.get((new_province, part["newWardKey"]))
                if current and legacy:
                    successions[(legacy, current)] = bool(part["isDefaultNewWard"])

    # Which current province each legacy province merged into (provinces were merged
    # whole in 2025, never split).
    current_province_code = {r["provinceKey"]: r["provinceCode"] for r in current_rows}
    province_merges = {
        legacy_province_key[old]: current_province_code[new]
        for new, olds in converter.DICT_PROVINCE.items()
        for old in olds
        if old in legacy_province_key and new in current_province_code
    }
    return Source(
        units=sorted(units.values(), key=lambda u: (u.era, LEVELS.index(u.level), u.code)),
        successions=[
            (legacy, current, default) for (legacy, current), default in successions.items()
        ],
        province_merges=province_merges,
    )
