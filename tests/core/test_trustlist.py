"""Signed trust and revocation lists; import of the EU gateway's DSC list."""

import base64
import datetime
import hashlib
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vaxpass.core import pki, trustlist
from vaxpass.core.signing import kid_of
from vaxpass.core.trustlist import (
    HashType,
    MalformedList,
    RevocationList,
    SignatureInvalid,
    TrustList,
    UntrustedListSigner,
)

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
CONFORMANCE = Path(__file__).resolve().parents[1] / "data/dcc-conformance/testdata"
UVCI = "URN:UVCI:01:VN:DTM8QZNJ6W2CL9R4#M"


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def new_signer(issuer, issue, not_before=T0, **kwargs):
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = issue(issuer, key.public_key(), not_before=not_before, **kwargs)
    return pki.KeySigner(key, der(certificate))


@pytest.fixture(scope="module")
def ca():
    key = pki.KeySigner(ec.generate_private_key(ec.SECP256R1()))
    return key.with_certificate(der(pki.create_national_ca(key, not_before=T0)))


@pytest.fixture(scope="module")
def ca_certificate(ca):
    return x509.load_der_x509_certificate(ca.certificate_der)


@pytest.fixture(scope="module")
def dscs(ca):
    """Two DSCs: the first, and its successor issued on day 160, a month before the
    first one's six months of signing end."""
    first = new_signer(ca, pki.issue_document_signer)
    second = new_signer(
        ca, pki.issue_document_signer, not_before=T0 + 160 * DAY, common_name="VN DCC DSC 2"
    )
    return first, second


def national_list(dscs) -> TrustList:
    trust_list = TrustList(issued_at=T0 + 10 * DAY)
    for signer in dscs:
        trust_list = trust_list.with_certificate(
            x509.load_der_x509_certificate(signer.certificate_der)
        )
    return trust_list


def test_signed_trust_list_round_trip(ca, ca_certificate, dscs):
    published = trustlist.sign_trust_list(national_list(dscs), ca)
    parsed = trustlist.parse_trust_list(published, ca_certificate, at=T0 + 20 * DAY)
    by_kid = parsed.certificates_by_kid()
    assert set(by_kid) == {signer.kid for signer in dscs}
    for signer in dscs:
        assert der(by_kid[signer.kid]) == signer.certificate_der
        entry = parsed.get(signer.kid)
        assert entry.country == "VN" and entry.certificate_type == "DSC"
        assert entry.usages == {"v"}
        assert entry.not_after == entry.not_before + pki.DSC_VALIDITY
    assert parsed.issued_at == T0 + 10 * DAY
    assert parsed == national_list(dscs)


def test_published_file_is_a_standard_flattened_jws(ca, dscs):
    published = json.loads(trustlist.sign_trust_list(national_list(dscs), ca))
    assert set(published) == {"protected", "payload", "signature"}
    pad = lambda text: text + "=" * (-len(text) % 4)  # noqa: E731
    header = json.loads(base64.urlsafe_b64decode(pad(published["protected"])))
    assert header["alg"] == "ES256" and header["typ"] == "vaxpass-trustlist+json"
    assert base64.urlsafe_b64decode(pad(header["kid"])) == ca.kid
    assert base64.b64decode(header["x5c"][0]) == ca.certificate_der
    payload = base64.urlsafe_b64decode(pad(published["payload"]))
    assert payload == trustlist.canonical_json(json.loads(payload))  # canonical bytes
    entry = json.loads(payload)["certificates"][0]
    assert set(entry) >= {"kid", "country", "certificateType", "keyUsage", "rawData"}
    assert entry["thumbprint"] == hashlib.sha256(base64.b64decode(entry["rawData"])).hexdigest()
    # Independent check of the signature: raw r||s over "protected.payload".
    signing_input = f"{published['protected']}.{published['payload']}".encode()
    signature = base64.urlsafe_b64decode(pad(published["signature"]))
    public_key = x509.load_der_x509_certificate(ca.certificate_der).public_key()
    assert pki.verify_signature(public_key, "ES256", signature, signing_input)


def tamper(published: bytes, part: str, change) -> bytes:
    document = json.loads(published)
    document[part] = change(document[part])
    return json.dumps(document).encode()


def test_tampered_or_wrongly_signed_files_are_refused(ca, ca_certificate, dscs):
    published = trustlist.sign_trust_list(national_list(dscs), ca)
    at = T0 + 20 * DAY

    def reencode(payload_b64):  # remove a certificate, keep valid base64url and JSON
        text = payload_b64 + "=" * (-len(payload_b64) % 4)
        payload = json.loads(base64.urlsafe_b64decode(text))
        payload["certificates"] = payload["certificates"][:1]
        raw = trustlist.canonical_json(payload)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    with pytest.raises(SignatureInvalid, match="changed after signing"):
        trustlist.parse_trust_list(tamper(published, "payload", reencode), ca_certificate, at=at)
    flipped = tamper(published, "signature", lambda s: ("A" if s[0] != "A" else "B") + s[1:])
    with pytest.raises(SignatureInvalid):
        trustlist.parse_trust_list(flipped, ca_certificate, at=at)

    # Signed with another key that claims to be the CA (the genuine CA in x5c).
    impostor = pki.KeySigner(ec.generate_private_key(ec.SECP256R1()), ca.certificate_der)
    with pytest.raises(SignatureInvalid):
        trustlist.parse_trust_list(
            trustlist.sign_trust_list(national_list(dscs), impostor), ca_certificate, at=at
        )

    # Signed by another country's CA: does not chain to ours.
    other_key = pki.KeySigner(ec.generate_private_key(ec.SECP256R1()))
    other_ca = other_key.with_certificate(
        der(pki.create_national_ca(other_key, country="XX", not_before=T0))
    )
    with pytest.raises(UntrustedListSigner, match="did not issue"):
        trustlist.parse_trust_list(
            trustlist.sign_trust_list(national_list(dscs), other_ca), ca_certificate, at=at
        )

    with pytest.raises(MalformedList, match="not JSON"):
        trustlist.parse_trust_list(b"\x00garbage", ca_certificate, at=at)
    with pytest.raises(MalformedList, match="JWS"):
        trustlist.parse_trust_list(b'{"certificates": []}', ca_certificate, at=at)


def test_unsigned_algorithm_and_wrong_type_are_refused(ca, ca_certificate, dscs):
    published = trustlist.sign_trust_list(national_list(dscs), ca)

    def header_with(**changes):
        def change(protected):
            header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
            header.update(changes)
            return base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()

        return tamper(published, "protected", change)

    with pytest.raises(MalformedList, match="'none'"):
        trustlist.parse_trust_list(header_with(alg="none"), ca_certificate, at=T0 + DAY)
    with pytest.raises(MalformedList, match="critical"):
        trustlist.parse_trust_list(header_with(crit=["exp"]), ca_certificate, at=T0 + DAY)
    revocations = trustlist.sign_revocation_list(RevocationList(), ca)
    with pytest.raises(MalformedList, match="not a trust list"):
        trustlist.parse_trust_list(revocations, ca_certificate, at=T0 + DAY)
    with pytest.raises(MalformedList, match="not a revocation list"):
        trustlist.parse_revocation_list(published, ca_certificate, at=T0 + DAY)


def test_a_list_signer_may_sign_but_a_dsc_may_not(ca, ca_certificate, dscs):
    list_signer = new_signer(ca, pki.issue_list_signer)
    published = trustlist.sign_trust_list(national_list(dscs), list_signer)
    parsed = trustlist.parse_trust_list(published, ca_certificate, at=T0 + DAY)
    assert len(parsed) == 2
    # A DSC chains to the CA too, but a compromised passport key must not forge lists.
    with pytest.raises(UntrustedListSigner, match="not a list signer"):
        trustlist.parse_trust_list(
            trustlist.sign_trust_list(national_list(dscs), dscs[0]), ca_certificate, at=T0 + DAY
        )
    with pytest.raises(UntrustedListSigner, match="not valid on"):
        trustlist.parse_trust_list(published, ca_certificate, at=T0 + 3 * 365 * DAY)


def test_rotation_keeps_the_old_signer_until_its_validity_ends(ca, ca_certificate, dscs):
    old, new = dscs
    # Day 100: the old DSC signs a certificate valid 12 months; from day 160 the new DSC
    # signs.
    document = b"Sig_structure of a certificate issued on day 100"
    signature = old.sign(document)
    certificates = [x509.load_der_x509_certificate(s.certificate_der) for s in dscs]
    assert pki.choose_document_signer(certificates, T0 + 100 * DAY) == certificates[0]
    assert pki.choose_document_signer(certificates, T0 + 300 * DAY) == certificates[1]
    # Day 400: the published list still holds the old DSC, and the old certificate
    # verifies through it.
    trust_list = national_list(dscs).pruned(T0 + 400 * DAY)
    published = trustlist.sign_trust_list(trust_list, ca)
    by_kid = trustlist.parse_trust_list(
        published, ca_certificate, at=T0 + 400 * DAY
    ).certificates_by_kid()
    assert set(by_kid) == {old.kid, new.kid}
    assert pki.verify_signature(by_kid[old.kid].public_key(), "ES256", signature, document)
    # After its two years the old DSC leaves the list; the new one stays.
    late = national_list(dscs).pruned(T0 + pki.DSC_VALIDITY + DAY)
    assert set(late.certificates_by_kid()) == {new.kid}
    # Withdrawing a compromised DSC, and adding one twice, work as expected.
    assert old.kid not in national_list(dscs).without(old.kid)
    again = trust_list.with_certificate(x509.load_der_x509_certificate(new.certificate_der))
    assert again == trust_list


# --- Revocation -----------------------------------------------------------------------


def test_the_three_eu_hash_types():
    signature = bytes(range(64))  # raw r||s
    hashes = trustlist.revocation_hashes(uci=UVCI, country="VN", signature=signature)
    assert hashes.uci == hashlib.sha256(UVCI.encode()).digest()[:16]
    assert hashes.country_code_uci == hashlib.sha256(b"VN" + UVCI.encode()).digest()[:16]
    assert hashes.signature == hashlib.sha256(bytes(range(32))).digest()[:16]  # r only
    # Changing s (a malleable half) keeps the SIGNATURE hash.
    assert trustlist.signature_hash(signature[:32] + bytes(32)) == hashes.signature
    rsa_signature = bytes(range(256))
    assert (
        trustlist.signature_hash(rsa_signature, "PS256")
        == (hashlib.sha256(rsa_signature).digest()[:16])
    )
    assert hashes.by_type()[HashType.COUNTRYCODEUCI] == hashes.country_code_uci


def test_signed_revocation_list_round_trip_and_membership(ca, ca_certificate, dscs):
    old, new = dscs
    revoked_signature = old.sign(b"a revoked certificate's Sig_structure")
    expires = T0 + 400 * DAY + datetime.timedelta(hours=5)
    entries = trustlist.revocation_entries(
        old.kid, uci=UVCI, country="VN", signature=revoked_signature, expires=expires
    )
    entries += trustlist.revocation_entries(
        new.kid,
        uci="URN:UVCI:01:VN:OTHER#X",
        country="VN",
        signature=new.sign(b"another"),
        expires=T0 + 500 * DAY,
        hash_types=[HashType.SIGNATURE],
    )
    revocations = RevocationList(entries, issued_at=T0 + 30 * DAY)
    published = trustlist.sign_revocation_list(revocations, ca)
    parsed = trustlist.parse_revocation_list(published, ca_certificate, at=T0 + 31 * DAY)
    assert parsed.entries == revocations.entries and len(parsed) == 4
    assert parsed.issued_at == T0 + 30 * DAY

    hashes = trustlist.revocation_hashes(uci=UVCI, country="VN", signature=revoked_signature)
    assert parsed.contains(old.kid, hashes.uci)
    assert parsed.contains(old.kid, hashes.signature)
    assert not parsed.contains(new.kid, hashes.uci)  # grouped by signer
    assert parsed.is_revoked(old.kid, hashes)
    fine = trustlist.revocation_hashes(
        uci="URN:UVCI:01:VN:VALID#Q", country="VN", signature=old.sign(b"valid")
    )
    assert not parsed.is_revoked(old.kid, fine)

    # Batches: one per kid, hash type and expiry day, expiring at the next midnight.
    payload = json.loads(base64.urlsafe_b64decode(json.loads(published)["payload"] + "=="))
    batches = {(b["kid"], b["hashType"]): b for b in payload["batches"]}
    assert len(batches) == 4
    first = batches[(base64.b64encode(old.kid).decode(), "UCI")]
    assert first["expires"] == "2027-02-06T00:00:00Z"
    assert first["hashes"] == [base64.b64encode(hashes.uci).decode()]

    # Once the certificates have expired, their entries can go.
    assert len(parsed.pruned(T0 + 402 * DAY)) == 1
    assert len(parsed.pruned(T0 + 501 * DAY)) == 0


def test_revocation_list_refuses_tampering(ca, ca_certificate, dscs):
    entries = trustlist.revocation_entries(
        dscs[0].kid, uci=UVCI, country="VN", signature=bytes(64), expires=T0 + 300 * DAY
    )
    published = trustlist.sign_revocation_list(RevocationList(entries), ca)

    def drop_entries(payload_b64):
        payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
        payload["batches"] = []
        return base64.urlsafe_b64encode(trustlist.canonical_json(payload)).rstrip(b"=").decode()

    with pytest.raises(SignatureInvalid):
        trustlist.parse_revocation_list(
            tamper(published, "payload", drop_entries), ca_certificate, at=T0 + DAY
        )


# --- EU gateway import ----------------------------------------------------------------


def gateway_item(certificate_der: bytes, country: str, **overrides) -> dict:
    item = {
        "kid": base64.b64encode(kid_of(certificate_der)).decode(),
        "timestamp": "2021-06-01T10:00:00Z",
        "country": country,
        "certificateType": "DSC",
        "thumbprint": hashlib.sha256(certificate_der).hexdigest(),
        "signature": "MIAGCSqGSIb3DQEHAqCAMIACAQEx",  # CMS by the uploader, not checked
        "rawData": base64.b64encode(certificate_der).decode(),
    }
    item.update(overrides)
    return item


def conformance_certificate(path: str) -> bytes:
    file = CONFORMANCE / path
    if not file.exists():
        pytest.skip(f"conformance data not found at {file}")
    return base64.b64decode(json.loads(file.read_text())["TESTCTX"]["CERTIFICATE"])


def test_import_of_the_eu_gateway_dsc_list(ca, ca_certificate, dscs):
    german = conformance_certificate("DE/2DCode/raw/1.json")
    austrian = conformance_certificate("AT/2DCode/raw/1.json")
    ours = dscs[0].certificate_der
    pem = x509.load_der_x509_certificate(austrian).public_bytes(serialization.Encoding.PEM)
    document = [
        gateway_item(german, "DE"),
        gateway_item(austrian, "AT", rawData=pem.decode()),  # PEM is accepted too
        gateway_item(ours, "VN"),
        gateway_item(ours, "VN", certificateType="CSCA"),  # not a signer: skipped
        gateway_item(german, "DE", kid="AAAAAAAAAAA="),
        gateway_item(austrian, "AT", thumbprint="00" * 32),
        gateway_item(ours, "viet nam"),
    ]
    imported = trustlist.import_gateway_trust_list(json.dumps(document))
    by_kid = imported.trust_list.certificates_by_kid()
    assert set(by_kid) == {kid_of(german), kid_of(austrian), kid_of(ours)}
    assert imported.trust_list.get(kid_of(german)).country == "DE"
    reasons = [reason for _, reason in imported.rejected]
    assert len(reasons) == 3
    assert any("kid does not match" in r for r in reasons)
    assert any("thumbprint" in r for r in reasons)
    assert any("two-letter" in r for r in reasons)

    # The national backend format wraps the array; with CSCAs, only DSCs they issued stay.
    anchored = trustlist.import_gateway_trust_list(
        {"certificates": document[:3]}, cscas=[ca_certificate]
    )
    assert set(anchored.trust_list.certificates_by_kid()) == {kid_of(ours)}
    assert sorted(r for _, r in anchored.rejected) == [
        "not issued by a CSCA of AT",
        "not issued by a CSCA of DE",
    ]

    # Foreign signers join the national list, and the result publishes and parses.
    merged = national_list(dscs).merged(imported.trust_list)
    assert len(merged) == 4
    parsed = trustlist.parse_trust_list(
        trustlist.sign_trust_list(merged, ca), ca_certificate, at=T0 + DAY
    )
    assert der(parsed.certificates_by_kid()[kid_of(german)]) == german


def test_a_foreign_certificate_verifies_through_the_imported_list():
    """The German test vector's COSE signature checks with the certificate found under the
    kid of its protected header in the imported list."""
    cbor2 = pytest.importorskip("cbor2")
    vector = CONFORMANCE / "DE/2DCode/raw/1.json"
    if not vector.exists():
        pytest.skip(f"conformance data not found at {vector}")
    data = json.loads(vector.read_text())
    certificate = base64.b64decode(data["TESTCTX"]["CERTIFICATE"])
    imported = trustlist.import_gateway_trust_list([gateway_item(certificate, "DE")])
    cose = cbor2.loads(bytes.fromhex(data["COSE"]))
    protected, unprotected, payload, signature = cose.value if hasattr(cose, "value") else cose
    header = cbor2.loads(protected)
    kid = header.get(4) or unprotected.get(4)
    signer = imported.trust_list.certificates_by_kid()[kid]
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    assert pki.verify_signature(signer.public_key(), "ES256", signature, to_be_signed)
    assert not pki.verify_signature(signer.public_key(), "ES256", signature, to_be_signed + b"x")


def test_malformed_gateway_documents():
    with pytest.raises(MalformedList, match="JSON array"):
        trustlist.import_gateway_trust_list({"something": "else"})
    with pytest.raises(MalformedList, match="not JSON"):
        trustlist.import_gateway_trust_list(b"<html>")
    imported = trustlist.import_gateway_trust_list(
        [{"kid": "x", "country": "DE", "rawData": "bm90IGEgY2VydA=="}, "text"]
    )
    assert len(imported.trust_list) == 0
    assert [reason for _, reason in imported.rejected] == [
        "rawData is not a certificate",
        "not an object",
    ]


def test_revocation_entries_are_checked():
    with pytest.raises(trustlist.TrustListError, match="16 bytes"):
        trustlist.revocation_entry(b"k" * 8, "UCI", bytes(15), T0)
    with pytest.raises(ValueError):
        trustlist.revocation_entry(b"k" * 8, "NOT-A-TYPE", bytes(16), T0)
    payload = {
        "version": 1,
        "issuer": "VN",
        "issuedAt": "2026-12-01T00:00:00Z",
        "batches": [
            {"kid": "a2tra2tra2s=", "hashType": "UCI", "expires": "2027-01-01T00:00:00Z",
             "hashes": ["AAAA"]}
        ],
    }  # fmt: skip
    with pytest.raises(MalformedList, match="not 16 bytes"):
        RevocationList.from_json(payload)
    payload["batches"][0]["hashes"] = [base64.b64encode(bytes(16)).decode()]
    assert RevocationList.from_json(payload).contains(b"k" * 8, bytes(16))
