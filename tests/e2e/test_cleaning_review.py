"""Review queues in the browser: a ward police officer confirms a candidate, a health
station user corrects a field; after each the dose is verified."""

import json

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded():
    return {}


def _seed(seed_more, seeded) -> dict:
    if not seeded:
        seeded.update(json.loads(seed_more("seed_cleaning.py").strip().splitlines()[-1]))
    return seeded


def test_police_officer_confirms_a_candidate(login, server, seed_more, seeded):
    ids = _seed(seed_more, seeded)
    page = login("police_c")
    page.click("header >> text=Rà soát")
    page.wait_for_url(f"{server}/review/")
    row = page.locator("#items tr", has_text="Vũ Đức Khánh")
    assert "Số CCCD thuộc về người khác" in row.inner_text()
    row.get_by_role("link", name="Quyết định").click()
    page.wait_for_url(f"{server}/review/{ids['police_item']}/")
    compare = page.locator("#compare")
    assert "Hoàng Thị Duyên" in compare.inner_text()  # the mother, whose ID was typed
    assert compare.locator("td.diff").count() > 0  # her name and birth date differ
    assert "mang số đã nhập" in compare.inner_text()
    page.get_by_role("button", name=f"Xác nhận: đúng là người này ({ids['son_id']})").click()
    page.wait_for_load_state()
    assert "Mũi tiêm đã được xác thực" in page.locator(".msg").first.inner_text()
    page.goto(f"{server}/review/{ids['police_item']}/")
    assert page.locator("#dose-status").inner_text() == "đã xác thực"
    assert ids["son_id"] in page.locator("#decided").inner_text()


def test_health_station_user_corrects_a_field(login, server, seed_more, seeded):
    ids = _seed(seed_more, seeded)
    page = login("staff_c")
    page.click("header >> text=Rà soát")
    page.wait_for_url(f"{server}/review/")
    page.locator("#items tr", has_text="Đinh Thị Hạng").get_by_role(
        "link", name="Quyết định"
    ).click()
    page.wait_for_url(f"{server}/review/{ids['station_item']}/")
    assert "CSDL dân cư không có ai mang số định danh này" in page.locator("#reasons").inner_text()
    form = page.locator("#correct")
    form.locator("select[name=field]").select_option("citizen_id")
    form.locator("input[name=value]").fill(ids["neighbour_id"])
    form.get_by_role("button").click()
    page.wait_for_load_state()
    assert "Mũi tiêm đã được xác thực" in page.locator(".msg").first.inner_text()
    page.goto(f"{server}/review/{ids['station_item']}/")
    assert page.locator("#dose-status").inner_text() == "đã xác thực"
    corrections = page.locator("#corrections").inner_text()
    assert "Đinh Thị Hạnh, 1979-01-30" in corrections  # a person with the registry's values
