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


@dataclass(frozen=True, slots=True)
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


_SHA256 = hashlib.sha256


def revocation_hashes(
    uvci: str, issuer_country: str, signature: bytes, algorithm: str
) -> RevocationHashes:
    """The hashes under which the certificate with this UVCI, issuing country (CWT
    ``iss``) and COSE signature is listed when revoked."""
    # Every verification computes these: the UVCI encoded once, no helper call per hash
    # and positional fields make it 5.3 µs instead of 7 µs (measured together).
    uci = uvci.encode("utf-8")
    signed = signature[: len(signature) // 2] if algorithm == ES256 else signature
    return RevocationHashes(
        _SHA256(uci).digest()[:HASH_LENGTH],
        _SHA256(issuer_country.encode("utf-8") + uci).digest()[:HASH_LENGTH],
        _SHA256(signed).digest()[:HASH_LENGTH],
    )


class RevocationSet:
    """An in-memory revocation list: for each signer ``kid``, the revoked hashes (of any
    type). ``kid`` None lists hashes revoked whatever the signer."""

    def __init__(self, revoked: Mapping[bytes | None, Collection[bytes]] | None = None) -> None:
        # Dicts of hashes rather than sets: a dict holding only bytes is not tracked by
        # the garbage collector, which otherwise walks every listed hash at each full
        # collection (lists run to millions of hashes); lookups cost the same.
        self._revoked: dict[bytes | None, dict[bytes, None]] = {
            kid: dict.fromkeys(hashes) for kid, hashes in (revoked or {}).items()
        }

    def add(self, kid: bytes | None, hashes: Iterable[bytes]) -> None:
        self._revoked.setdefault(kid, {}).update(dict.fromkeys(hashes))

    def is_revoked(self, kid: bytes, hashes: RevocationHashes) -> bool:
        uci, country_code_uci, signature = hashes.uci, hashes.country_code_uci, hashes.signature
        listed = self._revoked.get(kid)
        if listed and (uci in listed or country_code_uci in listed or signature in listed):
            return True
        listed = self._revoked.get(None)
        return bool(listed and (uci in listed or country_code_uci in listed or signature in listed))
