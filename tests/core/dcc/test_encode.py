"""Issuing: the DCC payload, the CWT and COSE structure, and round trips through the
verifier and an independent decoder for the dose patterns the platform issues."""

from __future__ import annotations

import json
import unicodedata
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import base45
import cbor2
import jsonschema
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxpass.core import pki
from vaxpass.core.dcc import (
    DEFAULT_VALIDITY,
    DccError,
    Dose,
    Person,
    Verifier,
    encode_vaccination_certificate,
    encode_vaccination_certificates,
)
from vaxpass.core.dcc.cbor import claims_prefix, vaccination_claims
from vaxpass.core.dcc.encode import compress
from vaxpass.core.dcc.payload import payload_and_claims, vaccination_payload
from vaxpass.core.dcc.uvci import has_valid_checksum, make_uvci, make_uvcis

SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "dcc-conformance" / "schema"
AZ, PFIZER, MODERNA, VERO = "EU/1/21/1529", "EU/1/20/1528", "EU/1/20/1507", "BBIBP-CorV"
NOW = datetime(2022, 3, 1, 8, 30, tzinfo=UTC)
FACILITIES = ("Trạm Y tế phường Trúc Bạch", "Bệnh viện Bạch Mai", "Trung tâm Y tế quận 1")

PATTERNS = {
    "primary series": [Dose(AZ, date(2021, 7, 1), 1, 2), Dose(AZ, date(2021, 9, 1), 2, 2)],
    "booster": [
        Dose(VERO, date(2021, 8, 1), 1, 2),
        Dose(VERO, date(2021, 8, 22), 2, 2),
        Dose(PFIZER, date(2022, 1, 10), 3, 3),
    ],
    "mixed products": [Dose(AZ, date(2021, 7, 1), 1, 2), Dose(MODERNA, date(2021, 9, 1), 2, 2)],
    "three facilities": [
        Dose(VERO, date(2021, 8, 1), 1, 2, facility=FACILITIES[0]),
        Dose(VERO, date(2021, 8, 29), 2, 2, facility=FACILITIES[1]),
        Dose(PFIZER, date(2022, 2, 1), 3, 3, facility=FACILITIES[2]),
    ],
    "single-dose product": [Dose("EU/1/20/1525", date(2021, 10, 1), 1, 1)],
}
PEOPLE = {
    "full birth date": Person.from_full_name("Nguyễn Thị Hoà", "1957-03-04"),
    "year-only birth date": Person.from_full_name("Trần Văn Tám", "1938"),
    "every diacritic": Person(
        "Đặng",
        "ẮẰẲẴẶ ẤẦẨẪẬ ẾỀỂỄỆ ÍÌỈĨỊ ỐỒỔỖỘ ỚỜỞỠỢ ỨỪỬỮỰ ÝỲỶỸỴ áàảãạ éèẻẽẹ óòỏõọ úùủũụ đ",
        "1990-12",
    ),
}


def schema(version: str) -> dict:
    return json.loads((SCHEMAS / f"{version}.json").read_text("utf-8"))


def independent_decode(hc1: str) -> tuple[dict, dict, bytes, bytes]:
    """HC1 → claims with nothing of vaxpass: PyPI base45, zlib, cbor2."""
    assert hc1.startswith("HC1:")
    message = cbor2.loads(zlib.decompress(base45.b45decode(hc1[4:])))
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    return cbor2.loads(protected), cbor2.loads(payload), payload, signature


@pytest.mark.parametrize("person_kind", PEOPLE)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_round_trip(signer, pattern, person_kind):
    person, doses = PEOPLE[person_kind], PATTERNS[pattern]
    cert = encode_vaccination_certificate(person, doses, signer, issued_at=NOW)

    result = Verifier(signer.trust_list()).verify(cert.hc1, at=NOW + timedelta(days=1))
    assert result.valid, result.reasons
    assert result.dcc == cert.dcc
    assert (result.kid, result.issuer) == (signer.kid, "VN")
    # Valid against the schema with the pure-Python reference implementation too.
    for version in ("1.3.0", "1.3.3"):
        jsonschema.validate(cert.dcc, schema(version))

    # The latest dose is on the certificate.
    latest = max(doses, key=lambda d: d.date)
    (entry,) = cert.dcc["v"]
    assert (entry["dn"], entry["sd"], entry["dt"]) == (
        latest.dose_number,
        latest.series_total,
        latest.date.isoformat(),
    )
    assert entry["ci"] == cert.uvci and has_valid_checksum(cert.uvci)


def test_independent_decoder_and_signature(signer):
    person = PEOPLE["full birth date"]
    cert = encode_vaccination_certificate(person, PATTERNS["booster"], signer, issued_at=NOW)
    protected, claims, payload, signature = independent_decode(cert.hc1)
    assert protected == {1: -7, 4: signer.kid}
    assert claims[1] == "VN"
    assert claims[6] == int(NOW.timestamp())
    assert claims[4] == int((NOW + timedelta(days=365)).timestamp())
    assert claims[-260][1] == cert.dcc
    assert signature == cert.signature and len(signature) == 64
    sig_structure = cbor2.dumps(["Signature1", cbor2.dumps(protected), b"", payload])
    der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
    signer.certificate.public_key().verify(der, sig_structure, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        signer.certificate.public_key().verify(der, sig_structure + b"x", ec.ECDSA(hashes.SHA256()))


def test_payload_fields(signer):
    person = PEOPLE["full birth date"]
    cert = encode_vaccination_certificate(person, PATTERNS["booster"], signer, issued_at=NOW)
    assert cert.dcc == {
        "ver": "1.3.0",
        "nam": {"fn": "Nguyễn", "fnt": "NGUYEN", "gn": "Thị Hoà", "gnt": "THI<HOA"},
        "dob": "1957-03-04",
        "v": [
            {
                "tg": "840539006",
                "vp": "1119349007",  # mRNA, from vaccines.get_product
                "mp": PFIZER,
                "ma": "ORG-100030215",
                "dn": 3,
                "sd": 3,
                "dt": "2022-01-10",
                "co": "VN",
                "is": "Ministry of Health of Viet Nam",
                "ci": cert.uvci,
            }
        ],
    }
    assert unicodedata.is_normalized("NFC", cert.dcc["nam"]["gn"])


def test_validity_defaults_to_twelve_months_and_is_configurable(signer):
    person, doses = PEOPLE["full birth date"], PATTERNS["primary series"]
    cert = encode_vaccination_certificate(person, doses, signer, issued_at=NOW)
    assert DEFAULT_VALIDITY == timedelta(days=365)
    assert (cert.issued_at, cert.expires_at) == (NOW, NOW + timedelta(days=365))
    short = encode_vaccination_certificate(
        person, doses, signer, issued_at=NOW, validity=timedelta(days=30)
    )
    assert independent_decode(short.hc1)[1][4] == int((NOW + timedelta(days=30)).timestamp())
    with pytest.raises(DccError):
        encode_vaccination_certificate(person, doses, signer, validity=timedelta(0))


def test_ps256(rsa_signer):
    person, doses = PEOPLE["year-only birth date"], PATTERNS["mixed products"]
    cert = encode_vaccination_certificate(person, doses, rsa_signer, issued_at=NOW)
    assert independent_decode(cert.hc1)[0] == {1: -37, 4: rsa_signer.kid}
    assert Verifier(rsa_signer.trust_list()).verify(cert.hc1, at=NOW).valid


def test_given_uvci_and_revocation_hashes(signer):
    uvci = "URN:UVCI:01:VN:HN/2021/000001#Q"
    cert = encode_vaccination_certificate(
        PEOPLE["full birth date"], PATTERNS["primary series"], signer, uvci=uvci, issued_at=NOW
    )
    assert cert.uvci == uvci == cert.dcc["v"][0]["ci"]
    hashes = cert.revocation_hashes()
    assert len(hashes.uci) == len(hashes.country_code_uci) == len(hashes.signature) == 16


def test_zlib_stream_is_standard():
    for data in (b"", b"x", bytes(range(256)) * 300):
        stream = compress(data)
        assert zlib.decompress(stream) == data
        assert zlib.decompress(compress(data, 9)) == data
    assert compress(b"abc")[:2] == b"\x78\x01"


@pytest.mark.parametrize(
    ("person", "doses", "code"),
    [
        (Person("Nguyễn", "An", "1957-13-01"), PATTERNS["booster"], "input_invalid"),
        (Person("Nguyễn", "An", "1899"), PATTERNS["booster"], "input_invalid"),
        (Person("Nguyễn", "An", "57"), PATTERNS["booster"], "input_invalid"),
        (Person("", "", "1957"), PATTERNS["booster"], "input_invalid"),
        (Person("Иванов", "Иван", "1957"), PATTERNS["booster"], "input_invalid"),
        (PEOPLE["full birth date"], [], "input_invalid"),
        (
            PEOPLE["full birth date"],
            [Dose("Sputnik-XYZ", date(2021, 7, 1), 1, 2)],
            "product_unknown",
        ),
        (PEOPLE["full birth date"], [Dose(AZ, date(2021, 7, 1), 0, 2)], "input_invalid"),
        (
            PEOPLE["full birth date"],
            [Dose(AZ, date(2021, 7, 1), 1, 2, country="VNM")],
            "input_invalid",
        ),
        (PEOPLE["full birth date"], [Dose(AZ, date(2021, 7, 1), 1, 2, issuer="")], "input_invalid"),
    ],
)
def test_unusable_input_is_refused(signer, person, doses, code):
    with pytest.raises(DccError) as caught:
        encode_vaccination_certificate(person, doses, signer)
    assert caught.value.code == code


_NAME_TEXT = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyÀÁẢÃẠĐỆỨ -'", max_size=30)


@settings(deadline=None)  # on a shared machine one example may take longer than 200 ms
@given(
    family=_NAME_TEXT.filter(lambda s: s.strip() and any(c.isalpha() for c in s)),
    given_name=_NAME_TEXT.filter(lambda s: not s.strip() or any(c.isalpha() for c in s)),
    birth=st.sampled_from(["1957", "1957-03", "1957-03-04", "2001-12-31"]),
    dose=st.integers(1, 99),
    total=st.integers(1, 99),
    product=st.sampled_from([AZ, PFIZER, MODERNA, VERO, "EU/1/20/1525"]),
    day=st.dates(date(2020, 12, 1), date(2023, 12, 31)),
    issuer=st.sampled_from(["Ministry of Health of Viet Nam", "Bộ Y tế", "x" * 80]),
    uvci=st.one_of(st.just(None), st.text(min_size=1, max_size=80)),
    iat=st.integers(0, 2**32 - 1),
    validity=st.integers(1, 2**32),
)
def test_hand_written_cbor_is_what_cbor2_writes(
    family, given_name, birth, dose, total, product, day, issuer, uvci, iat, validity
):
    person = Person(family, given_name, birth)
    doses = [Dose(product, day, dose, total, issuer=issuer)]
    uvci = uvci or make_uvci()
    dcc = vaccination_payload(person, doses, uvci)
    claims = {1: "VN", 6: iat, 4: iat + validity, -260: {1: dcc}}
    assert vaccination_claims("VN", iat, iat + validity, dcc) == cbor2.dumps(claims)
    # The batch issuer's path: the same DCC, and claims from the cached parts.
    prefix = claims_prefix("VN", iat, iat + validity, dcc["ver"])
    assert payload_and_claims(person, doses, uvci, prefix) == (dcc, cbor2.dumps(claims))


def test_batch_claims_and_payloads_are_fresh_and_exact():
    signer = pki.KeySigner(ec.generate_private_key(ec.SECP256R1()), b"certificate", "test")
    holders = [(PEOPLE[p], PATTERNS[d]) for p in PEOPLE for d in PATTERNS] * 2
    batch = encode_vaccination_certificates(holders, signer, issued_at=NOW)
    iat = int(NOW.timestamp())
    for (person, doses), cert in zip(holders, batch, strict=True):
        assert cert.dcc == vaccination_payload(person, doses, cert.uvci)
        _protected, claims, _payload, signature = independent_decode(cert.hc1)
        assert claims == {1: "VN", 6: iat, 4: iat + 365 * 86400, -260: {1: cert.dcc}}
        assert signature == cert.signature
    # Cached parts are copied: changing one certificate's DCC changes no other.
    batch[0].dcc["nam"]["fn"] = "changed"
    batch[0].dcc["v"][0]["dn"] = 99
    assert batch[len(holders) // 2].dcc == vaccination_payload(
        *holders[0], batch[len(holders) // 2].uvci
    )


def test_batch_without_payloads_signs_the_same_claims():
    """Mass issuing leaves out the DCC JSON dicts; the HC1 holds the same claims."""
    signer = pki.KeySigner(ec.generate_private_key(ec.SECP256R1()), b"certificate", "test")
    holders = [(PEOPLE[p], PATTERNS[d]) for p in PEOPLE for d in PATTERNS]
    uvcis = make_uvcis(len(holders))
    full = encode_vaccination_certificates(holders, signer, issued_at=NOW, uvcis=uvcis)
    lean = encode_vaccination_certificates(
        holders, signer, issued_at=NOW, uvcis=uvcis, payloads=False
    )
    for with_dcc, without in zip(full, lean, strict=True):
        assert without.dcc is None and without.uvci == with_dcc.uvci
        assert independent_decode(without.hc1)[1] == independent_decode(with_dcc.hc1)[1]
        assert without.expires_at == with_dcc.expires_at


def test_make_uvcis():
    uvcis = make_uvcis(3000)
    assert len(set(uvcis)) == 3000
    assert all(u.startswith("URN:UVCI:01:VN:") and has_valid_checksum(u) for u in uvcis)
    assert all(len(u) == len(make_uvci()) for u in uvcis)
    assert make_uvcis(0) == []
    assert has_valid_checksum(make_uvcis(1, "DE")[0])
    with pytest.raises(DccError):
        make_uvcis(2, "vn")


@pytest.mark.parametrize(
    ("r", "s"),
    [(1, 2), (2**255, 2**255 - 1), (2**248 - 1, 2**256 - 2**224), (0x80, 0x7F), (2**256 - 1, 1)],
)
def test_raw_signature_of_fresh_der_by_slicing(r, s):
    der = encode_dss_signature(r, s)
    assert pki._raw_of_fresh_der(der) == pki.raw_ecdsa_signature(der)


def test_key_signer_signs_many(signer):
    key = ec.generate_private_key(ec.SECP256R1())
    keysigner = pki.KeySigner(key, signer.certificate_der, "test")
    messages = [bytes([n]) * n for n in range(50)]
    signatures = keysigner.sign_many(messages)
    assert len(signatures) == 50
    for message, signature in zip(messages, signatures, strict=True):
        assert pki.verify_signature(key.public_key(), "ES256", signature, message)
        assert pki.verify_signature(key.public_key(), "ES256", keysigner.sign(message), message)


class CountingSigner:
    def __init__(self, inner):
        self.inner, self.signed = inner, 0
        self.algorithm, self.kid = inner.algorithm, inner.kid
        self.certificate_der = inner.certificate_der

    def sign(self, data: bytes) -> bytes:
        self.signed += 1
        return self.inner.sign(data)


def test_batch_issuing(signer):
    holders = [(PEOPLE[p], PATTERNS[d]) for p in PEOPLE for d in PATTERNS]
    batch = encode_vaccination_certificates(holders, signer, issued_at=NOW)
    verifier = Verifier(signer.trust_list())
    assert len(batch) == len(holders) and len({c.uvci for c in batch}) == len(holders)
    for (person, doses), cert in zip(holders, batch, strict=True):
        single = encode_vaccination_certificate(
            person, doses, signer, issued_at=NOW, uvci=cert.uvci
        )
        assert cert.dcc == single.dcc and cert.expires_at == single.expires_at
        assert verifier.verify(cert.hc1, at=NOW).valid


def test_batch_signs_nothing_when_one_input_is_unusable(signer):
    counting = CountingSigner(signer)
    holders = [(PEOPLE["full birth date"], PATTERNS["booster"])] * 3
    holders.append((Person("Nguyễn", "An", "1957-02-30"), PATTERNS["booster"]))
    with pytest.raises(DccError):
        encode_vaccination_certificates(holders, counting, issued_at=NOW)
    assert counting.signed == 0
    with pytest.raises(DccError):
        encode_vaccination_certificates(holders[:2], counting, uvcis=["URN:UVCI:01:VN:A#B"])
