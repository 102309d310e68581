"""Step 2 of Decision 5772: the facility signs the verified data of each dose.

What is signed is a canonical serialisation of the dose as it will go onto the passport:
the registry identity it is linked to, the vaccine, lot, date, dose number and the
facility. Canonical JSON (sorted keys, no spaces, UTF-8, names in NFC) means the same
content always gives the same bytes, so a stored signature can be checked again at any
time, and any change to the content (a corrected name, another lot) shows as a signature
that no longer matches.
"""

import hashlib
import json
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vaxpass.core.pki import signing_public_key, verify_signature
from vaxpass.core.signing import Signer, kid_of

CONTENT_VERSION = 1


@dataclass(frozen=True)
class SignedDoseContent:
    dose_id: int
    citizen_id: str  # the registry person the dose is linked to
    full_name: str
    birth_date: str  # ISO, or the year alone
    sex: str
    product: str  # EU value-set code
    lot: str
    given_on: date
    dose_number: int
    facility_code: str

    def canonical(self) -> bytes:
        fields = asdict(self)
        fields["given_on"] = self.given_on.isoformat()
        fields["full_name"] = unicodedata.normalize("NFC", self.full_name)
        fields["v"] = CONTENT_VERSION
        return json.dumps(
            fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


@dataclass(frozen=True)
class DoseSignature:
    kid: bytes
    algorithm: str
    signature: bytes
    digest: str  # SHA-256 of the canonical content, hex


def sign_dose(content: SignedDoseContent, signer: Signer) -> DoseSignature:
    data = content.canonical()
    return DoseSignature(
        signer.kid, signer.algorithm, signer.sign(data), hashlib.sha256(data).hexdigest()
    )


class SignatureCheck:
    """Outcome codes of checking a stored dose signature."""

    VALID = "valid"
    CONTENT_CHANGED = "content_changed"  # the dose changed after it was signed
    BAD_SIGNATURE = "bad_signature"
    WRONG_KEY = "wrong_key"  # the certificate given is not the one that signed


def check_dose_signature(
    content: SignedDoseContent, stored: DoseSignature, certificate: x509.Certificate
) -> str:
    """Check a stored signature against the dose's current content and the signer's
    certificate; returns a SignatureCheck code."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    if kid_of(der) != stored.kid:
        return SignatureCheck.WRONG_KEY
    data = content.canonical()
    if hashlib.sha256(data).hexdigest() != stored.digest:
        return SignatureCheck.CONTENT_CHANGED
    key = signing_public_key(certificate)
    if not verify_signature(key, stored.algorithm, stored.signature, data):
        return SignatureCheck.BAD_SIGNATURE
    return SignatureCheck.VALID
