"""Mass issuing over an area: every person due gets a passport, in parallel on PostgreSQL,
and running again issues nothing."""

from datetime import date

from vaxpass.core.dcc.verify import Verifier
from vaxpass.passports.batch import issue_due
from vaxpass.passports.models import Certificate, CertificateStatus, DoseSignature
from vaxpass.passports.publishing import current_trust_list
from vaxpass.passports.signing import dose_content
from vaxpass.records import stages
from vaxpass.records.models import Dose, DoseStage, DoseStatus
from vaxpass.records.services import Identity

VAXZEVRIA = "EU/1/21/1529"


def _sign_without_issuing(doses, head):
    """Sign as the facility would, without the automatic issuing, so that issuing is left
    to the batch (as after a bulk signing run or a restored backup)."""
    from vaxpass.core.dose_signature import sign_dose
    from vaxpass.passports import keys

    row, signer = keys.facility_signer(head.facility)
    for dose in doses:
        result = sign_dose(dose_content(dose), signer)
        DoseSignature.objects.create(
            dose=dose, key=row, digest=result.digest, signature=result.signature, signed_by=head
        )
        Dose.objects.filter(pk=dose.pk).update(status=DoseStatus.SIGNED)


def test_issue_due_issues_each_person_once(personas, pki, vaccinate):
    people = []
    for n in range(6):
        people += vaccinate(
            personas.staff_a,
            personas.facility_a,
            Identity(full_name=f"Trần Văn Số {chr(65 + n)}", birth_date="1980",
                     citizen_id=f"00108000{n:04d}"),
            (date(2021, 7, 1), VAXZEVRIA),
            (date(2021, 9, 1), VAXZEVRIA),
        )  # fmt: skip
    unsigned_person = people[-1].person_id
    _sign_without_issuing([d for d in people if d.person_id != unsigned_person], personas.head_a)

    before = set(Dose.objects.values_list("pk", "status", "updated_at"))
    summary = issue_due(workers=2)
    assert summary.issued == 5
    assert Certificate.objects.filter(status=CertificateStatus.VALID).count() == 5
    assert not Certificate.objects.filter(person_id=unsigned_person).exists()
    certified = stages.in_stage(Dose.objects.all(), DoseStage.CERTIFIED)
    assert sorted(d.person_id for d in certified) == sorted(
        d.person_id for d in people if d.person_id != unsigned_person
    )
    # Issuing rewrites no dose: the passport is the record of what it holds.
    assert set(Dose.objects.values_list("pk", "status", "updated_at")) == before
    verifier = Verifier(current_trust_list().certificates_by_kid())
    for certificate in Certificate.objects.all():
        result = verifier.verify(certificate.hc1)
        assert result.valid, result.reasons
        assert (result.dcc["v"][0]["dn"], result.dcc["v"][0]["sd"]) == (2, 2)

    again = issue_due(workers=2)
    assert again.issued == 0
    assert Certificate.objects.count() == 5


def test_copy_rows_refuse_a_value_that_would_need_escaping():
    """The passports' COPY text is built without escaping: a value holding a tab, a line
    break or a backslash must stop the range instead of shifting its columns."""
    from datetime import UTC, datetime

    import pytest

    from vaxpass.passports.batch import _copy_text

    at = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    fields = {"uvci": "URN:UVCI:01:VN:ABC#X", "hc1": "HC1:6BF+70", "issued_at": at,
              "expires_at": at, "signature_hash": "00ff"}  # fmt: skip
    row = _copy_text([(7, "d1", fields)], 3, at).decode()
    assert row.split("\t") == [
        "7", "URN:UVCI:01:VN:ABC#X", "HC1:6BF+70", "3", at.isoformat(), at.isoformat(),
        at.isoformat(), "d1", "00ff", "valid", "\\N", "\n",
    ]  # fmt: skip
    for bad in ("HC1:6B\tF", "HC1:6B\nF", "HC1:6B\\F", "HC1:6B\rF"):
        with pytest.raises(ValueError):
            _copy_text([(7, "d1", {**fields, "hc1": bad})], 3, at)
