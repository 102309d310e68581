"""Stage-2 records in pure Python: the columns of comparisons.RECORD_COLUMNS for a dose
or a registry person, as vaxpass.linkage.prepare computes them in SQL (a test scores
the same pairs both ways and compares)."""

from __future__ import annotations

from datetime import date
from typing import Any

from vaxpass.core.matching.forms import date_forms, id_forms, name_forms, phone_form, sex_form
from vaxpass.core.matching.stage1 import CapturedIdentity, RegisteredIdentity


def _name_columns(raw: str) -> dict[str, Any]:
    f = name_forms(raw)
    return {
        "name_key": f.key or None,
        "family_key": f.family or None,
        "given_key": f.given or None,
        "name_sound": f.sound or None,
    }


def _date_columns(raw: str, today: date) -> dict[str, Any]:
    f = date_forms(raw, today)
    return {"birth_date": f.iso, "birth_year": f.year}


def dose_record(dose_id: str, captured: CapturedIdentity, *, today: date) -> dict[str, Any]:
    return {
        "unique_id": dose_id,
        "citizen_id": id_forms(captured.citizen_id, today).value,
        "old_id": None,
        **_name_columns(captured.full_name),
        **_date_columns(captured.birth_date, today),
        "sex": sex_form(captured.sex) or None,
        "phone": phone_form(captured.phone),
        "household_phone": None,
        "household_phone2": None,
        "ward_code": captured.ward_code or None,
        "province_code": captured.province_code or None,
    }


def person_record(
    person: RegisteredIdentity,
    *,
    today: date,
    household_phones: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    """``household_phones``: the lowest and highest phone in the person's household."""
    return {
        "unique_id": person.citizen_id,
        "citizen_id": person.citizen_id,
        "old_id": person.old_id or None,
        **_name_columns(person.full_name),
        **_date_columns(person.birth_date, today),
        "sex": sex_form(person.sex) or None,
        "phone": phone_form(person.phone),
        "household_phone": household_phones[0],
        "household_phone2": household_phones[1],
        "ward_code": person.ward_code or None,
        "province_code": person.province_code or None,
    }
