"""Issuing: a person's doses → a signed EU DCC as an ``HC1:`` string.

The chain is DCC JSON → CWT claims (CBOR) → COSE_Sign1 (ES256 or PS256, ``kid`` in the
protected header) → zlib → base45 → ``HC1:``. Nothing is stored: the caller gets the
string with what it must keep (the UVCI, the validity, the signature for the revocation
list).

The zlib stream is written as one stored (uncompressed) deflate block. Measured on this
project's certificates, zlib's best level saves 0 to 8 bytes of 335-640 (under 2 %: the
payload is short and its largest parts, the signature and the UVCI, are random), yet
cost 25-40 µs per certificate here, half an ECDSA signature at the same load, mostly in
setting up its state. A stored block is still zlib (RFC 1950, deflate block type 0 of
RFC 1951), which every verifier inflates; ``compress(data, level)`` compresses for real.

Issue many certificates with ``encode_vaccination_certificates``: measured with
``bench/encode_sign.py`` (20,000 certificates, the project's ``pki.KeySigner``), batches
of 1,000 issue 8,000 certificates per CPU-second against 5,100 one call at a time.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2

from vaxpass.core.dcc.base45 import b45encode
from vaxpass.core.dcc.cbor import claims_prefix
from vaxpass.core.dcc.cose import sign1, sign1_many
from vaxpass.core.dcc.errors import INPUT_INVALID, error
from vaxpass.core.dcc.payload import DCC_VERSION, Dose, Person, payload_and_claims
from vaxpass.core.dcc.revocation import RevocationHashes, revocation_hashes
from vaxpass.core.dcc.uvci import make_uvcis
from vaxpass.core.i18n import gettext_noop as _
from vaxpass.core.signing import Signer

PREFIX = "HC1:"
DEFAULT_VALIDITY = timedelta(days=365)  # 12 months (Decision 5772/QĐ-BYT)
_NO_TIME = timedelta(0)
# CWT claim keys (RFC 8392) and the EU health certificate claim.
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT, CLAIM_HCERT = 1, 4, 6, -260
HCERT_EU_DCC = 1
_ZLIB_HEADER = b"\x78\x01"  # deflate, 32 KiB window, no dictionary, header check bits
_STORED_BLOCK = struct.Struct("<BHH")  # BFINAL + BTYPE 00, LEN, NLEN
_ADLER = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """A signed certificate and what the issuer must keep of it."""

    hc1: str
    uvci: str
    issued_at: datetime
    expires_at: datetime
    issuer_country: str
    kid: bytes
    algorithm: str
    signature: bytes  # raw COSE signature (r||s for ES256)
    cose: bytes
    dcc: Mapping[str, Any] | None  # None when issued with ``payloads=False``

    def revocation_hashes(self) -> RevocationHashes:
        """The hashes under which this certificate is listed once revoked."""
        return revocation_hashes(self.uvci, self.issuer_country, self.signature, self.algorithm)


def compress(data: bytes, level: int = 0) -> bytes:
    """A zlib stream of ``data``: stored blocks at level 0 (see the module docstring),
    else zlib's own compression at that level."""
    if level:
        return zlib.compress(data, level)
    size = len(data)
    if size <= 0xFFFF:  # every certificate: one final stored block
        block = _STORED_BLOCK.pack(1, size, size ^ 0xFFFF)
        return b"".join((_ZLIB_HEADER, block, data, _ADLER.pack(zlib.adler32(data))))
    blocks = [_ZLIB_HEADER]
    for start in range(0, size, 0xFFFF):
        chunk = data[start : start + 0xFFFF]
        final = start + 0xFFFF >= size
        blocks += [_STORED_BLOCK.pack(final, len(chunk), len(chunk) ^ 0xFFFF), chunk]
    blocks.append(_ADLER.pack(zlib.adler32(data)))
    return b"".join(blocks)


def hc1_of_cose(cose: bytes, compression_level: int = 0) -> str:
    """The ``HC1:`` text of COSE_Sign1 bytes (zlib, base45, prefix)."""
    return PREFIX + b45encode(compress(cose, compression_level))


def sign_dcc(
    dcc: Mapping[str, Any],
    signer: Signer,
    *,
    issuer_country: str,
    issued_at: datetime,
    expires_at: datetime,
    kid: bytes | None = None,
) -> tuple[str, bytes, bytes]:
    """Sign any DCC payload (vaccination, test or recovery); return the ``HC1:`` string,
    the COSE_Sign1 bytes and the raw signature."""
    claims = {
        CLAIM_ISS: issuer_country,
        CLAIM_IAT: int(issued_at.timestamp()),
        CLAIM_EXP: int(expires_at.timestamp()),
        CLAIM_HCERT: {HCERT_EU_DCC: dcc},
    }
    return _sign(cbor2.dumps(claims), signer, kid)


def _sign(claims: bytes, signer: Signer, kid: bytes | None) -> tuple[str, bytes, bytes]:
    cose, signature = sign1(claims, signer, kid)
    return PREFIX + b45encode(compress(cose)), cose, signature


def encode_vaccination_certificate(
    person: Person,
    doses: Sequence[Dose],
    signer: Signer,
    *,
    issuer_country: str = "VN",
    issued_at: datetime | None = None,
    validity: timedelta = DEFAULT_VALIDITY,
    uvci: str | None = None,
) -> IssuedCertificate:
    """Issue the EU DCC of ``person`` for ``doses`` (the latest dose goes on it), signed
    by ``signer``, valid from ``issued_at`` (default now) for ``validity``. A new UVCI is
    made unless one is given. Raises ``DccError`` on unusable input."""
    (certificate,) = encode_vaccination_certificates(
        [(person, doses)],
        signer,
        issuer_country=issuer_country,
        issued_at=issued_at,
        validity=validity,
        uvcis=[uvci] if uvci else None,
    )
    return certificate


def encode_vaccination_certificates(
    holders: Iterable[tuple[Person, Sequence[Dose]]],
    signer: Signer,
    *,
    issuer_country: str = "VN",
    issued_at: datetime | None = None,
    validity: timedelta = DEFAULT_VALIDITY,
    uvcis: Sequence[str] | None = None,
    payloads: bool = True,
) -> list[IssuedCertificate]:
    """Issue the certificates of many holders at once: what
    ``encode_vaccination_certificate`` gives for each, faster. Every payload is built and
    checked first (an unusable input raises ``DccError`` before anything is signed),
    then all are signed in one loop, then encoded: a loop that only signs keeps the
    ECDSA code and its precomputed tables in the processor's caches, where signing
    between encodings makes the two evict each other (see the module docstring).
    ``payloads=False`` leaves out the DCC JSON of each certificate (``dcc`` is None): what
    a mass issuing stores is the ``HC1:`` text, and the dict cost 8 % of a certificate."""
    if validity <= _NO_TIME:
        raise error(INPUT_INVALID, _("The validity must be positive."))
    if issued_at is None:
        issued_at = datetime.now(UTC)
    elif issued_at.tzinfo is None:
        issued_at = issued_at.replace(tzinfo=UTC)
    if issued_at.microsecond:
        issued_at = issued_at.replace(microsecond=0)
    expires_at = issued_at + validity
    iat = int(issued_at.timestamp())
    exp = iat + int(validity.total_seconds())
    holders = list(holders)
    if uvcis is None:
        uvcis = make_uvcis(len(holders), issuer_country)
    elif len(uvcis) != len(holders):
        raise error(INPUT_INVALID, _("One UVCI per holder, or none."))
    prefix = claims_prefix(issuer_country, iat, exp, DCC_VERSION)
    made = [
        payload_and_claims(person, doses, uvci, prefix, payload=payloads)
        for (person, doses), uvci in zip(holders, uvcis, strict=True)
    ]
    dccs = [dcc for dcc, _claims in made]
    kid, algorithm = signer.kid, signer.algorithm
    signed = sign1_many([claims for _dcc, claims in made], signer, kid)
    return [
        IssuedCertificate(
            hc1=PREFIX + b45encode(compress(cose)),
            uvci=uvci,
            issued_at=issued_at,
            expires_at=expires_at,
            issuer_country=issuer_country,
            kid=kid,
            algorithm=algorithm,
            signature=signature,
            cose=cose,
            dcc=dcc,
        )
        for (cose, signature), uvci, dcc in zip(signed, uvcis, dccs, strict=True)
    ]
