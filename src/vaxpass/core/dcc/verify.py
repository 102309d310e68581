"""The offline verifier: ``HC1:`` text, a QR image or raw COSE bytes in, a structured
result out, with every stage and every check and the reasons for the verdict.

Stages, outermost first: picture (image input only) → ``HC1:`` prefix → base45 → zlib →
COSE_Sign1 → CWT claims → DCC. Checks, each run whenever its inputs decoded, so one
failure does not hide another:

``verify``
    the signature, with the signer found in the trust list by ``kid`` (protected header
    first; a wrong protected ``kid`` fails even when the unprotected one is right); ES256
    as raw r||s with a P-256 key only, PS256 with PSS, MGF1-SHA256, salt length 32.
``expiration``
    ``iat <= clock <= exp`` (numbers, integer or not).
``keyusage``
    the signer certificate's extended key usage allows the certificate type.
``schema``
    the DCC matches the JSON schema of its own ``ver`` (CBOR datetimes as strings).
``revocation``
    none of the certificate's revocation hashes is on the revocation list (only when
    one is given).

Trust list: a mapping ``kid → x509.Certificate`` (or ``kid → [certificates]`` when kids
collide), or just certificates, whose kids are computed. Revocation: any object with
``is_revoked(kid: bytes, hashes: RevocationHashes) -> bool`` (see ``revocation.py``).
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from vaxpass.core.dcc import errors as codes
from vaxpass.core.dcc.base45 import b45decode
from vaxpass.core.dcc.cose import CoseSign1, decode_sign1, kid_and_algorithm, sig_structure
from vaxpass.core.dcc.encode import (
    CLAIM_EXP,
    CLAIM_HCERT,
    CLAIM_IAT,
    CLAIM_ISS,
    HCERT_EU_DCC,
    PREFIX,
)
from vaxpass.core.dcc.errors import DccError, error
from vaxpass.core.dcc.keyusage import allowed_types
from vaxpass.core.dcc.qr import read_qr
from vaxpass.core.dcc.result import (
    CHECKS,
    STAGES,
    NotJson,
    Reason,
    Status,
    VerificationResult,
    iso_instant,
    json_form,
)
from vaxpass.core.dcc.revocation import RevocationCheck, revocation_hashes
from vaxpass.core.dcc.schema import schema_errors, validator_for_ver
from vaxpass.core.i18n import gettext_noop as _
from vaxpass.core.pki import der_ecdsa_signature
from vaxpass.core.signing import ES256, PS256, kid_of

MAX_DECOMPRESSED = 256 * 1024  # a QR code holds < 3 KB; this is far beyond any certificate
_ECDSA = ec.ECDSA(hashes.SHA256())
# The common path hashes the Sig_structure with hashlib and verifies the digest: the same
# check, without the hash object `cryptography` makes per call (2-3 µs a verification).
_ECDSA_PREHASHED = ec.ECDSA(Prehashed(hashes.SHA256()))
_SHA256 = hashlib.sha256
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
# First bytes of COSE_Sign1: tag 18, a bare array of four, tag 61 (CWT).
_COSE_STARTS = (b"\xd2", b"\x84", b"\xd8")

TrustList = Mapping[bytes, x509.Certificate | Sequence[x509.Certificate]]

__all__ = [
    "CHECKS",
    "STAGES",
    "Reason",
    "Status",
    "TrustList",
    "VerificationResult",
    "Verifier",
    "parse_instant",
    "verify_certificate",
]


_Verify = Callable[[bytes, bytes, ec.ECDSA], None]  # EllipticCurvePublicKey.verify


@dataclass(frozen=True, slots=True)
class _SignerKey:
    certificate: x509.Certificate
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey | None
    types: frozenset[str]
    # Decided once per signer: the ABC isinstance checks and the curve object they need
    # cost 1.5 µs a verification.
    es256_verify: _Verify | None  # of a P-256 key
    rsa_key: rsa.RSAPublicKey | None


class Verifier:
    """Verifies certificates against one trust list (and revocation list). Keys and key
    usages are read from each certificate once, on first use."""

    def __init__(
        self,
        trust_list: TrustList | Iterable[x509.Certificate],
        revocation: RevocationCheck | None = None,
    ) -> None:
        if isinstance(trust_list, Mapping):
            self._certificates: dict[bytes, list[x509.Certificate]] = {
                kid: [certs] if isinstance(certs, x509.Certificate) else list(certs)
                for kid, certs in trust_list.items()
            }
        else:
            self._certificates = {}
            for cert in trust_list:
                kid = kid_of(cert.public_bytes(serialization.Encoding.DER))
                self._certificates.setdefault(kid, []).append(cert)
        self._keys: dict[bytes, list[_SignerKey]] = {}
        self._only_signer: _SignerKey | None = None
        self.revocation = revocation

    @classmethod
    def for_signer(
        cls, certificate: x509.Certificate, revocation: RevocationCheck | None = None
    ) -> Verifier:
        """A verifier that trusts one signer certificate (``vaxpass verify --signer-cert``).
        The ``kid`` must still match it for the signature to count, but the key usage is
        judged against it even when the ``kid`` does not, since no other signer is in
        question."""
        verifier = cls([certificate], revocation)
        verifier._only_signer = _signer_key(certificate)
        return verifier

    def verify(self, data: str | bytes, *, at: datetime | None = None) -> VerificationResult:
        """Verify ``HC1:`` text, an image (PNG or JPEG bytes) or COSE bytes."""
        return self._completed(self._decoded_all([data]), at)[0]

    def verify_many(
        self, items: Iterable[str | bytes], *, at: datetime | None = None
    ) -> list[VerificationResult]:
        """Verify many certificates (each as ``verify`` takes it) against one clock: the
        same results, faster, since all signatures are checked in one loop (which keeps
        the ECDSA code and tables in the processor's caches) between decoding all and
        checking the rest, and the common path of each of those runs in stages over all
        the certificates, for the same reason."""
        return self._completed(self._decoded_all(list(items)), at)

    def verify_image(self, image: bytes, *, at: datetime | None = None) -> VerificationResult:
        """Verify the certificate in a PNG or JPEG image."""
        return self._completed([self._decoded_image(image)], at)[0]

    def verify_cose(self, cose: bytes, *, at: datetime | None = None) -> VerificationResult:
        """Verify COSE_Sign1 bytes (no prefix, base45 or zlib)."""
        result = VerificationResult()
        result.cose_bytes = cose
        self._decode_cose(result)
        return self._completed([result], at)[0]

    def _completed(
        self, results: list[VerificationResult], at: datetime | None
    ) -> list[VerificationResult]:
        now = _clock(at).timestamp()
        signers = self._check_signatures(results)
        passed = self._contents_common(results, signers, now)
        for result, signer, done in zip(results, signers, passed, strict=True):
            if not done and result.cose is not None:
                self._check_content(result, result.cose, signer, now)
        return results

    def _check_signatures(self, results: list[VerificationResult]) -> list[_SignerKey | None]:
        """The signature check of each result, and the signer that passed it. The common
        case (ES256, one P-256 key for the kid) is prepared first, its ECDSA calls then
        run back to back and the outcomes are written after: a verify between Python work
        on other objects costs 8-10 µs more than in a loop of verifies alone (measured
        in bench/verify.py), since the two evict each other from the processor's caches."""
        signers: list[_SignerKey | None] = [None] * len(results)
        common: list[tuple[int, _SignerKey, _Verify, CoseSign1]] = []
        keys = self._keys
        for index, result in enumerate(results):
            cose = result.cose
            if cose is None:
                continue
            # The kid's key when it is already read (else _candidates reads it).
            kid = result.kid
            keys_of_kid = keys.get(kid) if kid is not None and result.algorithm == ES256 else None
            candidate = (
                keys_of_kid[0] if keys_of_kid is not None and len(keys_of_kid) == 1 else None
            )
            verify = candidate.es256_verify if candidate is not None else None
            if verify is not None and candidate is not None and len(cose.signature) == 64:
                common.append((index, candidate, verify, cose))
                continue
            candidates = self._candidates(result)
            if candidates:
                signers[index] = self._check_candidates(result, cose, candidates)
        # What the common verifies take, each in a loop of its own (as decoding is staged).
        messages = [cose for _index, _candidate, _verify, cose in common]
        ders = [der_ecdsa_signature(cose.signature) for cose in messages]
        digests = [
            _SHA256(sig_structure(cose.protected_bytes, cose.payload)).digest() for cose in messages
        ]
        matched = []
        prehashed = _ECDSA_PREHASHED
        verifies = [verify for _index, _candidate, verify, _cose in common]
        for verify, der, digest in zip(verifies, ders, digests, strict=True):
            try:
                verify(der, digest, prehashed)
                matched.append(True)
            except InvalidSignature:
                matched.append(False)
        for (index, candidate, _verify, _cose), good in zip(common, matched, strict=True):
            result = results[index]
            if good:
                result.checks["verify"] = True
                result.signer = candidate.certificate
                signers[index] = candidate
            else:
                result.fail("verify", _signature_invalid())
        return signers

    def _decoded_all(self, items: list[str | bytes]) -> list[VerificationResult]:
        """``_decoded`` of each item: at once for ``HC1:`` text that decodes, else step by
        step."""
        common = _decoded_texts(items)
        return [
            result if result is not None else self._decoded(item)
            for item, result in zip(items, common, strict=True)
        ]

    def _decoded(self, data: str | bytes) -> VerificationResult:
        """A result with every stage up to the COSE message decoded (or failed), stage by
        stage."""
        if isinstance(data, bytes | bytearray | memoryview):
            data = bytes(data)
            if data[:1] in _COSE_STARTS:
                result = VerificationResult()
                result.cose_bytes = data
                self._decode_cose(result)
                return result
            if not _is_text(data):
                return self._decoded_image(data)
            data = data.decode("ascii")
        result = VerificationResult()
        self._from_text(result, data)
        return result

    def _decoded_image(self, image: bytes) -> VerificationResult:
        result = VerificationResult()
        try:
            text = read_qr(image)
        except DccError as exc:
            result.fail("picturedecode", exc)
            return result
        result.checks["picturedecode"] = True
        self._from_text(result, text)
        return result

    # --- stages ---------------------------------------------------------------------

    def _from_text(self, result: VerificationResult, text: str) -> None:
        text = text.strip()
        result.text = text
        if not text.startswith(PREFIX):
            result.fail(
                "unprefix",
                error(
                    codes.WRONG_PREFIX, _("The text does not start with %(prefix)s."), prefix=PREFIX
                ),
            )
            return
        result.checks["unprefix"] = True
        try:
            result.compressed = b45decode(text[len(PREFIX) :])
        except DccError as exc:
            result.fail("b45decode", exc)
            return
        result.checks["b45decode"] = True
        try:
            result.cose_bytes = _decompress(result.compressed)
        except DccError as exc:
            result.fail("compression", exc)
            return
        result.checks["compression"] = True
        self._decode_cose(result)

    def _decode_cose(self, result: VerificationResult) -> None:
        try:
            cose = result.cose = decode_sign1(result.cose_bytes or b"")
        except DccError as exc:
            result.fail("decode", exc)
            result.fail("verify", exc)
            return
        result.kid, result.algorithm = kid_and_algorithm(cose)

    def _check_content(
        self, result: VerificationResult, cose: CoseSign1, signer: _SignerKey | None, now: float
    ) -> None:
        """The checks after the signature, step by step."""
        try:
            _decode_claims(result, cose.payload)
            result.checks["decode"] = True
        except DccError as exc:
            result.fail("decode", exc)
            return
        self._check_expiry(result, now)
        signer = signer or self._only_signer
        if signer is not None:
            if result.certificate_type in signer.types:
                result.checks["keyusage"] = True
            else:
                result.fail(
                    "keyusage",
                    error(
                        codes.KEY_USAGE,
                        _("The signer may not sign certificates of type %(type)s."),
                        type=result.certificate_type or "?",
                    ),
                )
        _check_schema(result)
        self._check_revocation(result, cose)

    def _contents_common(
        self, results: list[VerificationResult], signers: list[_SignerKey | None], now: float
    ) -> list[bool]:
        """``_check_content`` for each result in the common case, a vaccination DCC whose
        every check passes: the same result written at once (True), or False with the
        result untouched, for ``_check_content`` to do it step by step. It saves the
        calls and the writes of each step (4 µs of a verification), and like decoding it
        runs in stages, each over all the results (2-3 µs less than result by result;
        both measured in bench/verify.py). ``test_common_paths_give_what_the_steps_give``
        keeps the two in agreement."""
        # Stage 1: the CWT claims.
        decoded: list[Any] = []
        for result in results:
            cose = result.cose
            try:
                decoded.append(None if cose is None else cbor2.loads(cose.payload))
            except Exception:  # cbor2 raises several types on malformed input
                decoded.append(None)
        # Stage 2: one vaccination DCC, integer times around now, key usage, schema.
        checked: list[tuple[int, dict[Any, Any], dict[str, Any], int, int]] = []
        only_signer = self._only_signer
        for index, (claims, signer) in enumerate(zip(decoded, signers, strict=True)):
            if type(claims) is not dict:
                continue
            hcert = claims.get(CLAIM_HCERT)
            dcc = hcert.get(HCERT_EU_DCC) if type(hcert) is dict else None
            if type(dcc) is not dict or "v" not in dcc or "t" in dcc or "r" in dcc:
                continue
            iat, exp = claims.get(CLAIM_IAT), claims.get(CLAIM_EXP)
            # Integer times within a float's range, as _seconds takes them as they are.
            if (
                type(iat) is not int
                or type(exp) is not int
                or not -_HUGE < iat <= now <= exp < _HUGE
            ):
                continue
            signer = signer or only_signer
            if signer is None or "v" not in signer.types:
                continue
            ver = dcc.get("ver")  # what schema_errors does when the DCC has one type
            validator = validator_for_ver(ver) if type(ver) is str else None
            try:
                if validator is None or not validator.is_valid(dcc):
                    continue
            except ValueError:  # not JSON types only
                continue
            checked.append((index, claims, dcc, iat, exp))
        # Stage 3: revocation, and the result as the steps would have written it.
        passed = [False] * len(results)
        revocation = self.revocation
        for index, claims, dcc, iat, exp in checked:
            result = results[index]
            cose = result.cose
            assert cose is not None  # its claims were decoded in stage 1
            issuer = claims.get(CLAIM_ISS)
            if not isinstance(issuer, str):
                issuer = None
            hashes = None
            if revocation is not None and result.kid is not None:
                entries = dcc["v"]
                first = entries[0] if isinstance(entries, _ARRAY_TYPES) and entries else None
                uvci = first.get("ci") if _is_map(first) else None
                hashes = revocation_hashes(
                    uvci if isinstance(uvci, str) else "",
                    issuer or "",
                    cose.signature,
                    result.algorithm or "",
                )
                if revocation.is_revoked(result.kid, hashes):
                    continue
            result.claims, result.issuer, result.dcc = claims, issuer, dcc
            result.certificate_type, result.iat, result.exp = "v", iat, exp
            checks = result.checks
            checks["decode"] = checks["expiration"] = checks["keyusage"] = True
            checks["schema"] = True
            if hashes is not None:
                result.revocation_hashes = hashes
                checks["revocation"] = True
            passed[index] = True
        return passed

    def _candidates(self, result: VerificationResult) -> list[_SignerKey] | None:
        """The trust list's keys for the result's kid when its signature can be checked
        (else None, with the reason recorded)."""
        kid, algorithm = result.kid, result.algorithm  # cose.kid and cose.algorithm, read once
        if kid is None:
            result.fail(
                "verify", error(codes.KID_MISSING, _("The certificate names no signing key."))
            )
            return None
        candidates = self._keys.get(kid)
        if candidates is None:
            candidates = self._signer_keys(kid)
        if not candidates:
            result.fail(
                "verify",
                error(
                    codes.KID_UNKNOWN,
                    _("Signing key %(kid)s is not in the trust list."),
                    kid=kid.hex()[:32],
                ),
            )
            return None
        if algorithm is None:
            result.fail(
                "verify",
                error(
                    codes.ALGORITHM_UNSUPPORTED, _("The signature algorithm is not ES256 or PS256.")
                ),
            )
            return None
        return candidates

    def _check_candidates(
        self, result: VerificationResult, cose: CoseSign1, candidates: list[_SignerKey]
    ) -> _SignerKey | None:
        """The signature check against each candidate in turn; the one that passed."""
        to_be_signed = cose.to_be_signed()
        for candidate in candidates:
            if _signature_matches(candidate, result.algorithm or "", cose.signature, to_be_signed):
                result.checks["verify"] = True
                result.signer = candidate.certificate
                return candidate
        result.fail("verify", _signature_invalid())
        return None

    def _signer_keys(self, kid: bytes) -> list[_SignerKey]:
        keys = self._keys.get(kid)
        if keys is None:
            keys = self._keys[kid] = [_signer_key(c) for c in self._certificates.get(kid, ())]
        return keys

    def _check_expiry(self, result: VerificationResult, now: float) -> None:
        claims = result.claims or {}
        iat, exp = _seconds(claims.get(CLAIM_IAT)), _seconds(claims.get(CLAIM_EXP))
        result.iat, result.exp = iat, exp
        if exp is None:
            result.fail(
                "expiration",
                error(codes.VALIDITY_MISSING, _("The certificate has no expiry time.")),
            )
        elif iat is not None and now < iat:
            result.fail(
                "expiration",
                error(
                    codes.NOT_YET_VALID,
                    _("The certificate is valid only from %(at)s."),
                    at=iso_instant(result.issued_at) or "",
                ),
            )
        elif now > exp:
            result.fail(
                "expiration",
                error(
                    codes.EXPIRED,
                    _("The certificate expired at %(at)s."),
                    at=iso_instant(result.expires_at) or "",
                ),
            )
        else:
            result.checks["expiration"] = True

    def _check_revocation(self, result: VerificationResult, cose: CoseSign1) -> None:
        if self.revocation is None or result.kid is None:
            return
        entries = (result.dcc or {}).get(result.certificate_type or "")
        first = entries[0] if isinstance(entries, _ARRAY_TYPES) and entries else None
        uvci = first.get("ci") if _is_map(first) else None
        hashes = result.revocation_hashes = revocation_hashes(
            uvci if isinstance(uvci, str) else "",
            result.issuer or "",
            cose.signature,
            result.algorithm or "",
        )
        if self.revocation.is_revoked(result.kid, hashes):
            result.fail("revocation", error(codes.REVOKED, _("The certificate has been revoked.")))
        else:
            result.checks["revocation"] = True


def _decoded_texts(items: Sequence[object]) -> list[VerificationResult | None]:
    """``Verifier._decoded`` of each item that is ``HC1:`` text whose every stage decodes,
    else None (for the step-by-step path, which then finds and records the failure). The
    same results as decoding each item in turn (stages are pure functions), but each
    stage runs over all the items before the next: its code then stays in the
    processor's caches, 5 µs a certificate less in batches of 1,000 (bench/verify.py)."""
    texts = [item.strip() if type(item) is str else "" for item in items]
    compressed: list[bytes | None] = []
    for text in texts:
        try:
            compressed.append(b45decode(text[_PREFIX_LENGTH:]) if text.startswith(PREFIX) else None)
        except DccError:
            compressed.append(None)
    inflated: list[bytes | None] = []
    for data in compressed:
        try:
            inflated.append(None if data is None else _decompress(data))
        except DccError:
            inflated.append(None)
    messages: list[CoseSign1 | None] = []
    for data in inflated:
        try:
            messages.append(None if data is None else decode_sign1(data))
        except DccError:
            messages.append(None)
    results: list[VerificationResult | None] = []
    for text, data, cose_bytes, cose in zip(texts, compressed, inflated, messages, strict=True):
        if cose is None:
            results.append(None)
            continue
        # Fields set after the checks rather than as keywords: 0.5 µs less.
        result = VerificationResult(_TEXT_DECODED.copy())
        result.text = text
        result.compressed = data
        result.cose_bytes = cose_bytes
        result.cose = cose
        result.kid, result.algorithm = kid_and_algorithm(cose)
        results.append(result)
    return results


_PREFIX_LENGTH = len(PREFIX)
# Every zlib header: deflate, with the check bits right (one lookup instead of three
# tests on the bytes).
_ZLIB_HEADERS = frozenset(
    bytes((cmf, flg))
    for cmf in range(8, 256, 16)
    for flg in range(256)
    if (cmf << 8 | flg) % 31 == 0
)
_TEXT_DECODED = {**dict.fromkeys(STAGES + CHECKS), "unprefix": True, "b45decode": True}
_TEXT_DECODED["compression"] = True
_HUGE = 2**62  # far beyond any time, and within a float's range


def verify_certificate(
    data: str | bytes,
    trust_list: TrustList | Iterable[x509.Certificate],
    *,
    revocation: RevocationCheck | None = None,
    at: datetime | None = None,
) -> VerificationResult:
    """Verify one certificate (``HC1:`` text, image or COSE bytes); see ``Verifier``."""
    return Verifier(trust_list, revocation).verify(data, at=at)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant; no zone means UTC; any number of fraction digits."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise error(
            codes.INPUT_INVALID, _("%(value)s is not an ISO-8601 time."), value=text[:40]
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- helpers ------------------------------------------------------------------------


def _is_text(data: bytes) -> bool:
    """Printable ASCII (HC1: text with a wrong or missing prefix), not COSE bytes."""
    return data.isascii() and data.decode("ascii").strip().isprintable()


def _decompress(data: bytes) -> bytes:
    if data[:2] not in _ZLIB_HEADERS:
        raise error(codes.COMPRESSION_INVALID, _("The payload is not zlib-compressed."))
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_DECOMPRESSED)
    except zlib.error as exc:
        raise error(
            codes.COMPRESSION_INVALID, _("Broken zlib data (%(detail)s)."), detail=str(exc)[:80]
        ) from None
    if not inflater.eof:  # one test when it ended (input left over means it did not)
        if inflater.unconsumed_tail:
            raise error(codes.COMPRESSION_INVALID, _("The payload inflates beyond 256 KiB."))
        raise error(codes.COMPRESSION_INVALID, _("The zlib data is truncated."))
    return out


def _decode_claims(result: VerificationResult, payload: bytes) -> None:
    try:
        claims = cbor2.loads(payload)
    except Exception:  # cbor2 raises several types on malformed input
        raise error(codes.CWT_INVALID, _("The payload is not CBOR.")) from None
    if not _is_map(claims):
        raise error(codes.CWT_INVALID, _("The payload is not a CWT claims map."))
    result.claims = claims
    issuer = claims.get(CLAIM_ISS)
    result.issuer = issuer if isinstance(issuer, str) else None
    hcert = claims.get(CLAIM_HCERT)
    dcc = hcert.get(HCERT_EU_DCC) if _is_map(hcert) else None
    if not _is_map(dcc):
        raise error(codes.DCC_MISSING, _("The claims hold no EU DCC (-260/1)."))
    result.dcc = dcc  # replaced by its JSON form below when it has one
    has_v, has_t, has_r = "v" in dcc, "t" in dcc, "r" in dcc
    if has_v + has_t + has_r == 1:
        result.certificate_type = "v" if has_v else "t" if has_t else "r"
    else:
        result.certificate_type = None


def _check_schema(result: VerificationResult) -> None:
    dcc = result.dcc
    try:
        problems = schema_errors(dcc or {})
    except ValueError:
        # jsonschema-rs takes only JSON types: turn CBOR datetimes into strings (the
        # rare DCC that has them), and refuse what JSON cannot hold at all.
        try:
            dcc = result.dcc = json_form(dcc)
        except NotJson:
            result.fail(
                "schema", error(codes.SCHEMA_INVALID, _("The DCC holds values JSON cannot."))
            )
            return
        problems = schema_errors(dcc)
    if problems:
        result.fail(
            "schema",
            error(
                codes.SCHEMA_INVALID,
                _("The DCC does not match its schema: %(problems)s."),
                problems="; ".join(problems[:3]),
            ),
        )
    else:
        result.checks["schema"] = True


_MAP_TYPES = (dict, cbor2.frozendict)  # what cbor2 decodes maps to (frozendict in tags)
_ARRAY_TYPES = (list, tuple)  # and arrays (tuples in tags)


def _is_map(value: object) -> TypeGuard[Mapping[Any, Any]]:
    # isinstance against the Mapping ABC costs a microsecond; cbor2 gives plain dicts.
    return type(value) in _MAP_TYPES or isinstance(value, Mapping)


def _signature_invalid() -> DccError:
    return error(codes.SIGNATURE_INVALID, _("The signature does not match the signer's key."))


def _signer_key(certificate: x509.Certificate) -> _SignerKey:
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        key = None
    usable = key if isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey) else None
    p256 = isinstance(usable, ec.EllipticCurvePublicKey) and isinstance(usable.curve, ec.SECP256R1)
    return _SignerKey(
        certificate,
        usable,
        allowed_types(certificate),
        usable.verify if p256 and isinstance(usable, ec.EllipticCurvePublicKey) else None,
        usable if isinstance(usable, rsa.RSAPublicKey) else None,
    )


def _signature_matches(signer: _SignerKey, algorithm: str, signature: bytes, data: bytes) -> bool:
    try:
        if algorithm == ES256:
            verify = signer.es256_verify
            if verify is None or len(signature) != 64:
                return False
            verify(der_ecdsa_signature(signature), data, _ECDSA)
            return True
        if algorithm == PS256 and signer.rsa_key is not None:
            signer.rsa_key.verify(signature, data, _PSS, hashes.SHA256())
            return True
    except InvalidSignature:
        pass
    return False


def _clock(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _seconds(value: object) -> float | None:
    """A CWT time (a number, or a CBOR datetime) as seconds since the epoch."""
    if type(value) is int or type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return None
