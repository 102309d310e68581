"""Key stores: encrypted key files (modes, passphrase, round trip) and PKCS#11 on SoftHSM2."""

import datetime
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vaxpass.adapters.keys import (
    CertificateMismatch,
    FileKeyStore,
    InsecurePermissions,
    KeyExists,
    KeyNotFound,
    KeyStoreError,
    NoCertificate,
    WrongSecret,
    read_secret,
)
from vaxpass.core import pki

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
PASSPHRASE = b"correct horse battery staple"


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def verify(certificate_der: bytes, signature: bytes, data: bytes) -> None:
    """Independent check with `cryptography`: raw r||s to DER, then ECDSA P-256 SHA-256."""
    public_key = x509.load_der_x509_certificate(certificate_der).public_key()
    public_key.verify(pki.der_ecdsa_signature(signature), data, ec.ECDSA(hashes.SHA256()))


def make_ca(store, label="national-ca"):
    """A self-signed national CA whose key lives in ``store``; returns its Signer."""
    certificate = pki.create_national_ca(store.generate(label), not_before=T0)
    store.store_certificate(label, certificate)
    return store.signer(label)


# --- Encrypted key files ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    return FileKeyStore(tmp_path / "keys", PASSPHRASE)


def test_round_trip_sign_and_verify_after_reopening(store, tmp_path):
    ca = make_ca(store)
    key = store.generate("dsc-2026-1")
    store.store_certificate(
        "dsc-2026-1", pki.issue_document_signer(ca, key.public_key(), not_before=T0)
    )
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_bytes(PASSPHRASE + b"\n")
    reopened = FileKeyStore.open(tmp_path / "keys", passphrase_file=passphrase_file)
    assert reopened.labels() == ["dsc-2026-1", "national-ca"]
    signer = reopened.signer("dsc-2026-1")
    signature = signer.sign(b"COSE Sig_structure bytes")
    assert len(signature) == 64 and signer.algorithm == "ES256"
    verify(signer.certificate_der, signature, b"COSE Sig_structure bytes")
    assert signer.kid == pki.kid_of(der(store.certificate("dsc-2026-1")))
    x509.load_der_x509_certificate(signer.certificate_der).verify_directly_issued_by(
        x509.load_der_x509_certificate(ca.certificate_der)
    )


def test_directory_is_0700_and_files_0600_whatever_the_umask(tmp_path):
    previous = os.umask(0)  # the most permissive umask: modes must not depend on it
    try:
        store = FileKeyStore(tmp_path / "keys", PASSPHRASE)
        make_ca(store)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    files = sorted((tmp_path / "keys").iterdir())
    assert [f.name for f in files] == ["national-ca.crt.pem", "national-ca.key.pem"]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_key_file_is_encrypted_pkcs8(store):
    key = store.generate("national-ca")
    pem = (store.directory / "national-ca.key.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert b"BEGIN PRIVATE KEY" not in pem and b"BEGIN EC PRIVATE KEY" not in pem
    with pytest.raises(TypeError):  # unreadable without the passphrase
        serialization.load_pem_private_key(pem, None)
    loaded = serialization.load_pem_private_key(pem, PASSPHRASE)
    assert loaded.private_numbers() == key.private_key.private_numbers()


def test_wrong_passphrase_names_the_key(store):
    store.generate("facility-79-26734-01")
    other = FileKeyStore(store.directory, b"a wrong passphrase here")
    with pytest.raises(WrongSecret, match="'facility-79-26734-01'.*wrong passphrase"):
        other.key("facility-79-26734-01")


def test_nothing_secret_in_reprs_or_messages(store):
    signer = make_ca(store)
    secret = signer.private_key.private_numbers().private_value
    texts = [repr(store), repr(signer), str(signer), repr(store.key("national-ca"))]
    wrong = "a wrong passphrase here"
    try:
        FileKeyStore(store.directory, wrong.encode()).key("national-ca")
    except WrongSecret as error:
        texts.append(str(error))
    for text in texts:
        assert PASSPHRASE.decode() not in text and wrong not in text
        assert str(secret) not in text and f"{secret:x}" not in text


def test_readable_directory_or_key_file_is_refused(tmp_path):
    open_dir = tmp_path / "shared"
    open_dir.mkdir(mode=0o755)
    open_dir.chmod(0o755)
    with pytest.raises(InsecurePermissions, match="0755"):
        FileKeyStore(open_dir, PASSPHRASE)
    store = FileKeyStore(tmp_path / "keys", PASSPHRASE)
    store.generate("national-ca")
    (store.directory / "national-ca.key.pem").chmod(0o644)
    with pytest.raises(InsecurePermissions, match="national-ca"):
        FileKeyStore(store.directory, PASSPHRASE).key("national-ca")


def test_labels_are_unique_and_safe(store):
    store.generate("dsc-1")
    with pytest.raises(KeyExists, match="dsc-1"):
        store.generate("dsc-1")
    for bad in ["../escape", ".hidden", "", "a/b", "x" * 65, "tên"]:
        with pytest.raises(KeyStoreError, match="invalid key label"):
            store.generate(bad)
    with pytest.raises(KeyNotFound, match="nothing-here"):
        store.key("nothing-here")
    assert store.labels() == ["dsc-1"]
    assert not [p for p in store.directory.iterdir() if p.name.startswith(".")]


def test_certificate_must_match_the_key_and_is_needed_to_sign(store):
    ca = make_ca(store)
    store.generate("dsc-1")
    with pytest.raises(NoCertificate, match="dsc-1"):
        store.signer("dsc-1")
    someone_else = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(CertificateMismatch, match="dsc-1"):
        store.store_certificate("dsc-1", pki.issue_document_signer(ca, someone_else, not_before=T0))
    with pytest.raises(pki.PkiError, match="no certificate"):
        store.key("dsc-1").kid  # noqa: B018


def test_secrets_from_a_file_or_the_environment(tmp_path, monkeypatch):
    (tmp_path / "pin").write_bytes(b"s3cret\nignored second line\n")
    assert read_secret(file=tmp_path / "pin") == b"s3cret"
    monkeypatch.setenv("VAXPASS_KEY_PASSPHRASE", "from the environment")
    assert read_secret(environment="VAXPASS_KEY_PASSPHRASE") == b"from the environment"
    store = FileKeyStore.open(tmp_path / "keys")  # the default variable
    store.generate("k")
    assert FileKeyStore(tmp_path / "keys", b"from the environment").key("k")
    with pytest.raises(KeyStoreError, match="at least 16"):
        FileKeyStore(tmp_path / "keys", b"short")
    monkeypatch.setenv("EMPTY_ONE", "")
    with pytest.raises(KeyStoreError, match="EMPTY_ONE.* empty|empty"):
        read_secret(environment="EMPTY_ONE")
    with pytest.raises(KeyStoreError, match="cannot read"):
        read_secret(file=tmp_path / "missing")
    with pytest.raises(KeyStoreError, match="file path or an environment"):
        read_secret()


# --- PKCS#11 on SoftHSM2 ----------------------------------------------------------------

SOFTHSM_MODULES = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
]
TOKEN_LABEL = "vaxpass-test"
USER_PIN = "246810"


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory):
    """A fresh SoftHSM2 token in a temporary directory, for this module's tests (the
    PKCS#11 library reads its configuration once per process)."""
    module = next((m for m in SOFTHSM_MODULES if Path(m).exists()), None)
    if module is None or shutil.which("softhsm2-util") is None:
        pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2)")
    pytest.importorskip("pkcs11", reason="python-pkcs11 is not installed")
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    config = base / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(config)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL,
         "--so-pin", "13579", "--pin", USER_PIN],
        check=True, capture_output=True,
    )  # fmt: skip
    yield module
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture
def token(softhsm):
    from vaxpass.adapters.keys.pkcs11 import Pkcs11KeyStore

    store = Pkcs11KeyStore(softhsm, TOKEN_LABEL, USER_PIN)
    yield store
    store.close()


def test_pkcs11_key_generated_on_the_token_signs_and_verifies(token, tmp_path):
    from pkcs11 import Attribute, ObjectClass

    ca = make_ca(token, "hsm-national-ca")  # the CA key never leaves the token
    certificate = x509.load_der_x509_certificate(ca.certificate_der)
    certificate.verify_directly_issued_by(certificate)
    signature = ca.sign(b"trust list bytes")
    assert len(signature) == 64
    verify(ca.certificate_der, signature, b"trust list bytes")
    with pytest.raises(Exception):  # noqa: B017 - any verification failure
        verify(ca.certificate_der, signature, b"tampered bytes")

    private = token._find(ObjectClass.PRIVATE_KEY, "hsm-national-ca")
    assert private[Attribute.SENSITIVE] and not private[Attribute.EXTRACTABLE]
    assert private[Attribute.TOKEN] and private[Attribute.PRIVATE]

    # The HSM CA issues a DSC for a key in the file store.
    files = FileKeyStore(tmp_path / "keys", PASSPHRASE)
    dsc_key = files.generate("dsc-1")
    files.store_certificate(
        "dsc-1", pki.issue_document_signer(ca, dsc_key.public_key(), not_before=T0)
    )
    x509.load_der_x509_certificate(files.signer("dsc-1").certificate_der).verify_directly_issued_by(
        certificate
    )


def test_pkcs11_store_reopens_with_labels_and_certificates(softhsm, token):
    from vaxpass.adapters.keys.pkcs11 import Pkcs11KeyStore

    make_ca(token, "hsm-reopen-ca")
    with pytest.raises(KeyExists, match="hsm-reopen-ca"):
        token.generate("hsm-reopen-ca")
    second = Pkcs11KeyStore(softhsm, TOKEN_LABEL, USER_PIN)
    try:
        assert "hsm-reopen-ca" in second.labels()
        signer = second.signer("hsm-reopen-ca")
        assert signer.kid == pki.kid_of(der(second.certificate("hsm-reopen-ca")))
        verify(signer.certificate_der, signer.sign(b"x"), b"x")
        with pytest.raises(KeyNotFound):
            second.key("not-on-the-token")
        assert "246810" not in repr(second) and "246810" not in repr(signer)
    finally:
        second.close()


def test_pkcs11_certificate_renewal_replaces_the_old_one(token):
    ca = make_ca(token, "hsm-renew-ca")
    renewed = pki.create_national_ca(
        token.key("hsm-renew-ca"), common_name="VN DCC CSCA 2", not_before=T0
    )
    token.store_certificate("hsm-renew-ca", renewed)
    assert token.certificate("hsm-renew-ca") == renewed
    assert token.signer("hsm-renew-ca").kid != ca.kid


def test_pkcs11_wrong_pin_is_a_clear_error(softhsm):
    from vaxpass.adapters.keys.pkcs11 import Pkcs11KeyStore

    message = f"wrong PIN for PKCS#11 token '{TOKEN_LABEL}'"
    with pytest.raises(WrongSecret, match=message):  # refused by the token's C_Login
        Pkcs11KeyStore(softhsm, TOKEN_LABEL, "000000")
    with pytest.raises(KeyStoreError, match="no PKCS#11 token labelled 'absent'"):
        Pkcs11KeyStore(softhsm, "absent", USER_PIN)
    store = Pkcs11KeyStore(softhsm, TOKEN_LABEL, USER_PIN)
    try:
        # Logged in already: the session is shared, and another PIN is still refused.
        with pytest.raises(WrongSecret, match=message):
            Pkcs11KeyStore(softhsm, TOKEN_LABEL, "000000")
    finally:
        store.close()


def _sign_in_child(module: str, label: str, queue) -> None:
    from vaxpass.adapters.keys.pkcs11 import Pkcs11KeyStore

    store = Pkcs11KeyStore(module, TOKEN_LABEL, USER_PIN)
    queue.put(store.signer(label).sign(b"signed in a forked worker"))
    store.close()


def test_pkcs11_store_opens_again_in_a_forked_worker(softhsm, token):
    """Batch issuing forks worker processes: a child opens its own store and signs."""
    import multiprocessing

    ca = make_ca(token, "hsm-fork-ca")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_sign_in_child, args=(softhsm, "hsm-fork-ca", queue))
    child.start()
    signature = queue.get(timeout=30)
    child.join(timeout=30)
    assert child.exitcode == 0
    verify(ca.certificate_der, signature, b"signed in a forked worker")
    verify(ca.certificate_der, ca.sign(b"parent still signs"), b"parent still signs")
