"""Throwaway signing keys and self-signed certificates for the tests: a Signer as the key
stores provide it, made from an in-memory `cryptography` key."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from vaxpass.core.signing import ES256, PS256, kid_of

EKU_TEST = "1.3.6.1.4.1.1847.2021.1.1"
EKU_VACCINATION = "1.3.6.1.4.1.1847.2021.1.2"
EKU_RECOVERY = "1.3.6.1.4.1.1847.2021.1.3"
_ECDSA = ec.ECDSA(hashes.SHA256())
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


class TestSigner:
    """A Signer over an in-memory private key with a self-signed certificate."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        algorithm: str = ES256,
        *,
        usages: Sequence[str] = (EKU_VACCINATION,),
        common_name: str = "vaxpass test DSC",
        curve: ec.EllipticCurve | None = None,
        not_after: datetime.datetime | None = None,
    ) -> None:
        self.algorithm = algorithm
        if algorithm == ES256:
            self.private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
                ec.generate_private_key(curve or ec.SECP256R1())
            )
        elif algorithm == PS256:
            self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise ValueError(algorithm)
        now = datetime.datetime.now(datetime.UTC)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(not_after or now + datetime.timedelta(days=730))
        )
        if usages:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([x509.ObjectIdentifier(u) for u in usages]), critical=False
            )
        self.certificate = builder.sign(self.private_key, hashes.SHA256())
        self.certificate_der = self.certificate.public_bytes(serialization.Encoding.DER)
        self.kid = kid_of(self.certificate_der)

    def sign(self, data: bytes) -> bytes:
        key = self.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(key.sign(data, _ECDSA))
            size = (key.curve.key_size + 7) // 8
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return key.sign(data, _PSS, hashes.SHA256())

    def trust_list(self) -> dict[bytes, x509.Certificate]:
        return {self.kid: self.certificate}
