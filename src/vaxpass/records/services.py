"""Services of the records area: the only code that changes people, registrations and doses.

Each takes the acting user, runs in its own transaction, leaves an audit trail (through
records.audit) and raises RecordError with a field and a stable code.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vaxpass.accounts.models import User
from vaxpass.core import doses as rules
from vaxpass.core.identity import (
    IdentityError,
    normalize_citizen_id,
    normalize_name,
    normalize_phone,
    normalize_sex,
    parse_birth_date,
)
from vaxpass.core.vaccines import get_product
from vaxpass.places.models import Division, Facility
from vaxpass.records.audit import acting_as
from vaxpass.records.models import Dose, DoseSource, Person, Registration
from vaxpass.records.scopes import can_record_at, people_in_scope
from vaxpass.records.signals import doses_recorded


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str
    severity: str = "error"

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }


class RecordError(Exception):
    """Input refused; `problems` name each field and reason. `status` suits an HTTP reply."""

    def __init__(self, problems: Sequence[Problem], status: int = 422):
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = list(problems)
        self.status = status

    @classmethod
    def one(cls, field: str, code: str, message: str, status: int = 422) -> "RecordError":
        return cls([Problem(field, code, message)], status)


@dataclass
class Identity:
    """A person's identity as typed at the site (raw strings)."""

    full_name: str
    birth_date: str
    citizen_id: str = ""
    sex: str = ""
    phone: str = ""
    address: str = ""
    ward: Division | None = None


@dataclass
class CleanIdentity:
    citizen_id: str
    old_id_number: str
    full_name: str
    birth_date: str
    sex: str
    phone: str
    repairs: list[str] = field(default_factory=list)


def _identity_message(error: IdentityError) -> str:
    return _(error.template) % error.params


def clean_identity(identity: Identity, *, today: date | None = None) -> CleanIdentity:
    problems: list[Problem] = []
    result = CleanIdentity("", "", "", "", "", "")

    def attempt(fn):
        try:
            return fn()
        except IdentityError as error:
            problems.append(Problem(error.field, error.code, _identity_message(error)))
            return None

    if identity.citizen_id.strip():
        normalized = attempt(lambda: normalize_citizen_id(identity.citizen_id))
        if normalized:
            if normalized.kind.name == "CMND":
                result.old_id_number = normalized.value
            else:
                result.citizen_id = normalized.value
            result.repairs += list(normalized.repairs)
    name = normalize_name(identity.full_name or "")
    if not name:
        problems.append(Problem("full_name", "required", _("The full name is required.")))
    result.full_name = name
    if not identity.birth_date.strip():
        problems.append(Problem("birth_date", "required", _("The date of birth is required.")))
    else:
        parsed = attempt(lambda: parse_birth_date(identity.birth_date, today=today))
        if parsed:
            result.birth_date = parsed[0].iso
            result.repairs += list(parsed[1])
    if identity.phone.strip():
        phone = attempt(lambda: normalize_phone(identity.phone))
        if phone:
            result.phone = phone[0]
            result.repairs += list(phone[1])
    result.sex = normalize_sex(identity.sex or "")
    if problems:
        raise RecordError(problems)
    return result


@transaction.atomic
def register_people(
    *,
    actor: User | None,
    phone: str,
    people: Sequence[Identity],
    facility: Facility | None = None,
    channel: str = "facility",
) -> Registration:
    """One registration for several people under one contact phone."""
    if not people:
        raise RecordError.one("people", "required", _("Register at least one person."))
    try:
        contact, _repairs = normalize_phone(phone)
    except IdentityError as error:
        raise RecordError.one("phone", error.code, _identity_message(error)) from error
    with acting_as(actor):
        registration = Registration.objects.create(
            phone=contact, channel=channel, facility=facility, created_by=actor
        )
        for index, identity in enumerate(people):
            try:
                clean = clean_identity(identity)
            except RecordError as error:
                raise RecordError(
                    [
                        Problem(f"people[{index}].{p.field}", p.code, p.message)
                        for p in error.problems
                    ]
                ) from error
            person = Person.from_identity(
                clean, address=identity.address, registration=registration
            )
            person.phone = clean.phone or contact
            person.place_in(identity.ward)
            person.save()
    return registration


def _search_name(name: str) -> str:
    from vaxpass.core.identity import name_key

    return name_key(name)


def find_people(user: User, query: str) -> QuerySet[Person]:
    """Search the people in the user's scope by citizen ID, phone or name. A phone finds
    everyone registered under it, not just the one whose own number it is."""
    qs = people_in_scope(user)
    text = query.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not text:
        return qs.none()
    if (
        digits
        and len(digits) >= 9
        and len(digits) == len(text.replace(" ", "").replace(".", "").replace("+", ""))
    ):
        ids = {digits}
        try:
            normalized = normalize_citizen_id(digits)
            if normalized:
                ids.add(normalized.value)
        except IdentityError:
            pass
        phones = {digits}
        try:
            phones.add(normalize_phone(digits)[0])
        except IdentityError:
            pass
        qs = qs.filter(
            Q(citizen_id__in=ids)
            | Q(old_id_number__in=ids)
            | Q(phone__in=phones)
            | Q(registration__phone__in=phones)
        )
    else:
        qs = qs.filter(search_name__contains=_search_name(text))
    return qs.select_related("registration").order_by("registration_id", "id")


def dose_history(person: Person, exclude: Dose | None = None) -> list[rules.DoseFacts]:
    doses = person.doses.select_related("facility").order_by("given_on", "id")
    if exclude is not None:
        doses = doses.exclude(pk=exclude.pk)
    return [
        rules.DoseFacts(
            product=d.product,
            given_on=d.given_on,
            dose_number=d.dose_number,
            facility=d.facility.code,
            ref=str(d.pk),
        )
        for d in doses
    ]


def suggest_dose_number(person: Person | None, on: date | None = None) -> int:
    if person is None:
        return 1
    return rules.suggest_dose_number(dose_history(person), on or timezone.localdate())


@dataclass
class DoseRequest:
    facility: Facility
    product: str
    given_on: date
    lot: str = ""
    dose_number: int | None = None
    person: Person | None = None
    identity: Identity | None = None
    override_reason: str = ""
    idempotency_key: str | None = None
    source: str = DoseSource.LIVE


@dataclass
class DoseResult:
    dose: Dose
    created: bool
    warnings: list[Problem]


def _issue_problem(issue: rules.Issue) -> Problem:
    return Problem(issue.field, issue.code, _(issue.template) % dict(issue.params), issue.severity)


def _replay(actor: User, request: DoseRequest) -> Dose | None:
    if not request.idempotency_key:
        return None
    existing = Dose.objects.filter(
        entered_by=actor, idempotency_key=request.idempotency_key
    ).first()
    if existing is None:
        return None
    same = (
        existing.facility_id == request.facility.pk
        and existing.product == request.product
        and existing.given_on == request.given_on
    )
    if not same:
        raise RecordError.one(
            "idempotency_key",
            "key_reused",
            _("This idempotency key was already used for a different dose."),
            status=409,
        )
    return existing


def _resolve_person(actor: User, request: DoseRequest, clean: CleanIdentity | None) -> Person:
    if request.person is not None:
        return request.person
    assert request.identity is not None and clean is not None
    if clean.citizen_id or clean.old_id_number:
        # The same ID card seen anywhere is the same person record; whoever records a dose
        # for it needs no read access to where it was seen before.
        match = (
            Person.objects.filter(
                Q(citizen_id=clean.citizen_id)
                if clean.citizen_id
                else Q(old_id_number=clean.old_id_number)
            )
            .order_by("id")
            .first()
        )
        if match is not None:
            return match
    person = Person.from_identity(clean, address=request.identity.address)
    person.place_in(request.identity.ward)
    person.save()
    person._just_created = True  # no doses yet: the history query can be skipped
    return person


def check_scope(actor: User, facility: Facility) -> None:
    if not can_record_at(actor, facility):
        raise RecordError.one(
            "facility",
            "out_of_scope",
            _("You cannot record doses at facility %(code)s.") % {"code": facility.code},
            status=403,
        )


def check_item(request: DoseRequest, *, today: date) -> CleanIdentity | None:
    """Validate one request's own fields: the cleaned identity (None for a known person)."""
    if request.person is None and request.identity is None:
        raise RecordError.one("person", "required", _("Choose a person or give their identity."))
    if get_product(request.product) is None:
        raise RecordError.one(
            "product",
            "unknown_product",
            _("Unknown vaccine product %(code)s.") % {"code": request.product},
        )
    return (
        clean_identity(request.identity, today=today)
        if request.identity and request.person is None
        else None
    )


def check_request(actor: User, request: DoseRequest, *, today: date) -> CleanIdentity | None:
    check_scope(actor, request.facility)
    return check_item(request, today=today)


def record_dose(actor: User, request: DoseRequest, *, today: date | None = None) -> DoseResult:
    """Record one dose. Errors refuse it; warnings refuse it unless overridden with a reason,
    and an overridden warning stays on the dose as a flag. On PostgreSQL in two statements
    (records.direct), elsewhere through the ORM."""
    today = today or timezone.localdate()
    if connection.vendor == "postgresql":
        return _record_dose_direct(actor, request, today)
    return _record_dose_orm(actor, request, today)


@transaction.atomic
def _record_dose_orm(actor: User, request: DoseRequest, today: date) -> DoseResult:
    replay = _replay(actor, request)
    if replay is not None:
        return DoseResult(replay, created=False, warnings=[])
    clean = check_request(actor, request, today=today)
    with acting_as(actor):
        person = _resolve_person(actor, request, clean)
        history = dose_history(person) if not getattr(person, "_just_created", False) else []
        number, warnings = check_series(request, history, today)
        dose = new_dose(actor, request, person, clean, number, warnings)
        try:
            with transaction.atomic():
                dose.save()
        except IntegrityError:
            # A concurrent retry with the same key won the race: answer with its dose.
            replay = _replay(actor, request)
            if replay is None:
                raise
            return DoseResult(replay, created=False, warnings=[])
    return DoseResult(dose, created=True, warnings=warnings)


def _record_dose_direct(actor: User, request: DoseRequest, today: date) -> DoseResult:
    from vaxpass.records import direct

    id_number = ""
    if request.person is None and request.identity and request.identity.citizen_id.strip():
        try:  # the same normalisation as clean_identity's; an error is reported by it
            normalized = normalize_citizen_id(request.identity.citizen_id)
        except IdentityError:
            normalized = None
        id_number = normalized.value if normalized else ""
    found = direct.look_up(
        actor.pk,
        request.idempotency_key or None,
        person_id=request.person.pk if request.person else None,
        id_number=id_number,
    )
    if found.replay and (replay := _replay(actor, request)) is not None:
        return DoseResult(replay, created=False, warnings=[])
    clean = check_request(actor, request, today=today)
    person, new_person = request.person or found.person, None
    if person is None:
        assert request.identity is not None and clean is not None
        person = new_person = Person.from_identity(clean, address=request.identity.address)
        person.place_in(request.identity.ward)
    number, warnings = check_series(request, found.history, today)
    dose = new_dose(actor, request, person, clean, number, warnings)
    dose.dedup_key = dose.compute_dedup_key()
    try:
        if connection.in_atomic_block:  # a failed statement must not end the caller's
            with transaction.atomic():
                direct.insert(dose, new_person)
        else:
            direct.insert(dose, new_person)
    except IntegrityError:
        replay = _replay(actor, request)  # a concurrent retry with the same key won
        if replay is None:
            raise
        return DoseResult(replay, created=False, warnings=[])
    doses_recorded.send(sender=Dose, dose_ids=[dose.pk])  # no post_save was sent
    return DoseResult(dose, created=True, warnings=warnings)


def check_series(
    request: DoseRequest, history: list[rules.DoseFacts], today: date
) -> tuple[int, list[Problem]]:
    """The dose number and the warnings; RecordError for errors, and for warnings given
    no reason."""
    number = request.dose_number or rules.suggest_dose_number(history, request.given_on)
    facts = rules.DoseFacts(
        product=request.product,
        given_on=request.given_on,
        dose_number=number,
        facility=request.facility.code,
    )
    issues = rules.check_dose(facts, history, today=today)
    errors = [_issue_problem(i) for i in rules.blocking(issues)]
    warnings = [_issue_problem(i) for i in rules.warnings(issues)]
    if errors:
        raise RecordError(errors)
    if warnings and not request.override_reason.strip():
        raise RecordError(
            warnings
            + [
                Problem(
                    "override_reason",
                    "reason_required",
                    _("Give a reason to record this dose despite the warnings."),
                    "error",
                )
            ]
        )
    return number, warnings


def new_dose(
    actor: User,
    request: DoseRequest,
    person: Person,
    clean: CleanIdentity | None,
    number: int,
    warnings: list[Problem],
) -> Dose:
    """The dose to store: the identity as captured (as typed, or the known person's)."""
    identity = request.identity
    return Dose(
        person=person,
        captured_citizen_id=(
            identity.citizen_id if identity else person.citizen_id or person.old_id_number
        ).strip()[:20],
        captured_name=(identity.full_name if identity else person.full_name).strip()[:120],
        captured_birth_date=(identity.birth_date if identity else person.birth_date).strip()[:10],
        captured_sex=(clean.sex if clean else person.sex),
        captured_phone=(identity.phone if identity else person.phone).strip()[:15],
        captured_address=(identity.address if identity else person.address).strip()[:250],
        captured_ward=identity.ward if identity else person.ward,
        product=request.product,
        lot=request.lot.strip(),
        given_on=request.given_on,
        dose_number=number,
        facility=request.facility,
        entered_by=actor,
        source=request.source,
        flags=[w.code for w in warnings],
        override_reason=request.override_reason.strip() if warnings else "",
        idempotency_key=request.idempotency_key or None,
    )
