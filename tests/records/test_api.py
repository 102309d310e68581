"""The JSON API: creation, batches, idempotency, validation, scopes, auth, OpenAPI."""

import json
from datetime import date

import pytest
from django.test import Client

from vaxpass.accounts.models import ApiToken
from vaxpass.records.models import AuditEntry, Dose

COMIRNATY = "EU/1/20/1528"


def bearer(user) -> Client:
    _, token = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def post(client, url, payload, **headers):
    return client.post(
        url, json.dumps(payload, default=str), content_type="application/json", **headers
    )


def dose_payload(**overrides):
    payload = {
        "person": {
            "full_name": "Nguyễn Thị Hoà",
            "birth_date": "04/03/1957",
            "citizen_id": "001157012345",
            "sex": "F",
            "phone": "0912345678",
        },
        "product": COMIRNATY,
        "lot": "FK1234",
        "given_on": "2021-09-01",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def api_a(personas):
    return bearer(personas.staff_a)


def test_create_one_dose(api_a, personas):
    response = post(api_a, "/api/v1/doses", dose_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["dose_number"] == 1
    assert body["facility_code"] == "TYT-A"
    assert body["captured_birth_date"] == "04/03/1957"  # kept exactly as captured
    dose = Dose.objects.get(pk=body["id"])
    assert dose.person.birth_date == "1957-03-04" and dose.entered_by == personas.staff_a
    assert AuditEntry.objects.filter(
        model="records.Dose", object_id=str(dose.pk), action="create"
    ).exists()


def test_second_dose_number_is_suggested(api_a):
    post(api_a, "/api/v1/doses", dose_payload())
    response = post(api_a, "/api/v1/doses", dose_payload(given_on="2021-10-01"))
    assert response.status_code == 201
    assert response.json()["dose_number"] == 2
    assert Dose.objects.count() == 2 and len({d.person_id for d in Dose.objects.all()}) == 1


def test_idempotent_retry_creates_one_dose(api_a):
    first = post(api_a, "/api/v1/doses", dose_payload(idempotency_key="abc-1"))
    again = post(api_a, "/api/v1/doses", dose_payload(idempotency_key="abc-1"))
    header = post(
        api_a, "/api/v1/doses", dose_payload(given_on="2021-10-01"), HTTP_IDEMPOTENCY_KEY="abc-2"
    )
    header_again = post(
        api_a, "/api/v1/doses", dose_payload(given_on="2021-10-01"), HTTP_IDEMPOTENCY_KEY="abc-2"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert header.json()["id"] == header_again.json()["id"]
    assert Dose.objects.count() == 2


def test_reused_key_for_another_dose_is_a_conflict(api_a):
    post(api_a, "/api/v1/doses", dose_payload(idempotency_key="k"))
    response = post(
        api_a, "/api/v1/doses", dose_payload(idempotency_key="k", given_on="2021-12-01")
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "idempotency_key"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"product": "NOT-A-VACCINE"}, "product", "unknown_product"),
        ({"given_on": "2099-01-01"}, "given_on", None),
        ({"given_on": "2019-01-01"}, "given_on", None),
        ({"person": {"full_name": "", "birth_date": "1957"}}, "full_name", "required"),
        ({"person": {"full_name": "Lê Văn Tám", "birth_date": "31/02/1990"}}, "birth_date", None),
        (
            {"person": {"full_name": "Lê Văn Tám", "birth_date": "1990", "citizen_id": "12AB"}},
            "citizen_id",
            None,
        ),
        ({"facility_code": "NOPE"}, "facility_code", "unknown_facility"),
    ],
)
def test_validation_errors_name_field_and_reason(api_a, overrides, field, code):
    response = post(api_a, "/api/v1/doses", dose_payload(**overrides))
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert any(e["field"].endswith(field) for e in errors), errors
    assert all(e["message"] for e in errors)
    if code:
        assert any(e["code"] == code for e in errors)
    assert Dose.objects.count() == 0


def test_schema_errors_are_422(api_a):
    response = post(api_a, "/api/v1/doses", {"product": COMIRNATY})
    assert response.status_code == 422


def test_warning_needs_override_reason(api_a):
    post(api_a, "/api/v1/doses", dose_payload())
    too_soon = dose_payload(given_on="2021-09-05")
    refused = post(api_a, "/api/v1/doses", too_soon)
    assert refused.status_code == 422
    codes = {e["code"] for e in refused.json()["errors"]}
    assert "interval_too_short" in codes and "reason_required" in codes
    accepted = post(
        api_a, "/api/v1/doses", {**too_soon, "override_reason": "outbreak, doctor's order"}
    )
    assert accepted.status_code == 201
    assert "interval_too_short" in accepted.json()["flags"]


def test_batch_create_with_partial_rejection_and_idempotency(api_a):
    items = [
        dose_payload(idempotency_key="b1"),
        dose_payload(
            person={
                "full_name": "Trần Văn Bình",
                "birth_date": "1960",
                "citizen_id": "079060000111",
            },
            idempotency_key="b2",
        ),
        dose_payload(product="NOPE", idempotency_key="b3"),
    ]
    response = post(api_a, "/api/v1/doses/batch", {"items": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["rejected"]) == (2, 1)
    assert [r["status"] for r in body["results"]] == ["created", "created", "rejected"]
    assert body["results"][2]["errors"][0]["field"] == "product"
    again = post(api_a, "/api/v1/doses/batch", {"items": items[:2]}).json()
    assert (again["existing"], again["created"]) == (2, 0)
    # Each dose shown as GET /doses/{id} shows it, on creation and when found again.
    for result in (body["results"][0], again["results"][0]):
        shown = api_a.get(f"/api/v1/doses/{result['dose']['id']}").json()
        assert result["dose"] == shown
    assert Dose.objects.count() == 2
    assert AuditEntry.objects.filter(model="records.Dose").count() == 2


def test_batch_numbers_doses_of_one_person_in_order(api_a):
    items = [dose_payload(given_on="2021-07-01"), dose_payload(given_on="2021-08-01")]
    body = post(api_a, "/api/v1/doses/batch", {"items": items}).json()
    assert [r["dose"]["dose_number"] for r in body["results"]] == [1, 2]


def test_auth_required_and_roles_enforced(personas):
    assert Client().get("/api/v1/doses").status_code == 401
    assert (
        Client(HTTP_AUTHORIZATION="Bearer nope")
        .post("/api/v1/doses", "{}", content_type="application/json")
        .status_code
        == 401
    )
    police = bearer(personas.police_a)
    assert post(police, "/api/v1/doses", dose_payload(facility_code="TYT-A")).status_code == 403


def test_cannot_record_at_another_facility(api_a):
    response = post(api_a, "/api/v1/doses", dose_payload(facility_code="TYT-B"))
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "out_of_scope"


def test_list_and_read_are_scoped(personas, api_a):
    created = post(api_a, "/api/v1/doses", dose_payload()).json()
    api_b = bearer(personas.staff_b)
    post(api_b, "/api/v1/doses", dose_payload(person={"full_name": "Phạm B", "birth_date": "1980"}))
    assert [d["id"] for d in api_a.get("/api/v1/doses").json()["items"]] == [created["id"]]
    assert api_b.get(f"/api/v1/doses/{created['id']}").status_code == 404
    assert created["id"] not in [d["id"] for d in api_b.get("/api/v1/doses").json()["items"]]
    admin_ids = [d["id"] for d in bearer(personas.admin).get("/api/v1/doses").json()["items"]]
    assert len(admin_ids) == 2
    assert bearer(personas.province_b).get("/api/v1/doses").json()["count"] == 1


def test_session_auth_works_for_the_api(personas, client):
    client.force_login(personas.staff_a)
    assert client.get("/api/v1/doses").status_code == 200


def test_openapi_document_is_served_and_valid(client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert "/api/v1/doses" in document["paths"] and "/api/v1/doses/batch" in document["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_products_list_holds_vietnam_products(api_a):
    codes = {p["code"] for p in api_a.get("/api/v1/products").json()}
    assert {
        "EU/1/21/1529",
        "Covishield",
        "EU/1/20/1528",
        "EU/1/20/1507",
        "BBIBP-CorV",
        "Sputnik-V",
        "Abdala",
        "Hayat-Vax",
        "EU/1/20/1525",
    } <= codes


def test_given_on_today_default(api_a):
    response = post(api_a, "/api/v1/doses", dose_payload(given_on=date.today().isoformat()))
    assert response.status_code == 201
