"""COSE_Sign1 (RFC 9052) as the EU DCC uses it: one signer, ES256 or PS256, the key
identifier in the protected header, tag 18.

Signing writes the two fixed-shape CBOR arrays (the Sig_structure and COSE_Sign1) by
hand: they are a few length headers around byte strings, and writing them costs far less
than building them through a general CBOR encoder. pycose was not used: it signs with a
pure-Python ECDSA, about 15 times slower than `cryptography`. Decoding goes through cbor2
(C extension) and accepts what real issuers produce: tag 18, no tag, or tag 61 around
tag 18; an empty protected header; ``kid`` and ``alg`` in either header.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from vaxpass.core.dcc.errors import COSE_INVALID, DccError, error
from vaxpass.core.i18n import gettext_noop as _
from vaxpass.core.signing import COSE_ALGORITHMS, Signer

HEADER_ALG = 1
HEADER_KID = 4
TAG_SIGN1 = 18
TAG_CWT = 61
ALGORITHM_NAMES = {number: name for name, number in COSE_ALGORITHMS.items()}
_CONTEXT = b"\x6aSignature1"  # text string "Signature1"


@dataclass(frozen=True)
class CoseSign1:
    """A decoded COSE_Sign1 message. ``protected_bytes`` and ``payload`` are the exact
    bytes that were signed."""

    protected_bytes: bytes
    protected: Mapping[Any, Any]
    unprotected: Mapping[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def kid(self) -> bytes | None:
        """The key identifier: the protected header's when it has one (even a wrong one:
        the unprotected header is not signed, so it may not override), else the
        unprotected header's."""
        if HEADER_KID in self.protected:
            kid = self.protected[HEADER_KID]
        else:
            kid = self.unprotected.get(HEADER_KID)
        return kid if isinstance(kid, bytes) else None

    @property
    def algorithm(self) -> str | None:
        """ "ES256", "PS256", or None when absent or not one the DCC allows."""
        number = self.protected.get(HEADER_ALG, self.unprotected.get(HEADER_ALG))
        return ALGORITHM_NAMES.get(number) if isinstance(number, int) else None

    def to_be_signed(self) -> bytes:
        """The Sig_structure the signature covers."""
        return sig_structure(self.protected_bytes, self.payload)


def _bstr(length: int) -> bytes:
    """The CBOR head of a byte string of ``length`` bytes."""
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """["Signature1", protected, h'', payload] in CBOR."""
    return b"".join(
        (b"\x84", _CONTEXT, _bstr(len(protected)), protected, b"\x40", _bstr(len(payload)), payload)
    )


@functools.lru_cache(maxsize=64)
def protected_header(algorithm: str, kid: bytes) -> bytes:
    """The protected header {1: alg, 4: kid} as CBOR bytes."""
    return cbor2.dumps({HEADER_ALG: COSE_ALGORITHMS[algorithm], HEADER_KID: kid})


def sign1(payload: bytes, signer: Signer) -> tuple[bytes, bytes]:
    """Sign ``payload``; return the tagged COSE_Sign1 bytes and the raw signature."""
    protected = protected_header(signer.algorithm, signer.kid)
    signature = signer.sign(sig_structure(protected, payload))
    message = b"".join(
        (
            b"\xd2\x84",  # tag 18, array of 4
            _bstr(len(protected)),
            protected,
            b"\xa0",  # empty unprotected header
            _bstr(len(payload)),
            payload,
            _bstr(len(signature)),
            signature,
        )
    )
    return message, signature


def decode_sign1(data: bytes) -> CoseSign1:
    """Decode COSE_Sign1 bytes; raise ``DccError`` (``cose_invalid``) if they are not one."""
    try:
        item = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several types on malformed input
        raise _invalid(
            _("Not a COSE message: not CBOR (%(detail)s)."), detail=str(exc)[:100]
        ) from None
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_CWT:
        item = item.value
    if isinstance(item, cbor2.CBORTag):
        if item.tag != TAG_SIGN1:
            raise _invalid(
                _("Not a COSE_Sign1 message: CBOR tag %(tag)s instead of 18."), tag=item.tag
            )
        item = item.value
    if not isinstance(item, list | tuple) or len(item) != 4:
        raise _invalid(_("Not a COSE_Sign1 message: not an array of four items."))
    protected_bytes, unprotected, payload, signature = item
    if not isinstance(protected_bytes, bytes) or not isinstance(unprotected, Mapping):
        raise _invalid(_("Not a COSE_Sign1 message: malformed headers."))
    if not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise _invalid(_("Not a COSE_Sign1 message: payload or signature is not a byte string."))
    protected: Mapping[Any, Any] = {}
    if protected_bytes:
        try:
            protected = cbor2.loads(protected_bytes)
        except Exception:
            raise _invalid(
                _("Not a COSE_Sign1 message: the protected header is not CBOR.")
            ) from None
        if not isinstance(protected, Mapping):
            raise _invalid(_("Not a COSE_Sign1 message: the protected header is not a map."))
    return CoseSign1(protected_bytes, protected, unprotected, payload, signature)


def _invalid(message: str, **params: str | int) -> DccError:
    return error(COSE_INVALID, message, **params)
