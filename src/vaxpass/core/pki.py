"""The national PKI: a signing CA, document signers (DSCs) and facility certificates.

Shape and lifetimes follow the EU DCC public key certificate governance (eHealth Network,
volume 5), which adopts ICAO's two-level model:

- the national CA (the "CSCA", self-signed, CA:TRUE with path length 0, keyCertSign and
  cRLSign) is the trust anchor; it issues every other certificate;
- a document signer certificate (DSC) for the central issuer, the Department of Preventive
  Medicine, signs the EU DCCs; its extended key usage says what it may sign (vaccination);
- each vaccination facility has its own certificate (facility code and name in the
  subject) to sign the dose records it has verified;
- a list-signing certificate may sign the published trust and revocation lists, so the CA
  key can stay offline.

Validity follows the governance's shell model: every certificate of a chain must be valid
when a signature is checked, so a CA issues nothing that outlives it and a DSC signs no
document that outlives the DSC. Recommended periods (for DCCs valid at most one year):
CA certificate 4 years with its key used to issue for 1 year; DSC 2 years with its key used
to sign for 6 months. Both ends are enforced here (``ValidityError``) and the key usage
period is written into the certificates (X.509 PrivateKeyUsagePeriod).

Rotation: ``choose_document_signer`` picks the newest DSC that may sign a document now;
when none may (the key usage period is over, or the document would outlive the DSC), the
caller issues a new DSC. The old DSC stays in the trust list until its own validity ends,
so everything it signed keeps verifying.

Issuers are ``Signer`` objects (``vaxpass.core.signing``), never raw private keys, so the
CA key can live in a PKCS#11 hardware module like any other: `cryptography`'s X.509
builder only signs with its own in-memory key objects, so the certificate is built and
signed with a throwaway key of the same algorithm, its to-be-signed part (which does not
depend on the key) is kept, and the issuer's own signature replaces the throwaway one.
Every certificate is verified against its issuer's public key before it is returned.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

from vaxpass.core.signing import ES256, PS256, Signer, kid_of

# EU DCC extended key usages of a DSC: which certificate types it may sign. Volume 1 of the
# technical specifications writes them 1.3.6.1.4.1.1847.2021.1.x; the governance guide
# also prints 1.3.6.1.4.1.0.1847.2021.1.x, which some countries used: read both, write
# the first.
EKU_DCC_TEST = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.1")
EKU_DCC_VACCINATION = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")
EKU_DCC_RECOVERY = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.3")
DCC_USAGE_OIDS: dict[str, tuple[str, ...]] = {
    "t": ("1.3.6.1.4.1.1847.2021.1.1", "1.3.6.1.4.1.0.1847.2021.1.1"),
    "v": ("1.3.6.1.4.1.1847.2021.1.2", "1.3.6.1.4.1.0.1847.2021.1.2"),
    "r": ("1.3.6.1.4.1.1847.2021.1.3", "1.3.6.1.4.1.0.1847.2021.1.3"),
}
_WRITTEN_USAGE_OIDS = {"t": EKU_DCC_TEST, "v": EKU_DCC_VACCINATION, "r": EKU_DCC_RECOVERY}
# ETSI TS 119 612 id-tsl-kp-tslSigning: the extended key usage of a trusted-list signer.
# A list signer must carry it, so no DSC or facility key can sign a trust list.
EKU_TRUST_LIST_SIGNING = x509.ObjectIdentifier("0.4.0.2231.3.0")

CA_VALIDITY = datetime.timedelta(days=4 * 365 + 1)
CA_KEY_USAGE_PERIOD = datetime.timedelta(days=365)
DSC_VALIDITY = datetime.timedelta(days=2 * 365)
DSC_KEY_USAGE_PERIOD = datetime.timedelta(days=182)
FACILITY_VALIDITY = datetime.timedelta(days=2 * 365)
FACILITY_KEY_USAGE_PERIOD = datetime.timedelta(days=365)
LIST_SIGNER_VALIDITY = datetime.timedelta(days=2 * 365)
# The QR code of a passport expires after 12 months (Decision 5772/QĐ-BYT).
DOCUMENT_VALIDITY = datetime.timedelta(days=365)

COUNTRY = "VN"
MINISTRY = "Bộ Y tế (Ministry of Health)"
CENTRAL_ISSUER = "Cục Y tế dự phòng (Department of Preventive Medicine)"

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class PkiError(Exception):
    """A certificate that cannot or must not be made."""


class ValidityError(PkiError):
    """A validity period that breaks the shell model or the key usage period."""


class KeyHandle(Protocol):
    """A private key before it has a certificate: enough to self-sign a CA. Key stores
    hand these out from ``generate``; their ``Signer`` objects satisfy it too."""

    @property
    def algorithm(self) -> str: ...

    def public_key(self) -> PublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True, eq=False, repr=False)
class KeySigner:
    """A ``Signer`` over an in-memory `cryptography` private key (EC P-256 for ES256, RSA
    for PS256), with its certificate once it has one. The file key store hands these out.
    Its repr names the certificate, never the key."""

    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = field(repr=False)
    certificate_der: bytes = field(default=b"", repr=False)
    label: str = ""
    _algorithm: str = field(init=False, repr=False, default=ES256)
    _kid: bytes = field(init=False, repr=False, default=b"")

    def __post_init__(self) -> None:
        key = self.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name != "secp256r1":
            raise PkiError(f"ES256 needs a P-256 key, not {key.curve.name}")
        # Decided once: sign() runs millions of times in mass issuing, and an ABC
        # isinstance check or hashing the certificate per call costs a quarter of a sign.
        is_ec = isinstance(key, ec.EllipticCurvePrivateKey)
        object.__setattr__(self, "_algorithm", ES256 if is_ec else PS256)
        object.__setattr__(
            self, "_kid", kid_of(self.certificate_der) if self.certificate_der else b""
        )

    @property
    def algorithm(self) -> str:
        return self._algorithm

    @property
    def kid(self) -> bytes:
        if not self._kid:
            raise PkiError(f"key {self.label!r} has no certificate yet")
        return self._kid

    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        if self._algorithm == ES256:
            ec_key = cast(ec.EllipticCurvePrivateKey, self.private_key)
            return _raw_of_fresh_der(ec_key.sign(data, _ECDSA_SHA256))
        rsa_key = cast(rsa.RSAPrivateKey, self.private_key)
        return rsa_key.sign(data, _PSS, hashes.SHA256())

    def sign_many(self, messages: Sequence[bytes]) -> list[bytes]:
        """``sign`` for each message, in order. The ECDSA calls run back to back, as in
        a loop over `cryptography` alone (the batch issuer's signing phase): its code and
        precomputed tables stay in the processor's caches, and nothing else runs between
        two signatures (the DER signatures become r||s after the loop). The SHA-256
        digests are made before, with hashlib, and signed as Prehashed: the same
        signatures, without the hash object `cryptography` makes per call (46.5 µs a
        signature instead of 50.7 µs, measured together)."""
        if self._algorithm != ES256:
            return [self.sign(message) for message in messages]
        sign = cast(ec.EllipticCurvePrivateKey, self.private_key).sign
        digests = [hashlib.sha256(message).digest() for message in messages]
        prehashed = _ECDSA_PREHASHED_SHA256
        signatures = [sign(digest, prehashed) for digest in digests]
        return [_raw_of_fresh_der(signature) for signature in signatures]

    def with_certificate(self, certificate_der: bytes) -> KeySigner:
        return KeySigner(self.private_key, certificate_der, self.label)

    def __repr__(self) -> str:
        kid = self.kid.hex() if self.certificate_der else "no certificate"
        return f"KeySigner(label={self.label!r}, algorithm={self.algorithm}, kid={kid})"


_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_ECDSA_PREHASHED_SHA256 = ec.ECDSA(Prehashed(hashes.SHA256()))
_DER = serialization.Encoding.DER


def raw_ecdsa_signature(der_signature: bytes, size: int = 32) -> bytes:
    """An ECDSA signature as DER (what X.509 and `cryptography` use) turned into raw r||s
    (what COSE, JWS and PKCS#11 use)."""
    r, s = decode_dss_signature(der_signature)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _raw_of_fresh_der(der: bytes) -> bytes:
    """``raw_ecdsa_signature`` of a P-256 signature `cryptography` has just made, by
    slicing: its DER is always SEQUENCE { INTEGER r, INTEGER s } with one-byte lengths
    and minimal positive integers of 1 to 33 bytes. 0.9 µs instead of 3.4 µs for decoding
    to two Python ints and back (measured together; 5 % of a signature)."""
    size = der[3]
    r, s = der[4 : 4 + size], der[6 + size :]
    return r[-32:].rjust(32, b"\0") + s[-32:].rjust(32, b"\0")


def _der_heads(r_high: bool, s_high: bool) -> tuple[bytes, bytes]:
    """What precedes r (the SEQUENCE and r's INTEGER head) and s in the DER of a P-256
    signature whose halves have no leading zero byte; a half from 0x80 gets one, to
    stay positive."""
    r_head = b"\x02\x21\x00" if r_high else b"\x02\x20"
    s_head = b"\x02\x21\x00" if s_high else b"\x02\x20"
    return bytes((0x30, len(r_head) + len(s_head) + 64)) + r_head, s_head


# By (first byte of r >= 0x80) + 2 (first byte of s >= 0x80).
_DER_HEADS = [_der_heads(r, s) for s in (False, True) for r in (False, True)]


def der_ecdsa_signature(raw_signature: bytes) -> bytes:
    """Raw r||s turned into the DER form."""
    if len(raw_signature) == 64 and raw_signature[0] and raw_signature[32]:
        # The P-256 case written directly (what every DCC verification does): 0.9 µs
        # instead of 4 µs through two Python ints and encode_dss_signature.
        before_r, before_s = _DER_HEADS[raw_signature[0] >> 7 | raw_signature[32] >> 6 & 2]
        return b"".join((before_r, raw_signature[:32], before_s, raw_signature[32:]))
    half = len(raw_signature) // 2
    r = int.from_bytes(raw_signature[:half], "big")
    s = int.from_bytes(raw_signature[half:], "big")
    return encode_dss_signature(r, s)


def verify_signature(public_key: PublicKey, algorithm: str, signature: bytes, data: bytes) -> bool:
    """Check a Signer-style signature (raw r||s for ES256, PSS for PS256)."""
    try:
        if algorithm == ES256 and isinstance(public_key, ec.EllipticCurvePublicKey):
            if len(signature) != 64:
                return False
            public_key.verify(der_ecdsa_signature(signature), data, ec.ECDSA(hashes.SHA256()))
        elif algorithm == PS256 and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, _PSS, hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def signing_public_key(certificate: x509.Certificate) -> PublicKey:
    """The certificate's public key, if it is one that ES256 or PS256 can use."""
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        return key
    raise PkiError(f"{_cn(certificate)} has a {type(key).__name__}, not an EC or RSA key")


# --- Certificates ---------------------------------------------------------------------


def create_national_ca(
    key: KeyHandle,
    *,
    common_name: str = "VN DCC CSCA 1",
    organization: str = MINISTRY,
    country: str = COUNTRY,
    not_before: datetime.datetime | None = None,
    validity: datetime.timedelta = CA_VALIDITY,
    key_usage_period: datetime.timedelta = CA_KEY_USAGE_PERIOD,
) -> x509.Certificate:
    """The self-signed national signing CA (CSCA): CA:TRUE, path length 0 (it issues only
    end-entity certificates), keyCertSign and cRLSign."""
    start = _start(not_before)
    if key_usage_period > validity:
        raise ValidityError("the CA key usage period is longer than the CA certificate")
    subject = _name(country=country, organization=organization, common_name=common_name)
    public_key = key.public_key()
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    builder = (
        _builder(subject, subject, public_key, start, start + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .add_extension(_usage_period(start, start + key_usage_period), critical=False)
    )
    return _sign_certificate(builder, key, issuer_public_key=public_key)


def issue_document_signer(
    issuer: Signer,
    public_key: PublicKey,
    *,
    common_name: str = "VN DCC DSC 1",
    organization: str = CENTRAL_ISSUER,
    usages: Iterable[str] = ("v",),
    not_before: datetime.datetime | None = None,
    validity: datetime.timedelta = DSC_VALIDITY,
    key_usage_period: datetime.timedelta = DSC_KEY_USAGE_PERIOD,
) -> x509.Certificate:
    """A DSC for the central issuer: digitalSignature, and the EU DCC extended key usage
    for each of ``usages`` ("v" vaccination, "t" test, "r" recovery)."""
    oids = []
    for usage in usages:
        if usage not in _WRITTEN_USAGE_OIDS:
            raise PkiError(f"unknown DCC usage {usage!r}: expected 'v', 't' or 'r'")
        oids.append(_WRITTEN_USAGE_OIDS[usage])
    extensions: list[x509.ExtensionType] = [_key_usage(digital_signature=True)]
    if oids:
        extensions.append(x509.ExtendedKeyUsage(oids))
    return _issue(
        issuer,
        public_key,
        _name(country=_country_of(issuer), organization=organization, common_name=common_name),
        extensions,
        not_before,
        validity,
        key_usage_period,
    )


def issue_facility_certificate(
    issuer: Signer,
    public_key: PublicKey,
    *,
    facility_code: str,
    facility_name: str,
    not_before: datetime.datetime | None = None,
    validity: datetime.timedelta = FACILITY_VALIDITY,
    key_usage_period: datetime.timedelta = FACILITY_KEY_USAGE_PERIOD,
) -> x509.Certificate:
    """A vaccination facility's certificate for signing its verified dose records: the
    facility name as CN, its code as serialNumber (the X.500 attribute for an identifier
    of the subject), digitalSignature and contentCommitment (a signature is the facility's
    statement that the record is right)."""
    if not facility_code.strip() or not facility_name.strip():
        raise PkiError("a facility certificate needs the facility's code and name")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, _country_of(issuer)),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, MINISTRY),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, facility_code),
            x509.NameAttribute(NameOID.COMMON_NAME, facility_name),
        ]
    )
    extensions: list[x509.ExtensionType] = [
        _key_usage(digital_signature=True, content_commitment=True)
    ]
    return _issue(issuer, public_key, subject, extensions, not_before, validity, key_usage_period)


def issue_list_signer(
    issuer: Signer,
    public_key: PublicKey,
    *,
    common_name: str = "VN DCC trust list signer 1",
    not_before: datetime.datetime | None = None,
    validity: datetime.timedelta = LIST_SIGNER_VALIDITY,
) -> x509.Certificate:
    """A certificate for the key that signs the published trust and revocation lists, so
    the CA key is needed only to issue certificates: extended key usage trusted-list
    signing (ETSI's id-tsl-kp-tslSigning) and no DCC usage, so it cannot sign passports."""
    subject = _name(country=_country_of(issuer), organization=MINISTRY, common_name=common_name)
    return _issue(
        issuer,
        public_key,
        subject,
        [
            _key_usage(digital_signature=True),
            x509.ExtendedKeyUsage([EKU_TRUST_LIST_SIGNING]),
        ],
        not_before,
        validity,
        validity,
    )


def facility_code_of(certificate: x509.Certificate) -> str | None:
    """The facility code written by ``issue_facility_certificate``, or None."""
    values = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if values else None


def dcc_usages(certificate: x509.Certificate) -> frozenset[str]:
    """The DCC types ("t", "v", "r") a signer certificate's extended key usage allows;
    empty when it names none of them, which the specification reads as "any type".

    Some countries' DSCs are not strict DER (an explicit cA=FALSE, an empty EKU sequence)
    and `cryptography` refuses to parse their extensions; then the EKU OIDs are looked for
    in the raw certificate bytes, where they can appear only as extended key usages."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        dotted = {oid.dotted_string for oid in extension.value}
    except x509.ExtensionNotFound:
        return frozenset()
    except ValueError:
        der = certificate.tbs_certificate_bytes
        dotted = {
            oid for oids in DCC_USAGE_OIDS.values() for oid in oids if _encoded_oid(oid) in der
        }
    return frozenset(usage for usage, oids in DCC_USAGE_OIDS.items() if dotted & set(oids))


def key_usage_period(certificate: x509.Certificate) -> tuple[datetime.datetime, datetime.datetime]:
    """When the certificate's private key may sign (PrivateKeyUsagePeriod), in UTC;
    the certificate's own validity when the extension is absent."""
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    try:
        period = certificate.extensions.get_extension_for_class(x509.PrivateKeyUsagePeriod).value
    except (x509.ExtensionNotFound, ValueError):
        return start, end
    if period.not_before is not None:
        start = period.not_before.replace(tzinfo=datetime.UTC)
    if period.not_after is not None:
        end = period.not_after.replace(tzinfo=datetime.UTC)
    return start, end


def check_document_validity(
    certificate: x509.Certificate,
    issued_at: datetime.datetime,
    expires_at: datetime.datetime,
) -> None:
    """Refuse to sign a document that the shell model would make unverifiable: signed
    outside the signer's key usage period, or valid after the signer certificate."""
    issued_at, expires_at = _utc(issued_at), _utc(expires_at)
    start, end = key_usage_period(certificate)
    if not start <= issued_at <= end:
        raise ValidityError(
            f"the key of {_cn(certificate)} may sign from {start:%Y-%m-%d} to {end:%Y-%m-%d}, "
            f"not on {issued_at:%Y-%m-%d}: rotate to a new document signer"
        )
    if expires_at > certificate.not_valid_after_utc:
        raise ValidityError(
            f"a document valid until {expires_at:%Y-%m-%d} would outlive {_cn(certificate)} "
            f"(valid until {certificate.not_valid_after_utc:%Y-%m-%d})"
        )


def choose_document_signer(
    certificates: Sequence[x509.Certificate],
    at: datetime.datetime,
    document_validity: datetime.timedelta = DOCUMENT_VALIDITY,
) -> x509.Certificate | None:
    """The newest certificate that may sign a document issued at ``at`` and valid for
    ``document_validity``; None means it is time to issue a new DSC."""
    usable = []
    for certificate in certificates:
        try:
            check_document_validity(certificate, at, at + document_validity)
        except ValidityError:
            continue
        usable.append(certificate)
    return max(usable, key=lambda c: c.not_valid_before_utc, default=None)


def needs_rotation(
    certificate: x509.Certificate,
    at: datetime.datetime,
    *,
    document_validity: datetime.timedelta = DOCUMENT_VALIDITY,
    margin: datetime.timedelta = datetime.timedelta(days=30),
) -> bool:
    """True when the signer can no longer sign a full-length document within ``margin``
    from now: the governance asks for a renewal a month before the key usage ends."""
    return choose_document_signer([certificate], _utc(at) + margin, document_validity) is None


# --- Internals ------------------------------------------------------------------------


def _issue(
    issuer: Signer,
    public_key: PublicKey,
    subject: x509.Name,
    extensions: list[x509.ExtensionType],
    not_before: datetime.datetime | None,
    validity: datetime.timedelta,
    usage_period: datetime.timedelta,
) -> x509.Certificate:
    issuer_certificate = x509.load_der_x509_certificate(issuer.certificate_der)
    _check_is_ca(issuer_certificate)
    start = _start(not_before)
    end = start + validity
    issuer_start, issuer_usage_end = key_usage_period(issuer_certificate)
    if not issuer_start <= start <= issuer_usage_end:
        raise ValidityError(
            f"the CA key may issue from {issuer_start:%Y-%m-%d} to {issuer_usage_end:%Y-%m-%d}, "
            f"not on {start:%Y-%m-%d}: create a new CA"
        )
    if end > issuer_certificate.not_valid_after_utc:
        raise ValidityError(
            f"a certificate valid until {end:%Y-%m-%d} would outlive its CA "
            f"(valid until {issuer_certificate.not_valid_after_utc:%Y-%m-%d})"
        )
    if usage_period > validity:
        raise ValidityError("the key usage period is longer than the certificate's validity")
    issuer_ski = issuer_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    builder = _builder(subject, issuer_certificate.subject, public_key, start, end)
    builder = (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski.value),
            critical=False,
        )
        .add_extension(_usage_period(start, start + usage_period), critical=False)
    )
    for extension in extensions:
        critical = isinstance(extension, x509.KeyUsage)
        builder = builder.add_extension(extension, critical=critical)
    return _sign_certificate(
        builder, issuer, issuer_public_key=signing_public_key(issuer_certificate)
    )


def _sign_certificate(
    builder: x509.CertificateBuilder, key: KeyHandle | Signer, issuer_public_key: PublicKey
) -> x509.Certificate:
    """Sign with the throwaway key, keep the to-be-signed part, replace the signature."""
    if key.algorithm == ES256:
        draft = builder.sign(_throwaway_ec_key(), hashes.SHA256())
    elif key.algorithm == PS256:
        draft = builder.sign(_throwaway_rsa_key(), hashes.SHA256(), rsa_padding=_PSS)
    else:
        raise PkiError(f"cannot issue certificates with {key.algorithm}")
    tbs = draft.tbs_certificate_bytes
    algorithm_identifier = _der_elements(draft.public_bytes(_DER))[1]
    signature = key.sign(tbs)
    if not verify_signature(issuer_public_key, key.algorithm, signature, tbs):
        raise PkiError("the signing key's signature does not verify with the issuer's public key")
    if key.algorithm == ES256:
        signature = der_ecdsa_signature(signature)
    bit_string = _der(0x03, b"\x00" + signature)
    return x509.load_der_x509_certificate(_der(0x30, tbs + algorithm_identifier + bit_string))


@functools.cache
def _throwaway_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def _throwaway_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded + content


def _der_elements(data: bytes) -> list[bytes]:
    """The elements (whole TLVs) of the outer SEQUENCE of a DER structure."""
    offset, end = _der_header(data, 0)
    elements = []
    while offset < end:
        start = offset
        content_start, content_end = _der_header(data, offset)
        elements.append(data[start:content_end])
        offset = content_end
    return elements


def _der_header(data: bytes, offset: int) -> tuple[int, int]:
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    return offset, offset + length


def _encoded_oid(dotted: str) -> bytes:
    parts = [int(part) for part in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return _der(0x06, bytes(body))


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PublicKey,
    start: datetime.datetime,
    end: datetime.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )


def _name(*, country: str, organization: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _usage_period(start: datetime.datetime, end: datetime.datetime) -> x509.PrivateKeyUsagePeriod:
    # The extension holds GeneralizedTime without a zone, meaning UTC.
    naive = [moment.astimezone(datetime.UTC).replace(tzinfo=None) for moment in (start, end)]
    return x509.PrivateKeyUsagePeriod(not_before=naive[0], not_after=naive[1])


def _check_is_ca(certificate: x509.Certificate) -> None:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.value.ca:
        raise PkiError(f"{_cn(certificate)} is not a CA certificate and cannot issue")


def _country_of(issuer: Signer) -> str:
    certificate = x509.load_der_x509_certificate(issuer.certificate_der)
    values = certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    return str(values[0].value) if values else COUNTRY


def _cn(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return repr(str(values[0].value)) if values else certificate.subject.rfc4514_string()


def _start(not_before: datetime.datetime | None) -> datetime.datetime:
    start = not_before or datetime.datetime.now(datetime.UTC)
    return _utc(start).replace(microsecond=0)


def _utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the DER, hex: the EU gateway's ``thumbprint``."""
    return hashlib.sha256(certificate.public_bytes(_DER)).hexdigest()
