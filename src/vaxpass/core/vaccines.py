"""COVID-19 vaccine products: EU DCC value-set codes plus the rules the dose checks need.

Codes and display names come from the EU DCC value sets shipped in ``core/data`` (the
passport must use exactly those codes). The schedule facts are ours: the nine products
used in Vietnam carry label / WHO SAGE values; every other value-set product gets
conservative defaults, so a dose given abroad can still be recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Any


def _value_set(name: str) -> dict[str, Any]:
    text = files("vaxpass.core").joinpath("data", f"{name}.json").read_text("utf-8")
    values: dict[str, Any] = json.loads(text)["valueSetValues"]
    return values


MEDICINAL_PRODUCTS = _value_set("vaccine-medicinal-product")  # DCC field "mp"
MANUFACTURERS = _value_set("vaccine-mah-manf")  # DCC field "ma"
PROPHYLAXIS = _value_set("vaccine-prophylaxis")  # DCC field "vp"

# Prophylaxis (vaccine type) codes. J07BX03 ("covid-19 vaccines") is inactive in the
# shipped value set, so products carry their SNOMED type code instead.
MRNA = "1119349007"
VECTOR = "29061000087103"  # non-replicating viral vector
INACTIVATED = "1157024006"
PROTEIN = "1162643001"  # recombinant spike protein antigen
ANTIGEN = "1119305005"  # other antigen (peptide) vaccines
GENERIC = "28531000087107"  # "COVID-19 vaccine", when nothing more specific is known

BOOSTER_MIN_INTERVAL_DAYS = 90  # Vietnam MoH: booster at least 3 months after the series
DEFAULT_MIN_INTERVAL_DAYS = 28  # longest common primary interval: warns rather than misses
# Lower bound for any product: 25 June 2020, China's approval of CanSino's Ad5-nCoV for
# military use, the first authorised use of a COVID-19 vaccine outside trials.
EARLIEST_USE = date(2020, 6, 25)


@dataclass(frozen=True)
class Product:
    code: str  # EU value-set code, e.g. "EU/1/20/1528"
    display: str  # value-set display name
    vn_name: str  # name used in Vietnam
    manufacturer: str  # marketing-authorisation holder code, e.g. "ORG-100030215"
    prophylaxis: str  # vaccine type code
    first_use: date  # first administered anywhere; earlier dates are typos
    primary_series: int  # doses in the primary series
    min_interval_days: int  # between primary doses (0: single-dose series)
    booster_min_interval_days: int = BOOSTER_MIN_INTERVAL_DAYS
    active: bool = True  # False: deprecated in the value set, not offered for new doses


def _product(
    code: str,
    vn_name: str,
    manufacturer: str,
    prophylaxis: str,
    first_use: date,
    primary_series: int,
    min_interval_days: int,
) -> Product:
    entry = MEDICINAL_PRODUCTS[code]
    return Product(
        code,
        entry["display"],
        vn_name,
        manufacturer,
        prophylaxis,
        first_use,
        primary_series,
        min_interval_days,
        active=bool(entry["active"]),
    )


# The nine products used in Vietnam. first_use: first administration outside trials,
# from the widely reported events named in the comments.
PRODUCTS: dict[str, Product] = {
    p.code: p
    for p in (
        # 8 Dec 2020: Margaret Keenan, Coventry, the first dose after authorisation.
        _product(
            "EU/1/20/1528",
            "Comirnaty (Pfizer-BioNTech)",
            "ORG-100030215",
            MRNA,
            date(2020, 12, 8),
            2,
            21,
        ),
        # 21 Dec 2020: first US doses after the FDA emergency authorisation of 18 Dec.
        _product(
            "EU/1/20/1507", "Spikevax (Moderna)", "ORG-100031184", MRNA, date(2020, 12, 21), 2, 28
        ),
        # 4 Jan 2021: Brian Pinker, Oxford, the first Oxford-AstraZeneca dose.
        _product(
            "EU/1/21/1529",
            "Vaxzevria (AstraZeneca)",
            "ORG-100001699",
            VECTOR,
            date(2021, 1, 4),
            2,
            28,
        ),
        # 16 Jan 2021: start of India's national vaccination drive.
        _product(
            "Covishield",
            "Covishield (AstraZeneca - Serum Institute of India)",
            "ORG-100001981",
            VECTOR,
            date(2021, 1, 16),
            2,
            28,
        ),
        # 22 Jul 2020: start of China's emergency-use programme (NHC, reported 22 Aug 2020).
        _product(
            "BBIBP-CorV",
            "Vero Cell (Sinopharm BBIBP-CorV)",
            "ORG-100020693",
            INACTIVATED,
            date(2020, 7, 22),
            2,
            21,
        ),
        # 11 Aug 2020: registration in Russia, with the first doses outside trials.
        _product(
            "Sputnik-V",
            "Sputnik V (Gamaleya)",
            "Gamaleya-Research-Institute",
            VECTOR,
            date(2020, 8, 11),
            2,
            21,
        ),
        # May 2021: Cuba's intervention studies in health workers (EUA on 9 Jul 2021).
        _product("Abdala", "Abdala (CIGB)", "CIGB", PROTEIN, date(2021, 5, 1), 3, 14),
        # Hayat-Vax is BBIBP-CorV filled in the UAE: the same vaccine, so the same bound.
        _product(
            "Hayat-Vax",
            "Hayat-Vax (Julphar/Sinopharm)",
            "ORG-100023050",
            INACTIVATED,
            date(2020, 7, 22),
            2,
            21,
        ),
        # 17 Feb 2021: South Africa's Sisonke study began vaccinating health workers.
        _product(
            "EU/1/20/1525", "Jcovden (Janssen)", "ORG-100001417", VECTOR, date(2021, 2, 17), 1, 0
        ),
    )
}

# Other value-set products: manufacturer, type and primary-series length, so a dose given
# abroad gets a correct passport entry. Intervals and first use take the defaults above.
_OTHERS: dict[str, tuple[str, str, int]] = {
    "CVnCoV": ("ORG-100006270", MRNA, 2),
    "NVX-CoV2373": ("ORG-100032020", PROTEIN, 2),
    "Convidecia": ("ORG-100013793", VECTOR, 1),
    "EpiVacCorona": ("Vector-Institute", ANTIGEN, 2),
    "Inactivated-SARS-CoV-2-Vero-Cell": ("ORG-100020693", INACTIVATED, 2),
    "CoronaVac": ("Sinovac-Biotech", INACTIVATED, 2),
    "Covaxin": ("Bharat-Biotech", INACTIVATED, 2),
    "Covid-19-recombinant": ("Fiocruz", VECTOR, 2),
    "R-COVI": ("ORG-100007893", VECTOR, 2),
    "CoviVac": ("Chumakov-Federal-Scientific-Center", INACTIVATED, 2),
    "Sputnik-Light": ("Gamaleya-Research-Institute", VECTOR, 1),
    "WIBP-CorV": ("Sinopharm-WIBP", INACTIVATED, 2),
    "MVC-COV1901": ("ORG-100033914", PROTEIN, 2),
    "EU/1/21/1618": ("ORG-100032020", PROTEIN, 2),
    "Covovax": ("ORG-100001981", PROTEIN, 2),
    "Vidprevtyn": ("ORG-100000788", PROTEIN, 2),
    "VLA2001": ("ORG-100036422", INACTIVATED, 2),
    "EpiVacCorona-N": ("Vector-Institute", ANTIGEN, 2),
    "Sputnik-M": ("Gamaleya-Research-Institute", VECTOR, 2),
    "Covid-19-adsorvida-inativada": ("Instituto-Butantan", INACTIVATED, 2),
    "NVSI-06-08": ("NVSI", PROTEIN, 2),
    "YS-SC2-010": ("Yisheng-Biopharma", PROTEIN, 2),
    "SCTV01C": ("ORG-100026614", PROTEIN, 2),
    "Covifenz": ("ORG-100008549", "30141000087107", 2),  # virus-like particle
    "AZD2816": ("ORG-100001699", VECTOR, 2),
    "Soberana-02": ("Finlay-Institute", PROTEIN, 2),
    "Soberana-Plus": ("Finlay-Institute", PROTEIN, 2),
    "EU/1/21/1624": ("ORG-100036422", INACTIVATED, 2),
    "EU/1/21/1580": ("ORG-100000788", PROTEIN, 2),
    "EU/1/22/1709": ("ORG-100036914", PROTEIN, 2),
}


def _other(code: str) -> Product:
    manufacturer, prophylaxis, series = _OTHERS.get(code, ("", GENERIC, 2))
    entry = MEDICINAL_PRODUCTS[code]
    return _product(
        code,
        entry["display"],
        manufacturer,
        prophylaxis,
        EARLIEST_USE,
        series,
        0 if series == 1 else DEFAULT_MIN_INTERVAL_DAYS,
    )


_ALL: dict[str, Product] = {code: PRODUCTS.get(code) or _other(code) for code in MEDICINAL_PRODUCTS}


def all_products() -> list[Product]:
    """Every product of the value set, in value-set order (inactive ones included)."""
    return list(_ALL.values())


def get_product(code: str) -> Product | None:
    """The product with this value-set code, or None if the code is unknown."""
    return _ALL.get(code)
