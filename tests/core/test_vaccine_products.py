from datetime import date

import pytest

from vaxpass.core.vaccines import (
    MANUFACTURERS,
    MEDICINAL_PRODUCTS,
    PRODUCTS,
    PROPHYLAXIS,
    all_products,
    get_product,
)

VIETNAM = {
    "EU/1/20/1528": ("Comirnaty (Pfizer-BioNTech)", "ORG-100030215", 2, 21),
    "EU/1/20/1507": ("Spikevax (Moderna)", "ORG-100031184", 2, 28),
    "EU/1/21/1529": ("Vaxzevria (AstraZeneca)", "ORG-100001699", 2, 28),
    "Covishield": ("Covishield (AstraZeneca - Serum Institute of India)", "ORG-100001981", 2, 28),
    "BBIBP-CorV": ("Vero Cell (Sinopharm BBIBP-CorV)", "ORG-100020693", 2, 21),
    "Sputnik-V": ("Sputnik V (Gamaleya)", "Gamaleya-Research-Institute", 2, 21),
    "Abdala": ("Abdala (CIGB)", "CIGB", 3, 14),
    "Hayat-Vax": ("Hayat-Vax (Julphar/Sinopharm)", "ORG-100023050", 2, 21),
    "EU/1/20/1525": ("Jcovden (Janssen)", "ORG-100001417", 1, 0),
}


@pytest.mark.parametrize("code", sorted(VIETNAM))
def test_products_used_in_vietnam(code: str) -> None:
    product = PRODUCTS[code]
    assert (
        product.vn_name,
        product.manufacturer,
        product.primary_series,
        product.min_interval_days,
    ) == VIETNAM[code]
    assert product.display == MEDICINAL_PRODUCTS[code]["display"]
    assert product.booster_min_interval_days == 90
    assert product.active
    assert get_product(code) is product


def test_products_used_in_vietnam_are_exactly_nine() -> None:
    assert set(PRODUCTS) == set(VIETNAM)


def test_first_use_dates() -> None:
    assert PRODUCTS["EU/1/20/1528"].first_use == date(2020, 12, 8)
    assert PRODUCTS["Sputnik-V"].first_use == date(2020, 8, 11)
    # Vietnam's first dose (AstraZeneca, 8 March 2021) is after every product's first use.
    assert all(p.first_use <= date(2021, 5, 1) for p in all_products())


def test_every_value_set_product_is_listed_with_value_set_codes() -> None:
    products = all_products()
    assert [p.code for p in products] == list(MEDICINAL_PRODUCTS)
    for p in products:
        assert p.manufacturer in MANUFACTURERS, p.code
        assert p.prophylaxis in PROPHYLAXIS and PROPHYLAXIS[p.prophylaxis]["active"], p.code
        assert p.primary_series >= 1
        assert p.min_interval_days > 0 or p.primary_series == 1


def test_other_products_have_conservative_defaults() -> None:
    coronavac = get_product("CoronaVac")
    assert coronavac is not None
    assert (coronavac.primary_series, coronavac.min_interval_days) == (2, 28)
    assert coronavac.manufacturer == "Sinovac-Biotech"
    deprecated = get_product("NVX-CoV2373")
    assert deprecated is not None and not deprecated.active


def test_unknown_product() -> None:
    assert get_product("Vacxin-XYZ") is None
