"""The verifier page in Chromium: a certificate read from a (fake) camera and from an
uploaded photo, verified in the browser against the published signed lists; tampered,
expired, revoked and unknown certificates; offline after the first visit."""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import verifier_certificates as certs

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """The PKI, the certificates, their QR pictures, and a camera video of the valid one."""
    folder = tmp_path_factory.mktemp("verifier-certificates")
    test_pki = certs.make_pki()
    valid = certs.issue(test_pki)
    expired = certs.issue(test_pki, days_ago=280, validity_days=200)
    revoked = certs.issue(test_pki, full_name="Lê Văn Tám", birth_date="1960")
    stranger = certs.issue(test_pki, signer=test_pki.stranger_dsc)
    texts = {
        "valid": valid.hc1,
        "expired": expired.hc1,
        "revoked": revoked.hc1,
        "tampered": certs.tampered(valid),
        "stranger": stranger.hc1,
    }
    pictures = {
        name: certs.write_qr_png(text, folder / f"{name}.png") for name, text in texts.items()
    }
    return {
        "pki": test_pki,
        "revoked": (revoked,),
        "texts": texts,
        "pictures": pictures,
        "video": certs.write_qr_video(valid.hc1, folder / "valid.y4m"),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def verifier_server(tmp_path_factory, issued):
    """The site on its own data directory, with the lists published there. The page needs
    no database (anonymous, no session)."""
    data = tmp_path_factory.mktemp("verifier-data")
    certs.publish(data / "published", issued["pki"], revoked=issued["revoked"])
    env = dict(os.environ, VAXPASS_DATA_DIR=str(data), VAXPASS_DEBUG="0")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "vaxpass.wsgi:application"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"],
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield {"url": f"http://127.0.0.1:{port}", "published": data / "published"}
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def camera_browser(browser, issued):
    """Chromium whose camera plays the video of the valid certificate's QR code."""
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={issued['video']}",
        ],
    )
    yield launched
    launched.close()


@pytest.fixture
def open_verifier(camera_browser, verifier_server):
    contexts = []

    def _open(locale: str = "vi-VN"):
        context = camera_browser.new_context(locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{verifier_server['url']}/verify/")
        page.wait_for_selector("#lists-status[data-ready='1']")
        return page

    yield _open
    for context in contexts:
        context.close()


def _verdict(page) -> dict:
    page.wait_for_selector("#verdict:not([hidden])[data-verdict]:not([data-verdict=''])")
    box = page.locator("#verdict")
    details = {
        field: box.locator(f"dd[data-field={field}]").all_inner_texts()
        for field in ("field_name", "field_birth_date", "field_doses", "field_issuer")
    }
    return {
        "verdict": box.get_attribute("data-verdict"),
        "word": box.locator(".verdict-word").inner_text(),
        "reasons": box.locator(".verdict-reasons li").evaluate_all(
            "items => items.map(item => item.dataset.reason)"
        ),
        "text": box.inner_text(),
        **details,
    }


def _upload(page, picture: Path) -> dict:
    page.set_input_files("#scan-file", str(picture))
    return _verdict(page)


def test_reads_a_certificate_from_the_camera_and_shows_valid(open_verifier, verifier_server):
    page = open_verifier()
    requested_hosts = set()
    page.on("request", lambda request: requested_hosts.add(urlparse(request.url).netloc))
    page.click("#scan-start")
    result = _verdict(page)
    assert result["verdict"] == "valid", result
    assert result["word"] == "HỢP LỆ"
    assert result["reasons"] == []
    assert result["field_name"] == ["Nguyễn Thị Hoà"]
    assert result["field_birth_date"] == ["04/03/1985"]
    assert result["field_doses"] == ["mũi 2/2 · Comirnaty · 01/08/2021 · VN"]
    assert "Ministry of Health of Viet Nam" in result["field_issuer"][0]
    # The camera is released once a code is read.
    assert page.locator("#scan-video").is_hidden()
    # Everything came from the site itself: no CDN, no other host.
    assert requested_hosts <= {urlparse(verifier_server["url"]).netloc}, requested_hosts


def test_reads_an_uploaded_photo_and_shows_valid(open_verifier, issued):
    page = open_verifier()
    result = _upload(page, issued["pictures"]["valid"])
    assert result["verdict"] == "valid", result
    assert result["word"] == "HỢP LỆ"


def test_a_tampered_certificate_is_not_valid_and_shows_no_holder(open_verifier, issued):
    page = open_verifier()
    result = _upload(page, issued["pictures"]["tampered"])
    assert result["verdict"] == "invalid", result
    assert result["word"] == "KHÔNG HỢP LỆ"
    assert result["reasons"] == ["signature_invalid"]
    # What a forged certificate says about its holder is not shown.
    assert "Trần" not in result["text"] and result["field_name"] == []


def test_expired_and_revoked_certificates(open_verifier, issued):
    page = open_verifier()
    expired = _upload(page, issued["pictures"]["expired"])
    assert expired["verdict"] == "expired", expired
    assert expired["word"] == "HẾT HẠN"
    assert expired["reasons"] == ["expired"]
    assert expired["field_name"] == ["Nguyễn Thị Hoà"]
    page.click("#scan-again")
    revoked = _upload(page, issued["pictures"]["revoked"])
    assert revoked["verdict"] == "revoked", revoked
    assert revoked["word"] == "ĐÃ BỊ THU HỒI"
    assert revoked["reasons"] == ["revoked"]
    assert revoked["field_name"] == ["Lê Văn Tám"]
    assert revoked["field_birth_date"] == ["1960"]


def test_unknown_signer_and_damaged_codes_typed_in(open_verifier, issued):
    page = open_verifier()
    for text, reason in [
        (issued["texts"]["stranger"], "kid_unknown"),
        ("HC2:" + issued["texts"]["valid"][4:], "wrong_prefix"),
        ("HC1:ABC{}", "base45_invalid"),
        ("HC1:" + "A" * 30, "compression_invalid"),
    ]:
        page.fill("#scan-text", text)
        page.click("#scan-text-form button[type=submit]")
        result = _verdict(page)
        assert (result["verdict"], result["reasons"]) == ("invalid", [reason]), text
        page.click("#scan-again")
    page.fill("#scan-text", issued["texts"]["valid"])
    page.click("#scan-text-form button[type=submit]")
    assert _verdict(page)["verdict"] == "valid"


def test_still_verifies_with_the_network_off_after_the_first_visit(
    open_verifier, issued, verifier_server
):
    page = open_verifier()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.context.set_offline(True)
    reachable = page.evaluate(
        "fetch('/trust/trustlist.json', {cache: 'no-store'}).then(() => true, () => false)"
    )
    assert reachable is False
    page.reload()
    page.wait_for_selector("#lists-status[data-ready='1']")
    status = page.locator("#lists-status").inner_text()
    assert "1" in status and "phút" in status  # the lists' age ("... phút trước"/"vừa xong")
    result = _upload(page, issued["pictures"]["valid"])
    assert result["verdict"] == "valid", result
    result = _upload(page, issued["pictures"]["revoked"])
    assert result["verdict"] == "revoked", result


def test_english_on_request(open_verifier, issued):
    page = open_verifier(locale="en-US")
    assert "Xác minh" in page.locator("h1").inner_text()  # Vietnamese whatever the browser
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("#lists-status[data-ready='1']")
    assert page.locator("h1").inner_text() == "Verify a vaccine passport"
    result = _upload(page, issued["pictures"]["tampered"])
    assert result["word"] == "NOT VALID"
    assert "changed or forged" in result["text"]


def test_a_list_with_a_wrong_signature_is_refused(camera_browser, verifier_server, issued):
    published = verifier_server["published"] / "trustlist.json"
    document = json.loads(published.read_text())
    payload = json.loads(base64.urlsafe_b64decode(document["payload"] + "=="))
    payload["certificates"].append(dict(payload["certificates"][0], kid="AAAAAAAAAAA="))
    document["payload"] = (
        base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    )
    context = camera_browser.new_context(locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        context.route(
            "**/trust/trustlist.json",
            lambda route: route.fulfill(body=json.dumps(document), content_type="application/json"),
        )
        page = context.new_page()
        page.goto(f"{verifier_server['url']}/verify/")
        page.wait_for_selector("#lists-status[data-ready='0'] li[data-list=trustList]")
        line = page.locator("li[data-list=trustList]")
        assert line.get_attribute("data-state") == "missing"
        assert "chữ ký sai" in line.inner_text()
        result = _upload(page, issued["pictures"]["valid"])
        assert (result["verdict"], result["reasons"]) == ("invalid", ["no_trust_list"])
    finally:
        context.close()
