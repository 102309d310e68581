"""The platform's keys: which key store, the national PKI, and each facility's key.

The key store comes from the environment (see settings.KEY_STORE): encrypted key files by
default, a PKCS#11 hardware module in production. The national CA, the central document
signer (DSC) and the list signer are made by `vaxpass pki init`; a facility's key and
certificate are made the first time the facility signs.
"""

import datetime
import functools
import re
import threading

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from vaxpass.adapters.keys import FileKeyStore, KeyStore
from vaxpass.core import pki
from vaxpass.core.signing import Signer, kid_of
from vaxpass.passports.models import KeyPurpose, SignerKey
from vaxpass.places.models import Facility

CA_LABEL = "national-ca"
_lock = threading.Lock()


class PkiNotReady(Exception):
    """The national keys do not exist yet: run `vaxpass pki init`."""


@functools.cache
def key_store() -> KeyStore:
    config = settings.KEY_STORE
    if config["backend"] == "pkcs11":
        from vaxpass.adapters.keys.pkcs11 import Pkcs11KeyStore

        return Pkcs11KeyStore.open(
            config["module"], config["token"], pin_file=config.get("pin_file")
        )
    return FileKeyStore.open(config["directory"], passphrase_file=config["passphrase_file"])


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _register(label: str, purpose: str, certificate: x509.Certificate, facility=None) -> SignerKey:
    der = _der(certificate)
    return SignerKey.objects.create(
        label=label,
        purpose=purpose,
        facility=facility,
        kid=kid_of(der).hex(),
        certificate=der,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def _next_label(prefix: str) -> str:
    taken = set(SignerKey.objects.filter(label__startswith=prefix).values_list("label", flat=True))
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def _new_key(label: str):
    """A new key under label; a key left by a run that died before registering its row
    (or by a database that was reset) is taken over rather than refused."""
    store = key_store()
    return store.key(label) if label in store.labels() else store.generate(label)


def national_ca() -> Signer:
    if not SignerKey.objects.filter(label=CA_LABEL).exists():
        raise PkiNotReady("the national signing CA does not exist yet: run `vaxpass pki init`")
    return key_store().signer(CA_LABEL)


def ca_certificate() -> x509.Certificate:
    row = SignerKey.objects.filter(label=CA_LABEL).first()
    if row is None:
        raise PkiNotReady("the national signing CA does not exist yet: run `vaxpass pki init`")
    return _load_certificate(bytes(row.certificate))


def init_national_pki() -> list[SignerKey]:
    """Create what is missing of the national CA, a document signer and a list signer.
    Safe to run again: existing keys are kept."""
    made = []
    store = key_store()
    if not SignerKey.objects.filter(label=CA_LABEL).exists():
        key = _new_key(CA_LABEL)
        certificate = pki.create_national_ca(key)
        store.store_certificate(CA_LABEL, certificate)
        made.append(_register(CA_LABEL, KeyPurpose.NATIONAL_CA, certificate))
    if not SignerKey.objects.filter(purpose=KeyPurpose.DOCUMENT_SIGNER, active=True).exists():
        made.append(rotate_document_signer())
    if not SignerKey.objects.filter(purpose=KeyPurpose.LIST_SIGNER, active=True).exists():
        label = _next_label("list-signer-")
        key = _new_key(label)
        certificate = pki.issue_list_signer(national_ca(), key.public_key())
        store.store_certificate(label, certificate)
        made.append(_register(label, KeyPurpose.LIST_SIGNER, certificate))
    return made


def rotate_document_signer(*, not_before: datetime.datetime | None = None) -> SignerKey:
    """Introduce a new DSC. Older ones stay in the trust list, so passports they signed
    stay valid; new passports are signed with the newest usable one."""
    store = key_store()
    label = _next_label("dsc-")
    key = _new_key(label)
    number = label.rsplit("-", 1)[1]
    certificate = pki.issue_document_signer(
        national_ca(), key.public_key(), common_name=f"VN DCC DSC {number}", not_before=not_before
    )
    store.store_certificate(label, certificate)
    return _register(label, KeyPurpose.DOCUMENT_SIGNER, certificate)


def document_signer(at: datetime.datetime | None = None) -> tuple[SignerKey, Signer]:
    """The newest DSC that may sign a passport issued now and valid for its full term. When
    none may (its six months of signing are over), a new one is introduced: the governance
    rotates document signers, and passports signed by the old one stay valid."""
    at = at or timezone.now()
    found = _usable_document_signer(at)
    if found is None:
        with transaction.atomic():
            SignerKey.objects.select_for_update().filter(label=CA_LABEL).first()
            found = _usable_document_signer(at)  # another process may have rotated first
            if found is None:
                rotate_document_signer(not_before=at)
                found = _usable_document_signer(at)
    if found is None:
        raise PkiNotReady("no document signer may sign a full-term passport now")
    return found, _cached_signer(found.label)


def _usable_document_signer(at: datetime.datetime) -> SignerKey | None:
    rows = SignerKey.objects.filter(purpose=KeyPurpose.DOCUMENT_SIGNER, active=True)
    if not rows.exists():
        raise PkiNotReady("no document signer: run `vaxpass pki init`")
    # Newest first; the id breaks ties between two made in the same second.
    for row in rows.order_by("-not_before", "-pk"):
        try:
            pki.check_document_validity(certificate_of(row), at, at + settings.PASSPORT_VALIDITY)
        except pki.ValidityError:
            continue
        return row
    return None


def list_signer() -> Signer:
    rows = SignerKey.objects.filter(purpose=KeyPurpose.LIST_SIGNER, active=True)
    row = rows.order_by("-not_before").first()
    if row is None:
        raise PkiNotReady("no trust list signer: run `vaxpass pki init`")
    return _cached_signer(row.label)


@functools.lru_cache(maxsize=256)
def _cached_signer(label: str) -> Signer:
    # Decrypting a key file costs a PBKDF2 run; a signer is reused for the process's life.
    return key_store().signer(label)


def _facility_label(facility: Facility) -> str:
    return "facility-" + re.sub(r"[^A-Za-z0-9_-]", "_", facility.code)[:55]


def facility_signer(facility: Facility) -> tuple[SignerKey, Signer]:
    """The facility's signing key, made with its certificate from the national CA the first
    time the facility signs."""
    row = (
        SignerKey.objects.filter(facility=facility, purpose=KeyPurpose.FACILITY, active=True)
        .order_by("-not_before")
        .first()
    )
    if row is None:
        row = _new_facility_key(facility)
    return row, _cached_signer(row.label)


def _new_facility_key(facility: Facility) -> SignerKey:
    with _lock:
        existing = SignerKey.objects.filter(
            facility=facility, purpose=KeyPurpose.FACILITY, active=True
        ).first()
        if existing:
            return existing
        store = key_store()
        label = _facility_label(facility)
        key = _new_key(label)
        certificate = pki.issue_facility_certificate(
            national_ca(),
            key.public_key(),
            facility_code=facility.code,
            facility_name=facility.name,
        )
        store.store_certificate(label, certificate)
        try:
            with transaction.atomic():
                return _register(label, KeyPurpose.FACILITY, certificate, facility)
        except IntegrityError:  # another process registered it first
            return SignerKey.objects.get(label=label)


def certificate_of(row: SignerKey) -> x509.Certificate:
    return _load_certificate(bytes(row.certificate))


@functools.lru_cache(maxsize=1024)
def _load_certificate(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)
