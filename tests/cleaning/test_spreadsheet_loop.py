"""The review list as a spreadsheet: exported, filled offline, uploaded back; each
decision applied exactly once, every problem named by row and column."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from vaxpass.cleaning.incremental import clean_pending
from vaxpass.cleaning.models import ItemStatus, ReviewItem, ReviewUpload
from vaxpass.records.models import DoseStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def police_items(items, town, record):
    """Ward A's police queue: the son's dose (mother's ID typed) and the neighbour's dose
    typed with the mother's ID too."""
    neighbour = record(name=town.neighbour.full_name, birth="03/02/1975", sex="F",
                       citizen_id=town.mother.citizen_id)  # fmt: skip
    clean_pending()
    return [items["police_a"], ReviewItem.objects.get(dose=neighbour)]


def _export(client) -> bytes:
    response = client.get("/review/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return b"".join(response.streaming_content) if response.streaming else response.content


def _columns(sheet) -> dict[str, int]:
    """English header (second line in a Vietnamese export) -> column number."""
    return {cell.value.split("\n")[1]: cell.column for cell in sheet[1]}


def _upload(client, content: bytes, name="review.xlsx"):
    return client.post("/review/upload", {"file": SimpleUploadedFile(name, content)})


def test_export_fill_and_upload_applies_each_decision_once(client, personas, police_items, town):
    client.force_login(personas.police_a)
    book = load_workbook(io.BytesIO(_export(client)))
    sheet = book.worksheets[0]
    columns = _columns(sheet)
    assert sheet.cell(1, columns["Item"]).value == "Mục\nItem"
    rows = {sheet.cell(r, columns["Item"]).value: r for r in range(2, sheet.max_row + 1)}
    assert set(rows) == {i.pk for i in police_items}  # only this officer's queue
    son_row, neighbour_row = rows[police_items[0].pk], rows[police_items[1].pk]
    assert town.son.citizen_id in sheet.cell(son_row, columns["Candidate 1"]).value + (
        sheet.cell(son_row, columns["Candidate 2"]).value or "")  # fmt: skip
    assert sheet.cell(son_row, columns["ID as typed"]).number_format == "@"

    # Offline: confirm the son; for the neighbour, an ID nobody holds, then an unknown word.
    sheet.cell(son_row, columns["Action to take"]).value = "xác nhận / confirm"
    sheet.cell(son_row, columns["Citizen ID"]).value = town.son.citizen_id
    sheet.cell(neighbour_row, columns["Action to take"]).value = "chọn người khác / choose another"
    sheet.cell(neighbour_row, columns["Citizen ID"]).value = "001175999999"
    filled = io.BytesIO()
    book.save(filled)

    page = _upload(client, filled.getvalue())
    assert page.status_code == 200
    result = page.context["result"]
    assert result.applied == [son_row]
    [problem] = result.problems
    assert (problem.line, problem.column) == (neighbour_row, "Số CCCD")
    assert "001175999999" in problem.message and "CSDL dân cư" in problem.message
    son = police_items[0].dose
    son.refresh_from_db()
    assert (son.status, son.registry_id) == (DoseStatus.VERIFIED, town.son.citizen_id)

    # The same file again: nothing changes, and the page says so.
    again = _upload(client, filled.getvalue())
    assert again.context["result"].already_uploaded is not None
    assert "không có gì thay đổi" in again.content.decode()
    assert ReviewItem.objects.filter(dose=son, status=ItemStatus.RESOLVED).count() == 1

    # The list fixed and uploaded again: the decided row changes nothing, the fixed one applies.
    sheet.cell(neighbour_row, columns["Citizen ID"]).value = town.neighbour.citizen_id
    sheet.cell(son_row, columns["Note"]).value = "checked again"
    fixed = io.BytesIO()
    book.save(fixed)
    result = _upload(client, fixed.getvalue()).context["result"]
    assert result.applied == [neighbour_row]
    assert [line for line, _why in result.unchanged] == [son_row]
    assert result.problems == []
    neighbour = police_items[1].dose
    neighbour.refresh_from_db()
    assert neighbour.registry_id == town.neighbour.citizen_id
    son.refresh_from_db()
    assert son.cleaning_decisions.filter(current=True).get().note == ""  # applied once
    assert ReviewUpload.objects.filter(uploaded_by=personas.police_a).count() == 3


def test_problems_are_named_by_row_and_column_in_english_too(client, personas, police_items):
    client.force_login(personas.police_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    book = load_workbook(io.BytesIO(_export(client)))
    sheet = book.worksheets[0]
    columns = {cell.value.split("\n")[0]: cell.column for cell in sheet[1]}  # English first
    sheet.cell(2, columns["Action to take"]).value = "approve"
    sheet.cell(3, columns["Action to take"]).value = "correct"
    sheet.cell(3, columns["Correct date of birth"]).value = "31/02/1975"
    out = io.BytesIO()
    book.save(out)
    result = _upload(client, out.getvalue()).context["result"]
    assert [(p.line, p.column) for p in result.problems] == [
        (2, "Action to take"), (3, "Correct date of birth")]  # fmt: skip
    assert "approve" in result.problems[0].message
    assert all(i.dose.status == DoseStatus.RECORDED for i in police_items)


def test_a_file_that_is_no_review_list_is_refused(client, personas, police_items):
    client.force_login(personas.police_a)
    response = _upload(client, b"not a spreadsheet", name="list.xlsx")
    assert response.status_code == 302
    from openpyxl import Workbook

    other = Workbook()
    other.active.append(["Số CCCD", "Họ tên"])
    out = io.BytesIO()
    other.save(out)
    response = client.post(
        "/review/upload", {"file": SimpleUploadedFile("x.xlsx", out.getvalue())}, follow=True
    )
    assert "không phải danh sách rà soát" in response.content.decode()
