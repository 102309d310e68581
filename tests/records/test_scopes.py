"""Scope rules with personas at two facilities in two provinces: nothing leaks across."""

from datetime import date

import pytest
from django.urls import reverse

from vaxpass.records.scopes import doses_in_scope, facilities_in_scope, people_in_scope
from vaxpass.records.services import DoseRequest, Identity, record_dose, register_people

COMIRNATY = "EU/1/20/1528"


@pytest.fixture
def world(personas):
    """A family registered at A under one phone, vaccinated at A; one person at B."""
    p = personas
    reg_a = register_people(
        actor=p.staff_a,
        phone="0912000111",
        facility=p.facility_a,
        people=[
            Identity(
                full_name="Nguyễn Văn An",
                birth_date="1970",
                citizen_id="001070000001",
                ward=p.facility_a.ward,
            ),
            Identity(
                full_name="Trần Thị Bích",
                birth_date="12/05/1972",
                citizen_id="001172000002",
                ward=p.facility_a.ward,
            ),
        ],
    )
    an = reg_a.people.order_by("id").first()
    dose_a = record_dose(
        p.staff_a,
        DoseRequest(facility=p.facility_a, product=COMIRNATY, given_on=date(2021, 8, 1), person=an),
    ).dose
    dose_b = record_dose(
        p.staff_b,
        DoseRequest(
            facility=p.facility_b,
            product=COMIRNATY,
            given_on=date(2021, 8, 2),
            identity=Identity(
                full_name="Lê Văn Cường",
                birth_date="1980",
                citizen_id="079080000003",
                ward=p.facility_b.ward,
            ),
        ),
    ).dose
    return dose_a, dose_b


def ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_dose_scopes(personas, world):
    dose_a, dose_b = world
    p = personas
    assert ids(doses_in_scope(p.staff_a)) == {dose_a.pk}
    assert ids(doses_in_scope(p.head_a)) == {dose_a.pk}
    assert ids(doses_in_scope(p.staff_b)) == {dose_b.pk}
    assert ids(doses_in_scope(p.police_a)) == {dose_a.pk}  # residents of the ward
    assert ids(doses_in_scope(p.police_b)) == {dose_b.pk}
    assert ids(doses_in_scope(p.district_a)) == {dose_a.pk}
    assert ids(doses_in_scope(p.province_a)) == {dose_a.pk}
    assert ids(doses_in_scope(p.province_b)) == {dose_b.pk}
    assert ids(doses_in_scope(p.admin)) == ids(doses_in_scope(p.signer)) == {dose_a.pk, dose_b.pk}


def test_people_and_facility_scopes(personas, world):
    p = personas
    assert people_in_scope(p.staff_a).count() == 2  # the family registered at A
    assert people_in_scope(p.staff_b).count() == 1
    assert ids(facilities_in_scope(p.staff_a)) == {p.facility_a.pk}
    assert ids(facilities_in_scope(p.province_b)) == {p.facility_b.pk}


def test_inactive_or_roleless_accounts_see_nothing(personas, world):
    p = personas
    p.staff_a.is_active = False
    assert doses_in_scope(p.staff_a).count() == 0
    p.admin.role = ""
    assert doses_in_scope(p.admin).count() == 0


def test_facility_scope_covers_its_mobile_teams(personas, world):
    from vaxpass.places.models import FacilityKind
    from vaxpass.places.services import add_field_site

    team = add_field_site(
        actor=p_staff(personas),
        name="Đội lưu động 1",
        kind=FacilityKind.MOBILE_TEAM,
        ward=personas.facility_a.ward,
        parent=personas.facility_a,
    )
    assert team.pk in ids(facilities_in_scope(personas.staff_a))
    assert team.pk not in ids(facilities_in_scope(personas.staff_b))


def p_staff(personas):
    return personas.staff_a


PAGES = ["home", "records:doses", "places:facilities"]


@pytest.mark.parametrize("page", PAGES)
def test_pages_show_only_own_scope(client, personas, world, page):
    dose_a, dose_b = world
    client.force_login(personas.staff_b)
    html = client.get(reverse(page)).content.decode()
    assert "Nguyễn Văn An" not in html and "TYT-A" not in html
    client.force_login(personas.staff_a)
    html = client.get(reverse(page)).content.decode()
    assert "Lê Văn Cường" not in html and "TYT-B" not in html


def test_cross_scope_person_pages_are_404(client, personas, world):
    dose_a, _ = world
    client.force_login(personas.staff_b)
    assert client.get(reverse("records:record", args=[dose_a.person_id])).status_code == 404
    found = client.get(reverse("records:find"), {"q": "0912000111"}).content.decode()
    assert "Nguyễn Văn An" not in found


def test_phone_finds_the_whole_family(client, personas, world):
    client.force_login(personas.staff_a)
    html = client.get(reverse("records:find"), {"q": "0912 000 111"}).content.decode()
    assert "Nguyễn Văn An" in html and "Trần Thị Bích" in html


def test_non_recorders_cannot_open_recording_pages(client, personas, world):
    for user in (personas.police_a, personas.province_a, personas.signer):
        client.force_login(user)
        assert client.get(reverse("records:find")).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("records:doses"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_every_role_reaches_its_home(client, personas):
    for user in vars(personas).values():
        if hasattr(user, "role"):
            client.force_login(user)
            assert client.get(reverse("home")).status_code == 200, user.role
