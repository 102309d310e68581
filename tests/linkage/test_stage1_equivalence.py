"""The vectorised stage 1 (DuckDB) gives every dose the outcome and reasons the per-dose
Python rules give, on a generated set plus hand-made awkward inputs."""

import csv
import unicodedata
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linkage_helpers import TODAY, read_csv

from vaxpass.core.matching import CapturedIdentity, Outcome, RegisteredIdentity, decide_by_id
from vaxpass.core.matching.forms import id_forms
from vaxpass.core.matching.stage1 import lookup_id
from vaxpass.linkage import tables
from vaxpass.linkage.pipeline import BatchRun
from vaxpass.linkage.prepare import clean_id_sql


def _awkward(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Copies of real doses typed the ways sites type them."""
    out = []
    edits = [
        lambda r: {**r, "full_name": unicodedata.normalize("NFD", r["full_name"])},
        lambda r: {**r, "full_name": r["full_name"].upper().replace("Đ", "\u00d0")},
        lambda r: {**r, "full_name": "  " + r["full_name"].replace(" ", "   ")},
        lambda r: {**r, "birth_date": "/".join(reversed(r["birth_date"].split("-")))},
        lambda r: {**r, "birth_date": ""},
        lambda r: {**r, "birth_date": "31/02/1990"},
        lambda r: {**r, "citizen_id": " ".join([r["citizen_id"][:3], r["citizen_id"][3:]])},
        lambda r: {**r, "citizen_id": r["citizen_id"] + ".0"},
        lambda r: {**r, "citizen_id": "0912345678"},
        lambda r: {**r, "citizen_id": "000000000000"},
        lambda r: {**r, "sex": {"M": "Nam", "F": "Nữ"}.get(r["sex"], "")},
        lambda r: {**r, "sex": "?"},
        lambda r: {**r, "full_name": ""},
        lambda r: {**r, "phone": "0" + r["phone"][1:3] + r["phone"]},
    ]
    for index, row in enumerate(rows[:280]):
        edit = edits[index % len(edits)]
        out.append({**edit(row), "dose_id": f"X{index:05d}"})
    return out


@pytest.fixture(scope="module")
def awkward_doses(generated, tmp_path_factory):
    rows = read_csv(generated / "contract/doses.csv")
    rows += _awkward(rows)
    path = tmp_path_factory.mktemp("awkward") / "doses.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=tables.DOSE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path, rows


def _registry(path) -> dict[str, RegisteredIdentity]:
    by_id: dict[str, RegisteredIdentity] = {}
    for row in read_csv(path):
        person = RegisteredIdentity(**row)
        by_id[person.citizen_id] = person
        if person.old_id:
            by_id[person.old_id] = person
    return by_id


def test_batch_stage1_equals_the_python_rules_for_every_dose(generated, awkward_doses):
    path, rows = awkward_doses
    run = BatchRun(today=TODAY, threads=2)
    run.load_files(generated / "contract/registry.csv", path)
    run.stage1()
    batch = {
        dose_id: (outcome, tuple(reasons), holder)
        for dose_id, outcome, reasons, holder in run.con.execute(
            "SELECT dose_id, outcome, reasons, holder_id FROM stage1"
        ).fetchall()
    }
    registry = _registry(generated / "contract/registry.csv")
    assert len(batch) == len(rows)
    outcomes = Counter()
    for row in rows:
        captured = CapturedIdentity(**{k: row[k] for k in CapturedIdentity.__dataclass_fields__})
        value, _kind = lookup_id(captured, TODAY)
        person = registry.get(value or "")
        result = decide_by_id(captured, person, today=TODAY)
        expected = (result.outcome.value, tuple(r.value for r in result.reasons),
                    person.citizen_id if person else None)  # fmt: skip
        assert batch[row["dose_id"]] == expected, row
        outcomes[result.outcome] += 1
    # the set exercises every outcome, many times
    assert all(outcomes[o] >= 10 for o in Outcome), outcomes


# --- the SQL fast path for IDs equals normalize_citizen_id ----------------------------

_digits = st.text(alphabet="0123456789", min_size=9, max_size=12)
_ids = st.one_of(
    _digits,
    st.builds(lambda p, rest: p + rest, st.sampled_from(["001", "079", "096", "999", "000"]),
              st.text(alphabet="0123456789", min_size=9, max_size=9)),
    st.text(alphabet="0123456789 .-x", max_size=14),
)  # fmt: skip


_con = tables.connect()


@settings(max_examples=150, deadline=None)
@given(st.lists(_ids, min_size=1, max_size=40))
def test_id_fast_path_accepts_exactly_what_python_accepts_unchanged(values):
    con = _con
    con.execute("CREATE OR REPLACE TABLE t (raw VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    clean = dict(con.execute(f"SELECT raw, {clean_id_sql('raw', TODAY)} FROM t").fetchall())
    for value in values:
        forms = id_forms(value, TODAY)
        accepted_unchanged = forms.value == value and not forms.repaired
        assert bool(clean[value]) == accepted_unchanged, value


def test_fast_path_respects_the_run_date():
    con = tables.connect()
    born_2026 = "079226000001"
    row = con.execute(f"SELECT {clean_id_sql(repr(born_2026), date(2025, 1, 1))}").fetchall()
    assert row == [(False,)]
    assert id_forms(born_2026, date(2025, 1, 1)).problem == "birth_year_in_future"
