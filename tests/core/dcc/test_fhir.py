"""The WHO DDCC:VS document, checked with a FHIR model library (fhir.resources, R4B, the
closest release it ships to the R4 of the guide; these resources are the same in both)."""

from datetime import UTC, date, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle

from vaxpass.core.dcc import (
    DccError,
    Dose,
    Person,
    ddcc_vs_document,
    encode_vaccination_certificate,
)

NOW = datetime(2022, 3, 1, 8, 30, tzinfo=UTC)
PERSON = Person.from_full_name("Phạm Quỳnh Như", "1960")
DOSES = [
    Dose("BBIBP-CorV", date(2021, 8, 1), 1, 2, facility="Trạm Y tế xã Tân Phú", lot="202106A"),
    Dose("BBIBP-CorV", date(2021, 8, 22), 2, 2, facility="Bệnh viện Chợ Rẫy"),
    Dose("EU/1/20/1528", date(2022, 1, 10), 3, 3, facility="Trung tâm Y tế quận 5"),
]


@pytest.fixture(scope="module")
def document(signer):
    cert = encode_vaccination_certificate(PERSON, DOSES, signer, issued_at=NOW)
    return cert, ddcc_vs_document(PERSON, DOSES, certificate=cert)


def resources(document, kind):
    return [e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == kind]


def test_valid_fhir(document):
    bundle = Bundle.model_validate(document[1])
    assert bundle.type == "document"
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds == ["Composition", "Patient", "Organization"] + ["Immunization"] * 3


def test_composition(document):
    cert, doc = document
    (composition,) = resources(doc, "Composition")
    assert composition["identifier"]["value"] == cert.uvci
    assert composition["type"]["coding"][0]["code"] == "82593-5"
    assert composition["category"][0]["coding"][0]["code"] == "ddcc-vs"
    assert composition["event"][0]["period"] == {
        "start": "2022-03-01T08:30:00Z",
        "end": "2023-03-01T08:30:00Z",
    }
    (section,) = composition["section"]
    assert section["code"]["coding"][0]["code"] == "11369-6"
    urls = [e["fullUrl"] for e in doc["entry"] if e["resource"]["resourceType"] == "Immunization"]
    assert [e["reference"] for e in section["entry"]] == urls
    assert section["focus"]["reference"] == urls[-1]  # the latest dose
    # Every reference points at an entry of the bundle.
    full_urls = {e["fullUrl"] for e in doc["entry"]}
    assert composition["subject"]["reference"] in full_urls


def test_patient_and_immunizations(document):
    _, doc = document
    (patient,) = resources(doc, "Patient")
    assert patient["birthDate"] == "1960"
    assert patient["name"][0] == {
        "use": "official",
        "text": "Phạm Quỳnh Như",
        "family": "Phạm",
        "given": ["Quỳnh", "Như"],
    }
    immunizations = resources(doc, "Immunization")
    assert [i["location"]["display"] for i in immunizations] == [d.facility for d in DOSES]
    assert [i["occurrenceDateTime"] for i in immunizations] == [
        "2021-08-01",
        "2021-08-22",
        "2022-01-10",
    ]
    assert [i["protocolApplied"][0]["doseNumberPositiveInt"] for i in immunizations] == [1, 2, 3]
    assert immunizations[0]["lotNumber"] == "202106A" and "lotNumber" not in immunizations[1]
    assert immunizations[0]["vaccineCode"]["coding"][0]["code"] == "XM1NL1"  # inactivated
    assert immunizations[2]["vaccineCode"]["coding"][0]["code"] == "XM0GQ8"  # mRNA
    brand = immunizations[2]["extension"][0]
    assert brand["url"].endswith("DDCCVaccineBrand") and brand["valueCoding"]["code"] == "XM8NQ0"
    country = [
        e for e in immunizations[0]["extension"] if e["url"].endswith("DDCCCountryOfVaccination")
    ]
    assert country[0]["valueCode"] == "VNM"


def test_same_certificate_same_document(signer, document):
    cert, doc = document
    assert ddcc_vs_document(PERSON, list(reversed(DOSES)), certificate=cert) == doc
    other = encode_vaccination_certificate(PERSON, DOSES, signer, issued_at=NOW)
    assert ddcc_vs_document(PERSON, DOSES, certificate=other)["id"] != doc["id"]


def test_without_certificate():
    doc = ddcc_vs_document(PERSON, DOSES[:1], certificate_id="URN:UVCI:01:VN:X#A", issued_at=NOW)
    Bundle.model_validate(doc)
    with pytest.raises(DccError):
        ddcc_vs_document(PERSON, DOSES)
