"""The published trust and revocation lists at /trust/: the files as written, 404 before
they exist, revalidation by ETag and Last-Modified."""

import datetime

import pytest

from vaxpass.core import trustlist

NOW = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
URLS = {"trustlist.json": "/trust/trustlist.json", "revocations.json": "/trust/revocations.json"}


@pytest.mark.parametrize("name", sorted(URLS))
def test_not_found_until_published(client, published, name):
    assert client.get(URLS[name]).status_code == 404


def test_serves_the_files_as_written_with_cache_headers(client, published):
    written = {
        "trustlist.json": published.write_trust_list(NOW),
        "revocations.json": published.write_revocations(NOW),
    }
    for name, url in URLS.items():
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == written[name]
        assert response["Content-Type"] == "application/jose+json"
        assert response["Cache-Control"] == "public, max-age=300"
        assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
        assert response["Last-Modified"].endswith("GMT")
        assert response["Access-Control-Allow-Origin"] == "*"
    # What is served is what a verifier accepts.
    served = client.get(URLS["trustlist.json"]).content
    listed = trustlist.parse_trust_list(served, published.ca_certificate)
    assert list(listed.certificates_by_kid().values()) == [published.dsc_certificate]


def test_revalidates_by_etag_until_the_file_changes(client, published):
    published.write_trust_list(NOW)
    first = client.get(URLS["trustlist.json"])
    etag = first["ETag"]
    unchanged = client.get(URLS["trustlist.json"], HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    newer = published.write_trust_list(NOW + datetime.timedelta(hours=1))
    changed = client.get(URLS["trustlist.json"], HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.content == newer
    assert changed["ETag"] != etag


def test_revalidates_by_date(client, published):
    published.write_trust_list(NOW)
    last_modified = client.get(URLS["trustlist.json"])["Last-Modified"]
    response = client.get(URLS["trustlist.json"], HTTP_IF_MODIFIED_SINCE=last_modified)
    assert response.status_code == 304


def test_read_only(client, published):
    published.write_trust_list(NOW)
    assert client.head(URLS["trustlist.json"]).status_code == 200
    assert client.post(URLS["trustlist.json"]).status_code == 405
    assert client.put(URLS["trustlist.json"]).status_code == 405


def test_only_the_two_lists_are_served(client, published):
    (published.directory / "secret.json").write_text("{}")
    assert client.get("/trust/secret.json").status_code == 404
    assert client.get("/trust/../published/secret.json").status_code == 404
