"""A national CA, a list signer and one DSC, and the files the passports app publishes
from them (ca.pem, trustlist.json, revocations.json) in a data directory of the test's own."""

import datetime
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vaxpass.core import pki, trustlist

DER = serialization.Encoding.DER


@dataclass
class Published:
    directory: Path
    ca_certificate: x509.Certificate
    list_signer: pki.KeySigner
    dsc_certificate: x509.Certificate

    def write_trust_list(self, issued_at: datetime.datetime) -> bytes:
        listed = trustlist.TrustList(issued_at=issued_at).with_certificate(self.dsc_certificate)
        data = trustlist.sign_trust_list(listed, self.list_signer)
        (self.directory / "trustlist.json").write_bytes(data)
        return data

    def write_revocations(self, issued_at: datetime.datetime) -> bytes:
        data = trustlist.sign_revocation_list(
            trustlist.RevocationList(issued_at=issued_at), self.list_signer
        )
        (self.directory / "revocations.json").write_bytes(data)
        return data


def _key(label: str) -> pki.KeySigner:
    return pki.KeySigner(ec.generate_private_key(ec.SECP256R1()), label=label)


@pytest.fixture(scope="session")
def test_pki():
    now = datetime.datetime.now(datetime.UTC)
    ca_key = _key("ca")
    ca_certificate = pki.create_national_ca(ca_key, not_before=now - datetime.timedelta(days=30))
    ca = ca_key.with_certificate(ca_certificate.public_bytes(DER))
    list_key = _key("lists")
    list_signer = list_key.with_certificate(
        pki.issue_list_signer(ca, list_key.public_key()).public_bytes(DER)
    )
    dsc_key = _key("dsc")
    dsc_certificate = pki.issue_document_signer(ca, dsc_key.public_key())
    return ca_certificate, list_signer, dsc_certificate


@pytest.fixture
def published(settings, tmp_path, test_pki):
    """An empty published/ folder in the test's own data directory; the CA certificate
    is written by the tests that want it."""
    settings.DATA_DIR = tmp_path
    directory = tmp_path / "published"
    directory.mkdir()
    ca_certificate, list_signer, dsc_certificate = test_pki
    return Published(directory, ca_certificate, list_signer, dsc_certificate)
