"""The key store interface: private keys under labels, with their certificates.

A key never leaves its store. What comes out is a handle that signs: ``key(label)`` (a
``vaxpass.core.pki.KeyHandle``, enough to self-sign a CA or to ask for a certificate)
and ``signer(label)`` (a ``vaxpass.core.signing.Signer`` carrying its certificate, what
the certificate formats use). Every key is ECDSA P-256, signing ES256 with raw r||s.

Labels name keys for people and files: 1 to 64 letters, digits, ".", "_" or "-", not
starting with "." (for example "national-ca", "dsc-2026-1", "facility-79-26734-01").
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vaxpass.core.pki import KeyHandle, PublicKey
from vaxpass.core.signing import Signer

_LABEL = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")


class KeyStoreError(Exception):
    """A key store operation that failed; the message names the key label."""


class KeyNotFound(KeyStoreError):
    pass


class KeyExists(KeyStoreError):
    pass


class NoCertificate(KeyStoreError):
    pass


class CertificateMismatch(KeyStoreError):
    """A certificate whose public key is not the stored key's."""


class WrongSecret(KeyStoreError):
    """A wrong passphrase (key files) or PIN (PKCS#11 token)."""


class KeyStore(ABC):
    """Private keys under labels. Implementations: ``FileKeyStore`` (encrypted PKCS#8
    files, the default) and ``Pkcs11KeyStore`` (a hardware security module)."""

    @abstractmethod
    def generate(self, label: str) -> KeyHandle:
        """Make a new P-256 key under ``label``; ``KeyExists`` if the label is taken."""

    @abstractmethod
    def key(self, label: str) -> KeyHandle:
        """The key under ``label``, with or without a certificate; ``KeyNotFound``."""

    @abstractmethod
    def certificate(self, label: str) -> x509.Certificate | None:
        """The certificate stored for ``label``, if any."""

    @abstractmethod
    def _put_certificate(self, label: str, certificate: x509.Certificate) -> None:
        """Store (or replace) the certificate of an existing key."""

    @abstractmethod
    def labels(self) -> list[str]:
        """The labels of every stored key, sorted."""

    @abstractmethod
    def signer(self, label: str) -> Signer:
        """The key with its certificate; ``NoCertificate`` until one is stored."""

    def store_certificate(self, label: str, certificate: x509.Certificate) -> None:
        """Store the certificate issued for the key under ``label`` (replacing an older one,
        for a renewal); ``CertificateMismatch`` if it certifies another key."""
        if not _same_key(self.key(label).public_key(), certificate):
            raise CertificateMismatch(
                f"the certificate for {label!r} certifies another public key than the stored key"
            )
        self._put_certificate(label, certificate)


def check_label(label: str) -> str:
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise KeyStoreError(
            f"invalid key label {label!r}: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return label


def read_secret(*, file: str | Path | None = None, environment: str | None = None) -> bytes:
    """A passphrase or PIN from a file (its first line; the usual way to hand a secret to a
    service) or from an environment variable. Exactly one source must be given."""
    if (file is None) == (environment is None):
        raise KeyStoreError("give the secret as a file path or an environment variable name")
    if file is not None:
        try:
            text = Path(file).read_bytes()
        except OSError as error:
            raise KeyStoreError(f"cannot read the secret file {file}: {error.strerror}") from None
        secret = text.splitlines()[0] if text.strip() else b""
        source = f"file {file}"
    else:
        assert environment is not None
        secret = os.environb.get(environment.encode(), b"")
        source = f"environment variable {environment}"
    if not secret:
        raise KeyStoreError(f"the secret from the {source} is empty")
    return secret


def _same_key(public_key: PublicKey, certificate: x509.Certificate) -> bool:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return public_key.public_bytes(der, spki) == certificate.public_key().public_bytes(der, spki)
