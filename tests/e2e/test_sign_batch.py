"""A facility head signs a batch of 500 verified doses with one confirmation; the
passports appear, each downloadable, and the doses move on to "certified"."""

import pytest

pytestmark = pytest.mark.browser


def test_head_signs_500_doses_and_passports_appear(login, server, seed_more):
    assert seed_more("seed_signing.py").strip().splitlines()[-1] == "500"
    page = login("head_a")
    page.click("text=Ký số")
    page.wait_for_url(f"{server}/signing/")
    form = page.locator("#sign-all")
    assert "500" in form.inner_text()
    form.locator("input[name=confirm]").check()
    form.get_by_role("button").click()
    page.wait_for_url(f"{server}/signing/", timeout=120_000)
    assert "500" in page.locator(".msg").first.inner_text()
    assert "Không có mũi tiêm nào chờ bạn ký" in page.content()

    page.goto(f"{server}/passports/")
    assert "/ 5" in page.locator(".pages").inner_text()  # 250 passports, 50 a page
    assert "URN:UVCI:01:VN:" in page.locator("#certificates").inner_text()
    with page.expect_download() as download:
        page.locator("#certificates a", has_text="PDF").first.click()
    assert download.value.suggested_filename.endswith(".pdf")

    page.goto(f"{server}/doses/?status=certified")
    assert "/ 10" in page.locator(".pages").inner_text()  # 500 doses, 50 a page
