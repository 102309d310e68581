"""The review item as reviewers see it: the dose as captured side by side with the
registry candidates, each difference marked, the reasons in words."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaxpass.cleaning.models import CleaningDecision, ReviewItem
from vaxpass.cleaning.reasons import BIRTH_DATE_LEVELS, reason_labels
from vaxpass.cleaning.routing import CurrentWards
from vaxpass.core.matching.forms import date_forms, id_forms, name_forms, phone_form, sex_form
from vaxpass.places.models import Division, Era, Level

ROWS = (
    ("citizen_id", _("Citizen ID")),
    ("full_name", _("Full name")),
    ("birth_date", _("Date of birth")),
    ("sex", _("Sex")),
    ("phone", _("Phone")),
    ("ward", _("Ward")),
)
CORRECTABLE_ROWS = [(k, label) for k, label in ROWS if k != "phone" and k != "ward"]
SEX_LABELS = {"M": _("male"), "F": _("female")}

SAME, MINOR, DIFFERENT = "same", "minor", "diff"


def compare(row: str, captured: str, registry: str, *, old_id: str = "") -> str:
    """How a registry value relates to the captured one: the same, the same up to
    writing (accents, case, tone style, a year-only date), or different."""
    today = timezone.localdate()
    if not registry:
        return SAME
    if not captured.strip():
        return MINOR  # nothing typed: the registry only fills it in
    if row == "citizen_id":
        typed = id_forms(captured, today).value
        return SAME if typed and typed in (registry, old_id) else DIFFERENT
    if row == "full_name":
        typed, known = name_forms(captured), name_forms(registry)
        if typed.nfc == known.nfc:
            return SAME
        return MINOR if typed.key and typed.key == known.key else DIFFERENT
    if row == "birth_date":
        typed, known = date_forms(captured, today), date_forms(registry, today)
        if typed.iso == known.iso:
            return SAME
        if typed.year == known.year and (typed.month is None or known.month is None):
            return MINOR
        return DIFFERENT
    if row == "sex":
        typed = sex_form(captured)
        return SAME if typed == registry else (MINOR if not typed else DIFFERENT)
    if row == "phone":
        return SAME if phone_form(captured) == phone_form(registry) else DIFFERENT
    return SAME if captured == registry else DIFFERENT


@dataclass
class Cell:
    value: str
    state: str = SAME


@dataclass
class Column:
    title: str
    citizen_id: str = ""
    probability: float | None = None
    birth_date_level: str = ""
    holder: bool = False
    proposed: bool = False
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Comparison:
    rows: list[tuple[str, str]]  # (key, label)
    columns: list[Column]

    def table(self) -> list[tuple[str, list[Cell]]]:
        return [
            (label, [column.cells[i] for column in self.columns])
            for i, (_key, label) in enumerate(self.rows)
        ]


def ward_names(codes: Iterable[str]) -> dict[str, str]:
    wanted = {c for c in codes if c}
    return dict(
        Division.objects.filter(era=Era.CURRENT, level=Level.WARD, code__in=wanted).values_list(
            "code", "name"
        )
    )


def _sex(value: str) -> str:
    return str(SEX_LABELS.get(value, value))


def comparison(item: ReviewItem, decision: CleaningDecision | None = None) -> Comparison:
    decision = decision or item.decision
    dose = item.dose
    captured_ward = dose.captured_ward
    candidates: Sequence[dict] = decision.candidates or []
    names = ward_names((c.get("registry") or {}).get("ward_code", "") for c in candidates)
    captured = {
        "citizen_id": dose.captured_citizen_id,
        "full_name": dose.captured_name,
        "birth_date": dose.captured_birth_date,
        "sex": dose.captured_sex,
        "phone": dose.captured_phone,
        "ward": captured_ward.name if captured_ward else "",
    }
    wards = CurrentWards()
    current_id = wards.current_of([dose.captured_ward_id]).get(dose.captured_ward_id or 0)
    captured_code = wards.codes([current_id]).get(current_id or 0, ("", ""))[0]
    today_name = ward_names([captured_code]).get(captured_code, "")
    if today_name and today_name != captured["ward"]:
        captured["ward"] = str(
            _("%(then)s (now %(now)s)") % {"then": captured["ward"], "now": today_name}
        )
    columns = [
        Column(
            str(_("As captured")),
            cells=[Cell(_sex(captured[k]) if k == "sex" else captured[k]) for k, _label in ROWS],
        )
    ]
    for index, entry in enumerate(candidates, start=1):
        values = entry.get("registry") or {}
        registry = {
            "citizen_id": entry["citizen_id"],
            "full_name": values.get("full_name", ""),
            "birth_date": values.get("birth_date", ""),
            "sex": values.get("sex", ""),
            "phone": values.get("phone", ""),
            "ward": names.get(values.get("ward_code", ""), values.get("ward_code", "")),
        }
        cells = []
        for key, _label in ROWS:
            if key == "ward":
                code = values.get("ward_code", "")
                state = (
                    SAME if not code or not captured_code or code == captured_code else DIFFERENT
                )
            else:
                state = compare(
                    key, captured[key], registry[key], old_id=values.get("old_id_number", "")
                )
            shown = _sex(registry[key]) if key == "sex" else registry[key]
            cells.append(Cell(shown, state))
        level = entry.get("birth_date_level") or ""
        columns.append(
            Column(
                str(_("Candidate %(n)s") % {"n": index}),
                citizen_id=entry["citizen_id"],
                probability=entry.get("probability"),
                birth_date_level=str(BIRTH_DATE_LEVELS.get(level, level)),
                holder=bool(entry.get("holder")),
                proposed=entry["citizen_id"] == decision.candidate_id,
                cells=cells,
            )
        )
    return Comparison([(k, str(label)) for k, label in ROWS], columns)


def reasons_of(decision: CleaningDecision) -> list[str]:
    return reason_labels(decision.reasons)
