"""The facility registry: field sites can be added by staff and stay findable."""

import pytest

from vaxpass.places.models import Facility, FacilityKind
from vaxpass.places.services import PlaceError, add_field_site, search_facilities


def test_staff_add_a_mobile_team_that_stays_findable(personas):
    team = add_field_site(
        actor=personas.staff_a,
        name="Đội tiêm lưu động số 2",
        kind=FacilityKind.MOBILE_TEAM,
        ward=personas.facility_a.ward,
        parent=personas.facility_a,
    )
    assert team.code.startswith("TYT-A-F") and not team.official
    assert team.current_province == personas.facility_a.current_province
    team.active = False
    team.save()
    assert team in search_facilities("lưu động")
    assert team in search_facilities(team.code)


def test_field_site_rules(personas):
    with pytest.raises(PlaceError) as error:
        add_field_site(
            actor=personas.staff_a,
            name="X",
            kind=FacilityKind.HOSPITAL,
            ward=personas.facility_a.ward,
        )
    assert error.value.field == "kind"
    with pytest.raises(PlaceError) as error:
        add_field_site(
            actor=personas.staff_a,
            name="X",
            kind=FacilityKind.MOBILE_TEAM,
            ward=personas.facility_a.ward,
        )
    assert error.value.field == "parent"
    with pytest.raises(PlaceError) as error:
        add_field_site(
            actor=personas.staff_a,
            name="X",
            kind=FacilityKind.TEMPORARY_SITE,
            ward=personas.facility_a.current_province,
        )
    assert error.value.field == "ward"
    assert Facility.objects.filter(official=False).count() == 0


def test_add_site_page(client, personas):
    client.force_login(personas.staff_a)
    ward_code = personas.facility_a.current_ward.code
    response = client.post(
        "/facilities/new-site/",
        {"name": "Điểm tiêm Trường THCS", "kind": "temporary", "ward_code": ward_code},
    )
    assert response.status_code == 302
    site = Facility.objects.get(official=False)
    assert site.parent == personas.facility_a and site.created_by == personas.staff_a
    client.force_login(personas.police_a)
    assert (
        client.post(
            "/facilities/new-site/", {"name": "x", "kind": "temporary", "ward_code": ward_code}
        ).status_code
        == 403
    )
