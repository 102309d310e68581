""" "Certified" is derived, not stored: a signed dose is certified while a valid passport
of its person holds it (records.stages, passports.issuing.certified_doses)."""

from datetime import date

from django.urls import reverse

from vaxpass.core.dose_signature import sign_dose
from vaxpass.passports import issuing, keys, signing
from vaxpass.passports.models import Certificate, CertificateStatus, DoseSignature
from vaxpass.passports.signing import dose_content
from vaxpass.records import stages
from vaxpass.records.models import Dose, DoseStage, DoseStatus
from vaxpass.records.services import DoseRequest, record_dose

COMIRNATY = "EU/1/20/1528"


def _stages(doses) -> list[str]:
    return [d.stage for d in stages.with_stage(Dose.objects.filter(pk__in=[x.pk for x in doses]))]


def test_signed_doses_are_certified_while_their_passport_is_valid(personas, pki, an):
    signing.sign_doses(user=personas.head_a)
    assert _stages(an) == [DoseStage.CERTIFIED] * 2
    assert set(Dose.objects.values_list("status", flat=True)) == {DoseStatus.SIGNED}

    issuing.revoke_certificates(Certificate.objects.all(), reason="test")
    assert _stages(an) == [DoseStage.SIGNED] * 2
    assert stages.load_stage(Dose.objects.get(pk=an[0].pk)).stage == DoseStage.SIGNED


def test_a_dose_signed_after_the_passport_is_certified_once_reissued(personas, pki, an):
    signing.sign_doses(user=personas.head_a)
    first = Certificate.objects.get()
    booster = record_dose(
        personas.staff_a,
        DoseRequest(
            facility=personas.facility_a,
            product=COMIRNATY,
            given_on=date(2022, 3, 1),
            person=an[0].person,
        ),
    ).dose
    Dose.objects.filter(pk=booster.pk).update(
        status=DoseStatus.SIGNED, registry_id=an[0].person.registry_id
    )
    booster.refresh_from_db()
    row, signer = keys.facility_signer(personas.facility_a)
    result = sign_dose(dose_content(booster), signer)
    DoseSignature.objects.create(
        dose=booster, key=row, digest=result.digest, signature=result.signature
    )
    # The passport read the doses before the booster was signed: it does not hold it.
    assert _stages([*an, booster]) == [DoseStage.CERTIFIED] * 2 + [DoseStage.SIGNED]

    assert issuing.issue_when_ready([booster.person_id]) == 1
    first.refresh_from_db()
    assert first.status == CertificateStatus.SUPERSEDED
    assert _stages([*an, booster]) == [DoseStage.CERTIFIED] * 3


def test_pages_count_and_filter_by_stage(client, personas, pki, an, vaccinate):
    signing.sign_doses(user=personas.head_a)
    client.force_login(personas.staff_a)
    home = client.get(reverse("home"))
    counts = dict(home.context["status_counts"])
    assert counts[DoseStage.CERTIFIED.label] == 2
    assert counts[DoseStage.SIGNED.label] == 0
    assert home.context["dose_total"] == 2

    certified = client.get(reverse("records:doses"), {"status": "certified"})
    assert [d.pk for d in certified.context["page"].object_list] == sorted(
        (d.pk for d in an), reverse=True
    )
    assert {d.stage for d in certified.context["page"].object_list} == {DoseStage.CERTIFIED}
    assert not client.get(reverse("records:doses"), {"status": "signed"}).context["page"]
