"""A nurse imports a filled template with an error, downloads the error report, fixes the
row in it, uploads it again and sees the doses in the list."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from vaxpass.core.dose_rows import DOSE_COLUMNS

pytestmark = pytest.mark.browser
KEYS = [c.key for c in DOSE_COLUMNS]


def set_row(sheet, row, values):
    for key, value in values.items():
        sheet.cell(row=row, column=KEYS.index(key) + 1, value=value)


def test_import_with_errors_then_fixed(login, server, tmp_path):
    page = login("staff_a")
    page.goto(f"{server}/imports/")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"\.xlsx")).click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    book = load_workbook(template)
    sheet = book.worksheets[0]
    base = {
        "full_name": "Lê Văn Cường",
        "birth_date": "12/07/1965",
        "sex": "Nam",
        "product": "Vaxzevria (AstraZeneca)",
        "given_on": "20/08/2021",
        "dose_number": "1",
        "facility_code": "E2E-A",
    }
    set_row(sheet, 2, dict(base, citizen_id="001065009001"))
    set_row(
        sheet,
        3,
        dict(
            base,
            citizen_id="001065009002",
            full_name="Phạm Thị Duyên",
            sex="Nữ",
            birth_date="31/04/1967",
        ),
    )  # no 31 April
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    commitment = tmp_path / "cam-ket.pdf"
    commitment.write_bytes(b"%PDF-1.4\n% signed\n")

    page.set_input_files("input[name=file]", str(filled))
    page.set_input_files("input[name=commitment]", str(commitment))
    page.check("input[name=mode][value=all]")
    page.click("#upload button[type=submit]")
    expect(page.locator("#state")).to_have_attribute("data-status", "checked", timeout=30_000)
    expect(page.locator("#problems")).to_contain_text("31/04/1967")
    expect(page.locator("#loaded")).to_have_text("0")
    with page.expect_download() as download:
        page.click("#report")
    report = tmp_path / "report.xlsx"
    download.value.save_as(report)

    book = load_workbook(report)
    sheet = book.worksheets[0]
    assert sheet.cell(row=3, column=len(KEYS) + 1).value  # the error column names the problem
    set_row(sheet, 3, {"birth_date": "30/04/1967"})
    book.save(report)
    page.goto(f"{server}/imports/")
    page.set_input_files("input[name=file]", str(report))
    page.set_input_files("input[name=commitment]", str(commitment))
    page.click("#upload button[type=submit]")
    expect(page.locator("#state")).to_have_attribute("data-status", "loaded", timeout=30_000)
    expect(page.locator("#loaded")).to_have_text("2")
    page.goto(f"{server}/doses/")
    expect(page.locator("#doses")).to_contain_text("Phạm Thị Duyên")
    expect(page.locator("#doses")).to_contain_text("Lê Văn Cường")
