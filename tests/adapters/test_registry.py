"""The default population-registry adapter: load an export, look up one, many, search."""

import csv

import pytest

from vaxpass.adapters.registry import REGISTRY_COLUMNS
from vaxpass.records.registry import get_registry, registry_admin

PEOPLE = [
    ("001157012345", "012345678", "Nguyễn Thị Hoà", "1957-03-04", "F", "00004", "H1", "0912345678"),
    ("001060000002", "", "Nguyễn Văn Bình", "1960", "M", "00004", "H1", "0912345678"),
    ("079085000003", "", "Trần Văn Cường", "1985-11-20", "M", "26734", "H2", "0987654321"),
]


@pytest.fixture
def registry(db, tmp_path):
    path = tmp_path / "registry.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTRY_COLUMNS)
        writer.writerows(PEOPLE)
    assert registry_admin().load_csv(path) == 3
    return get_registry()


def test_get_by_citizen_id_and_old_id(registry):
    assert registry.get("001157012345").full_name == "Nguyễn Thị Hoà"
    assert registry.get("012345678").citizen_id == "001157012345"
    assert registry.get("999999999999") is None


def test_get_many(registry):
    found = registry.get_many(["079085000003", "001060000002", "000000000000", "012345678"])
    assert set(found) == {"079085000003", "001060000002", "012345678"}
    assert found["012345678"].citizen_id == "001157012345"


def test_get_many_keys_a_person_by_both_of_their_ids(registry):
    found = registry.get_many(["001157012345", "012345678"])
    assert set(found) == {"001157012345", "012345678"}
    assert found["001157012345"] == found["012345678"]


def test_search_ignores_accents_case_and_tone_style(registry):
    assert [p.citizen_id for p in registry.search(name="NGUYEN THI HOA")] == ["001157012345"]
    assert [
        p.citizen_id for p in registry.search(name="nguyễn thị hòa", birth_date="1957-03-04")
    ] == ["001157012345"]
    assert registry.search(name="Nguyễn Thị Hoà", birth_date="1958-03-04") == []


def test_search_year_only_dates_match_either_way(registry):
    assert [
        p.citizen_id for p in registry.search(name="Nguyen Van Binh", birth_date="1960-07-01")
    ] == ["001060000002"]
    assert [p.citizen_id for p in registry.search(name="Nguyen Thi Hoa", birth_date="1957")] == [
        "001157012345"
    ]


def test_search_by_ward(registry):
    assert registry.search(name="Tran Van Cuong", ward_code="00004") == []
    assert len(registry.search(name="Tran Van Cuong", ward_code="26734")) == 1


def test_reload_replaces_the_snapshot(registry, tmp_path):
    path = tmp_path / "again.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTRY_COLUMNS)
        writer.writerow(PEOPLE[0])
    registry_admin().load_csv(path)
    assert registry_admin().count() == 1


def test_a_file_without_the_columns_is_refused(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,name\n1,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing columns"):
        registry_admin().load_csv(path)
