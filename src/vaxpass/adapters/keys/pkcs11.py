"""The key store over PKCS#11, for a hardware security module (tested with SoftHSM2).

Keys are generated on the token (CKM_EC_KEY_PAIR_GEN on P-256) as token objects that are
private, sensitive and not extractable: the private key never leaves the module. A key's
label is the PKCS#11 CKA_LABEL of its private key, public key and X.509 certificate
object, which share one CKA_ID. Signing is CKM_ECDSA over a SHA-256 digest computed on
the host: every PKCS#11 EC token has CKM_ECDSA, while CKM_ECDSA_SHA256 is optional and
Debian's SoftHSM2 2.6 lacks it. The token returns raw r||s, which is what ES256 wants.

PKCS#11 logs in per process, not per session, so all stores of a process on one token
share one logged-in session (a second store with another PIN is refused as a wrong PIN);
a session must not be used by two threads at once, so each call holds its lock. A forked
child (process pools) initialises the library again when it opens a store: sessions do
not survive a fork, so open stores in the child, not before forking.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import NoSuchToken, PinIncorrect, PinLenRange, PKCS11Error
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

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
from vaxpass.core.pki import PublicKey
from vaxpass.core.signing import ES256, kid_of

PIN_ENVIRONMENT = "VAXPASS_PKCS11_PIN"
P256 = "1.2.840.10045.3.1.7"


class Pkcs11KeyStore(KeyStore):
    def __init__(self, module: str | Path, token_label: str, pin: bytes | str) -> None:
        self.token_label = token_label
        self._shared = _open_session(str(module), token_label, _pin_bytes(pin))
        self._session = self._shared.session
        self._lock = self._shared.lock
        self._closed = False

    @classmethod
    def open(
        cls,
        module: str | Path,
        token_label: str,
        *,
        pin_file: str | Path | None = None,
        pin_environment: str | None = None,
    ) -> Pkcs11KeyStore:
        """The store with the user PIN read from a file or an environment variable
        (``VAXPASS_PKCS11_PIN`` when neither is given)."""
        if pin_file is None and pin_environment is None:
            pin_environment = PIN_ENVIRONMENT
        return cls(module, token_label, read_secret(file=pin_file, environment=pin_environment))

    def __repr__(self) -> str:
        return f"Pkcs11KeyStore(token={self.token_label!r})"

    def close(self) -> None:
        """Release this store's use of the token's session (closed with the last one)."""
        if not self._closed:
            self._closed = True
            _release_session(self._shared)

    def generate(self, label: str) -> Pkcs11Signer:
        check_label(label)
        with self._lock:
            if self._find(ObjectClass.PRIVATE_KEY, label) is not None:
                raise KeyExists(f"a key {label!r} already exists on token {self.token_label!r}")
            parameters = self._session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(P256)}, local=True
            )
            public, private = parameters.generate_keypair(
                id=_object_id(label),
                label=label,
                store=True,
                public_template={Attribute.VERIFY: True},
                private_template={
                    Attribute.SIGN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                },
            )
        return Pkcs11Signer(self, label, private, _public_key(public))

    def key(self, label: str) -> Pkcs11Signer:
        check_label(label)
        with self._lock:
            private = self._find(ObjectClass.PRIVATE_KEY, label)
            public = self._find(ObjectClass.PUBLIC_KEY, label)
        if private is None or public is None:
            raise KeyNotFound(f"no key {label!r} on token {self.token_label!r}")
        return Pkcs11Signer(self, label, private, _public_key(public))

    def certificate(self, label: str) -> x509.Certificate | None:
        check_label(label)
        with self._lock:
            found = self._find(ObjectClass.CERTIFICATE, label)
            der = found[Attribute.VALUE] if found is not None else None
        return x509.load_der_x509_certificate(der) if der else None

    def _put_certificate(self, label: str, certificate: x509.Certificate) -> None:
        der = certificate.public_bytes(serialization.Encoding.DER)
        with self._lock:
            old = self._find(ObjectClass.CERTIFICATE, label)
            self._session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: label,
                    Attribute.ID: _object_id(label),
                    Attribute.SUBJECT: certificate.subject.public_bytes(),
                    Attribute.ISSUER: certificate.issuer.public_bytes(),
                    Attribute.SERIAL_NUMBER: _der_integer(certificate.serial_number),
                    Attribute.VALUE: der,
                }
            )
            if old is not None:
                old.destroy()

    def signer(self, label: str) -> Pkcs11Signer:
        certificate = self.certificate(label)
        if certificate is None:
            raise NoCertificate(f"key {label!r} has no certificate on token {self.token_label!r}")
        der = certificate.public_bytes(serialization.Encoding.DER)
        return self.key(label).with_certificate(der)

    def labels(self) -> list[str]:
        with self._lock:
            objects = self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
            return sorted(str(obj[Attribute.LABEL]) for obj in objects)

    def _sign_digest(self, private: Any, digest: bytes) -> bytes:
        with self._lock:
            try:
                return bytes(private.sign(digest, mechanism=Mechanism.ECDSA))
            except PKCS11Error as error:
                raise KeyStoreError(f"the token refused to sign: {type(error).__name__}") from None

    def _find(self, object_class: ObjectClass, label: str) -> Any:
        found = list(
            self._session.get_objects({Attribute.CLASS: object_class, Attribute.LABEL: label})
        )
        if len(found) > 1:
            raise KeyStoreError(f"token {self.token_label!r} holds several {label!r} objects")
        return found[0] if found else None


class Pkcs11Signer:
    """A key on the token: a ``KeyHandle``, and a ``Signer`` once it has a certificate."""

    algorithm = ES256

    def __init__(
        self,
        store: Pkcs11KeyStore,
        label: str,
        private_key: Any,
        public_key: PublicKey,
        certificate_der: bytes = b"",
    ) -> None:
        self._store = store
        self._private_key = private_key
        self._public_key = public_key
        self.label = label
        self.certificate_der = certificate_der

    @property
    def kid(self) -> bytes:
        if not self.certificate_der:
            raise NoCertificate(f"key {self.label!r} has no certificate yet")
        return kid_of(self.certificate_der)

    def public_key(self) -> PublicKey:
        return self._public_key

    def sign(self, data: bytes) -> bytes:
        return self._store._sign_digest(self._private_key, hashlib.sha256(data).digest())

    def with_certificate(self, certificate_der: bytes) -> Pkcs11Signer:
        return Pkcs11Signer(
            self._store, self.label, self._private_key, self._public_key, certificate_der
        )

    def __repr__(self) -> str:
        kid = self.kid.hex() if self.certificate_der else "no certificate"
        return f"Pkcs11Signer(token={self._store.token_label!r}, label={self.label!r}, kid={kid})"


@dataclass(eq=False)
class _SharedSession:
    """The one logged-in session of a process on a token. PKCS#11 keeps the login per
    application, not per session: a second C_Login fails and closing any logged-in
    session logs every session out. So stores on the same token share one session."""

    key: tuple[str, str]
    session: Any
    pin_digest: bytes
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 1


_libraries: dict[str, Any] = {}
_sessions: dict[tuple[str, str], _SharedSession] = {}
_sessions_lock = threading.Lock()
_loaded_in_pid = os.getpid()


def _open_session(module: str, token_label: str, pin: bytes) -> _SharedSession:
    digest = hashlib.sha256(pin).digest()
    with _sessions_lock:
        if _loaded_in_pid != os.getpid():
            _after_fork()
        shared = _sessions.get((module, token_label))
        if shared is not None:
            if not hmac.compare_digest(shared.pin_digest, digest):
                raise WrongSecret(f"wrong PIN for PKCS#11 token {token_label!r}")
            shared.users += 1
            return shared
        library = _library(module)
        try:
            token = library.get_token(token_label=token_label)
        except NoSuchToken:
            raise KeyStoreError(f"no PKCS#11 token labelled {token_label!r}") from None
        try:
            session = token.open(rw=True, user_pin=pin.decode())
        except (PinIncorrect, PinLenRange):
            raise WrongSecret(f"wrong PIN for PKCS#11 token {token_label!r}") from None
        shared = _SharedSession((module, token_label), session, digest)
        _sessions[shared.key] = shared
        return shared


def _release_session(shared: _SharedSession) -> None:
    with _sessions_lock:
        shared.users -= 1
        if shared.users == 0 and _sessions.get(shared.key) is shared:
            del _sessions[shared.key]
            with shared.lock:
                shared.session.close()


def _library(module: str) -> Any:
    if module not in _libraries:
        try:
            _libraries[module] = pkcs11.lib(module)
        except (PKCS11Error, RuntimeError, OSError) as error:
            raise KeyStoreError(f"cannot load the PKCS#11 module {module}: {error}") from None
    return _libraries[module]


def _after_fork() -> None:
    # A forked child inherits the parent's sessions, which are not valid in it; PKCS#11
    # asks for the library to be initialised again (C_Finalize, C_Initialize).
    global _loaded_in_pid
    _sessions.clear()
    for library in _libraries.values():
        library.reinitialize()
    _loaded_in_pid = os.getpid()


def _pin_bytes(pin: bytes | str) -> bytes:
    return pin if isinstance(pin, bytes) else pin.encode()


def _public_key(public: Any) -> PublicKey:
    key = serialization.load_der_public_key(encode_ec_public_key(public))
    assert isinstance(key, PublicKey)
    return key


def _object_id(label: str) -> bytes:
    # CKA_ID ties a key pair and its certificate together; derived from the label so the
    # three objects agree without a counter.
    return hashlib.sha256(label.encode()).digest()[:16]


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return bytes([0x02, len(body)]) + body
