"""The staff recording page: find by phone, record with the suggested number, warnings."""

from django.urls import reverse

from vaxpass.records.models import Dose
from vaxpass.records.services import Identity, register_people

COMIRNATY = "EU/1/20/1528"


def test_register_find_and_record(client, personas):
    client.force_login(personas.staff_a)
    response = client.post(
        reverse("records:register"),
        {
            "phone": "0162 345 6789",  # an old 11-digit number, converted
            "p-TOTAL_FORMS": "3",
            "p-INITIAL_FORMS": "0",
            "p-MIN_NUM_FORMS": "1",
            "p-MAX_NUM_FORMS": "1000",
            "p-0-full_name": "nguyễn văn  an",
            "p-0-birth_date": "1970",
            "p-0-citizen_id": "001070000001",
            "p-1-full_name": "Trần Thị Bích",
            "p-1-birth_date": "12/05/1972",
        },
    )
    assert response.status_code == 302
    html = client.get(reverse("records:find"), {"q": "0323456789"}).content.decode()
    assert "Nguyễn Văn An" in html and "Trần Thị Bích" in html
    person = personas.facility_a.registrations.get().people.get(full_name="Trần Thị Bích")
    page = client.get(reverse("records:record", args=[person.pk])).content.decode()
    assert 'name="dose_number"' in page and 'value="1"' in page
    response = client.post(
        reverse("records:record", args=[person.pk]),
        {
            "product": COMIRNATY,
            "lot": "FK1",
            "given_on": "2021-09-01",
            "dose_number": "1",
        },
    )
    assert response.status_code == 302
    assert Dose.objects.get().person == person


def test_warning_is_shown_then_overridden(client, personas):
    reg = register_people(
        actor=personas.staff_a,
        phone="0912000222",
        facility=personas.facility_a,
        people=[Identity(full_name="Lê Thị C", birth_date="1990")],
    )
    person = reg.people.get()
    client.force_login(personas.staff_a)
    url = reverse("records:record", args=[person.pk])
    client.post(url, {"product": COMIRNATY, "given_on": "2021-09-01", "dose_number": "1"})
    page = client.post(url, {"product": COMIRNATY, "given_on": "2021-09-03", "dose_number": "2"})
    assert page.status_code == 200 and Dose.objects.count() == 1
    assert 'name="override_reason"' in page.content.decode()
    done = client.post(
        url,
        {
            "product": COMIRNATY,
            "given_on": "2021-09-03",
            "dose_number": "2",
            "override_reason": "travel",
        },
    )
    assert done.status_code == 302 and Dose.objects.count() == 2


def test_field_errors_on_the_page(client, personas):
    reg = register_people(
        actor=personas.staff_a,
        phone="0912000333",
        facility=personas.facility_a,
        people=[Identity(full_name="Lê Thị D", birth_date="1990")],
    )
    client.force_login(personas.staff_a)
    page = client.post(
        reverse("records:record", args=[reg.people.get().pk]),
        {"product": COMIRNATY, "given_on": "2099-01-01", "dose_number": "1"},
    )
    assert page.status_code == 200 and Dose.objects.count() == 0
    assert 'class="error"' in page.content.decode()
