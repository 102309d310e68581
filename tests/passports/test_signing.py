"""Step 2 and 3: a facility head signs verified doses; a person whose doses are all
signed gets a passport; a changed dose goes back to be signed and its passport is revoked."""

from datetime import date

import pytest

from vaxpass.core.dcc.verify import Verifier
from vaxpass.passports import issuing, keys, signing
from vaxpass.passports.models import Certificate, CertificateStatus, DoseSignature
from vaxpass.records import stages
from vaxpass.records.models import Dose, DoseStage, DoseStatus

COMIRNATY = "EU/1/20/1528"


def _verify_hc1(hc1: str):
    from vaxpass.passports.publishing import current_trust_list

    verifier = Verifier(current_trust_list().certificates_by_kid())
    return verifier.verify(hc1)


def test_only_a_facility_head_signs(personas, pki, an):
    with pytest.raises(signing.SigningRefused):
        signing.sign_doses(user=personas.staff_a)
    with pytest.raises(signing.SigningRefused):
        signing.sign_doses(user=personas.admin)
    assert not DoseSignature.objects.exists()


def test_signing_all_doses_issues_a_passport_that_verifies(personas, pki, an):
    signed = signing.sign_doses(user=personas.head_a)
    assert signed == 2
    stages_now = {d.stage for d in stages.with_stage(Dose.objects.all())}
    assert stages_now == {DoseStage.CERTIFIED}
    certificate = Certificate.objects.get()
    assert certificate.status == CertificateStatus.VALID
    assert certificate.uvci.startswith("URN:UVCI:01:VN:")
    result = _verify_hc1(certificate.hc1)
    assert result.valid, result.reasons
    vaccination = result.dcc["v"][0]
    assert (vaccination["dn"], vaccination["sd"]) == (2, 2)
    assert result.dcc["nam"]["fn"] == "Nguyễn" and result.dcc["nam"]["fnt"] == "NGUYEN"
    assert result.dcc["dob"] == "1970-03-04"


def test_every_stored_signature_checks_out(personas, pki, an):
    signing.sign_doses(user=personas.head_a)
    from vaxpass.passports.checks import check_all_signatures

    report = check_all_signatures()
    assert report.counts == {"valid": 2}


def test_a_person_with_an_unsigned_dose_gets_no_passport(personas, pki, an):
    first, second = an
    signing.sign_doses(user=personas.head_a, doses=Dose.objects.filter(pk=first.pk))
    assert Dose.objects.get(pk=first.pk).status == DoseStatus.SIGNED
    assert Dose.objects.get(pk=second.pk).status == DoseStatus.VERIFIED
    assert not Certificate.objects.exists()


def test_doses_of_another_facility_are_not_signed(personas, pki, an, vaccinate):
    from vaxpass.records.services import Identity

    other = vaccinate(
        personas.staff_b,
        personas.facility_b,
        Identity(full_name="Lê Văn Cường", birth_date="1980", citizen_id="079080000003"),
        (date(2021, 8, 2), COMIRNATY),
    )[0]
    signing.sign_doses(user=personas.head_a, doses=Dose.objects.all())
    assert Dose.objects.get(pk=other.pk).status == DoseStatus.VERIFIED
    assert not DoseSignature.objects.filter(dose=other).exists()


def test_unverified_doses_are_not_signed(personas, pki, an):
    Dose.objects.filter(pk=an[1].pk).update(status=DoseStatus.RECORDED)
    assert signing.sign_doses(user=personas.head_a) == 1
    assert not Certificate.objects.exists()


def test_changing_a_signed_dose_sends_it_back_and_revokes_the_passport(personas, pki, an):
    signing.sign_doses(user=personas.head_a)
    old = Certificate.objects.get()
    dose = Dose.objects.get(pk=an[1].pk)
    dose.lot = "NJ0999"
    dose.save()
    dose.refresh_from_db()
    assert dose.status == DoseStatus.VERIFIED
    assert not DoseSignature.objects.filter(dose=dose).exists()
    old.refresh_from_db()
    assert old.status == CertificateStatus.REVOKED
    # Signed again, the person gets a new passport; the old one stays revoked.
    assert signing.sign_doses(user=personas.head_a) == 1
    new = Certificate.objects.get(status=CertificateStatus.VALID)
    assert new.uvci != old.uvci
    assert _verify_hc1(new.hc1).valid


def test_correcting_the_person_revokes_too(personas, pki, an):
    signing.sign_doses(user=personas.head_a)
    person = an[0].person
    person.full_name = "Nguyễn Văn Ân"
    person.save()
    assert Certificate.objects.get().status == CertificateStatus.REVOKED
    assert set(Dose.objects.values_list("status", flat=True)) == {DoseStatus.VERIFIED}


def test_saving_an_unchanged_signed_dose_keeps_everything(personas, pki, an):
    signing.sign_doses(user=personas.head_a)
    dose = Dose.objects.get(pk=an[0].pk)
    dose.save()
    assert Certificate.objects.get().status == CertificateStatus.VALID
    assert DoseSignature.objects.count() == 2


def test_a_booster_later_replaces_the_passport(personas, pki, an, verify_dose):
    from vaxpass.records.services import DoseRequest, record_dose

    signing.sign_doses(user=personas.head_a)
    first = Certificate.objects.get()
    booster = record_dose(
        personas.staff_a,
        DoseRequest(
            facility=personas.facility_a,
            product=COMIRNATY,
            given_on=date(2022, 1, 10),
            person=an[0].person,
        ),
    ).dose
    verify_dose(booster)
    # Until the booster is signed the first passport stands.
    assert Certificate.objects.get(pk=first.pk).status == CertificateStatus.VALID
    signing.sign_doses(user=personas.head_a)
    first.refresh_from_db()
    assert first.status == CertificateStatus.SUPERSEDED
    current = Certificate.objects.get(status=CertificateStatus.VALID)
    assert first.replaced_by_id == current.pk
    dcc = _verify_hc1(current.hc1).dcc
    assert (dcc["v"][0]["dn"], dcc["v"][0]["sd"], dcc["v"][0]["mp"]) == (3, 3, COMIRNATY)


def test_standing_rule_signs_verified_doses(personas, pki, an):
    from vaxpass.passports.models import AutoSignRule

    signing.set_auto_sign(user=personas.head_a, enabled=True)
    assert AutoSignRule.objects.get().enabled
    assert Certificate.objects.count() == 1  # what was waiting is signed at once
    assert DoseSignature.objects.filter(by_rule=True).count() == 2


def test_keys_rotate_and_old_passports_stay_valid(personas, pki, an):
    signing.sign_doses(user=personas.head_a)
    old = Certificate.objects.get()
    new_key = keys.rotate_document_signer()
    row, _signer = keys.document_signer()
    assert row == new_key
    assert _verify_hc1(old.hc1).valid  # the old DSC stays in the trust list


def test_issue_when_ready_is_idempotent(personas, pki, an):
    signing.sign_doses(user=personas.head_a)
    assert issuing.issue_when_ready([an[0].person_id]) == 0
    assert Certificate.objects.count() == 1


def test_doses_at_three_facilities_make_one_passport_once_all_sign(
    personas, pki, vaccinate, verify_dose, new_facility, new_user
):
    """Mixed products at three facilities in two provinces: each facility signs its own
    dose; the passport comes with the last signature and holds the latest dose, 3/3."""
    from vaxpass.accounts.models import Role
    from vaxpass.records.services import DoseRequest, Identity, record_dose

    p = personas
    facility_c = new_facility("TYT-C", p.facility_a.legacy_ward)
    staff_c = new_user("staff_c", Role.FACILITY_STAFF, facility=facility_c)
    heads = [
        p.head_a,
        new_user("head_b", Role.FACILITY_HEAD, facility=p.facility_b),
        new_user("head_c", Role.FACILITY_HEAD, facility=facility_c),
    ]
    first = vaccinate(
        p.staff_a,
        p.facility_a,
        Identity(full_name="Đặng Thị Ba Nơi", birth_date="1990", citizen_id="001190000123"),
        (date(2021, 7, 1), "EU/1/21/1529"),
    )[0]
    person = first.person
    second = record_dose(
        p.staff_b,
        DoseRequest(
            facility=p.facility_b,
            product=COMIRNATY,
            given_on=date(2021, 9, 1),
            person=type(person).objects.get(pk=person.pk),
        ),  # fmt: skip
    ).dose
    third = record_dose(
        staff_c,
        DoseRequest(
            facility=facility_c,
            product="EU/1/20/1507",
            given_on=date(2022, 1, 5),
            person=type(person).objects.get(pk=person.pk),
        ),  # fmt: skip
    ).dose
    for dose in (second, third):
        verify_dose(dose)
    for head in heads[:2]:
        signing.sign_doses(user=head)
        assert not Certificate.objects.exists()  # a dose still waits for its facility
    signing.sign_doses(user=heads[2])
    certificate = Certificate.objects.get()
    result = _verify_hc1(certificate.hc1)
    assert result.valid
    entry = result.dcc["v"][0]
    assert (entry["dn"], entry["sd"], entry["mp"]) == (3, 3, "EU/1/20/1507")
    from vaxpass.core.dcc.schema import schema_errors
    from vaxpass.passports.documents import fhir

    assert schema_errors(result.dcc) == []
    bundle = fhir(certificate)
    immunizations = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Immunization"]
    assert len(immunizations) == 3
