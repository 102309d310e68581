"""The public look-up (tra cứu): a citizen ID and a birth date in; the passport's status,
or where each dose stands in the pipeline and who must act, out.

Someone who does not know both the ID and the birth date learns nothing: an unknown ID
and a wrong birth date give the same answer, and failed tries are limited per client
address and per ID (the HMACs of both are counted, never stored in clear).
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from vaxpass.core.identity import IdentityError, normalize_citizen_id, parse_birth_date
from vaxpass.passports.models import Certificate, CertificateStatus
from vaxpass.portal.models import LookupAttempt
from vaxpass.records import stages
from vaxpass.records.models import Dose, DoseStage, DoseStatus, Person

WINDOW = timedelta(minutes=15)
TRIES_PER_ADDRESS = 5  # failed tries per client address per window
TRIES_PER_ID = 5  # per citizen ID per window, whoever tries: a birth date is not guessed


class Stage:
    AWAITING_CLEANING = "awaiting_cleaning"  # recorded, not yet matched to the registry
    IN_REVIEW = "in_review"  # a ward health station or the ward police must check it
    AWAITING_SIGNATURE = "awaiting_signature"  # verified; the facility must sign it
    AWAITING_ISSUING = "awaiting_issuing"  # signed; the passport comes with the others
    ISSUED = "issued"  # on a valid passport


@dataclass
class DoseStanding:
    dose: Dose
    stage: str
    who: str = ""  # who must act: a facility, a ward health station, the ward police
    queue: str = ""  # for review: "station" or "police"


@dataclass
class Answer:
    person: Person
    certificate: Certificate | None
    doses: list[DoseStanding] = field(default_factory=list)
    revoked: bool = False  # the latest passport was revoked (a correction is under way)


class TooManyTries(Exception):
    def __init__(self, until):
        super().__init__("too many tries")
        self.until = until


def _key(kind: str, value: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return mac.hexdigest()


def _check_limits(keys: list[tuple[str, int]]) -> None:
    since = timezone.now() - WINDOW
    for key, limit in keys:
        recent = LookupAttempt.objects.filter(key=key, at__gte=since).order_by("at")
        if recent.count() >= limit:
            raise TooManyTries(recent.first().at + WINDOW)


def _failed(keys: list[tuple[str, int]]) -> None:
    LookupAttempt.objects.bulk_create([LookupAttempt(key=key) for key, _limit in keys])
    LookupAttempt.objects.filter(at__lt=timezone.now() - timedelta(days=1)).delete()


def _birth_matches(stored: str, typed: str) -> bool:
    """A full typed date must equal a full stored one; a registry that knows only the
    year accepts any typed date (or year) of that year. A year typed alone never opens a
    record with a full date."""
    if len(stored) == 4:
        return typed[:4] == stored
    return typed == stored


def look_up(citizen_id: str, birth_date: str, *, address: str) -> Answer | None:
    """The answer for a citizen ID and birth date, or None for no match (the same for an
    unknown ID and a wrong date). Raises TooManyTries once a limit is reached."""
    try:
        normalized = normalize_citizen_id(citizen_id)
        typed_birth = parse_birth_date(birth_date)[0].iso
    except IdentityError:
        normalized, typed_birth = None, ""
    cid = normalized.value if normalized else citizen_id.strip()
    keys = [(_key("address", address), TRIES_PER_ADDRESS), (_key("id", cid), TRIES_PER_ID)]
    _check_limits(keys)
    person = None
    if normalized and typed_birth:
        candidates = Person.objects.filter(Q(registry_id=cid) | Q(citizen_id=cid)).order_by(
            "-registry_id", "pk"
        )
        person = next((p for p in candidates if _birth_matches(p.birth_date, typed_birth)), None)
    if person is None:
        _failed(keys)
        return None
    return standing(person)


def standing(person: Person) -> Answer:
    people = [person]
    if person.registry_id:  # doses may still sit on an unlinked record of the same ID
        people = list(Person.objects.filter(Q(pk=person.pk) | Q(registry_id=person.registry_id)))
    doses = list(
        stages.with_stage(Dose.objects.filter(person__in=people))
        .select_related("facility__parent")
        .order_by("given_on", "pk")
    )
    certificate = (
        Certificate.objects.filter(person__in=people, status=CertificateStatus.VALID)
        .order_by("-issued_at")
        .first()
    )
    revoked = certificate is None and (
        Certificate.objects.filter(person__in=people, status=CertificateStatus.REVOKED).exists()
    )
    review = _review_state([d.pk for d in doses if d.status == DoseStatus.RECORDED])
    answer = Answer(person=person, certificate=certificate, revoked=revoked)
    for dose in doses:
        answer.doses.append(_standing_of(dose, review.get(dose.pk)))
    return answer


def _review_state(dose_ids: list[int]) -> dict:
    if not dose_ids or not apps.is_installed("vaxpass.cleaning"):
        return {}
    from vaxpass.cleaning.services import review_state

    return review_state(dose_ids)


def _standing_of(dose: Dose, review) -> DoseStanding:
    signing_facility = dose.facility.parent or dose.facility  # a team's parent signs
    if dose.stage == DoseStage.CERTIFIED:
        return DoseStanding(dose, Stage.ISSUED)
    if dose.status == DoseStatus.SIGNED:
        return DoseStanding(dose, Stage.AWAITING_ISSUING)
    if dose.status == DoseStatus.VERIFIED:
        return DoseStanding(dose, Stage.AWAITING_SIGNATURE, who=signing_facility.name)
    if review:
        queue, ward = review
        return DoseStanding(dose, Stage.IN_REVIEW, who=ward.name if ward else "", queue=queue)
    return DoseStanding(dose, Stage.AWAITING_CLEANING)
