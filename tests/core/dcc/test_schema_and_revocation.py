"""Schema selection and the two validators' agreement; revocation hashes."""

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from vaxpass.core.dcc.errors import DccError
from vaxpass.core.dcc.revocation import RevocationSet, revocation_hashes, signature_hash
from vaxpass.core.dcc.schema import (
    check_schema,
    known_versions,
    schema,
    schema_errors,
    schema_version_for,
)

TESTDATA = Path(__file__).resolve().parents[2] / "data" / "dcc-conformance" / "testdata"


def test_versions():
    assert known_versions()[0] == "1.0.0" and known_versions()[-1] == "1.3.3"
    assert schema_version_for("1.3.0") == "1.3.0"
    assert schema_version_for("1.3.7") == "1.3.3"  # newer patch: newest of the same major
    assert schema_version_for("1.2.9") == "1.2.1"
    for bad in ("2.0.0", "1.3", None, 130):
        with pytest.raises(DccError):
            schema_version_for(bad)


def test_jsonschema_rs_agrees_with_the_reference_validator():
    checked = 0
    for path in sorted(TESTDATA.rglob("*.json")):
        dcc = json.loads(path.read_text("utf-8")).get("JSON")
        if not isinstance(dcc, dict) or sum(t in dcc for t in "vtr") != 1:
            continue
        try:
            version = schema_version_for(dcc.get("ver"))
        except DccError:
            continue
        reference = jsonschema.Draft202012Validator(schema(version)).is_valid(dcc)
        assert (not schema_errors(dcc)) is reference, path.name
        checked += 1
    assert checked > 300


def test_one_certificate_type_only():
    dcc = json.loads((TESTDATA / "common/2DCode/raw/DGC2.json").read_text("utf-8"))["JSON"]
    assert any("exactly one of v, t, r" in p for p in schema_errors(dcc))
    with pytest.raises(DccError) as caught:
        check_schema(dcc)
    assert caught.value.code == "schema_invalid"


def test_revocation_hashes_follow_the_eu_definitions():
    uvci, signature = "URN:UVCI:01:VN:ABC#X", bytes(range(64))
    hashes = revocation_hashes(uvci, "VN", signature, "ES256")
    assert hashes.uci == hashlib.sha256(uvci.encode()).digest()[:16]
    assert hashes.country_code_uci == hashlib.sha256(b"VN" + uvci.encode()).digest()[:16]
    assert hashes.signature == hashlib.sha256(signature[:32]).digest()[:16]  # r only
    rsa = revocation_hashes(uvci, "VN", signature, "PS256")
    assert rsa.signature == hashlib.sha256(signature).digest()[:16]  # the whole signature
    assert set(hashes.by_type()) == {"UCI", "COUNTRYCODEUCI", "SIGNATURE"}


@pytest.mark.parametrize("length", [0, 1, 52, 53, 55, 56, 64, 119, 120, 300])
def test_revocation_hashes_at_every_length(length):
    # Short inputs are hashed by Python's own SHA-256, longer ones by OpenSSL's.
    uvci, signature = "U" * length, bytes(range(256)) * 3
    hashes = revocation_hashes(uvci, "VN", signature[: 2 * length], "ES256")
    assert hashes.uci == hashlib.sha256(uvci.encode()).digest()[:16]
    assert hashes.country_code_uci == hashlib.sha256(b"VN" + uvci.encode()).digest()[:16]
    assert hashes.signature == hashlib.sha256(signature[:length]).digest()[:16]
    # What an issuer stores: the SIGNATURE hash alone, the same either way.
    assert signature_hash(signature[: 2 * length], "ES256") == hashes.signature
    assert (
        signature_hash(signature[:length], "PS256")
        == (hashlib.sha256(signature[:length]).digest()[:16])
    )


def test_revocation_set():
    hashes = revocation_hashes("URN:UVCI:01:VN:ABC#X", "VN", bytes(64), "ES256")
    revoked = RevocationSet()
    assert not revoked.is_revoked(b"kid", hashes)
    revoked.add(b"kid", [hashes.country_code_uci])
    assert revoked.is_revoked(b"kid", hashes) and not revoked.is_revoked(b"other", hashes)
    revoked.add(None, [hashes.uci])  # whatever the signer
    assert revoked.is_revoked(b"other", hashes)
