"""The published files verifiers download: the trust list of signer certificates, the
revocation list, and the national CA certificate they are checked against.

Written to settings.DATA_DIR/published/ (served at /trust/ by the portal app), each
replaced atomically, so a verifier never reads half a file.
"""

import os
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vaxpass.core import trustlist
from vaxpass.core.pki import COUNTRY
from vaxpass.passports import keys
from vaxpass.passports.models import Certificate, CertificateStatus, KeyPurpose, SignerKey

TRUST_LIST = "trustlist.json"
REVOCATIONS = "revocations.json"
CA_CERTIFICATE = "ca.pem"


def published_dir() -> Path:
    return Path(settings.DATA_DIR) / "published"


def _write(name: str, data: bytes) -> Path:
    directory = published_dir()
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, directory / name)
    return directory / name


def current_trust_list() -> trustlist.TrustList:
    """Every document signer not yet expired (rotated-out ones included: what they signed
    stays verifiable until it expires)."""
    now = timezone.now()
    rows = SignerKey.objects.filter(purpose=KeyPurpose.DOCUMENT_SIGNER, not_after__gte=now)
    listed = trustlist.TrustList()
    for row in rows.order_by("not_before"):
        listed = listed.with_certificate(
            x509.load_der_x509_certificate(bytes(row.certificate)), country=COUNTRY
        )
    return trustlist.TrustList(listed.entries, issued_at=now)


def current_revocation_list() -> trustlist.RevocationList:
    now = timezone.now()
    revoked = Certificate.objects.filter(status=CertificateStatus.REVOKED, expires_at__gt=now)
    entries = []
    for uvci, kid, signature_hash, expires in revoked.values_list(
        "uvci", "key__kid", "signature_hash", "expires_at"
    ).iterator(chunk_size=5000):
        kid_bytes = bytes.fromhex(kid)
        entries += [
            trustlist.RevocationEntry(
                kid_bytes, trustlist.HashType.UCI, trustlist.uci_hash(uvci), expires
            ),
            trustlist.RevocationEntry(
                kid_bytes,
                trustlist.HashType.COUNTRYCODEUCI,
                trustlist.country_code_uci_hash(COUNTRY, uvci),
                expires,
            ),
            trustlist.RevocationEntry(
                kid_bytes, trustlist.HashType.SIGNATURE, bytes.fromhex(signature_hash), expires
            ),
        ]
    return trustlist.RevocationList(entries, issued_at=now)


def publish_all() -> dict[str, Path]:
    signer = keys.list_signer()
    ca = keys.ca_certificate()
    return {
        CA_CERTIFICATE: _write(CA_CERTIFICATE, ca.public_bytes(serialization.Encoding.PEM)),
        TRUST_LIST: _write(TRUST_LIST, trustlist.sign_trust_list(current_trust_list(), signer)),
        REVOCATIONS: publish_revocations(),
    }


def publish_revocations() -> Path:
    signed = trustlist.sign_revocation_list(current_revocation_list(), keys.list_signer())
    return _write(REVOCATIONS, signed)


def publish_revocations_on_commit() -> None:
    def publish() -> None:
        try:
            publish_revocations()
        except keys.PkiNotReady:
            pass  # no national keys yet: nothing was ever issued to revoke

    transaction.on_commit(publish)
