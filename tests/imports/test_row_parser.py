"""The import's row parser caches each column's cells; a row parses the same either way."""

import random
from datetime import date, datetime

import pytest

from vaxpass.core.dose_rows import DOSE_COLUMNS, RowParser, parse_dose_row

TODAY = date(2026, 12, 1)
KEYS = [c.key for c in DOSE_COLUMNS]
GOOD = {
    "citizen_id": "001190012345", "full_name": "Nguyễn Thị Hoà", "birth_date": "04/03/1990",
    "sex": "Nữ", "phone": "0912345678", "address": "Số 1", "ward_code": "00004",
    "product": "Pfizer", "lot": "FK8891", "given_on": "15/09/2021", "dose_number": "1",
    "facility_code": "tyt-a",
}  # fmt: skip
# Cells that parse differently although some are equal in Python (1 == 1.0 == True).
ODD = [
    "", " ", None, 1, 1.0, True, False, 0, 2.0, "1", "1.0", "mũi 2", "11", "x", 1190012345.0,
    "1190012345", "001190012345", "12345", "31/02/1990", "9/15/21", "1990", 33000,
    date(2021, 9, 1), datetime(2021, 9, 1), datetime(2021, 9, 1, 10, 0), "NGUYỄN VĂN A",
    "nguyen van a", "Nam", "nu", "01688123456", "+84912345678", "Vero Cell", "AstraZeneca",
    "2099-01-01", "tyt-b", "00004", 4, "abc",
]  # fmt: skip


def rows(count: int, seed: int) -> list[dict]:
    pick = random.Random(seed)
    result = []
    for _ in range(count):
        row = dict(GOOD)
        for key in pick.sample(KEYS, pick.randint(0, 4)):
            row[key] = pick.choice(ODD)
        result.append(row)
    return result


@pytest.fixture(autouse=True)
def _registry_per_test():
    """No database here: overrides the suite's registry fixture."""
    yield


@pytest.mark.parametrize("cache_size", [3, 200_000])
def test_a_shared_parser_parses_as_a_fresh_one(cache_size):
    parser = RowParser(today=TODAY, cache_size=cache_size)
    for line, cells in enumerate(rows(3000, seed=cache_size), start=2):
        shared = parser.parse(line, cells)
        assert repr(shared) == repr(parse_dose_row(line, cells, today=TODAY)), cells
        row, _issues = shared
        if row is not None:
            assert parser.identity_key(row) == row.identity_key()
            values = [cells.get(key) for key in KEYS]
            assert parser.identity_of(values) == row.identity_key()


def test_identity_of_a_row_with_a_bad_identity_cell_is_none():
    parser = RowParser(today=TODAY)
    assert parser.identity_of([GOOD[k] if k != "citizen_id" else "12345" for k in KEYS]) is None
    values = [GOOD[k] if k != "citizen_id" else "" for k in KEYS]
    assert parser.identity_of(values) == "nguyen thi hoa|1990-03-04"
