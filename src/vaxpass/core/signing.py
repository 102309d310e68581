"""What the certificate formats need from a signing key, whatever stores it.

Key storage (encrypted files, a PKCS#11 hardware module) lives in `vaxpass.adapters.keys`;
the formats (COSE_Sign1 for the EU DCC, signed trust and revocation lists, facility dose
signatures) only see this protocol, so a key never has to leave its store.
"""

import hashlib
from typing import Protocol

ES256 = "ES256"  # ECDSA P-256 with SHA-256, COSE algorithm -7
PS256 = "PS256"  # RSASSA-PSS with SHA-256, MGF1-SHA256, salt length 32, COSE algorithm -37
COSE_ALGORITHMS = {ES256: -7, PS256: -37}


class Signer(Protocol):
    """A private key that signs, with the certificate that vouches for it."""

    @property
    def algorithm(self) -> str:
        """ES256 or PS256."""
        ...

    @property
    def certificate_der(self) -> bytes:
        """The X.509 certificate of the key, DER-encoded."""
        ...

    @property
    def kid(self) -> bytes:
        """The DCC key identifier: first 8 bytes of SHA-256 of certificate_der."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Sign data (hashing it first) and return the signature as COSE wants it: raw
        r||s (64 bytes) for ES256, the PSS signature for PS256."""
        ...


def kid_of(certificate_der: bytes) -> bytes:
    """The key identifier the EU DCC uses for a signer certificate."""
    return hashlib.sha256(certificate_der).digest()[:8]
