"""Every vector of the EU member states' shared DCC test data (../shared/conformance/dcc)
against this library: one test per vector and flag, so a failure names both.

How each flag is computed (the upstream README's meaning, with the library's result):

- UNPREFIX, B45DECODE, COMPRESSION, VERIFY, EXPIRATIONCHECK, KEYUSAGE, SCHEMAVALIDATION:
  the verifier's check of the same name on ``PREFIX``, with the vector's certificate as
  the one trusted signer (``Verifier.for_signer``) and its ``VALIDATIONCLOCK``.
- PICTUREDECODE: the vector's QR image read with zxing-cpp gives ``PREFIX``; a vector
  with the flag but no image gets ``PREFIX`` rendered by ``qr.png`` and read back.
- DECODE: the COSE payload (from ``COSE``, else from the ``PREFIX`` chain) decodes to a
  DCC, and that DCC and the ``CBOR`` field (the claims map or only the DCC) both have
  the content of ``JSON`` (times compared as instants).
- VALIDJSON: the whole chain from ``PREFIX`` yields a DCC with the content of ``JSON``.
- VALIDOBJECT: the vector's ``JSON`` (else the decoded DCC) passes the schema check.
- ENCODE: ``JSON`` encoded to CBOR decodes to the content of the ``CBOR`` field (or,
  without one, of the decoded DCC).

Three ES vectors (201-203) spell a flag ``EXPTECTEDEXPIRED``; their certificates lie
within their validity at the vector's clock and the flag is true, so it is read as the
EXPECTEDEXPIRATIONCHECK it was meant to be. ES 1001-1003 carry a nested
``"EXPECTEDRESULTS": true``, which names no check and is ignored.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography import x509

from vaxpass.core.dcc import qr
from vaxpass.core.dcc.cose import decode_sign1
from vaxpass.core.dcc.errors import DccError
from vaxpass.core.dcc.schema import schema_errors
from vaxpass.core.dcc.verify import VerificationResult, Verifier, parse_instant

# A copy of ../shared/conformance/dcc (Apache-2.0, see its README), so CI needs nothing else.
TESTDATA = Path(__file__).resolve().parents[2] / "data" / "dcc-conformance" / "testdata"

# Flags the conformance README lists as wrong upstream: (vector path pattern, flag, why).
WRONG_UPSTREAM = [
    (r"NL/", "EXPECTEDSCHEMAVALIDATION", "NL schema flags match no schema version"),
    (r"NL/", "EXPECTEDVALIDOBJECT", "NL schema flags match no schema version"),
    (r"FR/2DCode/raw/test_pcr_ok\.json", "EXPECTEDDECODE", "FR times in JSON are 2 h off"),
    (r"FR/2DCode/raw/test_pcr_ok\.json", "EXPECTEDVALIDJSON", "FR times in JSON are 2 h off"),
    (r"ES/2DCode/raw/40[123]\.json", "EXPECTEDVERIFY", "ES256 header with a P-384 key"),
    (r"PL/1\.3\.0/2DCode/raw/[15]\.json", "EXPECTEDDECODE", "PL JSON names edited after signing"),
    (
        r"PL/1\.3\.0/2DCode/raw/[15]\.json",
        "EXPECTEDVALIDJSON",
        "PL JSON names edited after signing",
    ),
    (r"PL/1\.3\.0/2DCode/raw/[789]\.json", "EXPECTEDSCHEMAVALIDATION", "PL value-set policy"),
]
ALIASES = {"EXPTECTEDEXPIRED": "EXPECTEDEXPIRATIONCHECK"}
VERIFIER_CHECKS = {
    "EXPECTEDUNPREFIX": "unprefix",
    "EXPECTEDB45DECODE": "b45decode",
    "EXPECTEDCOMPRESSION": "compression",
    "EXPECTEDVERIFY": "verify",
    "EXPECTEDEXPIRATIONCHECK": "expiration",
    "EXPECTEDKEYUSAGE": "keyusage",
    "EXPECTEDSCHEMAVALIDATION": "schema",
}
FLAGS = [*VERIFIER_CHECKS, "EXPECTEDPICTUREDECODE", "EXPECTEDDECODE", "EXPECTEDVALIDJSON"]
FLAGS += ["EXPECTEDVALIDOBJECT", "EXPECTEDENCODE"]


def _vectors() -> list[tuple[str, str, bool]]:
    cases = []
    for path in sorted(TESTDATA.rglob("*.json")):
        name = path.relative_to(TESTDATA).as_posix()
        expected = json.loads(path.read_text("utf-8"))["EXPECTEDRESULTS"]
        for flag, value in expected.items():
            flag = ALIASES.get(flag, flag)
            if flag in FLAGS:
                cases.append((name, flag, value))
    return cases


def _params() -> list[Any]:
    params = []
    for name, flag, value in _vectors():
        marks = [
            pytest.mark.skip(reason=f"wrong upstream: {why}")
            for pattern, wrong_flag, why in WRONG_UPSTREAM
            if wrong_flag == flag and re.match(pattern, name)
        ]
        params.append(pytest.param(name, flag, value, marks=marks, id=f"{name}:{flag}"))
    return params


@cache
def _vector(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TESTDATA / name).read_text("utf-8"))
    return data


@cache
def _verifier(name: str) -> Verifier:
    der = base64.b64decode(_vector(name)["TESTCTX"]["CERTIFICATE"])
    return Verifier.for_signer(x509.load_der_x509_certificate(der))


@cache
def _result(name: str) -> VerificationResult:
    vector = _vector(name)
    clock = parse_instant(vector["TESTCTX"]["VALIDATIONCLOCK"])
    return _verifier(name).verify(vector["PREFIX"], at=clock)


def _picture_decodes(vector: dict[str, Any]) -> bool:
    image = vector.get("2DCODE") or vector.get("_2DCODE")
    png = base64.b64decode(image) if image else qr.png(vector["PREFIX"])
    try:
        return qr.read_qr(png) == vector["PREFIX"]
    except DccError:
        return False


def _instant(text: str) -> datetime | None:
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT.*", text):
        return None
    try:
        return parse_instant(text)
    except DccError:
        return None


def _same(a: Any, b: Any) -> bool:
    """Same JSON content; date-times equal as instants, whatever their notation."""
    if isinstance(a, datetime):
        a = a.isoformat()
    if isinstance(b, datetime):
        b = b.isoformat()
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, str) and isinstance(b, str) and a != b:
        ta, tb = _instant(a), _instant(b)
        return ta is not None and ta == tb
    return type(a) is type(b) and a == b or (isinstance(a, int | float) and a == b)


def _dcc_of_claims(claims: Any) -> Any:
    if isinstance(claims, dict) and -260 in claims:
        return claims[-260].get(1) if isinstance(claims[-260], dict) else None
    return claims


def _decodes(vector: dict[str, Any], result: VerificationResult) -> bool:
    if "COSE" in vector:
        try:
            claims = cbor2.loads(decode_sign1(bytes.fromhex(vector["COSE"])).payload)
        except (DccError, cbor2.CBORDecodeError):
            return False
        dcc = _dcc_of_claims(claims)
    else:
        dcc = result.dcc if result.checks["decode"] else None
    if not isinstance(dcc, dict) or not _same(dcc, vector.get("JSON", dcc)):
        return False
    if "CBOR" in vector:
        try:
            cbor_dcc = _dcc_of_claims(cbor2.loads(bytes.fromhex(vector["CBOR"])))
        except (ValueError, cbor2.CBORDecodeError):
            return False
        return _same(cbor_dcc, vector.get("JSON", dcc))
    return True


@pytest.mark.parametrize(("name", "flag", "expected"), _params())
def test_vector(name: str, flag: str, expected: bool) -> None:
    vector = _vector(name)
    result = _result(name)
    if flag in VERIFIER_CHECKS:
        actual = result.checks[VERIFIER_CHECKS[flag]] is True
    elif flag == "EXPECTEDPICTUREDECODE":
        actual = _picture_decodes(vector)
    elif flag == "EXPECTEDDECODE":
        actual = _decodes(vector, result)
    elif flag == "EXPECTEDVALIDJSON":
        decoded = result.dcc if result.checks["decode"] else None
        actual = isinstance(decoded, dict) and _same(decoded, vector.get("JSON", decoded))
        actual = actual and json.dumps(decoded) is not None
    elif flag == "EXPECTEDVALIDOBJECT":
        actual = not schema_errors(vector.get("JSON") or result.dcc or {})
    else:  # EXPECTEDENCODE
        encoded = cbor2.loads(cbor2.dumps(vector["JSON"]))
        if "CBOR" in vector:
            reference = _dcc_of_claims(cbor2.loads(bytes.fromhex(vector["CBOR"])))
        else:
            reference = result.dcc
        actual = _same(encoded, reference)
    reasons = [f"{r.check}: {r.code}: {r.message}" for r in result.reasons]
    assert actual is expected, f"{flag} expected {expected}, got {actual}; reasons: {reasons}"


def test_every_vector_is_read() -> None:
    # 348 vectors; a shared/ folder missing or half copied must not pass quietly.
    assert len({name for name, _, _ in _vectors()}) == 348
