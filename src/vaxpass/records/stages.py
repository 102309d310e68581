"""A dose's stage: its stored status, or "certified", which is derived, not stored.

A signed dose is certified while its person's valid passport holds it. Issuing tens of
millions of passports then rewrites no dose row: the passport records what it holds. The
passports app knows which passports hold which doses and says so when it starts
(`register_certified`); records, below it, asks through this module.
"""

from collections.abc import Callable

from django.db.models import Case, Count, Q, QuerySet, Value, When

from vaxpass.records.models import Dose, DoseStage, DoseStatus

_certified: Callable[[], Q] | None = None


def register_certified(condition: Callable[[], Q]) -> None:
    """`condition()` is the Q of the doses a valid passport holds (signed doses only)."""
    global _certified
    _certified = condition


def certified() -> Q:
    return _certified() if _certified else Q(pk__in=[])


def with_stage(doses: QuerySet[Dose]) -> QuerySet[Dose]:
    """The doses, each knowing whether it is certified (`Dose.stage`)."""
    return doses.annotate(certified=Case(When(certified(), then=Value(True)), default=False))


def in_stage(doses: QuerySet[Dose], stage: str) -> QuerySet[Dose]:
    if stage == DoseStage.CERTIFIED:
        return doses.filter(certified())
    if stage == DoseStage.SIGNED:
        return doses.filter(status=DoseStatus.SIGNED).exclude(certified())
    return doses.filter(status=stage)


def stage_counts(doses: QuerySet[Dose]) -> dict[str, int]:
    """Doses per stage: the stored statuses counted at once, the certified among the
    signed counted apart."""
    counts = dict(doses.values_list("status").annotate(n=Count("id")).order_by())
    if counts.get(DoseStatus.SIGNED):
        counts[DoseStage.CERTIFIED] = doses.filter(certified()).count()
        counts[DoseStatus.SIGNED] -= counts[DoseStage.CERTIFIED]
    return counts


def load_stage(dose: Dose) -> Dose:
    """The dose, knowing whether it is certified (one query)."""
    if dose.status == DoseStatus.SIGNED:
        dose.certified = Dose.objects.filter(certified(), pk=dose.pk).exists()
    return dose
