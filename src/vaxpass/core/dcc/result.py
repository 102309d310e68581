"""The verifier's result: every stage and check, the reasons for the verdict, and its
JSON form (one boolean or null per check, named as the conformance flags are)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography import x509

from vaxpass.core.dcc import errors as codes
from vaxpass.core.dcc.cose import CoseSign1
from vaxpass.core.dcc.errors import DccError
from vaxpass.core.dcc.revocation import RevocationHashes

# The checks of a result, named as the conformance flags are.
STAGES = ("picturedecode", "unprefix", "b45decode", "compression", "decode")
CHECKS = ("verify", "expiration", "keyusage", "schema", "revocation")
_NOT_REACHED: dict[str, bool | None] = dict.fromkeys(STAGES + CHECKS)
# The checks of text that passed everything, with and without a revocation list: the
# common verdict, recognised by one dict comparison (checks hold True, False or None).
_PASSED = {**_NOT_REACHED, **dict.fromkeys(STAGES[1:] + CHECKS, True)}
_PASSED_UNLISTED = {**_PASSED, "revocation": None}


class Status(StrEnum):
    """The verdict: NOT_VALID when anything about the certificate itself is wrong (it
    does not decode, the signature or key usage or schema fails, it is not yet valid);
    REVOKED and EXPIRED for a genuine certificate that is revoked, or past its expiry."""

    VALID = "VALID"
    NOT_VALID = "NOT_VALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a check failed: a stable ``code`` and an English ``message`` (``template`` and
    ``params`` for translation)."""

    check: str
    code: str
    message: str
    template: str
    params: Mapping[str, str | int]

    @classmethod
    def of(cls, check: str, exc: DccError) -> Reason:
        return cls(check, exc.code, exc.message, exc.template, exc.params)


@dataclass(slots=True)
class VerificationResult:
    """Everything the verifier found. A check is True (passed), False (failed) or None
    (not reached, because an earlier stage failed, or not applicable)."""

    checks: dict[str, bool | None] = field(default_factory=_NOT_REACHED.copy)
    reasons: list[Reason] = field(default_factory=list)
    text: str | None = None  # the HC1: text
    compressed: bytes | None = None  # base45-decoded
    cose_bytes: bytes | None = None
    cose: CoseSign1 | None = None
    claims: Mapping[Any, Any] | None = None
    dcc: Mapping[str, Any] | None = None  # JSON form: CBOR datetimes as ISO strings
    kid: bytes | None = None
    algorithm: str | None = None
    issuer: str | None = None  # CWT iss, the issuing country
    iat: float | None = None  # CWT issued-at and expiry, seconds since the epoch
    exp: float | None = None
    certificate_type: str | None = None  # "v", "t" or "r"
    signer: x509.Certificate | None = None
    revocation_hashes: RevocationHashes | None = None

    @property
    def status(self) -> Status:
        checks = self.checks
        # Verifying in bulk asks every result for it: the common verdict is one dict
        # comparison, the rest written out rather than a loop over STAGES (together
        # 0.3 µs instead of 1.5 µs).
        if checks == _PASSED or checks == _PASSED_UNLISTED:
            return Status.VALID
        if (
            checks["decode"] is not True
            or checks["verify"] is not True
            or checks["picturedecode"] is False
            or checks["unprefix"] is False
            or checks["b45decode"] is False
            or checks["compression"] is False
            or checks["keyusage"] is False
            or checks["schema"] is False
        ):
            return Status.NOT_VALID
        if checks["revocation"] is False:
            return Status.REVOKED
        if checks["expiration"] is not True:
            expired = any(r.code == codes.EXPIRED for r in self.reasons)
            return Status.EXPIRED if expired else Status.NOT_VALID
        return Status.VALID

    @property
    def valid(self) -> bool:
        checks = self.checks  # the common verdict without the call to status
        return checks == _PASSED or checks == _PASSED_UNLISTED or self.status is Status.VALID

    @property
    def issued_at(self) -> datetime | None:
        return from_seconds(self.iat)

    @property
    def expires_at(self) -> datetime | None:
        return from_seconds(self.exp)

    def fail(self, check: str, exc: DccError) -> None:
        self.checks[check] = False
        self.reasons.append(Reason.of(check, exc))

    def to_json(self) -> dict[str, Any]:
        """The JSON form: one boolean (or null) per check, ``valid``, ``status``,
        ``reasons`` and what was decoded."""
        return {
            **self.checks,
            "valid": self.valid,
            "status": self.status.value,
            "reasons": [
                {"check": r.check, "code": r.code, "message": r.message} for r in self.reasons
            ],
            "kid": self.kid.hex() if self.kid is not None else None,
            "algorithm": self.algorithm,
            "issuer": self.issuer,
            "issued_at": iso_instant(self.issued_at),
            "expires_at": iso_instant(self.expires_at),
            "certificate_type": self.certificate_type,
            "signer": self.signer.subject.rfc4514_string() if self.signer is not None else None,
            "dcc": json_or_none(self.dcc),
        }


class NotJson(Exception):
    pass


def json_form(value: Any) -> Any:
    """The JSON form of decoded CBOR: maps with text keys, arrays, text, numbers,
    booleans, null; CBOR datetimes as ISO-8601 text."""
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise NotJson
        return {k: json_form(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_form(v) for v in value]
    if isinstance(value, datetime):
        return iso_instant(value)
    raise NotJson


def json_or_none(value: Any) -> Any:
    try:
        return json_form(value)
    except NotJson:
        return None


def from_seconds(seconds: float | None) -> datetime | None:
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso_instant(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None
