"""JSON API for facility software: record doses one at a time or in batches, list and
read doses within the caller's scope."""

from datetime import date

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel

from vaxpass.core.vaccines import all_products
from vaxpass.places.models import Facility
from vaxpass.places.services import find_ward
from vaxpass.records import stages
from vaxpass.records.batch import record_doses
from vaxpass.records.scopes import doses_in_scope, facilities_in_scope, people_in_scope
from vaxpass.records.services import DoseRequest, Identity, RecordError, record_dose

router = Router(tags=["doses"])
MAX_BATCH = 5000


# Request bodies are plain pydantic models: ninja's Schema wraps every object it validates
# in a getter for Django models (about 60 µs a dose in a batch), which a body never needs.
class IdentityIn(BaseModel):
    full_name: str = Field(..., max_length=120, examples=["Nguyễn Thị Hoà"])
    birth_date: str = Field(
        ..., description="dd/mm/yyyy, yyyy-mm-dd or a year", examples=["04/03/1957"]
    )
    citizen_id: str = Field(
        "", description="12-digit CCCD or 9-digit CMND", examples=["001157012345"]
    )
    sex: str = Field("", examples=["F"])
    phone: str = Field("", examples=["0912345678"])
    address: str = ""
    ward_code: str = Field(
        "", description="official code of the residence ward, current (2025) structure"
    )


class DoseIn(BaseModel):
    facility_code: str | None = Field(None, description="defaults to the caller's facility")
    person_id: int | None = Field(None, description="a person already known to vaxpass")
    person: IdentityIn | None = Field(
        None, description="the identity as captured, when person_id is not given"
    )
    product: str = Field(..., examples=["EU/1/20/1528"])
    lot: str = ""
    given_on: date
    dose_number: int | None = Field(
        None, ge=1, le=10, description="suggested from the history when omitted"
    )
    override_reason: str = Field("", description="required to record despite warnings")
    idempotency_key: str | None = Field(None, max_length=80)


class ProblemOut(Schema):
    field: str
    code: str
    message: str
    severity: str


class ErrorOut(Schema):
    detail: str
    errors: list[ProblemOut]


class BatchDoseOut(BaseModel):
    """A dose as the API shows it, built from a dict (see `_dose_fields`)."""

    id: int
    person_id: int
    facility_code: str
    product: str
    lot: str
    given_on: date
    dose_number: int
    status: str
    source: str
    flags: list[str]
    captured_citizen_id: str
    captured_name: str
    captured_birth_date: str
    registry_id: str


class DoseOut(Schema, BatchDoseOut):
    """The same fields, read from a Dose."""

    facility_code: str = Field(..., alias="facility.code")
    status: str = Field(..., alias="stage")  # "certified" is derived (records.stages)


class BatchIn(BaseModel):
    items: list[DoseIn] = Field(..., max_length=MAX_BATCH)


class ProblemItemOut(BaseModel):
    field: str
    code: str
    message: str
    severity: str


class BatchItemOut(BaseModel):
    index: int
    status: str
    dose: BatchDoseOut | None = None
    errors: list[ProblemItemOut] | None = None


# The batch answer is plain pydantic from dicts, for the same reason as the bodies.
class BatchOut(BaseModel):
    created: int
    existing: int
    rejected: int
    results: list[BatchItemOut]


class ProductOut(Schema):
    code: str
    display: str
    vn_name: str


_DOSE_FIELDS = [name for name in BatchDoseOut.model_fields if name != "facility_code"]


def _dose_fields(dose, codes: dict[int, str]) -> dict:
    """`codes`: facility codes by id, those of the request (a stored dose found again may
    be another facility's)."""
    fields = {name: getattr(dose, name) for name in _DOSE_FIELDS}
    code = codes.get(dose.facility_id)
    fields["facility_code"] = code if code is not None else dose.facility.code
    return fields


def _error(error: RecordError):
    return Status(
        error.status, {"detail": str(error), "errors": [p.as_dict() for p in error.problems]}
    )


def _to_request(
    request: HttpRequest, data: DoseIn, facilities: dict, idempotency_header: str | None = None
) -> DoseRequest:
    user = request.auth
    code = data.facility_code or (user.facility.code if user.facility_id else None)
    if not code:
        raise RecordError.one("facility_code", "required", "Give the facility code.")
    facility = facilities.get(code)
    if facility is None and user.facility_id and user.facility.code == code:
        facility = facilities[code] = user.facility  # the usual case: no query
    if facility is None:
        facility = Facility.objects.filter(code=code).first()
        if facility is None:
            raise RecordError.one("facility_code", "unknown_facility", f"Unknown facility {code}.")
        facilities[code] = facility
    person = identity = None
    if data.person_id is not None:
        person = people_in_scope(user).filter(pk=data.person_id).first()
        if person is None:
            raise RecordError.one(
                "person_id",
                "unknown_person",
                f"No person {data.person_id} in your scope.",
                status=404,
            )
    elif data.person is not None:
        ward = None
        if data.person.ward_code:
            ward = find_ward(data.person.ward_code)
            if ward is None:
                raise RecordError.one(
                    "person.ward_code", "unknown_ward", f"Unknown ward {data.person.ward_code}."
                )
        identity = Identity(
            full_name=data.person.full_name,
            birth_date=data.person.birth_date,
            citizen_id=data.person.citizen_id,
            sex=data.person.sex,
            phone=data.person.phone,
            address=data.person.address,
            ward=ward,
        )
    else:
        raise RecordError.one("person", "required", "Give person_id or person.")
    return DoseRequest(
        facility=facility,
        product=data.product,
        given_on=data.given_on,
        lot=data.lot,
        dose_number=data.dose_number,
        person=person,
        identity=identity,
        override_reason=data.override_reason,
        idempotency_key=data.idempotency_key or idempotency_header,
    )


@router.post(
    "/doses",
    response={
        201: DoseOut,
        200: DoseOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Record one dose",
    description="A retried request with the same idempotency key (body field or Idempotency-Key header) returns the dose already created, with status 200.",
)
def create_dose(request: HttpRequest, data: DoseIn):
    try:
        dose_request = _to_request(request, data, {}, request.headers.get("Idempotency-Key"))
        result = record_dose(request.auth, dose_request)
    except RecordError as error:
        return _error(error)
    return Status(201 if result.created else 200, result.dose)


@router.post(
    "/doses/batch", response={200: BatchOut, 422: ErrorOut}, summary="Record a batch of doses"
)
def create_doses(request: HttpRequest, data: BatchIn):
    facilities: dict[str, Facility] = {}
    prepared, rejected = [], []
    for index, item in enumerate(data.items):
        try:
            prepared.append((index, _to_request(request, item, facilities)))
        except RecordError as error:
            rejected.append(
                {
                    "index": index,
                    "status": "rejected",
                    "errors": [p.as_dict() for p in error.problems],
                }
            )
    results = record_doses(request.auth, [r for _, r in prepared])
    codes = {facility.pk: code for code, facility in facilities.items()}
    out = rejected + [
        {
            "index": prepared[r.index][0],
            "status": r.status,
            "dose": _dose_fields(r.dose, codes) if r.dose else None,
            "errors": [p.as_dict() for p in r.problems] if r.problems else None,
        }
        for r in results
    ]
    out.sort(key=lambda r: r["index"])
    counts = {
        s: sum(1 for r in out if r["status"] == s) for s in ("created", "existing", "rejected")
    }
    return Status(200, {**counts, "results": out})


@router.get("/doses", response=list[DoseOut], summary="Doses in your scope, newest first")
@paginate
def list_doses(
    request: HttpRequest,
    facility_code: str | None = None,
    status: str | None = None,
    given_from: date | None = None,
    given_to: date | None = None,
):
    qs = stages.with_stage(doses_in_scope(request.auth))
    qs = qs.select_related("facility").order_by("-given_on", "-id")
    if facility_code:
        qs = qs.filter(facility__in=facilities_in_scope(request.auth).filter(code=facility_code))
    if status:
        qs = stages.in_stage(qs, status)
    if given_from:
        qs = qs.filter(given_on__gte=given_from)
    if given_to:
        qs = qs.filter(given_on__lte=given_to)
    return qs


@router.get("/doses/{dose_id}", response=DoseOut, summary="One dose in your scope")
def get_dose(request: HttpRequest, dose_id: int):
    # Out of scope and nonexistent look the same: 404.
    scope = stages.with_stage(doses_in_scope(request.auth))
    return get_object_or_404(scope.select_related("facility"), pk=dose_id)


@router.get("/products", response=list[ProductOut], summary="Vaccine products (EU DCC value set)")
def list_products(request: HttpRequest):
    return [{"code": p.code, "display": p.display, "vn_name": p.vn_name} for p in all_products()]
