"""A citizen looks up their passport: the page says the dose waits for the facility's
signature and names the facility; repeated wrong tries are refused."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_lookup_shows_the_stage_and_refuses_guessing(browser, server, seed_more):
    facility = seed_more("seed_lookup.py").strip().splitlines()[-1]
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()

    def look_up() -> None:  # each answer is a new page: wait for it, not the one before
        with page.expect_navigation():
            page.get_by_role("button", name="Tra cứu").click()

    page.goto(f"{server}/lookup/")
    page.fill("input[name=citizen_id]", "079185000777")
    page.fill("input[name=birth_date]", "07/08/1985")
    look_up()
    answer = page.locator("#answer")
    assert "Hoàng Thị Tra Cứu" in answer.inner_text()
    stage = answer.locator(".stage-awaiting_signature")
    assert f"chờ {facility} ký số" in stage.inner_text()
    assert "Chưa có hộ chiếu vắc-xin" in answer.inner_text()

    for day in range(1, 6):  # someone guessing the birth date
        page.fill("input[name=birth_date]", f"0{day}/01/1985")
        look_up()
        expect(page.locator("#not-found")).to_be_visible()
    page.fill("input[name=birth_date]", "07/08/1985")  # even the right date, now
    look_up()
    expect(page.locator("#refused")).to_be_visible()
    assert page.locator("#answer").count() == 0
    context.close()
