"""Step 2: the facility head signs the verified doses of the facility, on the server.

Signing is a server-side act any browser can trigger: no signing software on the
facility's computer, no USB token. Each dose gets an ES256 signature over its canonical
content (`core.dose_signature`) with the facility's key, and moves to "signed"; a person
whose doses are all signed is then issued a passport (step 3).
"""

from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vaxpass.accounts.models import Role, User
from vaxpass.core.dose_signature import SignedDoseContent, sign_dose
from vaxpass.passports import keys
from vaxpass.passports.models import AutoSignRule, DoseSignature
from vaxpass.places.models import Facility
from vaxpass.records.audit import record_bulk
from vaxpass.records.models import Dose, DoseStatus
from vaxpass.records.scopes import doses_in_scope

CHUNK = 2000


class SigningRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def may_sign(user: User) -> bool:
    return user.is_active and user.role == Role.FACILITY_HEAD and bool(user.facility_id)


def awaiting_signature(user: User) -> QuerySet[Dose]:
    """Verified doses of the user's facility (and its field sites) not yet signed."""
    return doses_in_scope(user).filter(status=DoseStatus.VERIFIED).exclude(registry_id="")


def dose_content(dose: Dose) -> SignedDoseContent:
    """What the facility signs: the dose as it will stand on the passport."""
    person = dose.person
    return SignedDoseContent(
        dose_id=dose.pk,
        citizen_id=dose.registry_id,
        full_name=person.full_name,
        birth_date=person.birth_date,
        sex=person.sex,
        product=dose.product,
        lot=dose.lot,
        given_on=dose.given_on,
        dose_number=dose.dose_number,
        facility_code=dose.facility.code,
    )


def _chunks(queryset: QuerySet[Dose]) -> Iterator[list[Dose]]:
    """Keyset pages by id: rows signed in one chunk drop out of the queryset."""
    last = 0
    while True:
        chunk = list(
            queryset.filter(pk__gt=last).select_related("person", "facility").order_by("pk")[:CHUNK]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def sign_doses(*, user: User, doses: QuerySet[Dose] | None = None, by_rule: bool = False) -> int:
    """Sign the given doses (default: every dose awaiting the user's signature); doses
    outside the user's facility, not verified or already signed are left alone. Returns
    the number signed. Commits chunk by chunk, so a huge batch never holds one long
    transaction and a stopped run leaves only whole, consistent chunks."""
    if not may_sign(user):
        raise SigningRefused("not_facility_head", _("Only a facility head may sign doses."))
    candidates = awaiting_signature(user)
    if doses is not None:
        candidates = candidates.filter(pk__in=doses.values("pk"))
    key_row, signer = keys.facility_signer(user.facility)
    signed = 0
    for chunk in _chunks(candidates):
        with transaction.atomic():
            signatures = []
            for dose in chunk:
                result = sign_dose(dose_content(dose), signer)
                signatures.append(
                    DoseSignature(
                        dose=dose,
                        key=key_row,
                        algorithm=result.algorithm,
                        digest=result.digest,
                        signature=result.signature,
                        signed_by=None if by_rule else user,
                        by_rule=by_rule,
                    )
                )
            DoseSignature.objects.bulk_create(signatures)
            ids = [d.pk for d in chunk]
            now = timezone.now()
            Dose.objects.filter(pk__in=ids).update(status=DoseStatus.SIGNED, updated_at=now)
            for dose in chunk:
                dose.status, dose.updated_at = DoseStatus.SIGNED, now
            record_bulk(chunk, actor=user, action="update")
        _issue_for({d.person_id for d in chunk})
        signed += len(chunk)
    return signed


def _issue_for(person_ids: Iterable[int]) -> None:
    from vaxpass.passports.issuing import issue_when_ready

    issue_when_ready(person_ids)


def set_auto_sign(*, user: User, enabled: bool) -> AutoSignRule:
    if not may_sign(user):
        raise SigningRefused("not_facility_head", _("Only a facility head may sign doses."))
    rule, _created = AutoSignRule.objects.update_or_create(
        facility=user.facility, defaults={"enabled": enabled, "set_by": user}
    )
    if enabled:
        sign_doses(user=user, by_rule=True)
    return rule


def sign_by_standing_rules(dose_ids: Iterable[int]) -> int:
    """Sign newly verified doses whose facility (or parent facility) has a standing rule,
    on behalf of the head who set it."""
    signed = 0
    doses = Dose.objects.filter(pk__in=list(dose_ids), status=DoseStatus.VERIFIED)
    facility_ids = set(doses.values_list("facility_id", flat=True))
    facilities = Facility.objects.filter(pk__in=facility_ids)
    owners = {f.pk: f.parent_id or f.pk for f in facilities}
    rules = AutoSignRule.objects.filter(facility_id__in=set(owners.values()), enabled=True)
    for rule in rules.select_related("set_by"):
        head = rule.set_by
        if head is None or not may_sign(head) or head.facility_id != rule.facility_id:
            continue  # the head who set it left or moved: the rule lapses
        mine = [f for f, owner in owners.items() if owner == rule.facility_id]
        signed += sign_doses(user=head, doses=doses.filter(facility_id__in=mine), by_rule=True)
    return signed
