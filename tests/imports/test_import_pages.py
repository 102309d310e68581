"""The import pages: template download, fill, upload with the commitment, background
check and load, error report, fix and upload again; and who may see which batch."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from vaxpass.core.dose_rows import DOSE_COLUMNS
from vaxpass.imports.models import ImportBatch, ImportStatus
from vaxpass.records.models import Dose

pytestmark = pytest.mark.django_db
KEYS = [c.key for c in DOSE_COLUMNS]
PDF = b"%PDF-1.4\n% signed commitment\n"


def fill(template: bytes, rows: list[dict]) -> bytes:
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    for offset, values in enumerate(rows):
        for key, value in values.items():
            sheet.cell(row=2 + offset, column=KEYS.index(key) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content: bytes, name="doses.xlsx", mode="all"):
    return client.post("/imports/", {
        "file": SimpleUploadedFile(name, content), "mode": mode,
        "commitment": SimpleUploadedFile("cam-ket.pdf", PDF, content_type="application/pdf"),
    })  # fmt: skip


def work():
    """Run the enqueued jobs here, as a `vaxpass db_worker` would. (The worker command
    itself closes the database connection when done, which would end the test's
    transaction; the browser tests run the real worker.)"""
    from django_tasks_db.models import DBTaskResult

    ready = list(DBTaskResult.objects.ready())
    assert ready, "no job was enqueued"
    for result in ready:
        result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        result.delete()


def test_template_round_trip_with_errors_then_fixed(client, personas):
    client.force_login(personas.staff_a)
    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200
    template = response.content
    book = load_workbook(io.BytesIO(template))
    data = book.worksheets[0]
    assert data["A1"].value.startswith("Số CCCD/CMND\n")
    assert data["B2"].number_format == "@"  # text, so leading zeros survive
    validated = {str(dv.sqref).split(":")[0] for dv in data.data_validations.dataValidation}
    assert validated == {"H2", "K2"}  # vaccine and dose number drop-downs
    assert data["L2"].value == "TYT-A"  # the facility code is filled in
    good = {
        "citizen_id": "001190012345",
        "full_name": "Nguyễn Thị Hoà",
        "birth_date": "04/03/1990",
        "sex": "Nữ",
        "product": "Vero Cell (Sinopharm BBIBP-CorV)",
        "given_on": "02/10/2021",
        "dose_number": 1,
        "facility_code": "TYT-A",
    }
    bad = dict(good, citizen_id="001092001234", full_name="Trần Văn Bình", birth_date="30/02/1992")
    response = upload(client, fill(template, [good, bad]))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    assert batch.commitment.read() == PDF
    work()
    batch.refresh_from_db()
    assert (batch.status, batch.total_rows, batch.error_rows) == (ImportStatus.CHECKED, 2, 1)
    assert not Dose.objects.exists()  # all or nothing: nothing stored yet
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "Ngày sinh" in page and "30/02/1992" in page
    report = client.get(f"/imports/{batch.pk}/report")
    sheet = load_workbook(io.BytesIO(report.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "Lỗi / Errors" and len(rows) == 3
    assert not rows[1][-1] and "Ngày sinh" in rows[2][-1]
    assert rows[1][0] == "001190012345"  # text stays text, zeros kept

    # The nurse fixes the date in the report and uploads it again.
    book = load_workbook(io.BytesIO(report.content))
    book.worksheets[0].cell(row=3, column=KEYS.index("birth_date") + 1, value="28/02/1992")
    fixed = io.BytesIO()
    book.save(fixed)
    upload(client, fixed.getvalue(), name="doses-fixed.xlsx")
    work()
    second = ImportBatch.objects.latest("pk")
    assert (second.status, second.error_rows, second.loaded_rows) == (ImportStatus.LOADED, 0, 2)
    assert Dose.objects.count() == 2
    progress = client.get(f"/imports/{second.pk}/progress").json()
    assert progress["status"] == "loaded" and progress["percent"] == 100


def test_csv_template_and_upload(client, personas):
    client.force_login(personas.staff_a)
    header = client.get("/imports/template.csv").content.decode("utf-8-sig").strip()
    row = "001190012345,Nguyễn Thị Hoà,04/03/1990,Nữ,,,,Pfizer,,15/09/2021,1,TYT-A"
    upload(client, f"{header}\n{row}\n".encode("utf-8-sig"), name="doses.csv")
    work()
    assert ImportBatch.objects.get().loaded_rows == 1


def test_batches_are_seen_only_within_scope(client, personas):
    client.force_login(personas.staff_a)
    upload(client, b"x,y\n1,2\n", name="doses.csv")
    batch = ImportBatch.objects.get()
    client.force_login(personas.staff_b)
    assert client.get(f"/imports/{batch.pk}/").status_code == 404
    assert client.get(f"/imports/{batch.pk}/report").status_code == 404
    assert client.get(f"/imports/{batch.pk}/commitment").status_code == 404
    listed = client.get("/imports/").content.decode().split('id="batches"')[1]
    assert f"/imports/{batch.pk}/" not in listed
    client.force_login(personas.province_a)
    assert f"/imports/{batch.pk}/" in client.get("/imports/").content.decode()
    assert client.get(f"/imports/{batch.pk}/").status_code == 200
    client.force_login(personas.police_a)
    assert client.get("/imports/").status_code == 403
    assert client.get(f"/imports/{batch.pk}/").status_code == 404


def test_upload_needs_a_commitment_and_a_spreadsheet(client, personas):
    client.force_login(personas.staff_a)
    response = client.post("/imports/", {"file": SimpleUploadedFile("a.pdf", b"x"), "mode": "all"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"file", "commitment"}
    assert not ImportBatch.objects.exists()
