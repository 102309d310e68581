"""The public look-up page: a passport's status, or where each dose stands and who must
act; nothing for someone who does not know both the ID and the birth date; refused after
repeated wrong tries."""

import re

import pytest
from django.urls import reverse

from vaxpass.portal import lookup
from vaxpass.records.models import Dose, DoseStatus

URL = "/lookup/"


def _ask(client, citizen_id="001070000001", birth_date="04/03/1970", address="10.0.0.1"):
    return client.post(
        URL, {"citizen_id": citizen_id, "birth_date": birth_date}, REMOTE_ADDR=address
    )


def test_the_page_is_public_and_vietnamese(client, db):
    page = client.get(URL)
    assert page.status_code == 200
    assert "Tra cứu hộ chiếu vắc-xin" in page.content.decode()


def test_awaiting_the_facility_signature_names_the_facility(client, personas, pki, an):
    page = _ask(client)
    assert page.status_code == 200
    answer = page.context["answer"]
    assert [s.stage for s in answer.doses] == [lookup.Stage.AWAITING_SIGNATURE] * 2
    assert answer.doses[0].who == personas.facility_a.name
    assert personas.facility_a.name in page.content.decode()
    assert answer.certificate is None


def test_a_recorded_dose_awaits_cleaning(client, personas, pki, an):
    Dose.objects.filter(pk=an[1].pk).update(status=DoseStatus.RECORDED)
    stages = [s.stage for s in _ask(client).context["answer"].doses]
    assert stages == [lookup.Stage.AWAITING_SIGNATURE, lookup.Stage.AWAITING_CLEANING]


def test_an_issued_passport_is_shown_and_downloadable_by_that_browser_only(
    client, personas, pki, an
):
    from django.test import Client

    from vaxpass.passports.signing import sign_doses

    sign_doses(user=personas.head_a)
    page = _ask(client)
    assert page.context["answer"].certificate is not None
    assert "<svg" in page.content.decode()
    pdf = client.get(reverse("portal:lookup_passport", args=["pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert Client().get(reverse("portal:lookup_passport", args=["pdf"])).status_code == 404


def _page_without(page, *values: str) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.content.decode())
    for value in values:
        text = text.replace(value, "")
    return text


def test_wrong_birth_date_and_unknown_id_look_the_same(client, personas, pki, an):
    wrong_date = _ask(client, birth_date="05/03/1970")
    unknown = _ask(client, citizen_id="001070999999", birth_date="05/03/1970")
    assert wrong_date.context["not_found"] and unknown.context["not_found"]
    assert wrong_date.context["answer"] is None
    ids = ("001070000001", "001070999999")
    assert _page_without(wrong_date, *ids) == _page_without(unknown, *ids)


def test_a_year_alone_does_not_open_a_full_birth_date(client, personas, pki, an):
    assert _ask(client, birth_date="1970").context["not_found"]


def test_repeated_wrong_tries_are_refused_even_with_the_right_date(client, personas, pki, an):
    for n in range(lookup.TRIES_PER_ADDRESS):
        assert _ask(client, birth_date=f"0{n + 1}/01/1971").status_code == 200
    refused = _ask(client)
    assert refused.status_code == 429
    assert "answer" not in refused.context or refused.context.get("answer") is None
    # Another address may still look up another person, but not this ID: the ID's own
    # limit stops guessing its birth date from many addresses.
    assert _ask(client, address="10.0.0.2").status_code == 429


def test_the_id_limit_holds_across_addresses(client, personas, pki, an):
    for n in range(lookup.TRIES_PER_ID):
        _ask(client, birth_date=f"0{n + 1}/02/1971", address=f"10.1.0.{n}")
    assert _ask(client, address="10.9.9.9").status_code == 429


def test_empty_fields_are_refused_without_counting(client, db):
    page = client.post(URL, {"citizen_id": "", "birth_date": ""})
    assert page.status_code == 400
    from vaxpass.portal.models import LookupAttempt

    assert not LookupAttempt.objects.exists()


@pytest.mark.parametrize("typed", ["1970", "04/03/1970", "1970-07-08"])
def test_a_year_only_registry_date_accepts_that_year(client, personas, pki, an, typed):
    person = an[0].person
    person.birth_date = "1970"
    person.save()
    assert _ask(client, birth_date=typed).context["answer"] is not None
