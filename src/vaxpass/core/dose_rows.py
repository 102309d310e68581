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
from typing import Any

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


# --- one cell of each column: (value, issues) from the cell's text ------------------------
#
# Each depends on its own cell's text only (and on today), so a file's repeated values (a
# person's identity on each of their doses, a few hundred dates, products and facilities)
# are parsed once: see RowParser.

_NO_ISSUES: tuple[CellIssue, ...] = ()


def _required(key: str) -> tuple[CellIssue, ...]:
    return (
        CellIssue(
            key, "required", _("%(column)s is required."), {"column": COLUMNS_BY_KEY[key].vi}
        ),
    )


def _citizen_id_cell(text: str, today: date) -> tuple[tuple[str, str], tuple[CellIssue, ...]]:
    if not text:
        return ("", ""), _NO_ISSUES
    try:
        normalized = normalize_citizen_id(text, today=today)
    except IdentityError as error:
        return ("", ""), (_identity_issue("citizen_id", error),)
    assert normalized is not None
    value = (normalized.value, "") if normalized.kind == IdKind.CCCD else ("", normalized.value)
    return value, tuple(_repair("citizen_id", r) for r in normalized.repairs)


_NAME = re.compile(r"[^\W\d_]+(?:[ '\-][^\W\d_]+)*")


def _name_cell(text: str, today: date) -> tuple[str, tuple[CellIssue, ...]]:
    if not text:
        return "", _required("full_name")
    full_name = normalize_name(text)
    if not _NAME.fullmatch(full_name):
        return full_name, (
            CellIssue(
                "full_name", "invalid_name", _("%(value)s is not a person's name."), {"value": text}
            ),
        )
    if full_name != text:
        return full_name, (_repair("full_name", "name_normalised", value=full_name),)
    return full_name, _NO_ISSUES


def _birth_date_cell(text: str, today: date) -> tuple[str, tuple[CellIssue, ...]]:
    if not text:
        return "", _required("birth_date")
    try:
        parsed, repairs = parse_birth_date(text, today=today)
    except IdentityError as error:
        return "", (_identity_issue("birth_date", error),)
    return parsed.iso, tuple(_repair("birth_date", r) for r in repairs)


def _sex_cell(text: str, today: date) -> tuple[str, tuple[CellIssue, ...]]:
    try:
        return normalize_sex(text), _NO_ISSUES
    except IdentityError as error:
        return "", (_identity_issue("sex", error),)


def _phone_cell(text: str, today: date) -> tuple[str, tuple[CellIssue, ...]]:
    try:
        phone, repairs = normalize_phone(text)
    except IdentityError as error:
        return "", (_identity_issue("phone", error),)
    return phone, tuple(_repair("phone", r) for r in repairs)


def _ward_cell(text: str, today: date) -> tuple[str, tuple[CellIssue, ...]]:
    if not text:
        return "", _NO_ISSUES
    digits = text.zfill(5) if text.isdigit() else text
    if not (digits.isdigit() and len(digits) == 5):
        return digits, (
            CellIssue(
                "ward_code",
                "invalid_ward_code",
                _("%(value)s is not a 5-digit ward code."),
                {"value": text},
            ),
        )
    if digits != text:
        return digits, (_repair("ward_code", "leading_zero_restored"),)
    return digits, _NO_ISSUES


def _product_cell(text: str, today: date) -> tuple[str, tuple[CellIssue, ...]]:
    if not text:
        return "", _required("product")
    try:
        return parse_product(text), _NO_ISSUES
    except ValueError:
        return "", (
            CellIssue(
                "product",
                "unknown_product",
                _("%(value)s is not a vaccine on the list."),
                {"value": text},
            ),
        )


def _given_on_cell(text: str, today: date) -> tuple[date | None, tuple[CellIssue, ...]]:
    if not text:
        return None, _required("given_on")
    try:
        given_on, repairs = _parse_day(text, today=today)
    except (IdentityError, ValueError) as error:
        if isinstance(error, IdentityError) and error.code == "in_future":
            code, template = "in_future", _("The date %(value)s is in the future.")
        else:
            code, template = "invalid_date", _("%(value)s is not a date (dd/mm/yyyy).")
        return None, (CellIssue("given_on", code, template, {"value": text}),)
    return given_on, tuple(_repair("given_on", r) for r in repairs)


def _dose_number_cell(text: str, today: date) -> tuple[int | None, tuple[CellIssue, ...]]:
    if not text:
        return None, _NO_ISSUES
    number = re.sub(r"^(mui|mũi|dose)\s*", "", text.lower()).removesuffix(".0")
    if number.isdigit() and 1 <= int(number) <= MAX_DOSE_NUMBER:
        return int(number), _NO_ISSUES
    return None, (
        CellIssue(
            "dose_number",
            "invalid_dose_number",
            _("%(value)s is not a dose number from 1 to %(max)s."),
            {"value": text, "max": MAX_DOSE_NUMBER},
        ),
    )


def _facility_cell(text: str, today: date) -> tuple[str, tuple[CellIssue, ...]]:
    if not text:
        return "", _required("facility_code")
    return text.upper(), _NO_ISSUES


def _plain_cell(text: str, today: date) -> tuple[str, tuple[CellIssue, ...]]:
    return text, _NO_ISSUES


# In DOSE_COLUMNS order; the issues of a row come out in this order.
_CELL_PARSERS = {
    "citizen_id": _citizen_id_cell,
    "full_name": _name_cell,
    "birth_date": _birth_date_cell,
    "sex": _sex_cell,
    "phone": _phone_cell,
    "address": _plain_cell,
    "ward_code": _ward_cell,
    "product": _product_cell,
    "lot": _plain_cell,
    "given_on": _given_on_cell,
    "dose_number": _dose_number_cell,
    "facility_code": _facility_cell,
}
assert tuple(_CELL_PARSERS) == tuple(c.key for c in DOSE_COLUMNS)
_UNCACHED = frozenset({"address", "lot"})  # mostly distinct, and nothing to parse
_EMPTY_ROW = (CellIssue("", "empty_row", _("The row is empty.")),)


# A parsed cell: (text, value, issues, whether one is an error); the value's type is the
# column's (str, (citizen ID, old ID), date, int | None).
_Cell = tuple[str, Any, tuple[CellIssue, ...], bool]
# A person's identity cells parsed together: the five cells, their issues, whether any has
# text, whether any has an error, the identity key (None after an error).
_PersonCells = tuple[tuple[_Cell, ...], tuple[CellIssue, ...], bool, bool, str | None]


class RowParser:
    """Checks and repairs rows like `parse_dose_row`, with caches: each distinct cell value
    is parsed once per file (until a cache holds `cache_size` values, when it starts
    again), and a person's identity cells, which repeat on each of their doses, are looked
    up together. A row costs a few dictionary look-ups."""

    def __init__(self, *, today: date, cache_size: int = 200_000) -> None:
        self.today = today
        self.cache_size = cache_size
        self._caches: list[dict[object, _Cell]] = [{} for _ in DOSE_COLUMNS]
        self._parsers = list(_CELL_PARSERS.values())
        self._cached = [c.key not in _UNCACHED for c in DOSE_COLUMNS]
        self._people: dict[tuple[object, ...], _PersonCells] = {}
        self._name_keys: dict[str, str] = {}

    def parse(
        self, line: int, cells: Mapping[str, object]
    ) -> tuple[DoseRow | None, list[CellIssue]]:
        """A row keyed by column key, as `parse_dose_row` takes it."""
        return self.parse_values(line, [cells.get(c.key) for c in DOSE_COLUMNS])

    def _cell(self, index: int, raw: object) -> _Cell:
        """(text, value, issues, whether one is an error) of a cell of a column."""
        # Keyed by the raw cell when it is text; other types by their text, because equal
        # numbers and booleans hash alike (1 == 1.0 == True) but read differently.
        key = raw if type(raw) is str else cell_text(raw)
        cache = self._caches[index]
        hit = cache.get(key)
        if hit is None:
            text = cell_text(key)
            value, issues = self._parsers[index](text, self.today)
            hit = (text, value, issues, any(i.severity == "error" for i in issues))
            if self._cached[index]:
                if len(cache) >= self.cache_size:
                    cache.clear()
                cache[key] = hit
        return hit

    def _person(self, raw: Sequence[object]) -> _PersonCells:
        """The identity cells (the first five) parsed together: their cells, issues,
        whether any has text or an error, and the identity key (None after an error)."""
        key = (raw[0], raw[1], raw[2], raw[3], raw[4])
        textual = (
            str is type(key[0]) is type(key[1]) is type(key[2]) is type(key[3]) is type(key[4])
        )
        hit = self._people.get(key) if textual else None
        if hit is None:
            cells = tuple(self._cell(i, key[i]) for i in range(5))
            error = any(cell[3] for cell in cells)
            identity: str | None = None
            if not (cells[0][3] or (not any(cells[0][1]) and (cells[1][3] or cells[2][3]))):
                citizen_id, old_id = cells[0][1]
                identity = citizen_id or old_id or f"{self.name_key(cells[1][1])}|{cells[2][1]}"
            issues = tuple(issue for cell in cells for issue in cell[2])
            hit = (cells, issues, any(cell[0] for cell in cells), error, identity)
            if textual:
                if len(self._people) >= self.cache_size:
                    self._people.clear()
                self._people[key] = hit
        return hit

    def parse_values(
        self, line: int, raw: Sequence[object]
    ) -> tuple[DoseRow | None, list[CellIssue]]:
        """A row as its cells in DOSE_COLUMNS order (None for a column the file lacks)."""
        person, person_issues, person_text, error, _identity = self._person(raw)
        cell = self._cell
        rest = [cell(i, raw[i]) for i in range(5, 12)]
        if not person_text and not any(c[0] for c in rest):
            return None, list(_EMPTY_ROW)
        issues = list(person_issues)
        for c in rest:
            if c[2]:
                issues += c[2]
                error = error or c[3]
        if error:
            return None, issues
        citizen_id, old_id = person[0][1]
        address, ward, product, lot, given_on, dose_number, facility = rest
        row = DoseRow(
            line, citizen_id, old_id, person[1][1], person[2][1], person[3][1], person[4][1],
            address[0], ward[1], product[1], lot[0], given_on[1], dose_number[1], facility[1],
            repairs=[i for i in issues if i.severity == "repair"],
        )  # fmt: skip
        return row, issues

    def name_key(self, full_name: str) -> str:
        key = self._name_keys.get(full_name)
        if key is None:
            if len(self._name_keys) >= self.cache_size:
                self._name_keys.clear()
            key = self._name_keys[full_name] = name_key(full_name)
        return key

    def identity_key(self, row: DoseRow) -> str:
        """`row.identity_key()`, with the name key cached."""
        if row.citizen_id or row.old_id_number:
            return row.citizen_id or row.old_id_number
        return f"{self.name_key(row.full_name)}|{row.birth_date}"

    def identity_of(self, raw: Sequence[object]) -> str | None:
        """The identity key of a row (cells as for `parse_values`) from its identity cells
        alone, or None if they have an error: cheaper than parsing the whole row."""
        return self._person(raw)[4]


def parse_dose_row(
    line: int, cells: Mapping[str, object], *, today: date
) -> tuple[DoseRow | None, list[CellIssue]]:
    """Check and repair one row (cells keyed by column key). Returns the row, or None if any
    cell has an error, and every issue found (errors and repairs)."""
    return RowParser(today=today).parse(line, cells)
