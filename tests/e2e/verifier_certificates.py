"""Test PKI and certificates for the verifier page, made as the passports app makes them:
a national CA, a list signer, a document signer (DSC), the published files (CA
certificate, signed trust and revocation lists) and HC1 certificates, valid, expired,
revoked, tampered and signed by a stranger; and pictures and videos of their QR codes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import cbor2
import zxingcpp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from vaxpass.core import pki, trustlist
from vaxpass.core.dcc.base45 import b45decode
from vaxpass.core.dcc.encode import IssuedCertificate, encode_vaccination_certificate, hc1_of_cose
from vaxpass.core.dcc.payload import Dose, Person

DER = serialization.Encoding.DER


def _signer(label: str) -> pki.KeySigner:
    return pki.KeySigner(ec.generate_private_key(ec.SECP256R1()), label=label)


def _with_certificate(signer: pki.KeySigner, certificate) -> pki.KeySigner:
    return signer.with_certificate(certificate.public_bytes(DER))


@dataclass
class TestPki:
    ca: pki.KeySigner
    list_signer: pki.KeySigner
    dsc: pki.KeySigner
    stranger_dsc: pki.KeySigner  # issued by another CA, not in the trust list
    now: datetime.datetime


def make_pki(now: datetime.datetime | None = None) -> TestPki:
    now = (now or datetime.datetime.now(datetime.UTC)).replace(microsecond=0)
    start = now - datetime.timedelta(days=300)

    def national_ca(label: str) -> pki.KeySigner:
        key = _signer(label)
        return _with_certificate(key, pki.create_national_ca(key, not_before=start))

    def issued(ca: pki.KeySigner, label: str, issue, **extra) -> pki.KeySigner:
        key = _signer(label)
        return _with_certificate(key, issue(ca, key.public_key(), **extra))

    ca = national_ca("ca")
    stranger_ca = national_ca("stranger-ca")
    dsc_start = start + datetime.timedelta(days=10)
    return TestPki(
        ca=ca,
        list_signer=issued(
            ca, "lists", pki.issue_list_signer, not_before=now - datetime.timedelta(days=5)
        ),
        dsc=issued(ca, "dsc", pki.issue_document_signer, not_before=dsc_start),
        stranger_dsc=issued(
            stranger_ca, "stranger", pki.issue_document_signer, not_before=dsc_start
        ),
        now=now,
    )


def issue(
    test_pki: TestPki,
    *,
    days_ago: int = 10,
    validity_days: int = 365,
    full_name: str = "Nguyễn Thị Hoà",
    birth_date: str = "1985-03-04",
    signer: pki.KeySigner | None = None,
) -> IssuedCertificate:
    doses = [
        Dose("EU/1/20/1528", datetime.date(2021, 7, 1), 1, 2),
        Dose("EU/1/20/1528", datetime.date(2021, 8, 1), 2, 2),
    ]
    return encode_vaccination_certificate(
        Person.from_full_name(full_name, birth_date),
        doses,
        signer or test_pki.dsc,
        issued_at=test_pki.now - datetime.timedelta(days=days_ago),
        validity=datetime.timedelta(days=validity_days),
    )


def tampered(certificate: IssuedCertificate, family_name: str = "Trần") -> str:
    """The certificate with the holder's family name changed after signing."""
    message = cbor2.loads(certificate.cose)
    protected, unprotected, payload, signature = message.value
    claims = cbor2.loads(payload)
    claims[-260][1]["nam"]["fn"] = family_name
    forged = cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims), signature])
    hc1 = hc1_of_cose(cbor2.dumps(forged))
    assert b45decode(hc1[4:]) != b45decode(certificate.hc1[4:])
    return hc1


def publish(
    directory: Path,
    test_pki: TestPki,
    *,
    revoked: tuple[IssuedCertificate, ...] = (),
    issued_at: datetime.datetime | None = None,
) -> None:
    """Write ca.pem, trustlist.json and revocations.json as the passports app does."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_certificate = pki.x509.load_der_x509_certificate(test_pki.ca.certificate_der)
    (directory / "ca.pem").write_bytes(ca_certificate.public_bytes(serialization.Encoding.PEM))
    moment = issued_at or test_pki.now
    trust = trustlist.TrustList(issued_at=moment).with_certificate(
        pki.x509.load_der_x509_certificate(test_pki.dsc.certificate_der)
    )
    (directory / "trustlist.json").write_bytes(
        trustlist.sign_trust_list(trust, test_pki.list_signer)
    )
    entries = []
    for certificate in revoked:
        entries += trustlist.revocation_entries(
            certificate.kid,
            uci=certificate.uvci,
            country=certificate.issuer_country,
            signature=certificate.signature,
            expires=certificate.expires_at,
        )
    revocations = trustlist.RevocationList(entries, issued_at=moment)
    (directory / "revocations.json").write_bytes(
        trustlist.sign_revocation_list(revocations, test_pki.list_signer)
    )


def qr_image(text: str, scale: int = 4) -> Image.Image:
    """The QR code of ``text`` as a greyscale picture with its quiet zone."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    pixels = memoryview(barcode.to_image(scale=scale, add_quiet_zones=True))
    height, width = pixels.shape
    return Image.frombytes("L", (width, height), pixels.tobytes())


def write_qr_png(text: str, path: Path) -> Path:
    qr_image(text).save(path)
    return path


def write_qr_video(text: str, path: Path, *, width: int = 640, height: int = 480, frames: int = 20):
    """A Y4M video (YUV4MPEG2, 4:2:0) of the QR code on a grey background, as Chromium's
    fake camera plays it (--use-file-for-fake-video-capture), looping."""
    code = qr_image(text, scale=3)
    side = min(width, height) - 40
    code = code.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("L", (width, height), 200)
    frame.paste(code, ((width - side) // 2, (height - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))  # no colour
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)
    return path
