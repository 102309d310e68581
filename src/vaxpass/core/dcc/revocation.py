"""Revocation as the EU DCC revocation design has it: a revoked certificate is listed by
16-byte hashes, never by its content, so the published list reveals nobody.

The three hash types (EU DCC revocation technical specification; gateway
``RevocationHashType``), each the first 128 bits of a SHA-256:

- ``UCI``: of the UVCI (the ``ci`` field) as UTF-8;
- ``COUNTRYCODEUCI``: of the issuing country (the CWT ``iss`` claim, e.g. "VN")
  followed by the UVCI, as UTF-8;
- ``SIGNATURE``: of the COSE signature; for ECDSA (ES256) only its ``r`` half, the first
  32 of its 64 bytes, since ``s`` can be changed without invalidating the signature;
  for PS256 the whole signature.

A list is published per signer certificate (``kid``). What the verifier asks of any
revocation list is one method::

    is_revoked(kid: bytes, hashes: RevocationHashes) -> bool

true when any of ``hashes.uci``, ``hashes.country_code_uci`` or ``hashes.signature``
is listed for ``kid``. ``RevocationSet`` is the in-memory implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from vaxpass.core.signing import ES256

HASH_LENGTH = 16
UCI = "UCI"
COUNTRYCODEUCI = "COUNTRYCODEUCI"
SIGNATURE = "SIGNATURE"
HASH_TYPES = (SIGNATURE, UCI, COUNTRYCODEUCI)


@dataclass(frozen=True)
class RevocationHashes:
    """The three revocation hashes of one certificate."""

    uci: bytes
    country_code_uci: bytes
    signature: bytes

    def by_type(self) -> dict[str, bytes]:
        return {UCI: self.uci, COUNTRYCODEUCI: self.country_code_uci, SIGNATURE: self.signature}

    def as_set(self) -> frozenset[bytes]:
        return frozenset((self.uci, self.country_code_uci, self.signature))


class RevocationCheck(Protocol):
    """What the verifier needs from a revocation list."""

    def is_revoked(self, kid: bytes, hashes: RevocationHashes) -> bool: ...


def _hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()[:HASH_LENGTH]


def revocation_hashes(
    uvci: str, issuer_country: str, signature: bytes, algorithm: str
) -> RevocationHashes:
    """The hashes under which the certificate with this UVCI, issuing country (CWT
    ``iss``) and COSE signature is listed when revoked."""
    signed = signature[: len(signature) // 2] if algorithm == ES256 else signature
    return RevocationHashes(
        uci=_hash(uvci.encode("utf-8")),
        country_code_uci=_hash((issuer_country + uvci).encode("utf-8")),
        signature=_hash(signed),
    )


class RevocationSet:
    """An in-memory revocation list: for each signer ``kid``, the revoked hashes (of any
    type). ``kid`` None lists hashes revoked whatever the signer."""

    def __init__(self, revoked: Mapping[bytes | None, Collection[bytes]] | None = None) -> None:
        self._revoked: dict[bytes | None, set[bytes]] = {
            kid: set(hashes) for kid, hashes in (revoked or {}).items()
        }

    def add(self, kid: bytes | None, hashes: Iterable[bytes]) -> None:
        self._revoked.setdefault(kid, set()).update(hashes)

    def is_revoked(self, kid: bytes, hashes: RevocationHashes) -> bool:
        for key in (kid, None):
            listed = self._revoked.get(key)
            if listed and (
                hashes.uci in listed
                or hashes.country_code_uci in listed
                or hashes.signature in listed
            ):
                return True
        return False
