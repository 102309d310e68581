"""The signing page of a facility head, and the passport pages, within scope."""

import pytest
from django.urls import reverse

from vaxpass.passports.models import Certificate
from vaxpass.records import stages
from vaxpass.records.models import DoseStage


def test_signing_page_is_for_facility_heads(client, personas, pki, an):
    client.force_login(personas.staff_a)
    assert client.get(reverse("passports:sign")).status_code == 403
    client.force_login(personas.head_a)
    page = client.get(reverse("passports:sign"))
    assert page.status_code == 200
    assert page.context["waiting"] == 2


def test_one_confirmation_signs_the_batch(client, personas, pki, an):
    client.force_login(personas.head_a)
    refused = client.post(reverse("passports:sign_all"), {"count": 2}, follow=True)
    assert not Certificate.objects.exists()
    assert refused.status_code == 200
    client.post(reverse("passports:sign_all"), {"count": 2, "confirm": "1"})
    assert Certificate.objects.count() == 1
    assert stages.in_stage(an[0].person.doses.all(), DoseStage.CERTIFIED).count() == 2


@pytest.mark.parametrize("form", ["pdf", "png", "svg", "hc1", "fhir"])
def test_passport_files_download_in_scope_only(client, personas, pki, an, form):
    from vaxpass.passports.signing import sign_doses

    sign_doses(user=personas.head_a)
    certificate = Certificate.objects.get()
    url = reverse("passports:file", args=[certificate.pk, form])
    client.force_login(personas.staff_b)  # another facility, another province
    assert client.get(url).status_code == 404
    client.force_login(personas.staff_a)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content
    assert {"pdf": b"%PDF", "png": b"\x89PNG", "svg": b"<", "hc1": b"HC1:", "fhir": b"{"}[
        form
    ] in body[:100]


def test_only_the_centre_revokes(client, personas, pki, an):
    from vaxpass.passports.signing import sign_doses

    sign_doses(user=personas.head_a)
    certificate = Certificate.objects.get()
    url = reverse("passports:revoke", args=[certificate.pk])
    client.force_login(personas.head_a)
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(personas.signer)
    client.post(url, {"reason": "issued in error"})
    certificate.refresh_from_db()
    assert certificate.status == "revoked"
    assert certificate.revocation_reason == "issued in error"
