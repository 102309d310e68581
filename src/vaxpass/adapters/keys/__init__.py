"""Private keys behind a small interface (``KeyStore``): encrypted key files by default
(``FileKeyStore``), a PKCS#11 hardware security module for production signing keys
(``vaxpass.adapters.keys.pkcs11.Pkcs11KeyStore``, imported on its own so the default
needs no PKCS#11 library). Keys never leave their store; what comes out signs."""

from vaxpass.adapters.keys.base import (
    CertificateMismatch,
    KeyExists,
    KeyNotFound,
    KeyStore,
    KeyStoreError,
    NoCertificate,
    WrongSecret,
    read_secret,
)
from vaxpass.adapters.keys.files import FileKeyStore, InsecurePermissions

__all__ = [
    "CertificateMismatch",
    "FileKeyStore",
    "InsecurePermissions",
    "KeyExists",
    "KeyNotFound",
    "KeyStore",
    "KeyStoreError",
    "NoCertificate",
    "WrongSecret",
    "read_secret",
]
