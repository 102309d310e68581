"""The verifier page as the server sends it: public, Vietnamese by default, carrying the
national CA certificate that anchors the lists; its service worker; its catalogue."""

import base64
import gettext
import json
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.contrib.staticfiles import finders

from vaxpass.portal.messages import VERIFIER_MESSAGES

PORTAL = Path(__file__).resolve().parents[2] / "src/vaxpass/portal"


def _config(response) -> dict:
    match = re.search(
        r'<script id="verifier-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page carries its configuration"
    return json.loads(match.group(1))


def _write_ca(published) -> bytes:
    pem = published.ca_certificate.public_bytes(serialization.Encoding.PEM)
    (published.directory / "ca.pem").write_bytes(pem)
    return published.ca_certificate.public_bytes(serialization.Encoding.DER)


def test_public_page_with_the_ca_certificate(client, published):
    der = _write_ca(published)
    response = client.get("/verify/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<script type="module" src="/static/portal/verifier.js"></script>' in page
    config = _config(response)
    assert base64.b64decode(config["caCertificate"]) == der
    assert config["trustListUrl"] == "/trust/trustlist.json"
    assert config["revocationsUrl"] == "/trust/revocations.json"
    assert config["serviceWorkerUrl"] == "/verify/sw.js"
    assert config["scope"] == "/verify/"
    assert config["products"]["EU/1/20/1528"] == "Comirnaty"
    assert set(config["messages"]) == set(VERIFIER_MESSAGES)


def test_without_a_published_ca_the_page_trusts_nothing(client, published):
    assert _config(client.get("/verify/"))["caCertificate"] is None
    (published.directory / "ca.pem").write_text("not a certificate")
    assert _config(client.get("/verify/"))["caCertificate"] is None


def test_vietnamese_by_default_english_on_request(client, published):
    page = client.get("/verify/", HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert "Xác minh hộ chiếu vắc-xin" in page.content.decode()
    config = _config(page)
    assert config["language"] == "vi"
    assert config["messages"]["verdict_valid"] == "HỢP LỆ"
    assert config["messages"]["field_name"] == "Họ và tên"
    client.post("/i18n/setlang/", {"language": "en", "next": "/verify/"})
    page = client.get("/verify/")
    assert "Verify a vaccine passport" in page.content.decode()
    config = _config(page)
    assert config["language"] == "en"
    assert config["messages"]["verdict_invalid"] == "NOT VALID"


def test_service_worker_caches_the_page_and_its_assets(client, published):
    response = client.get("/verify/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    assets = json.loads(re.search(r"const ASSETS = (\[.*?\]);", script).group(1))
    assert assets == [
        "/verify/",
        "/static/portal/verifier.js",
        "/static/portal/verifier.css",
        "/static/vaxpass/site.css",
    ]
    assert re.search(r'const SHELL = PREFIX \+ "[0-9a-f]{16}";', script)


def test_the_bundle_is_served_from_the_package(client):
    bundle = Path(finders.find("portal/verifier.js"))
    assert bundle.is_relative_to(PORTAL / "static")
    assert bundle.stat().st_size > 500_000  # zxing-cpp's WebAssembly is inside
    # No CDN: zxing-wasm's default loader would fetch its binary from one.
    assert b"wasmBinary" in bundle.read_bytes()


def test_catalogue_is_complete_and_compiled():
    po = PORTAL / "locale/vi/LC_MESSAGES/django.po"
    text = po.read_text("utf-8")
    assert "#, fuzzy" not in text
    blocks = [b for b in text.split("\n\n") if 'msgid ""\nmsgstr ""' not in b]
    assert blocks
    # An empty msgstr line followed by no continuation line (a wrapped translation starts
    # with msgstr "" too).
    untranslated = [b for b in blocks if re.search(r'^msgstr ""$(?!\n")', b, re.M)]
    assert not untranslated, untranslated
    with open(po.with_suffix(".mo"), "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    msgids = [
        "".join(re.findall(r'"(.*)"', re.search(r'^msgid ((?:".*"\n?)+)', block, re.M).group(1)))
        for block in blocks
    ]
    assert "VALID" in msgids and len(msgids) >= len(VERIFIER_MESSAGES)
    stale = [m for m in msgids if catalogue.gettext(m.replace('\\"', '"')) == m]
    assert not stale, f"django.mo is older than django.po, run msgfmt: {stale[:3]}"
