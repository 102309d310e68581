"""The WHO DDCC:VS (Digital Documentation of COVID-19 Certificates: Vaccination Status)
document of a person's doses, as FHIR R4 JSON (plain dicts).

Follows the WHO DDCC implementation guide (smart.who.int/ddcc, 1.0): a ``Bundle`` of type
``document`` (profile DDCCVSDocument) whose first entry is a ``Composition``
(DDCCVSComposition: LOINC 82593-5, category ``ddcc-vs``, one vaccination section LOINC
11369-6 whose ``focus`` is the latest dose and whose entries are all doses), then the
``Patient`` (DDCCPatient), the issuing ``Organization`` (DDCCOrganization) and one
``Immunization`` per dose (DDCCImmunization: ICD-11 vaccine type, brand, market
authorisation holder, country, administering centre, dose number and series total,
target disease). References inside the bundle are ``urn:uuid:`` full URLs, derived from
the certificate identifier so the same certificate gives the same document.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pycountry

from vaxpass.core.dcc.encode import IssuedCertificate
from vaxpass.core.dcc.errors import INPUT_INVALID, error
from vaxpass.core.dcc.payload import COVID_19, DEFAULT_ISSUER, Dose, Person, latest_dose
from vaxpass.core.i18n import gettext_noop as _
from vaxpass.core.vaccines import (
    ANTIGEN,
    INACTIVATED,
    MANUFACTURERS,
    MEDICINAL_PRODUCTS,
    MRNA,
    PROTEIN,
    VECTOR,
    get_product,
)

PROFILE = "http://smart.who.int/ddcc/StructureDefinition/"
EXTENSION = PROFILE
ICD11 = "http://id.who.int/icd11/mms"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
CATEGORY = "http://smart.who.int/ddcc/CodeSystem/DDCC-Composition-Category-CodeSystem"
EU_PRODUCTS = "https://ec.europa.eu/health/documents/community-register/html/"
EU_MANUFACTURERS = "https://spor.ema.europa.eu/v1/organisations"
URI = "urn:ietf:rfc:3986"
TITLE = "Digital Documentation of COVID-19 Certificate (DDCC)"
COVID_19_ICD11 = "RA01"
# ICD-11 codes of the vaccine types (the DDCC vaccine value set) ...
_TYPE_CODES = {
    MRNA: ("XM0GQ8", "COVID-19 vaccine, RNA based"),
    VECTOR: ("XM9QW8", "COVID-19 vaccine, non-replicating viral vector"),
    INACTIVATED: ("XM1NL1", "COVID-19 vaccine, inactivated virus"),
    PROTEIN: ("XM5JC5", "COVID-19 vaccine, virus protein subunit"),
    ANTIGEN: ("XM5JC5", "COVID-19 vaccine, virus protein subunit"),
}
_ANY_VACCINE = ("XM68M6", "COVID-19 vaccines")
# ... and of the brands, from the guide's concept map "Vaccine - COVID-19 - Mapping EUDCC
# to ICD-11" (the products marked equivalent there).
_BRAND_CODES = {
    "EU/1/20/1528": "XM8NQ0",
    "EU/1/20/1507": "XM3DT5",
    "EU/1/21/1529": "XM4YL8",
    "EU/1/20/1525": "XM6QV1",
    "NVX-CoV2373": "XM9T65",
    "Sputnik-V": "XM5ZJ4",
    "Convidecia": "XM1AG7",
    "EpiVacCorona": "XM6SZ8",
    "BBIBP-CorV": "XM8866",
    "CoronaVac": "XM7HT3",
    "Covaxin": "XM1G90",
    "Covishield": "XM97T2",
    "Covid-19-recombinant": "XM3CT4",
    "R-COVI": "XM4YL8",
    "CoviVac": "XM85P5",
    "Sputnik-Light": "XM5QM6",
    "Hayat-Vax": "XM9FQ7",
    "WIBP-CorV": "XM1AU2",
    "MVC-COV1901": "XM4EC8",
    "EpiVacCorona-N": "XM3SK8",
    "AZD2816": "XM4YL8",
    "Soberana-02": "XM3PG0",
    "Soberana-Plus": "XM0RV9",
}


def ddcc_vs_document(
    person: Person,
    doses: Sequence[Dose],
    *,
    certificate: IssuedCertificate | None = None,
    certificate_id: str | None = None,
    issued_at: datetime | None = None,
    expires_at: datetime | None = None,
    issuer: str = DEFAULT_ISSUER,
    issuer_country: str = "VN",
) -> dict[str, Any]:
    """The DDCC:VS document bundle for ``person`` and every one of ``doses``. Pass the
    ``certificate`` issued from the same input to take its UVCI and validity, or give
    ``certificate_id``, ``issued_at`` and ``expires_at`` yourself."""
    if certificate is not None:
        certificate_id = certificate.uvci
        issued_at, expires_at = certificate.issued_at, certificate.expires_at
        issuer_country = certificate.issuer_country
    if not certificate_id or issued_at is None:
        raise error(INPUT_INVALID, _("A DDCC document needs a certificate identifier and date."))
    ordered = sorted(doses, key=lambda d: (d.date, d.dose_number))
    latest = latest_dose(ordered)
    ids = _Ids(certificate_id)
    patient_url, issuer_url = ids.url("Patient"), ids.url("Organization")
    immunizations = [
        _immunization(dose, ids.url(f"Immunization/{n}"), patient_url, issuer_url)
        for n, dose in enumerate(ordered)
    ]
    latest_url = immunizations[ordered.index(latest)][0]
    composition = {
        "resourceType": "Composition",
        "id": ids.id("Composition"),
        "meta": {"profile": [PROFILE + "DDCCVSComposition"]},
        "identifier": {"system": URI, "value": certificate_id},
        "status": "final",
        "type": {
            "coding": [
                {"system": LOINC, "code": "82593-5", "display": "Immunization summary report"}
            ]
        },
        "category": [{"coding": [{"system": CATEGORY, "code": "ddcc-vs", "display": "DDCC:VS"}]}],
        "subject": {"reference": patient_url},
        "date": _instant(issued_at),
        "author": [{"reference": issuer_url}],
        "title": TITLE,
        "attester": [{"mode": "official", "party": {"reference": issuer_url}}],
        "event": [{"period": _period(issued_at, expires_at)}],
        "section": [
            {
                "code": {
                    "coding": [
                        {
                            "system": LOINC,
                            "code": "11369-6",
                            "display": "History of Immunization Narrative",
                        }
                    ]
                },
                "focus": {"reference": latest_url},
                "entry": [{"reference": url} for url, _ in immunizations],
            }
        ],
    }
    return {
        "resourceType": "Bundle",
        "id": ids.id("Bundle"),
        "meta": {"profile": [PROFILE + "DDCCVSDocument"]},
        "identifier": {"system": URI, "value": ids.url("Bundle")},
        "type": "document",
        "timestamp": _instant(issued_at),
        "link": [{"relation": "publication", "url": f"urn:HCID:{certificate_id}"}],
        "entry": [
            {"fullUrl": ids.url("Composition"), "resource": composition},
            {"fullUrl": patient_url, "resource": _patient(person, ids.id("Patient"))},
            {
                "fullUrl": issuer_url,
                "resource": _organization(issuer, issuer_country, ids.id("Organization")),
            },
            *({"fullUrl": url, "resource": resource} for url, resource in immunizations),
        ],
    }


class _Ids:
    """Stable ids per certificate: UUID 5 of the certificate id and the resource name."""

    def __init__(self, certificate_id: str) -> None:
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, certificate_id)

    def id(self, name: str) -> str:
        return str(uuid.uuid5(self._namespace, name))

    def url(self, name: str) -> str:
        return f"urn:uuid:{self.id(name)}"


def _patient(person: Person, resource_id: str) -> dict[str, Any]:
    given = person.given_name.split()
    name: dict[str, Any] = {
        "use": "official",
        "text": " ".join(filter(None, (person.family_name, person.given_name))),
        "family": person.family_name,
    }
    if given:
        name["given"] = given
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id,
        "meta": {"profile": [PROFILE + "DDCCPatient"]},
        "name": [name],
    }
    if person.birth_date:
        patient["birthDate"] = person.birth_date  # FHIR dates may be YYYY or YYYY-MM too
    return patient


def _organization(name: str, country: str, resource_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": resource_id,
        "meta": {"profile": [PROFILE + "DDCCOrganization"]},
        "name": name,
        "address": [{"country": _alpha3(country)}],
    }


def _immunization(
    dose: Dose, url: str, patient_url: str, issuer_url: str
) -> tuple[str, dict[str, Any]]:
    product = get_product(dose.product)
    if product is None:
        raise error(
            INPUT_INVALID,
            _("%(code)s is not a vaccine of the EU value set."),
            code=dose.product[:40],
        )
    type_code, type_display = _TYPE_CODES.get(product.prophylaxis, _ANY_VACCINE)
    display = MEDICINAL_PRODUCTS[product.code]["display"]
    brand = (
        {"system": ICD11, "code": _BRAND_CODES[product.code], "display": display}
        if product.code in _BRAND_CODES
        else {"system": EU_PRODUCTS, "code": product.code, "display": display}
    )
    extensions: list[dict[str, Any]] = [
        {"url": EXTENSION + "DDCCVaccineBrand", "valueCoding": brand}
    ]
    if product.manufacturer:
        extensions.append(
            {
                "url": EXTENSION + "DDCCVaccineMarketAuthorization",
                "valueCoding": {
                    "system": EU_MANUFACTURERS,
                    "code": product.manufacturer,
                    "display": MANUFACTURERS.get(product.manufacturer, {}).get(
                        "display", product.manufacturer
                    ),
                },
            }
        )
    extensions.append(
        {"url": EXTENSION + "DDCCCountryOfVaccination", "valueCode": _alpha3(dose.country)}
    )
    immunization: dict[str, Any] = {
        "resourceType": "Immunization",
        "id": url.removeprefix("urn:uuid:"),
        "meta": {"profile": [PROFILE + "DDCCImmunization"]},
        "extension": extensions,
        "status": "completed",
        "vaccineCode": {"coding": [{"system": ICD11, "code": type_code, "display": type_display}]},
        "patient": {"reference": patient_url},
        "occurrenceDateTime": dose.date.isoformat()[:10],
        "location": {"display": dose.facility or dose.issuer},
        "protocolApplied": [
            {
                "authority": {"reference": issuer_url},
                "targetDisease": [
                    {
                        "coding": [
                            {"system": ICD11, "code": COVID_19_ICD11, "display": "COVID-19"},
                            {"system": SNOMED, "code": COVID_19, "display": "COVID-19"},
                        ]
                    }
                ],
                "doseNumberPositiveInt": dose.dose_number,
                "seriesDosesPositiveInt": dose.series_total,
            }
        ],
    }
    if dose.lot:
        immunization["lotNumber"] = dose.lot
    return url, immunization


def _alpha3(alpha2: str) -> str:
    country = pycountry.countries.get(alpha_2=alpha2)
    return country.alpha_3 if country is not None else alpha2


def _period(start: datetime, end: datetime | None) -> dict[str, str]:
    period = {"start": _instant(start)}
    if end is not None:
        period["end"] = _instant(end)
    return period


def _instant(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")
