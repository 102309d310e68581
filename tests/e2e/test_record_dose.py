"""A nurse finds a family by its shared phone, records a dose with the keyboard and sees it
in the list; staff of another facility neither find the family nor see the dose."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_record_dose_and_scope(login, server):
    page = login("staff_a")
    page.goto(f"{server}/record/")
    page.fill("input[name=q]", "0912 000 111")
    page.keyboard.press("Enter")
    rows = page.locator("#people tbody tr")
    expect(rows).to_have_count(3)  # a phone shows everyone registered under it
    row = rows.filter(has_text="Trần Thị Bích")
    row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/record/\d+/"))
    assert page.input_value("input[name=dose_number]") == "1"
    page.select_option("select[name=product]", "EU/1/20/1528")
    page.fill("input[name=lot]", "FK8891")
    page.fill("input[name=given_on]", "2021-09-15")
    page.locator("input[name=lot]").press("Enter")  # save with the keyboard
    page.wait_for_url(f"{server}/record/")
    assert "Trần Thị Bích" in page.locator(".msg").inner_text()
    page.goto(f"{server}/doses/")
    assert "Trần Thị Bích" in page.locator("#doses").inner_text()

    other = login("staff_b")
    other.goto(f"{server}/doses/")
    assert "Trần Thị Bích" not in other.locator("#doses").inner_text()
    other.goto(f"{server}/record/?q=0912000111")
    assert "Trần Thị Bích" not in other.content()
    expect(other.locator("#people tbody tr")).to_have_count(1)  # just the "nobody found" row
