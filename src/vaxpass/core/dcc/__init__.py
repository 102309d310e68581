"""EU Digital COVID Certificates (``HC1:``) and WHO DDCC:VS documents: encoding, signing
and offline verification, in pure Python over `cryptography`, cbor2 and zlib.

Issuing::

    person = Person.from_full_name("Nguyễn Thị Hoà", "1957-03-04")
    doses = [Dose("EU/1/21/1529", date(2021, 8, 2), 1, 2), ...]
    cert = encode_vaccination_certificate(person, doses, signer)  # signer: core.signing.Signer
    cert.hc1, cert.uvci, cert.expires_at, cert.revocation_hashes()
    qr.png(cert.hc1); ddcc_vs_document(person, doses, certificate=cert)

Verifying::

    result = Verifier(trust_list, revocation_list).verify(text_image_or_cose, at=clock)
    result.valid, result.status, result.reasons, result.to_json()

Modules: ``payload`` (the DCC JSON), ``names`` (ICAO 9303), ``uvci``, ``cose``,
``base45``, ``cbor``, ``encode``, ``schema``, ``keyusage``, ``revocation``, ``verify``
(the ``Verifier``; the one-call form is ``verify_certificate``), ``qr``, ``fhir``; every
error is a ``DccError`` with a stable ``code`` (``errors``).
"""

from vaxpass.core.dcc.encode import (
    DEFAULT_VALIDITY,
    IssuedCertificate,
    encode_vaccination_certificate,
    encode_vaccination_certificates,
    sign_dcc,
)
from vaxpass.core.dcc.errors import DccError
from vaxpass.core.dcc.fhir import ddcc_vs_document
from vaxpass.core.dcc.payload import DCC_VERSION, Dose, Person, vaccination_payload
from vaxpass.core.dcc.result import Status, VerificationResult
from vaxpass.core.dcc.revocation import (
    RevocationCheck,
    RevocationHashes,
    RevocationSet,
    revocation_hashes,
)
from vaxpass.core.dcc.uvci import make_uvci
from vaxpass.core.dcc.verify import Verifier, parse_instant, verify_certificate

__all__ = [
    "DCC_VERSION",
    "DEFAULT_VALIDITY",
    "DccError",
    "Dose",
    "IssuedCertificate",
    "Person",
    "RevocationCheck",
    "RevocationHashes",
    "RevocationSet",
    "Status",
    "VerificationResult",
    "Verifier",
    "ddcc_vs_document",
    "encode_vaccination_certificate",
    "encode_vaccination_certificates",
    "make_uvci",
    "parse_instant",
    "revocation_hashes",
    "sign_dcc",
    "vaccination_payload",
    "verify_certificate",
]
