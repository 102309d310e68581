"""Rows of a retrospective dose import (hồi cứu): the columns of the template, header
matching in Vietnamese or English, and the checks and repairs of one row.

A row is judged on its own here: every cell's problem is reported at once, each naming
its column, and what can be repaired safely (a dropped leading zero, a dd/mm/yyyy date, a
name in capitals, an old 11-digit phone) is repaired with a note. The dose-series rules,
which need the person's other doses, run afterwards in the service layer.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from vaxpass.core.i18n import gettext_noop as _
from vaxpass.core.identity import (
    IdentityError,
    IdKind,
    name_key,
    normalize_citizen_id,
    normalize_name,
    normalize_phone,
    normalize_sex,
    parse_birth_date,
)
from vaxpass.core.vaccines import PRODUCTS, get_product

MAX_DOSE_NUMBER = 10


@dataclass(frozen=True)
class Column:
    key: str
    vi: str  # header in the Vietnamese template
    en: str  # header in the English template
    required: bool
    hint_vi: str
    hint_en: str
    text: bool = True  # formatted as text in the template (IDs, dates, codes)


DOSE_COLUMNS: tuple[Column, ...] = (
    Column("citizen_id", "Số CCCD/CMND", "Citizen ID", False,
           "12 số (CCCD) hoặc 9 số (CMND); để trống nếu không có",
           "12 digits (CCCD) or 9 (old CMND); empty if none"),
    Column("full_name", "Họ và tên", "Full name", True, "có dấu, ví dụ Nguyễn Thị Hoà",
           "with diacritics, e.g. Nguyễn Thị Hoà"),
    Column("birth_date", "Ngày sinh", "Date of birth", True,
           "dd/mm/yyyy, hoặc chỉ năm sinh", "dd/mm/yyyy, or the year alone"),
    Column("sex", "Giới tính", "Sex", False, "Nam / Nữ", "Nam (male) / Nữ (female)"),
    Column("phone", "Số điện thoại", "Phone", False, "10 số", "10 digits"),
    Column("address", "Địa chỉ", "Address", False, "số nhà, thôn/tổ", "house number, hamlet"),
    Column("ward_code", "Mã phường/xã", "Ward code", False,
           "mã 5 số của phường/xã nơi ở (danh mục hiện hành)",
           "5-digit code of the residence ward (current list)"),
    Column("product", "Vắc xin", "Vaccine", True, "chọn trong danh sách", "pick from the list"),
    Column("lot", "Số lô", "Lot", False, "", ""),
    Column("given_on", "Ngày tiêm", "Date given", True, "dd/mm/yyyy", "dd/mm/yyyy"),
    Column("dose_number", "Mũi thứ", "Dose number", False,
           "1, 2, 3...; để trống để tự tính", "1, 2, 3...; empty to compute it", text=False),
    Column("facility_code", "Mã cơ sở tiêm", "Facility code", True,
           "mã cơ sở tiêm chủng trong danh mục", "code of the facility on the list"),
)  # fmt: skip
COLUMNS_BY_KEY = {c.key: c for c in DOSE_COLUMNS}


@dataclass(frozen=True)
class CellIssue:
    """A problem with (or a repair of) one cell; ``column`` is a column key, or "" for the
    row as a whole. Translate ``template`` and fill in ``params`` to show it."""

    column: str
    code: str
    template: str
    params: Mapping[str, str | int] = field(default_factory=dict, hash=False)
    severity: str = "error"  # "error" or "repair"

    @property
    def message(self) -> str:
        return self.template % self.params


@dataclass
class DoseRow:
    """One row, cleaned. IDs, dates and names in canonical form."""

    line: int  # the row number the user sees in the spreadsheet
    citizen_id: str
    old_id_number: str
    full_name: str
    birth_date: str  # ISO, or the year alone
    sex: str
    phone: str
    address: str
    ward_code: str
    product: str  # EU value-set code
    lot: str
    given_on: date
    dose_number: int | None  # None: to be suggested from the person's history
    facility_code: str
    repairs: list[CellIssue] = field(default_factory=list)

    def identity_key(self) -> str:
        return identity_key(self.citizen_id, self.old_id_number, self.full_name, self.birth_date)

    def dedup_key(self) -> str:
        return dedup_key(self.identity_key(), self.product, self.given_on, self.facility_code)


def identity_key(citizen_id: str, old_id_number: str, full_name: str, birth_date: str) -> str:
    """Who a dose is about, for recognising one already stored: the ID if any, else the
    name (without accents or case) and birth date."""
    if citizen_id or old_id_number:
        return citizen_id or old_id_number
    return f"{name_key(full_name)}|{birth_date}"


def dedup_key(identity: str, product: str, given_on: date, facility_code: str) -> str:
    """The same person, vaccine, day and facility: one dose, however often it is sent."""
    text = "|".join((identity, product, given_on.isoformat(), facility_code.upper()))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# --- headers ---------------------------------------------------------------------------


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name_key(text.split("(")[0].split("\n")[0]))


@dataclass
class HeaderMatch:
    positions: dict[str, int]  # column key -> index in the row
    issues: list[CellIssue]


def match_header(cells: Sequence[object], columns: Sequence[Column] = DOSE_COLUMNS) -> HeaderMatch:
    """Find the template's columns in a header row, in any order, in Vietnamese or English,
    ignoring case, accents and a note in brackets. Unknown columns are ignored."""
    known = {_header_key(getattr(c, attr)): c.key for c in columns for attr in ("key", "en", "vi")}
    by_key = {c.key: c for c in columns}
    positions: dict[str, int] = {}
    issues: list[CellIssue] = []
    for index, cell in enumerate(cells):
        key = known.get(_header_key(str(cell or "")))
        if key is None:
            continue
        if key in positions:
            issues.append(
                CellIssue(
                    key,
                    "duplicate_column",
                    _("The column %(column)s appears twice."),
                    {"column": by_key[key].vi},
                )
            )
        positions.setdefault(key, index)
    for column in columns:
        if column.required and column.key not in positions:
            issues.append(
                CellIssue(
                    column.key,
                    "missing_column",
                    _("The column %(column)s is missing."),
                    {"column": column.vi},
                )
            )
    return HeaderMatch(positions, issues)


# --- cells -----------------------------------------------------------------------------


def cell_text(raw: object) -> str:
    """A cell as text: integral floats without ".0", dates in ISO form, NFC, trimmed."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, date):
        return raw.isoformat()
    return unicodedata.normalize("NFC", str(raw)).strip()


def _product_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for product in PRODUCTS.values():
        for label in (
            product.code,
            product.vn_name,
            product.display,
            product.vn_name.split(" (")[0],
        ):
            aliases[name_key(label)] = product.code
        inside = re.search(r"\((.+)\)", product.vn_name)
        if inside:  # "Pfizer-BioNTech", "Moderna", "AstraZeneca", "Sinopharm BBIBP-CorV"
            aliases.setdefault(name_key(inside[1]), product.code)
    for alias, code in {
        "pfizer": "EU/1/20/1528",
        "moderna": "EU/1/20/1507",
        "astrazeneca": "EU/1/21/1529",
        "astra zeneca": "EU/1/21/1529",
        "az": "EU/1/21/1529",
        "vero cell": "BBIBP-CorV",
        "verocell": "BBIBP-CorV",
        "sinopharm": "BBIBP-CorV",
        "sputnik v": "Sputnik-V",
        "janssen": "EU/1/20/1525",
        "johnson & johnson": "EU/1/20/1525",
    }.items():
        aliases.setdefault(alias, code)
    return aliases


_PRODUCTS = _product_aliases()


@functools.lru_cache(maxsize=1024)  # a file names a handful of vaccines a million times
def parse_product(raw: str) -> str:
    """The EU value-set code from a code, the template's list name or a common name."""
    code = _PRODUCTS.get(name_key(raw))
    if code is None and get_product(raw.strip()) is not None:
        code = raw.strip()
    if code is None:
        raise ValueError(raw)
    return code


def _parse_day(raw: str, *, today: date) -> tuple[date, tuple[str, ...]]:
    """A full date as typed in Vietnam (dd/mm/yyyy first), reusing the birth-date parser."""
    parsed, repairs = parse_birth_date(raw, today=today)
    day = parsed.as_date()
    if day is None:
        raise ValueError("year only")
    return day, repairs


_REPAIR_TEMPLATES = {
    "leading_zero_restored": _("The leading zero was restored."),
    "float_suffix_removed": _("A spreadsheet's decimal suffix was removed."),
    "non_digits_removed": _("Spaces and punctuation were removed."),
    "excel_serial_converted": _("A spreadsheet date number was converted to a date."),
    "time_removed": _("A time of day was removed."),
    "two_digit_year_expanded": _("The two-digit year was expanded."),
    "day_month_swapped": _("Day and month were swapped: the date was typed month first."),
    "country_code_removed": _("The country code was removed."),
    "old_11_digit_converted": _("The old 11-digit number was converted to 10 digits."),
    "name_normalised": _("The name was written in standard form: %(value)s."),
}


def _repair(column: str, code: str, **params: str | int) -> CellIssue:
    return CellIssue(column, code, _REPAIR_TEMPLATES[code], params, "repair")


def _identity_issue(column: str, error: IdentityError) -> CellIssue:
    return CellIssue(column, error.code, error.template, dict(error.params))


def parse_dose_row(
    line: int, cells: Mapping[str, object], *, today: date
) -> tuple[DoseRow | None, list[CellIssue]]:
    """Check and repair one row (cells keyed by column key). Returns the row, or None if any
    cell has an error, and every issue found (errors and repairs)."""
    value = {c.key: cell_text(cells.get(c.key)) for c in DOSE_COLUMNS}
    issues: list[CellIssue] = []
    if not any(value.values()):
        return None, [CellIssue("", "empty_row", _("The row is empty."))]

    def required(key: str) -> bool:
        if value[key]:
            return True
        issues.append(
            CellIssue(
                key, "required", _("%(column)s is required."), {"column": COLUMNS_BY_KEY[key].vi}
            )
        )
        return False

    citizen_id = old_id = ""
    if value["citizen_id"]:
        try:
            normalized = normalize_citizen_id(value["citizen_id"], today=today)
        except IdentityError as error:
            issues.append(_identity_issue("citizen_id", error))
        else:
            assert normalized is not None
            if normalized.kind == IdKind.CCCD:
                citizen_id = normalized.value
            else:
                old_id = normalized.value
            issues += [_repair("citizen_id", r) for r in normalized.repairs]

    full_name = ""
    if required("full_name"):
        full_name = normalize_name(value["full_name"])
        if not re.fullmatch(r"[^\W\d_]+(?:[ '\-][^\W\d_]+)*", full_name):
            issues.append(
                CellIssue(
                    "full_name",
                    "invalid_name",
                    _("%(value)s is not a person's name."),
                    {"value": value["full_name"]},
                )
            )
        elif full_name != value["full_name"]:
            issues.append(_repair("full_name", "name_normalised", value=full_name))

    birth_date = ""
    if required("birth_date"):
        try:
            parsed, repairs = parse_birth_date(value["birth_date"], today=today)
            birth_date = parsed.iso
            issues += [_repair("birth_date", r) for r in repairs]
        except IdentityError as error:
            issues.append(_identity_issue("birth_date", error))

    sex = ""
    try:
        sex = normalize_sex(value["sex"])
    except IdentityError as error:
        issues.append(_identity_issue("sex", error))

    phone = ""
    try:
        phone, repairs = normalize_phone(value["phone"])
        issues += [_repair("phone", r) for r in repairs]
    except IdentityError as error:
        issues.append(_identity_issue("phone", error))

    ward_code = value["ward_code"]
    if ward_code:
        digits = ward_code.zfill(5) if ward_code.isdigit() else ward_code
        if not (digits.isdigit() and len(digits) == 5):
            issues.append(
                CellIssue(
                    "ward_code",
                    "invalid_ward_code",
                    _("%(value)s is not a 5-digit ward code."),
                    {"value": ward_code},
                )
            )
        elif digits != ward_code:
            issues.append(_repair("ward_code", "leading_zero_restored"))
        ward_code = digits

    product = ""
    if required("product"):
        try:
            product = parse_product(value["product"])
        except ValueError:
            issues.append(
                CellIssue(
                    "product",
                    "unknown_product",
                    _("%(value)s is not a vaccine on the list."),
                    {"value": value["product"]},
                )
            )

    given_on: date | None = None
    if required("given_on"):
        try:
            given_on, repairs = _parse_day(value["given_on"], today=today)
            issues += [_repair("given_on", r) for r in repairs]
        except IdentityError as error:
            if error.code == "in_future":
                issues.append(
                    CellIssue(
                        "given_on",
                        "in_future",
                        _("The date %(value)s is in the future."),
                        {"value": value["given_on"]},
                    )
                )
            else:
                issues.append(
                    CellIssue(
                        "given_on",
                        "invalid_date",
                        _("%(value)s is not a date (dd/mm/yyyy)."),
                        {"value": value["given_on"]},
                    )
                )
        except ValueError:
            issues.append(
                CellIssue(
                    "given_on",
                    "invalid_date",
                    _("%(value)s is not a date (dd/mm/yyyy)."),
                    {"value": value["given_on"]},
                )
            )

    dose_number: int | None = None
    if value["dose_number"]:
        text = re.sub(r"^(mui|mũi|dose)\s*", "", value["dose_number"].lower()).removesuffix(".0")
        if text.isdigit() and 1 <= int(text) <= MAX_DOSE_NUMBER:
            dose_number = int(text)
        else:
            issues.append(
                CellIssue(
                    "dose_number",
                    "invalid_dose_number",
                    _("%(value)s is not a dose number from 1 to %(max)s."),
                    {"value": value["dose_number"], "max": MAX_DOSE_NUMBER},
                )
            )

    facility_code = value["facility_code"].upper() if required("facility_code") else ""

    if any(i.severity == "error" for i in issues):
        return None, issues
    assert given_on is not None
    row = DoseRow(
        line,
        citizen_id,
        old_id,
        full_name,
        birth_date,
        sex,
        phone,
        value["address"],
        ward_code,
        product,
        value["lot"],
        given_on,
        dose_number,
        facility_code,
        repairs=[i for i in issues if i.severity == "repair"],
    )
    return row, issues
