"""A citizen looks up their passport: the page says the dose waits for the facility's
signature and names the facility; repeated wrong tries are refused."""

import pytest

pytestmark = pytest.mark.browser


def test_lookup_shows_the_stage_and_refuses_guessing(browser, server, seed_more):
    facility = seed_more("seed_lookup.py").strip().splitlines()[-1]
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.goto(f"{server}/lookup/")
    page.fill("input[name=citizen_id]", "079185000777")
    page.fill("input[name=birth_date]", "07/08/1985")
    page.get_by_role("button", name="Tra cứu").click()
    answer = page.locator("#answer")
    assert "Hoàng Thị Tra Cứu" in answer.inner_text()
    stage = answer.locator(".stage-awaiting_signature")
    assert f"chờ {facility} ký số" in stage.inner_text()
    assert "Chưa có hộ chiếu vắc-xin" in answer.inner_text()

    for day in range(1, 6):  # someone guessing the birth date
        page.fill("input[name=birth_date]", f"0{day}/01/1985")
        page.get_by_role("button", name="Tra cứu").click()
        assert page.locator("#not-found").is_visible()
    page.fill("input[name=birth_date]", "07/08/1985")  # even the right date, now
    page.get_by_role("button", name="Tra cứu").click()
    assert page.locator("#refused").is_visible()
    assert page.locator("#answer").count() == 0
    context.close()
