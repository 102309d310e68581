"""Signed trust lists (signer certificates) and revocation lists, as published files.

**What a verifier uses.** ``TrustList.certificates_by_kid()`` gives the
``kid -> x509.Certificate`` map the DCC verifier checks signatures with, and
``TrustList.get(kid).usages`` what each signer may sign. ``RevocationList.contains(kid,
hash16)`` is the membership test; ``revocation_hashes(uci=..., country=...,
signature=...)`` computes the three EU hash types of a certificate, and
``RevocationList.is_revoked(kid, hashes)`` checks all three (the verifier's
``RevocationCheck`` protocol). ``parse_trust_list`` and
``parse_revocation_list`` read the published files after checking their signature.

**Trust list.** Each entry is a signer certificate with its kid (first 8 bytes of SHA-256
of the DER), country, certificate type ("DSC"), DCC key usage ("v", "t", "r"; none means
any type) and validity. Entries use the EU gateway's field names (``kid``, ``country``,
``certificateType``, ``thumbprint``, ``rawData``), and ``import_gateway_trust_list`` reads
the gateway's DSC list into the same type, so foreign certificates verify too. Key
rotation adds a DSC; the old one stays until ``pruned`` drops it after its validity ends.

**Revocation list**, after the EU DCC revocation design: a revoked certificate is listed
by SHA-256 hashes truncated to 16 bytes, of its UCI (``UCI``), of its issuing country
(the CWT ``iss``) followed by the UCI (``COUNTRYCODEUCI``), and of its COSE signature,
only the r half for ECDSA (``SIGNATURE``); entries are grouped by the kid of the signer
in batches of one hash type and one expiry date (the certificate's own expiry, rounded
up to the next midnight UTC), so a batch can be dropped once what it revokes has expired.

**File format: JWS** (RFC 7515) in its flattened JSON serialisation: a JSON object with
``protected`` (the header: ``alg`` ES256 or PS256, ``typ``, ``kid`` and ``x5c``, the
signer's certificate), ``payload`` (the list as canonical JSON: sorted keys, no spaces,
UTF-8) and ``signature``, each base64url. Why JWS: it is a standard with verifiers in
every language; its ES256 signature is raw r||s, exactly what WebCrypto's ECDSA verify
takes, so the border officers' offline web page checks the file in the browser with no
library; and the signature covers the payload bytes as sent, so no verifier has to
re-canonicalise JSON. The signer is the national CA itself or a list signer certificate
issued by it (``pki.issue_list_signer``, extended key usage trusted-list signing, so a DSC
or facility key cannot sign lists); parsing checks the chain to the CA certificate
it is given, the validity of both at the given time, the ``typ`` (a revocation list is
not a trust list), and the signature, and raises ``TrustListError`` otherwise.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from vaxpass.core import pki
from vaxpass.core.signing import ES256, PS256, Signer, kid_of

TRUST_LIST_TYPE = "vaxpass-trustlist+json"
REVOCATION_LIST_TYPE = "vaxpass-revocationlist+json"
FORMAT_VERSION = 1
HASH_SIZE = 16


class TrustListError(Exception):
    """A trust or revocation list that cannot be used."""


class MalformedList(TrustListError):
    """Not a list file of the expected kind."""


class SignatureInvalid(TrustListError):
    """The file was changed after signing, or signed by another key."""


class UntrustedListSigner(TrustListError):
    """The signer certificate does not chain to the given CA, or is not valid now."""


# --- Trust list -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedCertificate:
    """A signer certificate a verifier trusts, with the country it signs for."""

    certificate: x509.Certificate
    country: str
    certificate_type: str = "DSC"

    @cached_property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @cached_property
    def kid(self) -> bytes:
        return kid_of(self.der)

    @cached_property
    def usages(self) -> frozenset[str]:
        """DCC types it may sign: "v", "t", "r"; empty means any (EKU absent)."""
        return pki.dcc_usages(self.certificate)

    @property
    def not_before(self) -> datetime.datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> datetime.datetime:
        return self.certificate.not_valid_after_utc

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": _b64(self.kid),
            "country": self.country,
            "certificateType": self.certificate_type,
            "keyUsage": sorted(self.usages),
            "notBefore": _iso(self.not_before),
            "notAfter": _iso(self.not_after),
            "thumbprint": hashlib.sha256(self.der).hexdigest(),
            "rawData": _b64(self.der),
        }


@dataclass(frozen=True)
class TrustList:
    """Signer certificates by kid. Immutable: the ``with_*`` and ``without`` methods
    return a new list."""

    entries: tuple[TrustedCertificate, ...] = ()
    issued_at: datetime.datetime | None = None
    _by_kid: dict[bytes, TrustedCertificate] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        for entry in self.entries:
            known = self._by_kid.get(entry.kid)
            if known is not None and known.der != entry.der:
                raise TrustListError(f"two different certificates share kid {_b64(entry.kid)}")
            self._by_kid[entry.kid] = entry
        unique = tuple(sorted(self._by_kid.values(), key=lambda e: e.kid))
        object.__setattr__(self, "entries", unique)

    def certificates_by_kid(self) -> dict[bytes, x509.Certificate]:
        """What the DCC verifier takes: kid -> signer certificate."""
        return {kid: entry.certificate for kid, entry in self._by_kid.items()}

    def get(self, kid: bytes) -> TrustedCertificate | None:
        return self._by_kid.get(kid)

    def __contains__(self, kid: object) -> bool:
        return kid in self._by_kid

    def __len__(self) -> int:
        return len(self._by_kid)

    def with_certificate(
        self,
        certificate: x509.Certificate,
        *,
        country: str | None = None,
        certificate_type: str = "DSC",
    ) -> TrustList:
        """The list with one more signer (for a rotation, a new DSC beside the old)."""
        entry = TrustedCertificate(
            certificate, country or _country_of(certificate), certificate_type
        )
        return TrustList((*self.entries, entry), self.issued_at)

    def merged(self, other: TrustList) -> TrustList:
        """This list and another's entries (the national list and imported foreign ones)."""
        return TrustList((*self.entries, *other.entries), self.issued_at)

    def without(self, kid: bytes) -> TrustList:
        """The list without a signer: how a compromised DSC is withdrawn; everything it
        signed stops verifying once verifiers have the new list."""
        return TrustList(tuple(e for e in self.entries if e.kid != kid), self.issued_at)

    def pruned(self, at: datetime.datetime) -> TrustList:
        """Without the certificates expired at ``at`` (the governance removes them)."""
        moment = _utc(at)
        return TrustList(tuple(e for e in self.entries if e.not_after >= moment), self.issued_at)

    def to_json(self, *, issuer: str = pki.COUNTRY) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "issuer": issuer,
            "issuedAt": _iso(self.issued_at or _now()),
            "certificates": [entry.to_json() for entry in self.entries],
        }

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> TrustList:
        try:
            if payload["version"] != FORMAT_VERSION:
                raise MalformedList(f"unknown trust list version {payload['version']!r}")
            entries = []
            for item in payload["certificates"]:
                entry = _entry_from_item(item)
                if entry is None:
                    continue
                if isinstance(entry, str):
                    raise MalformedList(f"trust list entry {item.get('kid')!r}: {entry}")
                entries.append(entry)
            return cls(tuple(entries), _parse_time(payload["issuedAt"]))
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, TrustListError):
                raise
            raise MalformedList(f"not a trust list: {error!r}") from None


def sign_trust_list(trust_list: TrustList, signer: Signer, *, issuer: str = pki.COUNTRY) -> bytes:
    """The trust list as a signed JSON file (JWS, see the module docstring)."""
    return _sign(trust_list.to_json(issuer=issuer), signer, TRUST_LIST_TYPE)


def parse_trust_list(
    data: bytes | str, ca_certificate: x509.Certificate, *, at: datetime.datetime | None = None
) -> TrustList:
    """Read a signed trust list file, refusing it unless it verifies to the CA."""
    return TrustList.from_json(_verify(data, ca_certificate, TRUST_LIST_TYPE, at))


# --- EU gateway import ----------------------------------------------------------------


@dataclass(frozen=True)
class GatewayImport:
    """The imported signers, and the entries refused with the reason for each."""

    trust_list: TrustList
    rejected: tuple[tuple[str, str], ...] = ()


def import_gateway_trust_list(
    document: bytes | str | list[Any] | dict[str, Any],
    *,
    cscas: Iterable[x509.Certificate] | None = None,
) -> GatewayImport:
    """Read the DSC list that the EU DCC gateway (``GET /trustList/DSC``) and national
    backends serve: a JSON array (or ``{"certificates": [...]}``) of objects with ``kid``
    (base64), ``country``, ``certificateType``, ``thumbprint`` (hex SHA-256 of the DER),
    ``rawData`` (base64 DER; PEM accepted), ``timestamp``, ``signature``.

    Only DSC entries are taken. An entry whose kid or thumbprint does not match its
    certificate is rejected; with ``cscas`` (the countries' CSCA certificates, from the
    gateway's signed CSCA list), so is a DSC not issued by a CSCA of its own country.
    The gateway's per-entry CMS ``signature`` is the uploading country's and is not
    checked here: trust comes from the CSCAs."""
    items = _json_document(document)
    if isinstance(items, dict):
        items = items.get("certificates")
    if not isinstance(items, list):
        raise MalformedList("a gateway trust list is a JSON array of certificate objects")
    anchors = list(cscas) if cscas is not None else None
    entries: dict[bytes, TrustedCertificate] = {}
    rejected: list[tuple[str, str]] = []
    for item in items:
        label = str(item.get("kid", "?")) if isinstance(item, dict) else "?"
        entry = _entry_from_item(item)
        if entry is None:
            continue
        if isinstance(entry, str):
            rejected.append((label, entry))
            continue
        if anchors is not None and not _issued_by_country_csca(entry, anchors):
            rejected.append((label, f"not issued by a CSCA of {entry.country}"))
            continue
        known = entries.get(entry.kid)
        if known is not None and known.der != entry.der:
            rejected.append((label, "another certificate already has this kid"))
            continue
        entries[entry.kid] = entry
    return GatewayImport(TrustList(tuple(entries.values()), _now()), tuple(rejected))


def _entry_from_item(item: Any) -> TrustedCertificate | str | None:
    """An entry, a reason to reject it, or None for a non-DSC entry (skipped)."""
    if not isinstance(item, dict):
        return "not an object"
    if item.get("certificateType", "DSC") != "DSC":
        return None
    country = item.get("country")
    if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
        return f"country {country!r} is not a two-letter code"
    try:
        der = _certificate_bytes(item["rawData"])
        certificate = x509.load_der_x509_certificate(der)
    except (KeyError, TypeError, ValueError):
        return "rawData is not a certificate"
    entry = TrustedCertificate(certificate, country)
    if "kid" in item and item["kid"] != _b64(entry.kid):
        return f"kid does not match the certificate (expected {_b64(entry.kid)})"
    thumbprint = item.get("thumbprint")
    if thumbprint is not None and str(thumbprint).lower() != hashlib.sha256(der).hexdigest():
        return "thumbprint does not match the certificate"
    return entry


def _certificate_bytes(raw: str) -> bytes:
    if "-----BEGIN" in raw:
        return x509.load_pem_x509_certificate(raw.encode()).public_bytes(serialization.Encoding.DER)
    return base64.b64decode(raw, validate=True)


def _issued_by_country_csca(entry: TrustedCertificate, cscas: list[x509.Certificate]) -> bool:
    for csca in cscas:
        if _country_of(csca) != entry.country:
            continue
        try:
            entry.certificate.verify_directly_issued_by(csca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


# --- Revocation list ------------------------------------------------------------------


class HashType(StrEnum):
    """The EU DCC revocation hash types."""

    SIGNATURE = "SIGNATURE"
    UCI = "UCI"
    COUNTRYCODEUCI = "COUNTRYCODEUCI"


def uci_hash(uci: str) -> bytes:
    """UCI: SHA-256 of the certificate identifier (the DCC's ``ci``, as written), UTF-8."""
    return hashlib.sha256(uci.encode("utf-8")).digest()[:HASH_SIZE]


def country_code_uci_hash(country: str, uci: str) -> bytes:
    """COUNTRYCODEUCI: SHA-256 of the issuing country (CWT ``iss``) followed by the UCI."""
    return hashlib.sha256((country + uci).encode("utf-8")).digest()[:HASH_SIZE]


def signature_hash(signature: bytes, algorithm: str = ES256) -> bytes:
    """SIGNATURE: SHA-256 of the COSE signature; for ECDSA only its r half (the first
    half of raw r||s), since s can be changed without breaking the signature."""
    if algorithm == ES256:
        signature = signature[: len(signature) // 2]
    elif algorithm != PS256:
        raise TrustListError(f"no revocation hash defined for {algorithm}")
    return hashlib.sha256(signature).digest()[:HASH_SIZE]


class HashesOfCertificate(Protocol):
    """The three hashes of one certificate (``CertificateHashes``, or any object with
    these attributes, such as ``vaxpass.core.dcc.revocation.RevocationHashes``)."""

    @property
    def uci(self) -> bytes: ...

    @property
    def country_code_uci(self) -> bytes: ...

    @property
    def signature(self) -> bytes: ...


@dataclass(frozen=True)
class CertificateHashes:
    uci: bytes
    country_code_uci: bytes
    signature: bytes

    def by_type(self) -> dict[HashType, bytes]:
        return {
            HashType.SIGNATURE: self.signature,
            HashType.UCI: self.uci,
            HashType.COUNTRYCODEUCI: self.country_code_uci,
        }


def revocation_hashes(
    *, uci: str, country: str, signature: bytes, algorithm: str = ES256
) -> CertificateHashes:
    """All three hashes of one certificate: its UCI, issuing country (CWT ``iss``) and
    COSE signature (raw r||s for ES256)."""
    return CertificateHashes(
        uci=uci_hash(uci),
        country_code_uci=country_code_uci_hash(country, uci),
        signature=signature_hash(signature, algorithm),
    )


class RevocationEntry(NamedTuple):
    """One revoked hash. ``expires`` is the end of the day (UTC) the revoked certificate
    expires: the batch it is published in. Make entries with ``revocation_entry`` or
    ``revocation_entries``, which check and round; a tuple keeps big lists fast to load."""

    kid: bytes
    hash_type: HashType
    hash: bytes
    expires: datetime.datetime


def revocation_entry(
    kid: bytes, hash_type: HashType | str, hash16: bytes, expires: datetime.datetime
) -> RevocationEntry:
    if len(hash16) != HASH_SIZE:
        raise TrustListError(f"a revocation hash has {HASH_SIZE} bytes, not {len(hash16)}")
    return RevocationEntry(kid, HashType(hash_type), hash16, _batch_expiry(expires))


def revocation_entries(
    kid: bytes,
    *,
    uci: str,
    country: str,
    signature: bytes,
    expires: datetime.datetime,
    algorithm: str = ES256,
    hash_types: Iterable[HashType] = tuple(HashType),
) -> list[RevocationEntry]:
    """The entries that revoke one certificate (signed by ``kid``, expiring ``expires``)."""
    hashes = revocation_hashes(
        uci=uci, country=country, signature=signature, algorithm=algorithm
    ).by_type()
    return [revocation_entry(kid, t, hashes[HashType(t)], expires) for t in hash_types]


class RevocationList:
    """Revoked certificates as hashes grouped by signer kid. Immutable."""

    def __init__(
        self,
        entries: Iterable[RevocationEntry] = (),
        *,
        issued_at: datetime.datetime | None = None,
    ) -> None:
        self.issued_at = issued_at
        self.entries = tuple(sorted(set(entries)))
        self._index: dict[bytes, set[bytes]] = {}
        for entry in self.entries:
            self._index.setdefault(entry.kid, set()).add(entry.hash)

    def contains(self, kid: bytes, hash16: bytes) -> bool:
        """Whether a hash (of any type) is revoked for certificates signed by ``kid``."""
        return hash16 in self._index.get(kid, ())

    def is_revoked(self, kid: bytes, hashes: HashesOfCertificate) -> bool:
        """Whether a certificate signed by ``kid`` is revoked under any of its hashes
        (``revocation_hashes(uci=..., country=..., signature=...)``)."""
        listed = self._index.get(kid, ())
        return any(h in listed for h in (hashes.uci, hashes.country_code_uci, hashes.signature))

    def with_entries(self, entries: Iterable[RevocationEntry]) -> RevocationList:
        return RevocationList((*self.entries, *entries), issued_at=self.issued_at)

    def pruned(self, at: datetime.datetime) -> RevocationList:
        """Without the batches whose certificates have all expired at ``at``."""
        moment = _utc(at)
        kept = (e for e in self.entries if e.expires > moment)
        return RevocationList(kept, issued_at=self.issued_at)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"RevocationList({len(self.entries)} entries, {len(self._index)} signers)"

    def to_json(self, *, issuer: str = pki.COUNTRY) -> dict[str, Any]:
        batches: dict[tuple[bytes, HashType, datetime.datetime], list[str]] = {}
        for entry in self.entries:
            key = (entry.kid, entry.hash_type, entry.expires)
            batches.setdefault(key, []).append(_b64(entry.hash))
        return {
            "version": FORMAT_VERSION,
            "issuer": issuer,
            "issuedAt": _iso(self.issued_at or _now()),
            "batches": [
                {
                    "kid": _b64(kid),
                    "hashType": str(kind),
                    "expires": _iso(expires),
                    "hashes": hashes,
                }
                for (kid, kind, expires), hashes in batches.items()
            ],
        }

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> RevocationList:
        try:
            if payload["version"] != FORMAT_VERSION:
                raise MalformedList(f"unknown revocation list version {payload['version']!r}")
            entries = []
            for batch in payload["batches"]:
                # Checked and rounded once per batch, not per hash.
                first = revocation_entry(
                    base64.b64decode(batch["kid"], validate=True),
                    batch["hashType"],
                    bytes(HASH_SIZE),
                    _parse_time(batch["expires"]),
                )
                for value in batch["hashes"]:
                    hash16 = base64.b64decode(value, validate=True)
                    if len(hash16) != HASH_SIZE:
                        raise MalformedList(f"revocation hash {value!r} is not {HASH_SIZE} bytes")
                    entries.append(first._replace(hash=hash16))
            return cls(entries, issued_at=_parse_time(payload["issuedAt"]))
        except (KeyError, TypeError, ValueError, binascii.Error, TrustListError) as error:
            if isinstance(error, MalformedList):
                raise
            raise MalformedList(f"not a revocation list: {error!r}") from None


def sign_revocation_list(
    revocation_list: RevocationList, signer: Signer, *, issuer: str = pki.COUNTRY
) -> bytes:
    """The revocation list as a signed JSON file (JWS, see the module docstring)."""
    return _sign(revocation_list.to_json(issuer=issuer), signer, REVOCATION_LIST_TYPE)


def parse_revocation_list(
    data: bytes | str, ca_certificate: x509.Certificate, *, at: datetime.datetime | None = None
) -> RevocationList:
    """Read a signed revocation list file, refusing it unless it verifies to the CA."""
    return RevocationList.from_json(_verify(data, ca_certificate, REVOCATION_LIST_TYPE, at))


# --- JWS ------------------------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant space, UTF-8: the same list gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sign(payload: Mapping[str, Any], signer: Signer, media_type: str) -> bytes:
    header = {
        "alg": signer.algorithm,
        "typ": media_type,
        "kid": _b64url(signer.kid),
        "x5c": [_b64(signer.certificate_der)],
    }
    protected = _b64url(canonical_json(header))
    body = _b64url(canonical_json(payload))
    signature = signer.sign(f"{protected}.{body}".encode("ascii"))
    document = {"protected": protected, "payload": body, "signature": _b64url(signature)}
    return json.dumps(document, indent=1).encode() + b"\n"


def _verify(
    data: bytes | str,
    ca_certificate: x509.Certificate,
    media_type: str,
    at: datetime.datetime | None,
) -> dict[str, Any]:
    kind = "trust list" if media_type == TRUST_LIST_TYPE else "revocation list"
    document = _json_document(data)
    if not isinstance(document, dict) or not all(
        isinstance(document.get(part), str) for part in ("protected", "payload", "signature")
    ):
        raise MalformedList(f"not a signed {kind}: expected a JWS JSON object")
    try:
        header = json.loads(_unb64url(document["protected"]))
        payload_bytes = _unb64url(document["payload"])
        signature = _unb64url(document["signature"])
    except (ValueError, binascii.Error):
        raise MalformedList(f"not a signed {kind}: bad base64url or header") from None
    if not isinstance(header, dict):
        raise MalformedList(f"not a signed {kind}: the header is not an object")
    if header.get("typ") != media_type:
        raise MalformedList(f"not a {kind}: its type is {header.get('typ')!r}")
    if "crit" in header:
        raise MalformedList(f"the {kind} header has critical extensions this reader lacks")
    algorithm = header.get("alg")
    if algorithm not in (ES256, PS256):
        raise MalformedList(f"the {kind} is signed with {algorithm!r}, not ES256 or PS256")
    signer_certificate = _list_signer(header, ca_certificate, kind, at)
    signing_input = f"{document['protected']}.{document['payload']}".encode("ascii")
    public_key = pki.signing_public_key(signer_certificate)
    if not pki.verify_signature(public_key, algorithm, signature, signing_input):
        raise SignatureInvalid(
            f"the {kind}'s signature does not verify: changed after signing, or signed by "
            "another key"
        )
    try:
        payload = json.loads(payload_bytes)
    except ValueError:
        raise MalformedList(f"the signed {kind} payload is not JSON") from None
    if not isinstance(payload, dict):
        raise MalformedList(f"the signed {kind} payload is not an object")
    return payload


def _list_signer(
    header: Mapping[str, Any],
    ca_certificate: x509.Certificate,
    kind: str,
    at: datetime.datetime | None,
) -> x509.Certificate:
    chain = header.get("x5c", [])
    if not isinstance(chain, list) or len(chain) > 1:
        raise MalformedList(f"the {kind} header's x5c must hold one certificate")
    try:
        signer = (
            x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
            if chain
            else ca_certificate
        )
    except (ValueError, TypeError, binascii.Error):
        raise MalformedList(f"the {kind} header's x5c is not a certificate") from None
    ca_der = ca_certificate.public_bytes(serialization.Encoding.DER)
    signer_der = signer.public_bytes(serialization.Encoding.DER)
    if "kid" in header and header["kid"] != _b64url(kid_of(signer_der)):
        raise MalformedList(f"the {kind} header's kid is not its certificate's")
    if signer_der != ca_der:
        try:
            signer.verify_directly_issued_by(ca_certificate)
        except (ValueError, TypeError, InvalidSignature):
            raise UntrustedListSigner(
                f"the {kind} was signed by {signer.subject.rfc4514_string()}, which the given "
                "CA did not issue"
            ) from None
        if not _may_sign(signer):
            raise UntrustedListSigner(
                f"the {kind} was signed by {signer.subject.rfc4514_string()}, whose certificate "
                "is not a list signer's (extended key usage trusted-list signing)"
            )
    moment = _utc(at) if at is not None else _now()
    for certificate in {ca_der: ca_certificate, signer_der: signer}.values():
        if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
            raise UntrustedListSigner(
                f"the {kind} signer {certificate.subject.rfc4514_string()} is not valid on "
                f"{moment:%Y-%m-%d}"
            )
    return signer


def _may_sign(certificate: x509.Certificate) -> bool:
    """Only a certificate made for it signs lists: a DSC or a facility key must not."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return pki.EKU_TRUST_LIST_SIGNING in usage and key_usage.digital_signature


# --- Small helpers --------------------------------------------------------------------


def _json_document(document: bytes | str | list[Any] | dict[str, Any]) -> Any:
    if isinstance(document, list | dict):
        return document
    try:
        return json.loads(document)
    except (ValueError, UnicodeDecodeError):
        raise MalformedList("the file is not JSON") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _iso(moment: datetime.datetime) -> str:
    return _utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _parse_time(text: str) -> datetime.datetime:
    return _utc(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")))


def _utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _batch_expiry(moment: datetime.datetime) -> datetime.datetime:
    moment = _utc(moment)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == moment else midnight + datetime.timedelta(days=1)


def _country_of(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    if not values:
        raise TrustListError(f"{certificate.subject.rfc4514_string()} names no country")
    return str(values[0].value)
