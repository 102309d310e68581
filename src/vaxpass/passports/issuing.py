"""Step 3: the central issuer signs the passport, once every dose of a person is signed.

Nothing for the citizen to do: signing a facility's doses triggers `issue_when_ready`
for their people, which issues an EU DCC (`core.dcc`) holding the person's latest dose
with its place in the series, signed with the central document signer; all doses, from
every facility, are in the FHIR document and the PDF rendered from the same record. A
person with any dose not yet signed gets nothing yet. A correction revokes the passport
(`invalidation`); a renewal replaces it before it expires (`renew_expiring`).
"""

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from vaxpass.core import doses as rules
from vaxpass.core.dcc import payload as dcc
from vaxpass.core.dcc.encode import IssuedCertificate, encode_vaccination_certificate
from vaxpass.core.dcc.revocation import signature_hash
from vaxpass.core.pki import COUNTRY
from vaxpass.passports import keys
from vaxpass.passports.models import Certificate, CertificateStatus
from vaxpass.records.models import Dose, DoseStatus, Person


def certified_doses() -> Q:
    """The signed doses a valid passport holds: those signed before it read its person's
    doses. (A signature made before that read but committed after it is taken for held
    until its commit sets off the re-issue that holds it: `issue_when_ready`.)"""
    held = Certificate.objects.filter(
        person_id=OuterRef("person_id"),
        status=CertificateStatus.VALID,
        doses_read_at__gte=OuterRef("facility_signature__signed_at"),
    )
    return Q(status=DoseStatus.SIGNED) & Exists(held)


def certificate_doses(doses: list[Dose]) -> list[dcc.Dose]:
    """The doses as the certificate formats take them, each with its series total."""
    facts = [rules.DoseFacts(d.product, d.given_on, d.dose_number) for d in doses]
    totals = rules.series_totals(facts)
    return [
        dcc.Dose(
            product=d.product,
            date=d.given_on,
            dose_number=d.dose_number,
            series_total=totals[i],
            facility=d.facility.name,
            lot=d.lot,
        )
        for i, d in enumerate(doses)
    ]


def holder(person: Person) -> dcc.Person:
    return dcc.Person.from_full_name(person.full_name, person.birth_date)


def digest_of(full_name: str, birth_date: str, registry_id: str, dose_digests) -> str:
    """What a passport says, as one hash: the identity and each dose's signed digest. A
    valid passport with the same digest needs no re-issue."""
    parts = [full_name, birth_date, registry_id, *sorted(dose_digests)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def content_digest(person: Person, doses: list[Dose]) -> str:
    return digest_of(
        person.full_name,
        person.birth_date,
        person.registry_id,
        (d.facility_signature.digest for d in doses),
    )


def ready_doses(person: Person) -> list[Dose] | None:
    doses = list(
        person.doses.select_related("facility", "facility_signature").order_by("given_on", "pk")
    )
    if not doses or any(d.status != DoseStatus.SIGNED for d in doses):
        return None
    return doses


def issue_when_ready(person_ids: Iterable[int], *, at: datetime | None = None) -> int:
    """Issue a passport to each of these people whose doses are all signed and who has no
    valid passport saying the same. Returns how many were issued."""
    issued = 0
    for person in Person.objects.filter(pk__in=list(person_ids)):
        doses = ready_doses(person)
        if doses is None:
            continue
        digest = content_digest(person, doses)
        current = person.certificates.filter(status=CertificateStatus.VALID).first()
        if current is not None and current.content_digest == digest:
            continue  # the passport already says this
        issue_certificate(person, doses, digest=digest, replacing=current, at=at)
        issued += 1
    return issued


def issue_certificate(
    person: Person,
    doses: list[Dose],
    *,
    digest: str,
    replacing: Certificate | None = None,
    at: datetime | None = None,
) -> Certificate:
    read_at = timezone.now()  # the doses were read before this call
    key_row, signer = keys.document_signer(at)
    result = encode_vaccination_certificate(
        holder(person),
        certificate_doses(doses),
        signer,
        issuer_country=COUNTRY,
        issued_at=at or timezone.now(),
        validity=settings.PASSPORT_VALIDITY,
    )
    with transaction.atomic():
        if replacing is not None:
            Certificate.objects.filter(pk=replacing.pk, status=CertificateStatus.VALID).update(
                status=CertificateStatus.SUPERSEDED
            )
        certificate = Certificate.objects.create(
            person=person,
            key=key_row,
            content_digest=digest,
            doses_read_at=read_at,
            **stored_fields(result),
        )
        if replacing is not None:
            Certificate.objects.filter(pk=replacing.pk).update(replaced_by=certificate)
    return certificate


def stored_fields(result: IssuedCertificate) -> dict:
    return {
        "uvci": result.uvci,
        "hc1": result.hc1,
        "issued_at": result.issued_at,
        "expires_at": result.expires_at,
        "signature_hash": signature_hash(result.signature, result.algorithm).hex(),
    }


def revoke_certificates(certificates: QuerySet[Certificate], *, reason: str) -> int:
    """Revoke valid passports: they go onto the revocation list at its next publication."""
    from vaxpass.passports.publishing import publish_revocations_on_commit

    count = certificates.filter(status=CertificateStatus.VALID).update(
        status=CertificateStatus.REVOKED, revoked_at=timezone.now(), revocation_reason=reason[:200]
    )
    if count:
        publish_revocations_on_commit()
    return count


def current_certificate(person: Person) -> Certificate | None:
    return person.certificates.filter(status=CertificateStatus.VALID).first()
