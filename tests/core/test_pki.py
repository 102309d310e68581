"""The national PKI: CA, document signers, facility certificates, lifetimes, rotation."""

import base64
import datetime
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from vaxpass.core import pki
from vaxpass.core.signing import kid_of

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
CONFORMANCE = Path(__file__).resolve().parents[1] / "data/dcc-conformance/testdata"


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def ca():
    """The national CA as a Signer (key + certificate)."""
    key = pki.KeySigner(new_key(), label="national-ca")
    certificate = pki.create_national_ca(key, not_before=T0)
    return key.with_certificate(der(certificate))


def certificate_of(signer) -> x509.Certificate:
    return x509.load_der_x509_certificate(signer.certificate_der)


def test_national_ca_is_a_self_signed_two_level_root(ca):
    certificate = certificate_of(ca)
    certificate.verify_directly_issued_by(certificate)
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == pki.CA_VALIDITY
    assert pki.key_usage_period(certificate) == (T0, T0 + pki.CA_KEY_USAGE_PERIOD)
    assert certificate.signature_algorithm_oid.dotted_string == "1.2.840.10045.4.3.2"


def test_document_signer_has_the_vaccination_usage_and_chains_to_the_ca(ca):
    key = new_key()
    dsc = pki.issue_document_signer(ca, key.public_key(), not_before=T0)
    ca_certificate = certificate_of(ca)
    dsc.verify_directly_issued_by(ca_certificate)
    eku = dsc.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert [oid.dotted_string for oid in eku] == ["1.3.6.1.4.1.1847.2021.1.2"]
    assert pki.dcc_usages(dsc) == {"v"}
    assert dsc.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert not dsc.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    aki = dsc.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert dsc.not_valid_after_utc == T0 + pki.DSC_VALIDITY
    assert pki.key_usage_period(dsc) == (T0, T0 + pki.DSC_KEY_USAGE_PERIOD)
    assert dsc.issuer == ca_certificate.subject


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
def test_openssl_verifies_the_chain_independently(ca, tmp_path):
    dsc = pki.issue_document_signer(ca, new_key().public_key(), not_before=T0)
    (tmp_path / "ca.pem").write_bytes(certificate_of(ca).public_bytes(serialization.Encoding.PEM))
    (tmp_path / "dsc.pem").write_bytes(dsc.public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(
        ["openssl", "verify", "-attime", str(int((T0 + 10 * DAY).timestamp())),
         "-CAfile", "ca.pem", "dsc.pem"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0 and "dsc.pem: OK" in result.stdout, result.stderr


def test_facility_certificate_names_the_facility(ca):
    certificate = pki.issue_facility_certificate(
        ca,
        new_key().public_key(),
        facility_code="79-26734-01",
        facility_name="Trạm Y tế phường Bến Nghé",
        not_before=T0,
    )
    certificate.verify_directly_issued_by(certificate_of(ca))
    assert pki.facility_code_of(certificate) == "79-26734-01"
    name = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert name == "Trạm Y tế phường Bến Nghé"
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert pki.dcc_usages(certificate) == frozenset()
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    with pytest.raises(pki.PkiError, match="code and name"):
        pki.issue_facility_certificate(
            ca, new_key().public_key(), facility_code=" ", facility_name="X", not_before=T0
        )


def test_an_end_entity_cannot_issue(ca):
    key = new_key()
    dsc = pki.issue_document_signer(ca, key.public_key(), not_before=T0)
    signer = pki.KeySigner(key, der(dsc))
    with pytest.raises(pki.PkiError, match="not a CA"):
        pki.issue_document_signer(signer, new_key().public_key(), not_before=T0)


def test_a_key_that_does_not_match_the_ca_certificate_is_caught(ca):
    impostor = pki.KeySigner(new_key(), ca.certificate_der)
    with pytest.raises(pki.PkiError, match="does not verify"):
        pki.issue_document_signer(impostor, new_key().public_key(), not_before=T0)


def test_shell_model_nothing_outlives_its_issuer(ca):
    # A DSC issued 3 years into the CA's 4 would outlive it; the CA key's issuing year is
    # over by then anyway.
    with pytest.raises(pki.ValidityError, match="may issue"):
        pki.issue_document_signer(ca, new_key().public_key(), not_before=T0 + 3 * 365 * DAY)
    with pytest.raises(pki.ValidityError, match="outlive its CA"):
        pki.issue_document_signer(ca, new_key().public_key(), not_before=T0, validity=5 * 365 * DAY)
    dsc = pki.issue_document_signer(ca, new_key().public_key(), not_before=T0)
    pki.check_document_validity(dsc, T0 + 100 * DAY, T0 + 465 * DAY)
    with pytest.raises(pki.ValidityError, match="outlive"):
        pki.check_document_validity(dsc, T0 + 100 * DAY, T0 + 800 * DAY)
    with pytest.raises(pki.ValidityError, match="rotate"):
        pki.check_document_validity(dsc, T0 + 200 * DAY, T0 + 300 * DAY)


def test_rotation_introduces_a_new_signer_and_the_old_one_still_verifies(ca):
    old_key, new_key_ = new_key(), new_key()
    old = pki.issue_document_signer(ca, old_key.public_key(), not_before=T0)
    assert pki.choose_document_signer([old], T0 + 100 * DAY) == old
    assert not pki.needs_rotation(old, T0 + 100 * DAY)
    # A month before the six-month key usage ends, it is time for a new DSC.
    assert pki.needs_rotation(old, T0 + 160 * DAY)
    new = pki.issue_document_signer(
        ca, new_key_.public_key(), common_name="VN DCC DSC 2", not_before=T0 + 160 * DAY
    )
    assert pki.choose_document_signer([old, new], T0 + 100 * DAY) == old
    assert pki.choose_document_signer([old, new], T0 + 170 * DAY) == new
    assert pki.choose_document_signer([old, new], T0 + 200 * DAY) == new
    assert pki.choose_document_signer([old], T0 + 200 * DAY) is None

    # A document signed by the old DSC on day 100 (valid 12 months) is still checked
    # against the old certificate, found by its kid, on day 400.
    document = b"certificate signed on day 100"
    old_signer = pki.KeySigner(old_key, der(old))
    signature = old_signer.sign(document)
    trusted = {kid_of(der(c)): c for c in (old, new)}
    found = trusted[old_signer.kid]
    assert found.not_valid_after_utc > T0 + 400 * DAY
    assert pki.verify_signature(found.public_key(), "ES256", signature, document)
    assert not pki.verify_signature(new.public_key(), "ES256", signature, document)


def test_key_signer_signs_raw_r_s_and_hides_its_key(ca):
    signature = ca.sign(b"data")
    assert len(signature) == 64
    public_key = certificate_of(ca).public_key()
    public_key.verify(pki.der_ecdsa_signature(signature), b"data", ec.ECDSA(hashes.SHA256()))
    assert pki.verify_signature(public_key, "ES256", signature, b"data")
    assert not pki.verify_signature(public_key, "ES256", signature, b"other data")
    assert repr(ca) == f"KeySigner(label='national-ca', algorithm=ES256, kid={ca.kid.hex()})"
    secret = ca.private_key.private_numbers().private_value
    assert str(secret) not in repr(ca) and hex(secret)[2:] not in repr(ca)
    with pytest.raises(pki.PkiError, match="P-256"):
        pki.KeySigner(ec.generate_private_key(ec.SECP384R1()))


def test_an_rsa_pss_ca_issues_too():
    key = pki.KeySigner(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert key.algorithm == "PS256"
    root = pki.create_national_ca(key, not_before=T0)
    root.verify_directly_issued_by(root)
    assert root.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.10"
    signer = key.with_certificate(der(root))
    dsc = pki.issue_document_signer(signer, new_key().public_key(), not_before=T0)
    dsc.verify_directly_issued_by(root)


def test_dcc_usages_reads_the_alternative_oids_and_a_lenient_certificate():
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "foreign DSC")])
    foreign = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(T0)
        .not_valid_after(T0 + 365 * DAY)
        .add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier("1.3.6.1.4.1.0.1847.2021.1.1")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    assert pki.dcc_usages(foreign) == {"t"}
    vector = CONFORMANCE / "common/2DCode/raw/CO15.json"
    if vector.exists():  # an empty EKU sequence, which strict DER parsing refuses
        data = json.loads(vector.read_text())
        certificate = x509.load_der_x509_certificate(
            base64.b64decode(data["TESTCTX"]["CERTIFICATE"])
        )
        with pytest.raises(ValueError):
            certificate.extensions  # noqa: B018
        assert pki.dcc_usages(certificate) == frozenset()
