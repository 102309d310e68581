"""The verifier's verdicts and reasons on certificates that are wrong in one way each,
the JSON form, the input kinds, and a fuzz test of the decoder."""

from __future__ import annotations

import io
import json
import random
import zlib
from datetime import UTC, date, datetime, timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from vaxpass.core.dcc import (
    DccError,
    Dose,
    Person,
    RevocationSet,
    Status,
    Verifier,
    encode_vaccination_certificate,
    parse_instant,
    qr,
    sign_dcc,
    verify_certificate,
)
from vaxpass.core.dcc import cose as cose_module
from vaxpass.core.dcc import verify as verify_module
from vaxpass.core.dcc.base45 import b45decode, b45encode
from vaxpass.core.dcc.cose import sign1
from vaxpass.core.dcc.encode import compress, hc1_of_cose

from .keys import EKU_RECOVERY, EKU_TEST, TestSigner

NOW = datetime(2022, 3, 1, 8, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=10)
PERSON = Person.from_full_name("Lê Thị Bích Ngọc", "1985-11-20")
DOSES = [
    Dose("EU/1/20/1528", date(2021, 8, 1), 1, 2),
    Dose("EU/1/20/1528", date(2021, 8, 22), 2, 2),
]
CHECK_KEYS = {"verify", "decode", "unprefix", "b45decode", "compression", "expiration"}
CHECK_KEYS |= {"keyusage", "schema", "revocation", "picturedecode", "valid", "reasons"}


@pytest.fixture(scope="module")
def cert(signer):
    return encode_vaccination_certificate(PERSON, DOSES, signer, issued_at=NOW)


def codes(result) -> set[str]:
    return {r.code for r in result.reasons}


def test_valid(signer, cert):
    result = Verifier(signer.trust_list()).verify(cert.hc1, at=LATER)
    assert result.valid and result.status is Status.VALID and not result.reasons
    assert all(result.checks[c] for c in ("unprefix", "b45decode", "compression", "decode"))
    assert result.checks["picturedecode"] is None and result.checks["revocation"] is None
    assert result.certificate_type == "v" and result.signer == signer.certificate
    assert result.issued_at == NOW and result.expires_at == cert.expires_at


def test_json_form(signer, cert):
    document = Verifier(signer.trust_list()).verify(cert.hc1, at=LATER).to_json()
    assert CHECK_KEYS <= document.keys()
    assert document["valid"] is True and document["reasons"] == []
    assert document["kid"] == signer.kid.hex() and document["status"] == "VALID"
    assert document["dcc"]["nam"]["fnt"] == "LE"
    json.dumps(document)  # serialisable as it is


def test_module_function_and_certificate_list(signer, cert):
    assert verify_certificate(cert.hc1, [signer.certificate], at=LATER).valid


def test_wrong_key(signer, cert):
    # Another key whose certificate claims the same kid: the signature does not match.
    impostor = TestSigner()
    result = Verifier({signer.kid: impostor.certificate}).verify(cert.hc1, at=LATER)
    assert result.checks["verify"] is False and codes(result) == {"signature_invalid"}
    assert result.status is Status.NOT_VALID


def test_signer_not_in_trust_list(cert):
    result = Verifier(TestSigner().trust_list()).verify(cert.hc1, at=LATER)
    assert result.checks["verify"] is False and codes(result) == {"kid_unknown"}
    assert result.checks["keyusage"] is None  # no signer to judge


def test_tampered_signature(signer, cert):
    cose = bytearray(cert.cose)
    cose[-1] ^= 0x01
    result = Verifier(signer.trust_list()).verify(hc1_of_cose(bytes(cose)), at=LATER)
    assert result.checks["verify"] is False and codes(result) == {"signature_invalid"}
    assert result.checks["decode"] is True  # the content is readable, just not genuine


def test_tampered_content(signer, cert):
    forged = cert.cose.replace("Ngọc".encode(), "Ngợc".encode())  # same length in UTF-8
    assert forged != cert.cose
    result = Verifier(signer.trust_list()).verify(hc1_of_cose(forged), at=LATER)
    assert codes(result) == {"signature_invalid"} and not result.valid


def _message(protected: dict, unprotected: dict, payload: bytes, sign) -> bytes:
    protected_bytes = cbor2.dumps(protected) if protected else b""
    to_sign = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    return cbor2.dumps(cbor2.CBORTag(18, [protected_bytes, unprotected, payload, sign(to_sign)]))


def test_wrong_protected_kid_fails_even_with_the_right_unprotected_one(signer, cert):
    payload = cbor2.loads(cert.cose).value[2]
    cose = _message({1: -7, 4: b"wrongkid"}, {4: signer.kid}, payload, signer.sign)
    result = Verifier(signer.trust_list()).verify(hc1_of_cose(cose), at=LATER)
    assert result.kid == b"wrongkid" and codes(result) == {"kid_unknown"}


def test_kid_and_alg_in_the_unprotected_header_only(signer, cert):
    payload = cbor2.loads(cert.cose).value[2]
    cose = _message({}, {1: -7, 4: signer.kid}, payload, signer.sign)
    assert Verifier(signer.trust_list()).verify(cose, at=LATER).valid


def test_missing_kid_and_unknown_algorithm(signer, cert):
    payload = cbor2.loads(cert.cose).value[2]
    no_kid = _message({1: -7}, {}, payload, signer.sign)
    assert codes(Verifier(signer.trust_list()).verify(no_kid, at=LATER)) == {"kid_missing"}
    es384 = _message({1: -35, 4: signer.kid}, {}, payload, signer.sign)
    result = Verifier(signer.trust_list()).verify(es384, at=LATER)
    assert codes(result) == {"algorithm_unsupported"}


def test_es256_header_with_a_p384_key_is_refused(cert):
    p384 = TestSigner(curve=ec.SECP384R1())
    cose, _ = sign1(cbor2.loads(cert.cose).value[2], p384)  # header says ES256 (-7)
    result = Verifier(p384.trust_list()).verify(cose, at=LATER)
    assert codes(result) == {"signature_invalid"}


def test_expired_and_not_yet_valid(signer, cert):
    verifier = Verifier(signer.trust_list())
    expired = verifier.verify(cert.hc1, at=cert.expires_at + timedelta(seconds=1))
    assert expired.checks["expiration"] is False and codes(expired) == {"expired"}
    assert expired.status is Status.EXPIRED and expired.checks["verify"] is True
    assert verifier.verify(cert.hc1, at=cert.expires_at).valid  # exp itself still counts
    early = verifier.verify(cert.hc1, at=NOW - timedelta(seconds=1))
    assert codes(early) == {"not_yet_valid"} and early.status is Status.NOT_VALID


def test_float_times_and_missing_expiry(signer, cert):
    claims = {1: "VN", 6: NOW.timestamp() + 0.5, 4: LATER.timestamp() + 0.25, -260: {1: cert.dcc}}
    cose, _ = sign1(cbor2.dumps(claims), signer)
    assert Verifier(signer.trust_list()).verify(cose, at=LATER).valid
    assert not Verifier(signer.trust_list()).verify(cose, at=LATER + timedelta(seconds=1)).valid
    cose, _ = sign1(cbor2.dumps({1: "VN", 6: 1, -260: {1: cert.dcc}}), signer)
    assert codes(Verifier(signer.trust_list()).verify(cose, at=LATER)) == {"validity_missing"}


def test_revoked(signer, cert):
    for revoked in (cert.revocation_hashes().uci, cert.revocation_hashes().signature):
        revocation = RevocationSet({signer.kid: {revoked}})
        result = Verifier(signer.trust_list(), revocation).verify(cert.hc1, at=LATER)
        assert result.checks["revocation"] is False and codes(result) == {"revoked"}
        assert result.status is Status.REVOKED
    other_signer = RevocationSet({b"otherkid": {cert.revocation_hashes().uci}})
    result = Verifier(signer.trust_list(), other_signer).verify(cert.hc1, at=LATER)
    assert result.valid and result.checks["revocation"] is True


def test_key_usage(cert):
    test_only = TestSigner(usages=(EKU_TEST,))
    hc1, _, _ = sign_dcc(cert.dcc, test_only, issuer_country="VN", issued_at=NOW, expires_at=LATER)
    result = Verifier(test_only.trust_list()).verify(hc1, at=LATER)
    assert result.checks["verify"] is True and result.checks["keyusage"] is False
    assert codes(result) == {"key_usage"} and not result.valid
    for usages in ((), (EKU_RECOVERY, "1.3.6.1.4.1.0.1847.2021.1.2")):  # none = any type
        ok = TestSigner(usages=usages)
        hc1, _, _ = sign_dcc(cert.dcc, ok, issuer_country="VN", issued_at=NOW, expires_at=LATER)
        assert Verifier(ok.trust_list()).verify(hc1, at=LATER).valid


def test_schema_invalid(signer, cert):
    dcc = {**cert.dcc, "dob": "85-11-20"}
    hc1, _, _ = sign_dcc(dcc, signer, issuer_country="VN", issued_at=NOW, expires_at=LATER)
    result = Verifier(signer.trust_list()).verify(hc1, at=LATER)
    assert result.checks["schema"] is False and codes(result) == {"schema_invalid"}
    assert "/dob" in result.reasons[0].message


def test_tagged_datetimes_become_strings(signer, cert):
    dcc = {
        "ver": "1.3.0",
        "nam": cert.dcc["nam"],
        "dob": "1985-11-20",
        "t": [
            {
                "tg": "840539006",
                "tt": "LP6464-4",
                "sc": datetime(2021, 6, 1, 9, 0, tzinfo=UTC),  # tag 0 in CBOR
                "tr": "260415000",
                "tc": "Bệnh viện Bạch Mai",
                "co": "VN",
                "is": "Ministry of Health of Viet Nam",
                "ci": cert.uvci,
            }
        ],
    }
    hc1, _, _ = sign_dcc(dcc, signer, issuer_country="VN", issued_at=NOW, expires_at=LATER)
    result = Verifier(signer.trust_list()).verify(hc1, at=LATER)
    assert result.checks["schema"] is True and result.dcc["t"][0]["sc"] == "2021-06-01T09:00:00Z"


@pytest.mark.parametrize(
    ("text", "check", "code"),
    [
        ("HC2:6BFOXN%TS3DH", "unprefix", "wrong_prefix"),
        ("6BFOXN%TS3DH0YOJ", "unprefix", "wrong_prefix"),
        ("hc1:6BFOXN%TS3DH", "unprefix", "wrong_prefix"),
        ("HC1:6bfoxn", "b45decode", "base45_invalid"),
        ("HC1:6BFOX", "b45decode", "base45_invalid"),
        ("HC1:" + b45encode(b"not zlib at all"), "compression", "compression_invalid"),
        ("HC1:" + b45encode(zlib.compress(b"x" * 100)[:-6]), "compression", "compression_invalid"),
        (
            "HC1:" + b45encode(zlib.compress(b"\0" * 1_000_000)),
            "compression",
            "compression_invalid",
        ),
        ("HC1:" + b45encode(compress(b"\xa1\x01\x02")), "decode", "cose_invalid"),
        (
            "HC1:" + b45encode(compress(cbor2.dumps(cbor2.CBORTag(98, [])))),
            "decode",
            "cose_invalid",
        ),
    ],
)
def test_broken_stages(signer, text, check, code):
    result = Verifier(signer.trust_list()).verify(text, at=LATER)
    assert result.checks[check] is False and code in codes(result)
    assert result.status is Status.NOT_VALID and not result.to_json()["valid"]


def test_not_a_cwt_or_no_dcc(signer):
    for payload in (b"\xff\xfe", cbor2.dumps([1, 2]), cbor2.dumps({1: "VN", -260: {1: b"x"}})):
        cose, _ = sign1(payload, signer)
        result = Verifier(signer.trust_list()).verify(cose, at=LATER)
        assert result.checks["decode"] is False and codes(result) & {"cwt_invalid", "dcc_missing"}
        assert result.checks["verify"] is True  # genuine, but not a certificate


def test_images(signer, cert):
    verifier = Verifier(signer.trust_list())
    png = qr.png(cert.hc1)
    result = verifier.verify(png, at=LATER)
    assert result.valid and result.checks["picturedecode"] is True
    # A JPEG photo of it, scaled and recompressed.
    image = Image.open(io.BytesIO(qr.png(cert.hc1, scale=6))).convert("RGB").resize((700, 700))
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=70)
    assert verifier.verify_image(jpeg.getvalue(), at=LATER).valid


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\0" * 50,  # a broken PNG
        b"\xff\xd8\xff\xe0garbage",  # a broken JPEG
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00",
    ],
)
def test_unreadable_image(signer, data):
    result = Verifier(signer.trust_list()).verify(data, at=LATER)
    assert result.checks["picturedecode"] is False and codes(result) == {"image_unreadable"}


def test_image_without_qr_code(signer):
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, "PNG")
    result = Verifier(signer.trust_list()).verify_image(blank.getvalue(), at=LATER)
    assert codes(result) == {"image_unreadable"} and not result.valid


def test_input_kinds(signer, cert):
    verifier = Verifier(signer.trust_list())
    assert verifier.verify(cert.hc1.encode() + b"\n", at=LATER).valid  # bytes of a text file
    assert verifier.verify(cert.cose, at=LATER).valid  # raw COSE, tagged
    untagged = cbor2.dumps(cbor2.loads(cert.cose).value)
    assert verifier.verify(untagged, at=LATER).valid
    cwt_tagged = cbor2.dumps(cbor2.CBORTag(61, cbor2.loads(cert.cose)))
    assert verifier.verify(cwt_tagged, at=LATER).valid
    raw = verifier.verify(cert.cose, at=LATER)
    assert raw.checks["unprefix"] is None and raw.checks["b45decode"] is None


def test_parse_instant():
    assert parse_instant("2021-05-17T16:41:00") == datetime(2021, 5, 17, 16, 41, tzinfo=UTC)
    assert parse_instant("2021-06-09T18:34:43.4766233+03:00").utcoffset() == timedelta(hours=3)
    with pytest.raises(DccError):
        parse_instant("yesterday")


# --- fuzz ------------------------------------------------------------------------------


def _mutations(data: bytes) -> st.SearchStrategy[bytes]:
    def mutate(edits: list[tuple[int, int, int]]) -> bytes:
        out = bytearray(data)
        for kind, position, value in edits:
            i = position % (len(out) + 1)
            if kind == 0 and i < len(out):
                out[i] = value
            elif kind == 1:
                out.insert(i, value)
            elif i < len(out):
                del out[i]
        return bytes(out)

    edit = st.tuples(st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 255))
    return st.lists(edit, min_size=1, max_size=8).map(mutate)


@pytest.fixture(scope="module")
def fuzz_verifier(signer):
    return Verifier(signer.trust_list(), RevocationSet())


def _fuzz_once(verifier, cert, data) -> None:
    zlib_bytes = b45decode(cert.hc1[4:])
    source = data.draw(st.sampled_from(["cose", "zlib", "text", "random", "random_text"]))
    if source == "cose":
        payload = data.draw(_mutations(cert.cose))
        result = verifier.verify_cose(payload, at=LATER)
    elif source == "zlib":
        result = verifier.verify("HC1:" + b45encode(data.draw(_mutations(zlib_bytes))), at=LATER)
    elif source == "text":
        mutated = data.draw(_mutations(cert.hc1.encode()))
        result = verifier.verify(mutated.decode("latin-1"), at=LATER)
    elif source == "random":
        result = verifier.verify(data.draw(st.binary(max_size=600)), at=LATER)
    else:
        result = verifier.verify("HC1:" + data.draw(st.text(max_size=300)), at=LATER)
    # Whatever came in, a result came out: a verdict with reasons, serialisable.
    assert result.status in Status
    assert result.valid or result.reasons
    json.dumps(result.to_json())


def test_verify_many_gives_what_verify_gives(signer, cert):
    verifier = Verifier(
        signer.trust_list(), RevocationSet({signer.kid: {cert.revocation_hashes().uci}})
    )
    other = encode_vaccination_certificate(PERSON, DOSES, signer, issued_at=NOW)
    items = [
        cert.hc1,
        other.hc1,
        "HC2:ABC",
        "HC1:abc",
        other.cose,
        qr.png(other.hc1),
        b"\x89PNG...",
    ]
    many = verifier.verify_many(items, at=LATER)
    single = [verifier.verify(item, at=LATER) for item in items]
    assert [r.to_json() for r in many] == [r.to_json() for r in single]
    assert [r.status for r in many[:3]] == [Status.REVOKED, Status.VALID, Status.NOT_VALID]


def _common_path_inputs(signer, rsa_signer, cert, revoked, test_only) -> list[str | bytes]:
    """Certificates that pass or fail each check, in each layout, and mutations at each
    stage (deterministic, so that a failure can be run again)."""
    tagged = {**cert.dcc, "v": [{**cert.dcc["v"][0], "dt": datetime(2021, 8, 1, tzinfo=UTC)}]}
    float_times = {1: "VN", 6: NOW.timestamp() + 0.5, 4: LATER.timestamp(), -260: {1: cert.dcc}}
    bare = cbor2.dumps(cbor2.loads(cert.cose).value)  # COSE_Sign1 without tag 18
    times = {"issuer_country": "VN", "issued_at": NOW, "expires_at": LATER}
    items: list[str | bytes] = [
        cert.hc1,
        f" {cert.hc1}\n",
        revoked.hc1,
        encode_vaccination_certificate(PERSON, DOSES, rsa_signer, issued_at=NOW).hc1,
        sign_dcc(tagged, signer, **times)[0],
        sign_dcc({**cert.dcc, "dob": "85"}, signer, **times)[0],
        sign_dcc(cert.dcc, test_only, **times)[0],
        hc1_of_cose(sign1(cbor2.dumps(float_times), signer)[0]),
        hc1_of_cose(bare),
        cert.cose,
        cert.hc1.encode(),
        "HC1:",
        "",
    ]
    rng = random.Random(20211)
    zlib_bytes = b45decode(cert.hc1[4:])
    for _ in range(120):
        cose = bytearray(cert.cose)
        cose[rng.randrange(len(cose))] = rng.randrange(256)
        items.append(hc1_of_cose(bytes(cose)))
        compressed = bytearray(zlib_bytes)
        compressed[rng.randrange(len(compressed))] = rng.randrange(256)
        items.append("HC1:" + b45encode(bytes(compressed)))
        text = list(cert.hc1)
        text[rng.randrange(len(text))] = rng.choice("0123456789ABCDEFXYZ $%*+-./:a")
        items.append("".join(text))
    return items


def test_common_paths_give_what_the_steps_give(signer, rsa_signer, cert, monkeypatch):
    # The verifier's common paths (decoding HC1 text at once and COSE by hand, checking
    # the content at once, both in stages over a batch) against the steps alone.
    revoked = encode_vaccination_certificate(PERSON, DOSES, signer, issued_at=NOW)
    test_only = TestSigner(usages=(EKU_TEST,))
    items = _common_path_inputs(signer, rsa_signer, cert, revoked, test_only)
    trust = signer.trust_list() | rsa_signer.trust_list() | test_only.trust_list()
    verifiers = [
        Verifier(trust, RevocationSet({signer.kid: {revoked.revocation_hashes().uci}})),
        Verifier(trust),
        Verifier.for_signer(signer.certificate, RevocationSet()),
    ]
    moments = [NOW - timedelta(seconds=1), LATER, cert.expires_at + timedelta(seconds=1)]
    common = [[v.verify_many(items, at=at) for at in moments] for v in verifiers]
    one_by_one = [[[v.verify(item, at=at) for item in items] for at in moments] for v in verifiers]
    assert sum(r.valid for r in common[0][1]) >= 5  # passing results are compared too

    monkeypatch.setattr(verify_module, "_decoded_texts", lambda items: [None] * len(items))
    monkeypatch.setattr(
        Verifier, "_contents_common", lambda self, results, signers, now: [False] * len(results)
    )
    monkeypatch.setattr(cose_module, "_decode_common", lambda data: None)
    steps = [[v.verify_many(items, at=at) for at in moments] for v in verifiers]
    # Results compare field by field (the checks, reasons, decoded parts, signer, hashes).
    assert common == steps
    assert one_by_one == steps


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzz_decoder_gives_only_clean_results(fuzz_verifier, cert, data):
    _fuzz_once(fuzz_verifier, cert, data)


@pytest.mark.slow
@settings(
    max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzz_decoder_at_length(fuzz_verifier, cert, data):
    _fuzz_once(fuzz_verifier, cert, data)
