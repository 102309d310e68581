"""The staged, set-based load: staging per batch, audit entries built by the database,
files checked and loaded in parts (rows of one person in one part), resume by part."""

import csv
import io

import pytest

from vaxpass.core.dose_rows import DOSE_COLUMNS
from vaxpass.core.identity import make_cccd
from vaxpass.imports import parts, services, staging
from vaxpass.imports.models import ImportMode, ImportStatus, LoadProgress
from vaxpass.imports.services import check_batch, create_batch, load_batch, request_cancel
from vaxpass.records.audit import snapshot
from vaxpass.records.models import AuditEntry, Dose, Person

pytestmark = pytest.mark.django_db
HEADER = [c.vi for c in DOSE_COLUMNS]


def cells(**values) -> list[str]:
    base = {
        "full_name": "Nguyễn Văn An", "birth_date": "04/03/1990", "sex": "Nam",
        "product": "Vero Cell", "given_on": "01/09/2021", "facility_code": "TYT-A",
    }  # fmt: skip
    base.update(values)
    return [base.get(c.key, "") for c in DOSE_COLUMNS]


def people_file(count: int, ward: str = "") -> list[list[str]]:
    """Two doses each for `count` people (the second without a number, 28 days later),
    a few without an ID, one dose typed twice, one bad row."""
    rows = []
    for n in range(count):
        identity = {"citizen_id": make_cccd("001", "M", 1950 + n % 50, n)} if n % 7 else {}
        identity["full_name"] = f"Trần Văn {chr(65 + n // 26)}{chr(97 + n % 26)}"
        rows.append(cells(**identity, ward_code=ward, dose_number="1"))
        rows.append(cells(**identity, given_on="29/09/2021", dose_number=""))
    rows.insert(5, rows[3])  # the same dose twice in one file
    rows.insert(9, cells(product="??"))
    return rows


def upload(user, rows, *, mode=ImportMode.VALID_ROWS):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    data = io.BytesIO(text.getvalue().encode("utf-8-sig"))
    return check_batch(create_batch(user, data, name="doses.csv", mode=mode))


def outcome(batch):
    """What a load stored and reported, independent of ids and of part order."""
    batch.refresh_from_db()
    doses = sorted(
        Dose.objects.filter(import_batch=batch).values_list(
            "import_line", "dedup_key", "dose_number", "flags", "person__identity_key"
        )
    )
    problems = sorted(batch.problems.values_list("line", "column", "code", "severity"))
    counts = (
        batch.total_rows, batch.error_rows, batch.warning_rows, batch.rows_done,
        batch.loaded_rows, batch.existing_rows,
    )  # fmt: skip
    return counts, doses, problems, Person.objects.count()


def test_every_created_person_and_dose_has_its_full_audit_entry(personas):
    ward = personas.facility_a.current_ward.code
    batch = upload(personas.staff_a, people_file(6, ward))
    load_batch(batch)
    doses = list(Dose.objects.filter(import_batch=batch).select_related("person"))
    people = {d.person for d in doses}
    assert len(doses) == 12 and len(people) == 6
    for obj in [*doses, *people]:
        entries = AuditEntry.objects.filter(model=obj._meta.label, object_id=str(obj.pk))
        assert entries.count() == 1
        entry = entries.get()
        assert (entry.action, entry.actor, entry.before) == ("create", personas.staff_a, None)
        assert entry.after == snapshot(type(obj).objects.get(pk=obj.pk))
    person = next(iter(people))
    assert person.current_ward_id == personas.facility_a.current_ward_id
    assert entry.at == doses[0].created_at


def test_staging_holds_the_good_rows_until_loaded(personas):
    batch = upload(personas.staff_a, people_file(4))
    assert batch.error_rows == 1 and staging.exists(batch.pk)
    assert staging.count(batch.pk) == batch.total_rows - batch.error_rows == 9
    load_batch(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.loaded_rows, batch.existing_rows) == (ImportStatus.LOADED, 8, 1)
    assert not staging.exists(batch.pk)


def test_a_file_with_errors_to_load_all_or_nothing_stages_nothing(personas):
    batch = upload(personas.staff_a, people_file(2), mode=ImportMode.ALL_OR_NOTHING)
    assert batch.error_rows == 1 and not batch.loadable
    assert not staging.exists(batch.pk)


def test_a_batch_checked_before_staging_existed_is_checked_again(personas):
    batch = upload(personas.staff_a, people_file(3))
    staging.drop(batch.pk)
    load_batch(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.loaded_rows) == (ImportStatus.LOADED, 6)


def test_parts_give_what_one_part_gives(personas, monkeypatch):
    """Checked and loaded in two parts (here one after the other), a file gives the same
    doses, numbers, flags, problems and counts as in one."""
    monkeypatch.setattr(services, "CHUNK", 3)  # people's rows straddle chunks
    rows = people_file(9)
    # the person of line 4 again (with a dose typed twice), with dose 5 where 4 is due: a
    # warning, stored as a flag
    rows.append(
        cells(citizen_id=make_cccd("001", "M", 1951, 1), given_on="01/12/2021", dose_number="5")
    )
    one = outcome(load_batch(upload(personas.staff_a, rows)))
    Dose.objects.all().delete()
    Person.objects.all().delete()
    monkeypatch.setattr(parts, "PARALLEL_MIN_BYTES", 0)
    batch = upload(personas.staff_a, rows)
    assert LoadProgress.objects.filter(batch=batch).count() == parts.parts_for(batch.file.path)
    assert parts.parts_for(batch.file.path) > 1
    two = outcome(load_batch(batch))
    assert two == one
    counts, doses, _problems, people = two
    assert counts[3:] == (20, 19, 1) and people == 9
    assert {number for _l, _k, number, _f, _p in doses} == {1, 2, 5}
    assert ["dose_number_gap", "interval_too_short"] in [flags for *_x, flags, _p in doses]


def test_a_load_cancelled_in_parts_resumes_each_where_it_stopped(personas, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 2)
    monkeypatch.setattr(parts, "PARALLEL_MIN_BYTES", 0)
    batch = upload(personas.staff_a, people_file(5))
    load_batch(batch, progress=lambda n: request_cancel(batch))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert Dose.objects.count() == batch.loaded_rows == batch.rows_done - batch.existing_rows
    assert batch.rows_done < 11
    load_batch(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, batch.loaded_rows) == (ImportStatus.LOADED, 11, 10)
    assert Dose.objects.count() == 10
    assert AuditEntry.objects.filter(model="records.Dose").count() == 10
