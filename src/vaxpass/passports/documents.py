"""A passport in each of its forms, rendered on demand from the stored record: the HC1
text (what the QR code holds), QR images, the WHO DDCC:VS FHIR document, the printable
bilingual PDF. Images and PDFs are never made in advance: at tens of milliseconds each,
63 million of them would take days and terabytes for files most people never download."""

import json

from django.utils import timezone

from vaxpass.core.dcc import qr
from vaxpass.core.passport_pdf import PassportDocument, PassportDose, render_passport
from vaxpass.core.pki import CENTRAL_ISSUER
from vaxpass.core.vaccines import get_product
from vaxpass.passports.issuing import certificate_doses, holder
from vaxpass.passports.models import Certificate

FORMATS = ("hc1", "png", "svg", "pdf", "fhir")
CONTENT_TYPES = {
    "hc1": "text/plain; charset=utf-8",
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "fhir": "application/fhir+json",
}


def _doses(certificate: Certificate):
    doses = list(certificate.person.doses.select_related("facility").order_by("given_on", "pk"))
    return doses, certificate_doses(doses)


def render(certificate: Certificate, form: str) -> bytes:
    if form == "hc1":
        return certificate.hc1.encode()
    if form == "png":
        return qr.png(certificate.hc1, scale=6)
    if form == "svg":
        return qr.svg(certificate.hc1, scale=6).encode()
    if form == "pdf":
        return pdf(certificate)
    if form == "fhir":
        return json.dumps(fhir(certificate), ensure_ascii=False, indent=2).encode()
    raise ValueError(f"unknown format {form!r}: choose one of {', '.join(FORMATS)}")


def pdf(certificate: Certificate) -> bytes:
    person = certificate.person
    stored, doses = _doses(certificate)
    printed = tuple(
        PassportDose(
            dose_number=d.dose_number,
            series_total=d.series_total,
            date=d.date,
            vaccine=(get_product(d.product).vn_name if get_product(d.product) else d.product),
            facility=d.facility,
        )
        for d in doses
    )
    return render_passport(
        PassportDocument(
            full_name=person.full_name,
            birth_date=person.birth_date,
            citizen_id=person.registry_id or person.citizen_id,
            doses=printed,
            uvci=certificate.uvci,
            issuer=CENTRAL_ISSUER,
            valid_from=timezone.localtime(certificate.issued_at).date(),
            valid_until=timezone.localtime(certificate.expires_at).date(),
            hc1=certificate.hc1,
        )
    )


def fhir(certificate: Certificate) -> dict:
    from vaxpass.core.dcc.fhir import ddcc_vs_document

    person = certificate.person
    _stored, doses = _doses(certificate)
    return ddcc_vs_document(
        holder(person),
        doses,
        certificate_id=certificate.uvci,
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
    )
