"""Dose-series rules: is a dose plausible next to the person's other doses?

Pure functions over plain facts, so the dose entry page, the spreadsheet import and the
API give the same answers. Errors block saving. Warnings do not: records are often
incomplete (13 million doses were never uploaded), so a surprising dose is kept, flagged,
and the staff member may confirm it with a reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from vaxpass.core.i18n import gettext_noop as _
from vaxpass.core.vaccines import get_product

MAX_DOSE_NUMBER = 10


@dataclass(frozen=True)
class DoseFacts:
    product: str  # vaccine value-set code
    given_on: date
    dose_number: int
    facility: str = ""  # facility code
    ref: str | None = None  # id of the stored dose, if any


@dataclass(frozen=True)
class Issue:
    """A problem with one field of a dose; translate ``template``, then fill ``params``."""

    field: str
    code: str
    template: str
    params: Mapping[str, str | int] = dataclasses.field(hash=False)
    severity: Literal["error", "warning"]

    @property
    def message(self) -> str:
        return self.template % self.params


def _error(field: str, code: str, template: str, **params: str | int) -> Issue:
    return Issue(field, code, template, params, "error")


def _warning(field: str, code: str, template: str, **params: str | int) -> Issue:
    return Issue(field, code, template, params, "warning")


def blocking(issues: Sequence[Issue]) -> list[Issue]:
    """The errors: the dose cannot be saved until they are fixed."""
    return [i for i in issues if i.severity == "error"]


def warnings(issues: Sequence[Issue]) -> list[Issue]:
    """The warnings: the dose may be saved if the caller records a reason."""
    return [i for i in issues if i.severity == "warning"]


def _valid_number(n: int) -> bool:
    return 1 <= n <= MAX_DOSE_NUMBER


def suggest_dose_number(history: Sequence[DoseFacts], on: date) -> int:
    """The dose number a new dose given ``on`` should have.

    One more than the doses recorded before that day, or than the highest number among
    them if that is higher: a gap already flagged on an earlier dose (dose 1 never
    uploaded) is followed, not flagged again on every later dose.
    """
    earlier = [d for d in history if d.given_on < on]
    numbers = [d.dose_number for d in earlier if _valid_number(d.dose_number)]
    return max([len(earlier), *numbers]) + 1


def _min_interval(product_code: str, doses_before: int) -> int | None:
    """Minimum days after a dose of this product when ``doses_before`` doses precede the
    next one: the primary interval within the product's primary series, else the booster
    interval. None for an unknown product (flagged where it is entered)."""
    product = get_product(product_code)
    if product is None:
        return None
    if doses_before < product.primary_series:
        return product.min_interval_days
    return product.booster_min_interval_days


def _interval_issue(
    first: DoseFacts, second: DoseFacts, other: DoseFacts, doses_before: int
) -> list[Issue]:
    minimum = _min_interval(first.product, doses_before)
    days = (second.given_on - first.given_on).days
    if minimum is None or days >= minimum:
        return []
    return [
        _warning(
            "given_on",
            "interval_too_short",
            _(
                "Only %(days)s days between this dose and the dose of %(other_date)s; the "
                "minimum is %(minimum)s days."
            ),
            days=days,
            minimum=minimum,
            other_date=other.given_on.isoformat(),
        )
    ]


def _check_number(new: DoseFacts, others: Sequence[DoseFacts]) -> list[Issue]:
    n = new.dose_number
    if not _valid_number(n):
        return [
            _error(
                "dose_number",
                "dose_number_out_of_range",
                _("The dose number must be between %(min)s and %(max)s."),
                min=1,
                max=MAX_DOSE_NUMBER,
            )
        ]
    for d in others:
        if d.dose_number == n and d.given_on != new.given_on:
            return [
                _error(
                    "dose_number",
                    "dose_number_taken",
                    _("Dose %(dose_number)s is already recorded, given on %(date)s."),
                    dose_number=n,
                    date=d.given_on.isoformat(),
                )
            ]
    for d in sorted(others, key=lambda d: d.given_on):
        if d.given_on > new.given_on and d.dose_number < n:
            return [
                _error(
                    "dose_number",
                    "dose_number_order",
                    _(
                        "Dose %(other)s was given later, on %(date)s; dose numbers "
                        "must follow the dates."
                    ),
                    other=d.dose_number,
                    date=d.given_on.isoformat(),
                )
            ]
    expected = suggest_dose_number(others, new.given_on)
    if n < expected:
        return [
            _error(
                "dose_number",
                "dose_number_too_low",
                _(
                    "Dose %(dose_number)s is too low: the doses recorded before it make "
                    "this dose %(expected)s."
                ),
                dose_number=n,
                expected=expected,
            )
        ]
    if n > expected:
        return [
            _warning(
                "dose_number",
                "dose_number_gap",
                _(
                    "Dose %(expected)s was expected, not %(dose_number)s; earlier "
                    "doses may be missing."
                ),
                dose_number=n,
                expected=expected,
            )
        ]
    return []


def check_dose(new: DoseFacts, history: Sequence[DoseFacts], *, today: date) -> list[Issue]:
    """Every problem with ``new`` given the person's other doses (any order; a dose in
    ``history`` with the same ``ref`` as ``new`` is its stored version and is ignored)."""
    others = [d for d in history if new.ref is None or d.ref != new.ref]
    issues: list[Issue] = []
    product = get_product(new.product)
    if product is None:
        issues.append(
            _error(
                "product",
                "unknown_product",
                _("%(product)s is not a known vaccine product."),
                product=new.product,
            )
        )
    if new.given_on > today:
        issues.append(
            _error(
                "given_on",
                "in_future",
                _("The date %(date)s is in the future."),
                date=new.given_on.isoformat(),
            )
        )
    elif product is not None and new.given_on < product.first_use:
        issues.append(
            _error(
                "given_on",
                "before_first_use",
                _("%(product)s was not in use before %(first_use)s."),
                product=product.vn_name,
                first_use=product.first_use.isoformat(),
            )
        )
    issues += _check_number(new, others)

    earlier = sorted((d for d in others if d.given_on < new.given_on), key=lambda d: d.given_on)
    later = sorted((d for d in others if d.given_on > new.given_on), key=lambda d: d.given_on)
    claimed = new.dose_number - 1 if _valid_number(new.dose_number) else 0
    if earlier:
        before = max(len(earlier), claimed)
        issues += _interval_issue(earlier[-1], new, earlier[-1], before)
    if later:
        before = max(len(earlier), claimed) + 1
        issues += _interval_issue(new, later[0], later[0], before)

    for d in others:
        if d.given_on == new.given_on:
            issues.append(
                _warning(
                    "given_on",
                    "same_day_duplicate",
                    _(
                        "Another dose is recorded for this person on %(date)s, at facility "
                        "%(facility)s."
                    ),
                    date=d.given_on.isoformat(),
                    facility=d.facility or "?",
                )
            )
    return issues


def series_complete(history: Sequence[DoseFacts]) -> bool:
    """Whether the doses complete a primary series.

    Products may be mixed (WHO allows heterologous series): the doses are counted in date
    order, one per day, until they reach the longest primary series among the products
    used so far (Jcovden alone: 1; AstraZeneca then Pfizer: 2; Abdala needs 3). Doses of
    unknown products do not count.
    """
    days: set[date] = set()
    needed = 0
    for d in sorted(history, key=lambda d: d.given_on):
        product = get_product(d.product)
        if product is None or d.given_on in days:
            continue
        days.add(d.given_on)
        needed = max(needed, product.primary_series)
        if len(days) >= needed:
            return True
    return False


def series_totals(history: Sequence[DoseFacts]) -> dict[int, int]:
    """The "of how many" of each dose, as a certificate writes it (dn/sd), keyed by
    index in `history`: a primary dose counts against the longest primary series of
    the products used so far (2/2, Abdala 3/3, Jcovden 1/1); a booster beyond the series
    is written n/n (3/3, 4/4), the EU's convention since December 2021."""
    totals: dict[int, int] = {}
    needed = 0
    ordered = sorted(enumerate(history), key=lambda pair: (pair[1].given_on, pair[1].dose_number))
    for index, dose in ordered:
        product = get_product(dose.product)
        needed = max(needed, product.primary_series if product else 1)
        totals[index] = max(needed, dose.dose_number)
    return totals
