"""Retrospective import through the service layer: check, load, re-upload, scope, modes."""

import csv
import io

import pytest

from vaxpass.core.dose_rows import DOSE_COLUMNS
from vaxpass.imports.models import ImportMode, ImportStatus
from vaxpass.imports.services import (
    NotLoadable,
    UploadRefused,
    check_batch,
    create_batch,
    earlier_upload,
    error_report,
    load_batch,
    problem_messages,
)
from vaxpass.records.models import AuditEntry, Dose, DoseSource, DoseStatus, Person

pytestmark = pytest.mark.django_db
HEADER = [c.vi for c in DOSE_COLUMNS]


def row(facility="TYT-A", **values):
    base = {
        "citizen_id": "001190012345", "full_name": "Nguyễn Thị Hoà", "birth_date": "04/03/1990",
        "sex": "Nữ", "phone": "0912345678", "address": "Số 1", "ward_code": "",
        "product": "Comirnaty (Pfizer-BioNTech)", "lot": "FK8891", "given_on": "15/09/2021",
        "dose_number": "1", "facility_code": facility,
    }  # fmt: skip
    base.update(values)
    return [base[c.key] for c in DOSE_COLUMNS]


def upload(user, rows, *, mode=ImportMode.ALL_OR_NOTHING, name="doses.csv"):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    data = io.BytesIO(text.getvalue().encode("utf-8-sig"))
    batch = create_batch(user, data, name=name, mode=mode)
    return check_batch(batch)


def family(personas):
    ward = personas.facility_a.current_ward.code
    return [
        row(ward_code=ward),
        row(ward_code=ward, given_on="13/10/2021", dose_number="2"),
        row(
            citizen_id="001092001234",
            full_name="TRAN VAN BINH",
            birth_date="1992",
            sex="Nam",
            ward_code=ward,
            product="AstraZeneca",
            given_on="01/08/2021",
            dose_number="",
        ),
    ]


def test_a_clean_file_loads_with_provenance(personas):
    batch = upload(personas.staff_a, family(personas))
    assert (batch.status, batch.total_rows, batch.error_rows) == (ImportStatus.CHECKED, 3, 0)
    load_batch(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.loaded_rows, batch.existing_rows) == (ImportStatus.LOADED, 3, 0)
    doses = Dose.objects.filter(import_batch=batch).order_by("import_line")
    assert [d.import_line for d in doses] == [2, 3, 4]
    first = doses[0]
    assert first.entered_by == personas.staff_a and first.source == DoseSource.IMPORT
    assert first.status == DoseStatus.RECORDED  # enters the pipeline like a live dose
    assert first.captured_name == "Nguyễn Thị Hoà" and first.captured_birth_date == "04/03/1990"
    assert first.person.full_name == "Nguyễn Thị Hòa" and first.person.birth_date == "1990-03-04"
    assert first.person.current_ward == personas.facility_a.current_ward
    assert doses[2].dose_number == 1  # suggested from the history
    assert doses[2].person.full_name == "Tran Van Binh"
    assert Person.objects.count() == 2
    assert AuditEntry.objects.filter(model="records.Dose").count() == 3


def test_every_kind_of_bad_row_is_named_by_line_and_column(personas):
    batch = upload(personas.staff_a, [
        row(citizen_id="12345"),                                   # line 2
        row(full_name=""),                                         # 3
        row(birth_date="31/02/1990"),                              # 4
        row(product="Sinovac??"),                                  # 5
        row(given_on="01/01/2099"),                                # 6
        row(given_on="01/01/2020"),                                # 7: before Comirnaty existed
        row(facility="NOPE"),                                      # 8
        row(ward_code="99999"),                                    # 9
        row(dose_number="12"),                                     # 10
        row(facility="TYT-B"),                                     # 11: another facility's doses
        row(sex="x", phone="123"),                                 # 12
    ])  # fmt: skip
    assert batch.error_rows == 11
    found = {(p.line, p.column, p.code) for p in batch.problems.filter(severity="error")}
    assert {
        (2, "citizen_id", "wrong_length"), (3, "full_name", "required"),
        (4, "birth_date", "invalid_date"), (5, "product", "unknown_product"),
        (6, "given_on", "in_future"), (7, "given_on", "before_first_use"),
        (8, "facility_code", "facility_not_allowed"), (9, "ward_code", "unknown_ward"),
        (10, "dose_number", "invalid_dose_number"), (11, "facility_code", "facility_not_allowed"),
        (12, "sex", "invalid"), (12, "phone", "invalid_number"),
    } <= found  # fmt: skip
    messages = problem_messages(batch)
    assert len(messages[11]) == 1 and messages[11][0].startswith("Mã cơ sở tiêm: ")
    assert "TYT-B" in messages[11][0]
    with pytest.raises(NotLoadable):
        load_batch(batch)
    assert not Dose.objects.exists()


def test_uploading_the_same_file_again_creates_nothing(personas):
    rows = family(personas)
    first = upload(personas.staff_a, rows)
    load_batch(first)
    again = upload(personas.staff_a, rows)
    assert again.error_rows == 0
    load_batch(again)
    again.refresh_from_db()
    assert (again.loaded_rows, again.existing_rows) == (0, 3)
    assert Dose.objects.count() == 3
    assert earlier_upload(again) == first


def test_a_row_already_stored_is_recognised_whatever_its_spelling(personas):
    first = upload(personas.staff_a, family(personas)[:1])
    load_batch(first)
    respelled = row(
        citizen_id="1190012345",
        full_name="NGUYEN THI HOA",
        birth_date="1990-03-04",
        ward_code=personas.facility_a.current_ward.code,
    )
    again = upload(personas.staff_a, [respelled])
    load_batch(again)
    again.refresh_from_db()
    assert (again.loaded_rows, again.existing_rows) == (0, 1)


def test_valid_rows_mode_loads_the_good_rows_and_reports_the_rest(personas):
    rows = family(personas) + [row(facility="TYT-B"), row(product="??")]
    batch = upload(personas.staff_a, rows, mode=ImportMode.VALID_ROWS)
    assert batch.error_rows == 2 and batch.loadable
    load_batch(batch)
    batch.refresh_from_db()
    assert batch.loaded_rows == 3
    assert not Dose.objects.filter(facility=personas.facility_b).exists()
    out = io.BytesIO()
    error_report(batch, out)
    lines = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert len(lines) == 3  # header and the two rows that were not loaded
    assert "TYT-B" in lines[1] and lines[1][-1]


def test_a_facility_cannot_import_for_another_and_police_cannot_import(personas):
    batch = upload(personas.staff_b, family(personas))
    assert batch.error_rows == 3
    assert {p.code for p in batch.problems.filter(column="facility_code")} == {
        "facility_not_allowed"
    }
    with pytest.raises(UploadRefused):
        upload(personas.police_a, family(personas))
    # A province manager may import for facilities of the province.
    batch = upload(personas.province_a, family(personas))
    assert batch.error_rows == 0
    batch = upload(personas.province_b, family(personas))
    assert batch.error_rows == 3


def test_a_file_without_the_template_header_fails_clearly(personas):
    data = io.BytesIO(b"a,b\n1,2\n")
    batch = check_batch(create_batch(personas.staff_a, data, name="x.csv"))
    assert batch.status == ImportStatus.FAILED
    assert {p.code for p in batch.problems.all()} == {"missing_column"}
    with pytest.raises(UploadRefused):
        create_batch(personas.staff_a, io.BytesIO(b"x"), name="doses.pdf")


def test_warnings_are_kept_as_flags(personas):
    ward = personas.facility_a.current_ward.code
    batch = upload(personas.staff_a, [row(ward_code=ward, dose_number="2")])  # dose 1 missing
    assert batch.error_rows == 0 and batch.warning_rows == 1
    load_batch(batch)
    assert Dose.objects.get().flags == ["dose_number_gap"]


def test_cancel_during_a_load_keeps_whole_chunks_and_resumes(personas, monkeypatch):
    from vaxpass.imports import services
    from vaxpass.imports.services import request_cancel

    monkeypatch.setattr(services, "CHUNK", 2)
    rows = [row(citizen_id=f"0011900{n:05d}", given_on="15/09/2021") for n in range(7)]
    batch = upload(personas.staff_a, rows)
    assert batch.error_rows == 0
    load_batch(batch, progress=lambda n: request_cancel(batch))  # cancelled after chunk 1
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, batch.loaded_rows) == (ImportStatus.CANCELLED, 2, 2)
    assert Dose.objects.count() == 2
    load_batch(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, batch.loaded_rows) == (ImportStatus.LOADED, 7, 7)
    assert Dose.objects.count() == 7
