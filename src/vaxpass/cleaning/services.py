"""Services of cleaning: the only code that changes cleaning state.

One function per state change, the acting user passed in (None: a run), each in its own
transaction. Errors are ``ReviewError`` with the field, a stable code and a message in
the user's language. Every decision is stored (the previous one kept as history), and a
link is applied at once (see ``linking``), so the dose moves on to signing.

Engine decisions (runs): ``record_engine_decisions``.
People's decisions (review queues, offline lists): ``confirm_candidate``,
``choose_person``, ``correct_field``, ``mark_not_found``, ``send_to_other_queue``,
``confirm_best``; ``undo_correction`` takes a link back.
For other apps: ``review_state`` (which queue and ward a dose waits in).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vaxpass.adapters.registry import RegistryPerson
from vaxpass.cleaning.captured import captured_identity, ward_codes
from vaxpass.cleaning.linking import Link, UndoConflict, link_doses, unlink_dose
from vaxpass.cleaning.models import (
    MACHINE_METHODS,
    CleaningDecision,
    CleaningRun,
    Correction,
    ItemStatus,
    MergeProposal,
    Method,
    Outcome,
    Queue,
    ReviewItem,
)
from vaxpass.cleaning.reasons import AppReason, reason_labels
from vaxpass.cleaning.routing import CurrentWards, queue_for, ward_for
from vaxpass.cleaning.scopes import cleaned_doses_in_scope, review_items_in_scope
from vaxpass.core.identity import IdentityError, normalize_citizen_id, normalize_sex
from vaxpass.core.matching import (
    CapturedIdentity,
    Decision,
    DoseDecision,
    corrections_for,
    decide_by_id,
)
from vaxpass.core.matching import (
    Outcome as Stage1Outcome,
)
from vaxpass.core.matching.forms import date_forms, id_forms, name_forms
from vaxpass.linkage.incremental import registered
from vaxpass.places.models import Division
from vaxpass.records.bulk import insert_rows
from vaxpass.records.models import Dose, DoseStatus
from vaxpass.records.registry import get_registry

RegistryLookup = Callable[[Sequence[str]], Mapping[str, RegistryPerson]]
CORRECTABLE_FIELDS = ("citizen_id", "full_name", "birth_date", "sex")


class ReviewError(Exception):
    """A decision refused: ``field`` and a stable ``code``; ``status`` suits an HTTP reply."""

    def __init__(self, field: str, code: str, message: str, status: int = 422):
        super().__init__(f"{field}: {message}")
        self.field, self.code, self.message, self.status = field, code, message, status


def registry_lookup() -> RegistryLookup:
    """Registry people by 12-digit or 9-digit ID, from the configured adapter."""
    return get_registry().get_many


def registry_snapshot(person: RegistryPerson | None) -> dict[str, str]:
    """A registry person's values as shown to reviewers (kept with the decision)."""
    if person is None:
        return {}
    return {
        "full_name": person.full_name,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "phone": person.phone,
        "ward_code": person.ward_code,
        "old_id_number": person.old_id_number,
        "household_id": person.household_id,
    }


def review_state(dose_ids: Iterable[int]) -> dict[int, tuple[str, Division | None]]:
    """For each of these doses waiting in a review queue: (queue, ward). ``queue`` is
    ``"station"`` (the ward health station) or ``"police"`` (the ward police); the ward is
    a current-structure Division. Doses not in review are absent."""
    items = ReviewItem.objects.filter(
        dose_id__in=list(dose_ids), status=ItemStatus.OPEN
    ).select_related("ward")
    return {item.dose_id: (item.queue, item.ward) for item in items}


# --- decisions of the engine ---------------------------------------------------------------


@dataclass
class WriteResult:
    applied: int = 0
    skipped: int = 0  # decided meanwhile (another run, a person) or no longer recorded
    verified: int = 0
    review_items: int = 0
    merges: int = 0
    decisions: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)

    def add(self, other: WriteResult) -> None:
        self.applied += other.applied
        self.skipped += other.skipped
        self.verified += other.verified
        self.review_items += other.review_items
        self.merges += other.merges
        self.decisions.update(other.decisions)
        self.reasons.update(other.reasons)


def _candidate_entries(
    decision: DoseDecision,
    holder: RegistryPerson | None,
    people: Mapping[str, RegistryPerson],
    searched: Sequence[RegistryPerson] = (),
) -> list[dict]:
    """The candidates kept with a review decision, best first, each with a snapshot of
    its registry values; the typed ID's holder is marked (and added if stage 2 left them
    out: the relative a reviewer must see to rule out)."""
    holder_id = holder.citizen_id if holder else None
    entries: list[dict] = []
    seen: set[str] = set()

    def add(citizen_id: str, person: RegistryPerson | None, **score) -> None:
        if citizen_id in seen or person is None:
            return
        seen.add(citizen_id)
        entries.append(
            {
                "citizen_id": citizen_id,
                "probability": score.get("probability"),
                "match_weight": score.get("match_weight"),
                "birth_date_level": score.get("birth_date_level"),
                "name_level": score.get("name_level"),
                "holder": citizen_id == holder_id,
                "registry": registry_snapshot(person),
            }
        )

    if decision.candidate_id and decision.stage == 1:
        add(decision.candidate_id, people.get(decision.candidate_id))
    for c in decision.candidates:
        add(
            c.citizen_id,
            people.get(c.citizen_id),
            probability=c.probability,
            match_weight=c.match_weight,
            birth_date_level=c.birth_date_level,
            name_level=getattr(c, "name_level", None),
        )
    for person in searched:
        add(person.citizen_id, person)
    if holder is not None:
        add(holder.citizen_id, holder)
    return entries


def record_engine_decisions(
    decisions: Sequence[DoseDecision],
    *,
    run: CleaningRun,
    method: str,
    lookup: RegistryLookup,
    redecide: bool = False,
    searched: Mapping[str, Sequence[RegistryPerson]] | None = None,
    today: date | None = None,
) -> WriteResult:
    """Store a run's decisions and apply them, in one transaction: links verify doses,
    reviews open items in their queue, merges are proposed.

    Only doses still "recorded" are touched, and only those without a current decision
    (with ``redecide``, also those whose current decision is a run's review or not-found):
    a dose another run or a person decided meanwhile is skipped, so two runs never apply
    two decisions. ``searched``: registry people found for a dose without a model score
    (stage 1 only), shown to reviewers as candidates.
    """
    today = today or timezone.localdate()
    searched = searched or {}
    result = WriteResult()
    if not decisions:
        return result
    with transaction.atomic():
        ids = [int(d.dose_id) for d in decisions]
        doses = {
            d.pk: d
            for d in Dose.objects.select_for_update(of=("self",)).filter(
                pk__in=ids, status=DoseStatus.RECORDED
            )
        }
        current = {
            c.dose_id: c for c in CleaningDecision.objects.filter(dose_id__in=ids, current=True)
        }
        chosen: list[tuple[DoseDecision, Dose, CleaningDecision | None]] = []
        for d in decisions:
            dose = doses.get(int(d.dose_id))
            old = current.get(int(d.dose_id))
            replaceable = (
                redecide
                and old is not None
                and old.method in MACHINE_METHODS
                and old.decision in (Outcome.REVIEW, Outcome.NOT_FOUND)
            )
            if dose is None or (old is not None and not replaceable):
                result.skipped += 1
                continue
            chosen.append((d, dose, old))

        holder_keys: dict[int, str] = {}
        wanted: set[str] = set()
        for d, dose, _old in chosen:
            if d.citizen_id:
                wanted.add(d.citizen_id)
            if d.decision is Decision.REVIEW:
                wanted.update(c.citizen_id for c in d.candidates)
                if d.candidate_id:
                    wanted.add(d.candidate_id)
                key = id_forms(dose.captured_citizen_id, today).value
                if key:
                    holder_keys[dose.pk] = key
                    wanted.add(key)
        people = dict(lookup(sorted(wanted))) if wanted else {}

        now = timezone.now()
        rows: list[CleaningDecision] = []
        kept: list[tuple[DoseDecision, Dose, CleaningDecision | None]] = []
        for d, dose, old in chosen:
            if d.decision.links and d.citizen_id not in people:
                result.skipped += 1  # the registry changed since the run: next run decides
                continue
            entries: list[dict] = []
            if d.decision is Decision.REVIEW:
                holder = people.get(holder_keys.get(dose.pk, ""))
                entries = _candidate_entries(d, holder, people, searched.get(d.dose_id, ()))
            rows.append(
                CleaningDecision(
                    dose_id=dose.pk,
                    run=run,
                    decision=d.decision.value,
                    stage=d.stage,
                    citizen_id=d.citizen_id or "",
                    candidate_id=d.candidate_id or "",
                    probability=d.probability,
                    reasons=[str(r) for r in d.reasons],
                    candidates=entries,
                    corrections=[asdict(c) for c in d.corrections],
                    merge_with=[int(x) for x in d.merge_with],
                    policy_version=d.policy_version,
                    model_version=d.model_version,
                    method=method,
                    decided_at=now,
                )
            )
            kept.append((d, dose, old))
        retired = [old.pk for _d, _dose, old in kept if old is not None]
        CleaningDecision.objects.filter(pk__in=retired).update(current=False)
        insert_rows(rows)
        _close_items(
            [dose.pk for _d, dose, _old in kept], rows_by_dose={r.dose_id: r for r in rows}
        )

        links = [
            Link(dose, row, people[d.citizen_id], why=" ".join(str(r) for r in d.reasons))
            for (d, dose, _old), row in zip(kept, rows, strict=True)
            if d.decision.links
        ]
        result.verified = len(link_doses(links, method=method))
        reviews = [
            (dose, row)
            for (d, dose, _old), row in zip(kept, rows, strict=True)
            if d.decision is Decision.REVIEW
        ]
        result.review_items = _open_items(reviews)
        result.merges = _propose_merges(kept, run)
        result.applied = len(rows)
        for d, _dose, _old in kept:
            result.decisions[d.decision.value] += 1
            result.reasons.update(str(r) for r in d.reasons)
    return result


def _close_items(dose_ids: list[int], *, rows_by_dose, actor=None) -> None:
    """Resolve the open items of these doses by their new decision."""
    now = timezone.now()
    for item in ReviewItem.objects.filter(dose_id__in=dose_ids, status=ItemStatus.OPEN):
        item.status, item.resolved_at, item.resolved_by = ItemStatus.RESOLVED, now, actor
        item.resolution = rows_by_dose.get(item.dose_id)
        item.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])


def _open_items(reviews: Sequence[tuple[Dose, CleaningDecision]], *, queue: str | None = None):
    """One open item per dose in review, in the queue and ward routing gives."""
    if not reviews:
        return 0
    wards = CurrentWards()
    doses = {
        d.pk: d
        for d in Dose.objects.filter(pk__in=[dose.pk for dose, _row in reviews]).values_list(
            "pk", "captured_ward_id", "person__current_ward_id", "facility__current_ward_id",
            named=True,
        )
    }  # fmt: skip
    items = []
    for dose, row in reviews:
        facts = doses[dose.pk]
        ward = ward_for(
            row.candidates,
            captured_ward_id=facts.captured_ward_id,
            person_ward_id=facts.person__current_ward_id,
            facility_ward_id=facts.facility__current_ward_id,
            wards=wards,
        )
        items.append(
            ReviewItem(
                dose_id=dose.pk,
                decision=row,
                queue=queue or queue_for(row.stage, row.reasons, row.candidates),
                ward_id=ward,
            )
        )
    insert_rows(items)
    return len(items)


def _propose_merges(kept, run: CleaningRun | None) -> int:
    pairs = {}
    for d, dose, _old in kept:
        for other in d.merge_with:
            low, high = sorted((dose.pk, int(other)))
            pairs[(low, high)] = d.citizen_id or ""
    if not pairs:
        return 0
    existing = set(
        Dose.objects.filter(pk__in={p for pair in pairs for p in pair}).values_list("pk", flat=True)
    )
    proposals = [
        MergeProposal(dose_id=low, other_id=high, citizen_id=cid, run=run)
        for (low, high), cid in pairs.items()
        if low in existing and high in existing
    ]
    MergeProposal.objects.bulk_create(proposals, ignore_conflicts=True, batch_size=1000)
    return len(proposals)


# --- people's decisions --------------------------------------------------------------------


def _refuse_out_of_scope() -> ReviewError:
    return ReviewError("item", "not_found", _("This review item does not exist."), status=404)


def _lock_open_item(actor, item: ReviewItem) -> ReviewItem:
    """The item again, locked, if the actor may decide it and it still waits."""
    locked = (
        review_items_in_scope(actor)
        .select_for_update(of=("self",))
        .select_related("dose", "decision")
        .filter(pk=item.pk)
        .first()
    )
    if locked is None:
        raise _refuse_out_of_scope()
    if locked.status != ItemStatus.OPEN or locked.dose.status != DoseStatus.RECORDED:
        raise ReviewError(
            "item", "already_decided", _("This item was already decided: nothing changed.")
        )
    return locked


def _dose_identity(dose: Dose) -> CapturedIdentity:
    return captured_identity(dose, ward_codes([dose.captured_ward_id], CurrentWards()))


def _retire(dose_id: int) -> None:
    CleaningDecision.objects.filter(dose_id=dose_id, current=True).update(current=False)


def _resolve(item: ReviewItem, row: CleaningDecision, actor) -> None:
    item.status, item.resolved_at, item.resolved_by = ItemStatus.RESOLVED, timezone.now(), actor
    item.resolution = row
    item.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])


@dataclass(frozen=True)
class PersonLink:
    item: ReviewItem
    person: RegistryPerson
    reasons: tuple[str, ...]
    note: str = ""
    reviewer_corrections: tuple[dict, ...] = ()


def _link_items(actor, links: Sequence[PersonLink], method: str) -> list[CleaningDecision]:
    """Store a person's link decision for each item and apply it (caller's transaction)."""
    rows, applied = [], []
    for link in links:
        item = link.item
        captured = _dose_identity(item.dose)
        corrections = [asdict(c) for c in corrections_for(captured, registered(link.person))]
        _retire(item.dose_id)
        row = CleaningDecision.objects.create(
            dose=item.dose,
            decision=Outcome.CORRECTED if corrections else Outcome.VERIFIED,
            stage=0,
            citizen_id=link.person.citizen_id,
            reasons=list(link.reasons),
            candidates=item.decision.candidates,
            corrections=[*corrections, *link.reviewer_corrections],
            policy_version=item.decision.policy_version,
            model_version=item.decision.model_version,
            method=method,
            decided_by=actor,
            note=link.note[:500],
        )
        _resolve(item, row, actor)
        rows.append(row)
        applied.append(Link(item.dose, row, link.person, why=link.note or " ".join(link.reasons)))
    link_doses(applied, actor=actor, method=method)
    return rows


def _registry_person(citizen_id: str, *, field: str = "citizen_id") -> RegistryPerson:
    try:
        normalized = normalize_citizen_id(citizen_id or "")
    except IdentityError as error:
        raise ReviewError(field, error.code, _(error.template) % error.params) from error
    if normalized is None:
        raise ReviewError(field, "required", _("Give the citizen ID."))
    person = get_registry().get(normalized.value)
    if person is None:
        raise ReviewError(
            field,
            "not_in_registry",
            _("The population registry has nobody with ID %(id)s.") % {"id": normalized.value},
        )
    return person


def confirm_candidate(
    *, actor, item: ReviewItem, citizen_id: str = "", note: str = "", method=Method.REVIEWER
) -> CleaningDecision:
    """Link the dose to one of the item's candidates (default: the proposed one)."""
    with transaction.atomic():
        item = _lock_open_item(actor, item)
        entries = {e["citizen_id"] for e in item.decision.candidates}
        wanted = citizen_id or item.decision.candidate_id
        if not wanted:
            raise ReviewError(
                "citizen_id", "no_candidate", _("This item has no proposed person to confirm.")
            )
        if wanted not in entries:
            raise ReviewError(
                "citizen_id",
                "not_a_candidate",
                _("%(id)s is not one of this item's candidates.") % {"id": wanted},
            )
        person = _registry_person(wanted)
        [row] = _link_items(actor, [PersonLink(item, person, (AppReason.CONFIRMED,), note)], method)
    return row


def choose_person(
    *, actor, item: ReviewItem, citizen_id: str, note: str = "", method=Method.REVIEWER
) -> CleaningDecision:
    """Link the dose to the registry person with this ID (looked up in the registry)."""
    with transaction.atomic():
        item = _lock_open_item(actor, item)
        person = _registry_person(citizen_id)
        stage1 = decide_by_id(
            _dose_identity(item.dose), registered(person), today=timezone.localdate()
        )
        reasons = (*[str(r) for r in stage1.reasons], AppReason.CHOSEN)
        [row] = _link_items(actor, [PersonLink(item, person, reasons, note)], method)
    return row


def _corrected_value(field_name: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ReviewError(field_name, "required", _("Give the corrected value."))
    if field_name == "sex":
        try:
            sex = normalize_sex(value)
        except IdentityError as error:
            raise ReviewError(field_name, error.code, _(error.template) % error.params) from error
        if not sex:
            raise ReviewError(field_name, "required", _("Give the corrected value."))
        return sex
    if field_name == "birth_date":
        forms = date_forms(value, timezone.localdate())
        if forms.iso is None:
            raise ReviewError(
                field_name, "invalid_date", _("%(value)s is not a birth date.") % {"value": value}
            )
        return forms.iso
    if field_name == "citizen_id":
        try:
            normalized = normalize_citizen_id(value)
        except IdentityError as error:
            raise ReviewError(field_name, error.code, _(error.template) % error.params) from error
        return normalized.value if normalized else value
    if field_name == "full_name" and not name_forms(value).key:
        raise ReviewError(field_name, "required", _("Give the corrected value."))
    return value


def correct_fields(
    *,
    actor,
    item: ReviewItem,
    values: Mapping[str, str],
    note: str = "",
    method=Method.REVIEWER,
) -> CleaningDecision:
    """Fields of the record were typed wrong: with the right values, the dose is checked
    by ID again (stage 1) and linked if it now matches. The captured values stay as typed;
    the reviewer's values are kept with the decision."""
    if not values:
        raise ReviewError("field", "required", _("Choose the field to correct."))
    for name in values:
        if name not in CORRECTABLE_FIELDS:
            raise ReviewError("field", "invalid", _("This field cannot be corrected here."))
    corrected = {name: _corrected_value(name, value) for name, value in values.items()}
    first = next(iter(corrected))
    today = timezone.localdate()
    with transaction.atomic():
        item = _lock_open_item(actor, item)
        captured = _dose_identity(item.dose)
        fixed = replace(captured, **corrected)
        key = id_forms(fixed.citizen_id, today).value
        if key is None:
            raise ReviewError(
                "citizen_id",
                "no_id",
                _("The record has no usable citizen ID: choose the person by their ID instead."),
            )
        holder = get_registry().get(key)
        stage1 = decide_by_id(fixed, registered(holder) if holder else None, today=today)
        if holder is None or stage1.outcome not in (
            Stage1Outcome.VERIFIED,
            Stage1Outcome.CORRECTABLE,
        ):
            raise ReviewError(
                "citizen_id" if "citizen_id" in corrected else first,
                "still_no_match",
                _("With this correction the record still does not match the registry: %(why)s")
                % {"why": " ".join(reason_labels(stage1.reasons))},
            )
        reviewer = tuple(
            {"field": name, "captured": getattr(captured, name), "reviewer": value}
            for name, value in corrected.items()
        )
        reasons = (*[str(r) for r in stage1.reasons], AppReason.CORRECTED)
        [row] = _link_items(actor, [PersonLink(item, holder, reasons, note, reviewer)], method)
    return row


def correct_field(
    *, actor, item: ReviewItem, field: str, value: str, note: str = "", method=Method.REVIEWER
) -> CleaningDecision:
    """One field corrected (see ``correct_fields``)."""
    return correct_fields(actor=actor, item=item, values={field: value}, note=note, method=method)


def mark_not_found(
    *, actor, item: ReviewItem, note: str = "", method=Method.REVIEWER
) -> CleaningDecision:
    """Nobody in the registry is this dose's person: the dose stays recorded, decided."""
    with transaction.atomic():
        item = _lock_open_item(actor, item)
        _retire(item.dose_id)
        row = CleaningDecision.objects.create(
            dose=item.dose,
            decision=Outcome.NOT_FOUND,
            stage=0,
            reasons=[AppReason.NOT_FOUND],
            candidates=item.decision.candidates,
            policy_version=item.decision.policy_version,
            model_version=item.decision.model_version,
            method=method,
            decided_by=actor,
            note=note[:500],
        )
        _resolve(item, row, actor)
    return row


def send_to_other_queue(*, actor, item: ReviewItem, note: str = "") -> ReviewItem:
    """The other queue of the same ward takes the item over."""
    with transaction.atomic():
        item = _lock_open_item(actor, item)
        item.queue = Queue.POLICE if item.queue == Queue.STATION else Queue.STATION
        item.sent_by, item.note = actor, note[:500]
        item.save(update_fields=["queue", "sent_by", "note"])
    return item


BULK_CHUNK = 500


def confirm_best(*, actor, items: QuerySet[ReviewItem] | Sequence[ReviewItem]) -> int:
    """Confirm the proposed candidate of each item that has one (the others are left);
    commits chunk by chunk. Returns the number of doses linked."""
    ids = (
        [i.pk for i in items]
        if not isinstance(items, QuerySet)
        else list(items.values_list("pk", flat=True))
    )
    done = 0
    for start in range(0, len(ids), BULK_CHUNK):
        chunk = ids[start : start + BULK_CHUNK]
        with transaction.atomic():
            locked = list(
                review_items_in_scope(actor)
                .select_for_update(of=("self",))
                .select_related("dose", "decision")
                .filter(pk__in=chunk, status=ItemStatus.OPEN, dose__status=DoseStatus.RECORDED)
                .exclude(decision__candidate_id="")
                .order_by("pk")
            )
            people = registry_lookup()(sorted({i.decision.candidate_id for i in locked}))
            links = [
                PersonLink(i, people[i.decision.candidate_id], (AppReason.CONFIRMED,))
                for i in locked
                if i.decision.candidate_id in people
            ]
            done += len(_link_items(actor, links, Method.REVIEWER))
    return done


# --- undo ----------------------------------------------------------------------------------


def may_undo(user, correction: Correction) -> bool:
    return cleaned_doses_in_scope(user).filter(pk=correction.dose_id).exists()


def undo_correction(*, actor, correction: Correction, note: str = "") -> CleaningDecision:
    """Take a link back: the before values return (the dose's person, registry link and
    status; the Person's identity), and the dose waits for a person's decision again in
    the queue it came from (or where routing puts it)."""
    if not may_undo(actor, correction):
        raise _refuse_out_of_scope()
    with transaction.atomic():
        correction = Correction.objects.select_for_update().get(pk=correction.pk)
        if correction.undone_at is not None:
            raise ReviewError(
                "correction", "already_undone", _("This correction was already undone.")
            )
        try:
            dose = unlink_dose(correction, actor=actor, note=note)
        except UndoConflict as conflict:
            raise ReviewError(
                conflict.field,
                "changed_since",
                _("The %(field)s was changed again since (now %(value)s): nothing was undone.")
                % {"field": conflict.field, "value": conflict.current},
                status=409,
            ) from None
        undone = correction.decision
        _retire(dose.pk)
        candidates = undone.candidates or _entry_for(correction.citizen_id, dose)
        row = CleaningDecision.objects.create(
            dose=dose,
            decision=Outcome.REVIEW,
            stage=undone.stage or 2,
            candidate_id="",
            reasons=[*undone.reasons, AppReason.UNDONE],
            candidates=candidates,
            policy_version=undone.policy_version,
            model_version=undone.model_version,
            method=Method.UNDO,
            decided_by=actor,
            note=note[:500],
        )
        earlier = ReviewItem.objects.filter(dose=dose, resolution=undone).order_by("-pk").first()
        _open_items([(dose, row)], queue=earlier.queue if earlier else None)
    return row


def _entry_for(citizen_id: str, dose: Dose) -> list[dict]:
    """The undone link's person as the one candidate a reviewer sees."""
    person = registry_lookup()([citizen_id]).get(citizen_id)
    typed = id_forms(dose.captured_citizen_id, timezone.localdate()).value
    holder = person is not None and typed in (person.citizen_id, person.old_id_number)
    return [{"citizen_id": citizen_id, "holder": holder, "registry": registry_snapshot(person)}]


def find_cleaned_doses(user, query: str) -> QuerySet[Dose]:
    """The doses in the account's cleaning scope typed with, or linked to, this ID."""
    text = (query or "").strip()
    if not text:
        return Dose.objects.none()
    try:
        normalized = normalize_citizen_id(text)
    except IdentityError:
        normalized = None
    ids = {text} | ({normalized.value} if normalized else set())
    return (
        cleaned_doses_in_scope(user)
        .filter(
            Q(registry_id__in=ids) | Q(captured_citizen_id__in=ids) | Q(person__citizen_id__in=ids)
        )
        .select_related("facility", "person")
        .order_by("given_on", "pk")
    )


def dose_history(dose: Dose) -> dict:
    """Everything cleaning decided about a dose, newest first."""
    return {
        "decisions": list(
            dose.cleaning_decisions.select_related("decided_by").order_by("-decided_at", "-pk")
        ),
        "corrections": list(
            dose.cleaning_corrections.select_related("applied_by", "undone_by").order_by(
                "-applied_at", "-pk"
            )
        ),
    }
