"""The default key store: encrypted PKCS#8 PEM files in a private directory.

Each key is ``<label>.key.pem``, encrypted with the store's passphrase
(`cryptography`'s ``BestAvailableEncryption``: PBES2, PBKDF2-HMAC-SHA256 with 2,048
iterations, AES-256-CBC; openssl reads it), and its certificate ``<label>.crt.pem``. The
iteration count is low and not settable, so the passphrase must be a long random secret
(16 characters at least). The directory is mode 0700 and every file 0600, created
with those modes (``os.open`` with the mode, then written and hard-linked into place), so
no moment exists where another account could read them; a directory or key file that
others can read is refused (as ssh does). The unencrypted key exists only in memory.
The passphrase comes from a file or an environment variable (``FileKeyStore.open``), and
neither it nor a key appears in any repr or message.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vaxpass.adapters.keys.base import (
    KeyExists,
    KeyNotFound,
    KeyStore,
    KeyStoreError,
    NoCertificate,
    WrongSecret,
    check_label,
    read_secret,
)
from vaxpass.core.pki import KeySigner

PASSPHRASE_ENVIRONMENT = "VAXPASS_KEY_PASSPHRASE"
# cryptography writes PKCS#8 with PBKDF2-HMAC-SHA256 at 2,048 iterations and offers no
# setting for more, so a stolen file is as strong as the passphrase: ask for a long one
# (a random secret in a file, as a service gets it).
MIN_PASSPHRASE_LENGTH = 16


class InsecurePermissions(KeyStoreError):
    """A key directory or file that another account could read."""


class FileKeyStore(KeyStore):
    def __init__(self, directory: str | Path, passphrase: bytes) -> None:
        if len(passphrase) < MIN_PASSPHRASE_LENGTH:
            raise KeyStoreError(
                f"the key store passphrase must have at least {MIN_PASSPHRASE_LENGTH} "
                "characters; use a random secret"
            )
        self.directory = Path(directory)
        self._passphrase = passphrase
        self._loaded: dict[str, KeySigner] = {}
        _make_private_directory(self.directory)

    @classmethod
    def open(
        cls,
        directory: str | Path,
        *,
        passphrase_file: str | Path | None = None,
        passphrase_environment: str | None = None,
    ) -> FileKeyStore:
        """The store with its passphrase read from a file or an environment variable
        (``VAXPASS_KEY_PASSPHRASE`` when neither is given)."""
        if passphrase_file is None and passphrase_environment is None:
            passphrase_environment = PASSPHRASE_ENVIRONMENT
        secret = read_secret(file=passphrase_file, environment=passphrase_environment)
        return cls(directory, secret)

    def __repr__(self) -> str:
        return f"FileKeyStore({str(self.directory)!r})"

    def generate(self, label: str) -> KeySigner:
        path = self._key_path(label)
        if path.exists():
            raise KeyExists(f"a key {label!r} already exists in {self.directory}")
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        try:
            _write_private_file(path, pem, replace=False)
        except FileExistsError:
            raise KeyExists(f"a key {label!r} already exists in {self.directory}") from None
        signer = KeySigner(key, label=label)
        self._loaded[label] = signer
        return signer

    def key(self, label: str) -> KeySigner:
        if label not in self._loaded:
            self._loaded[label] = self._load(label)
        return self._loaded[label]

    def certificate(self, label: str) -> x509.Certificate | None:
        path = self._certificate_path(label)
        try:
            return x509.load_pem_x509_certificate(path.read_bytes())
        except FileNotFoundError:
            return None

    def _put_certificate(self, label: str, certificate: x509.Certificate) -> None:
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        _write_private_file(self._certificate_path(label), pem, replace=True)

    def signer(self, label: str) -> KeySigner:
        certificate = self.certificate(label)
        if certificate is None:
            raise NoCertificate(f"key {label!r} has no certificate in {self.directory} yet")
        der = certificate.public_bytes(serialization.Encoding.DER)
        return self.key(label).with_certificate(der)

    def labels(self) -> list[str]:
        suffix = ".key.pem"
        return sorted(p.name[: -len(suffix)] for p in self.directory.glob(f"*{suffix}"))

    def _load(self, label: str) -> KeySigner:
        path = self._key_path(label)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise KeyNotFound(f"no key {label!r} in {self.directory}") from None
        if mode & 0o077:
            raise InsecurePermissions(
                f"key file {path} for {label!r} is readable by other accounts "
                f"(mode {stat.S_IMODE(mode):04o}); make it 0600"
            )
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), self._passphrase)
        except (ValueError, TypeError):
            # Both a wrong passphrase and a damaged file land here; cryptography cannot
            # tell them apart for encrypted PKCS#8.
            raise WrongSecret(
                f"cannot decrypt key {label!r} ({path}): wrong passphrase or damaged file"
            ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyStoreError(f"key {label!r} is a {type(key).__name__}, not an EC key")
        return KeySigner(key, label=label)

    def _key_path(self, label: str) -> Path:
        return self.directory / f"{check_label(label)}.key.pem"

    def _certificate_path(self, label: str) -> Path:
        return self.directory / f"{check_label(label)}.crt.pem"


def _make_private_directory(directory: Path) -> None:
    # mkdir's mode passes through the umask, which can only remove bits: the directory is
    # never more open than 0700.
    try:
        directory.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    info = directory.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise KeyStoreError(f"{directory} is not a directory")
    if info.st_mode & 0o077:
        raise InsecurePermissions(
            f"key directory {directory} is open to other accounts "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); make it 0700"
        )
    if info.st_uid != os.geteuid():
        raise InsecurePermissions(f"key directory {directory} belongs to another account")


def _write_private_file(path: Path, data: bytes, *, replace: bool) -> None:
    """Write ``data`` to a new file of mode 0600 and move it into place whole: a crash
    leaves either nothing or the complete file. Without ``replace`` an existing file is
    never overwritten (``FileExistsError``)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # exactly 0600, whatever the umask
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the label was taken meanwhile
    finally:
        temporary.unlink(missing_ok=True)
