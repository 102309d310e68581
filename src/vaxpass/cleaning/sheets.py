"""The review list as a spreadsheet, for officers who work offline, and the filled list
read back.

The export holds one row per open item: the dose as captured, the reasons, the best
candidates, and columns to fill (action, citizen ID, corrected values, note). Each row
carries the item's number and the number of the decision it was exported under, so a
row is applied exactly once: a row whose item was decided since (by this file uploaded
before, by a colleague, or on the web page) changes nothing and says so.

Headers are in both languages, the user's first, as the import templates are. Reading
takes either language's header and either language's action words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vaxpass.cleaning import services
from vaxpass.cleaning.models import ItemStatus, Method, ReviewItem, ReviewUpload
from vaxpass.cleaning.presenting import ward_names
from vaxpass.cleaning.reasons import reason_labels
from vaxpass.cleaning.scopes import open_items_in_scope, review_items_in_scope
from vaxpass.core.identity import name_key


@dataclass(frozen=True)
class SheetColumn:
    key: str
    label: Any  # gettext_lazy
    fill: bool = False  # for the officer to fill in
    width: int = 16
    text: bool = True  # formatted as text (IDs keep their leading zeros)


COLUMNS = (
    SheetColumn("item", gettext_lazy("Item"), width=8, text=False),
    SheetColumn("version", gettext_lazy("Check number"), width=10, text=False),
    SheetColumn("captured_citizen_id", gettext_lazy("ID as typed"), width=15),
    SheetColumn("captured_name", gettext_lazy("Name as typed"), width=24),
    SheetColumn("captured_birth_date", gettext_lazy("Date of birth as typed"), width=12),
    SheetColumn("captured_sex", gettext_lazy("Sex as typed"), width=6),
    SheetColumn("captured_phone", gettext_lazy("Phone as typed"), width=12),
    SheetColumn("facility", gettext_lazy("Facility"), width=24),
    SheetColumn("given_on", gettext_lazy("Date given"), width=11),
    SheetColumn("product", gettext_lazy("Vaccine"), width=14),
    SheetColumn("reasons", gettext_lazy("Why it needs a decision"), width=40),
    SheetColumn("candidate_1", gettext_lazy("Candidate 1"), width=40),
    SheetColumn("candidate_2", gettext_lazy("Candidate 2"), width=40),
    SheetColumn("candidate_3", gettext_lazy("Candidate 3"), width=40),
    SheetColumn("action", gettext_lazy("Action to take"), fill=True, width=22),
    SheetColumn("citizen_id", gettext_lazy("Citizen ID"), fill=True, width=15),
    SheetColumn("full_name", gettext_lazy("Correct full name"), fill=True, width=24),
    SheetColumn("birth_date", gettext_lazy("Correct date of birth"), fill=True, width=12),
    SheetColumn("sex", gettext_lazy("Correct sex"), fill=True, width=8),
    SheetColumn("note", gettext_lazy("Note"), fill=True, width=30),
)
BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = ("item", "version", "action")

# Action words as written in the drop-down, in both languages (read either).
ACTIONS = (
    ("confirm", gettext_lazy("confirm")),
    ("choose", gettext_lazy("choose another")),
    ("correct", gettext_lazy("correct")),
    ("not_found", gettext_lazy("not found")),
    ("send", gettext_lazy("send to the other queue")),
)


def _both(label, language: str) -> tuple[str, str]:
    with translation.override("vi"):
        vi = str(label)
    with translation.override("en"):
        en = str(label)
    return (vi, en) if language == "vi" else (en, vi)


def _header(column: SheetColumn, language: str) -> str:
    first, second = _both(column.label, language)
    return f"{first}\n{second}"


def _action_word(label, language: str) -> str:
    first, second = _both(label, language)
    return f"{first} / {second}"


def _candidate_text(entry: dict | None, names: dict[str, str]) -> str:
    if not entry:
        return ""
    values = entry.get("registry") or {}
    parts = [entry["citizen_id"], values.get("full_name", ""), values.get("birth_date", "")]
    parts.append(values.get("sex", ""))
    parts.append(names.get(values.get("ward_code", ""), values.get("ward_code", "")))
    if entry.get("probability") is not None:
        parts.append(f"{entry['probability']:.1%}")
    if entry.get("holder"):
        parts.append(_("holds the typed ID"))
    return " · ".join(p for p in parts if p)


def export_items(user, out: BinaryIO, *, language: str) -> int:
    """Write the user's open items as .xlsx (openpyxl's write-only mode streams)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    items = (
        open_items_in_scope(user)
        .select_related("dose", "dose__facility", "decision")
        .order_by("opened_at", "pk")
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Review"))
    sheet.freeze_panes = "C2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    to_fill = PatternFill("solid", fgColor="FFF4D6")
    head = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=_header(column, language))
        cell.font, cell.alignment = bold, wrap
        if column.fill:
            cell.fill = to_fill
        head.append(cell)
    sheet.append(head)
    actions = [_action_word(label, language) for _code, label in ACTIONS]
    position = get_column_letter([c.key for c in COLUMNS].index("action") + 1)
    validation = DataValidation(
        type="list", formula1=f"=Lists!$A$1:$A${len(actions)}", allow_blank=True
    )
    validation.add(f"{position}2:{position}100000")
    sheet.data_validations.append(validation)

    count = 0
    for chunk in _chunks(items.iterator(chunk_size=500), 500):
        codes = {
            (e.get("registry") or {}).get("ward_code", "")
            for item in chunk
            for e in item.decision.candidates[:3]
        }
        names = ward_names(codes)
        for item in chunk:
            dose = item.dose
            candidates = list(item.decision.candidates[:3]) + [None] * 3
            values = {
                "item": item.pk,
                "version": item.decision_id,
                "captured_citizen_id": dose.captured_citizen_id,
                "captured_name": dose.captured_name,
                "captured_birth_date": dose.captured_birth_date,
                "captured_sex": dose.captured_sex,
                "captured_phone": dose.captured_phone,
                "facility": str(dose.facility),
                "given_on": dose.given_on.strftime("%d/%m/%Y"),
                "product": dose.product_name,
                "reasons": " ".join(reason_labels(item.decision.reasons)),
                "candidate_1": _candidate_text(candidates[0], names),
                "candidate_2": _candidate_text(candidates[1], names),
                "candidate_3": _candidate_text(candidates[2], names),
            }
            row = []
            for column in COLUMNS:
                cell = WriteOnlyCell(sheet, value=values.get(column.key, ""))
                if column.text:
                    cell.number_format = "@"
                if column.fill:
                    cell.fill = to_fill
                row.append(cell)
            sheet.append(row)
            count += 1
    lists = book.create_sheet("Lists")
    lists.sheet_state = "hidden"
    for word in actions:
        lists.append([word])
    book.save(out)
    return count


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for value in iterable:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- reading back ----------------------------------------------------------------------


class SheetError(ValueError):
    """The file as a whole cannot be read as a review list."""


@dataclass
class Problem:
    line: int
    column: str  # the column's name in the user's language ("" for the whole row)
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class UploadResult:
    upload: ReviewUpload
    already_uploaded: ReviewUpload | None = None
    applied: list[int] = field(default_factory=list)  # lines applied
    unchanged: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    problems: list[Problem] = field(default_factory=list)
    left: int = 0  # rows without an action


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _read(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    from python_calamine import CalamineWorkbook

    if path.suffix.lower() != ".xlsx":
        raise SheetError(_("Upload the .xlsx file exported from this page."))
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except Exception as error:  # calamine raises its own types for a broken file
        raise SheetError(
            _("The file cannot be read as .xlsx: %(error)s") % {"error": error}
        ) from None
    if not rows:
        raise SheetError(_("The file is empty."))
    header = [_text(h) for h in rows[0]]
    return header, ((line, row) for line, row in enumerate(rows[1:], start=2))


def _positions(header: list[str]) -> dict[str, int]:
    """Column key -> position, from headers in either language."""
    known: dict[str, str] = {}
    for column in COLUMNS:
        for text in _both(column.label, "vi"):
            known[name_key(text)] = column.key
    positions = {}
    for index, text in enumerate(header):
        for part in text.replace("\r", "").split("\n"):
            key = known.get(name_key(part))
            if key and key not in positions:
                positions[key] = index
                break
    missing = [BY_KEY[k] for k in REQUIRED if k not in positions]
    if missing:
        raise SheetError(
            _("This is not a review list exported by vaxpass: the column %(column)s is missing.")
            % {"column": str(missing[0].label)}
        )
    return positions


def _action(text: str) -> str | None:
    wanted = {name_key(part) for part in text.split("/") if part.strip()}
    for code, label in ACTIONS:
        words = {name_key(w) for w in _both(label, "vi")} | {code.replace("_", " ")}
        if wanted & words:
            return code
    return None


def apply_upload(user, path: str | Path, *, file_name: str = "") -> UploadResult:
    """Apply a filled review list: each row with an action, once. Problems are reported
    by line and column in the user's language; rows without problems are applied."""
    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    earlier = ReviewUpload.objects.filter(uploaded_by=user, sha256=digest).order_by("pk").first()
    header, rows = _read(path)
    positions = _positions(header)
    upload = ReviewUpload(sha256=digest, uploaded_by=user, file_name=file_name[:200])
    result = UploadResult(upload, already_uploaded=earlier)
    if earlier is not None:
        upload.save()
        return result

    def cell(row: list[Any], key: str) -> str:
        index = positions.get(key)
        return _text(row[index]) if index is not None and index < len(row) else ""

    def label(key: str) -> str:
        return str(BY_KEY[key].label)

    scope = review_items_in_scope(user)
    for line, row in rows:
        if not any(_text(v) for v in row):
            continue
        upload.rows += 1
        action_text = cell(row, "action")
        if not action_text:
            result.left += 1
            continue
        action = _action(action_text)
        if action is None:
            result.problems.append(
                Problem(line, label("action"), _("Unknown action %(value)s: pick one from the list.")
                        % {"value": action_text})
            )  # fmt: skip
            continue
        try:
            item_id, version = int(cell(row, "item")), int(cell(row, "version"))
        except ValueError:
            result.problems.append(
                Problem(line, label("item"), _("The item number was changed: export the list again."))
            )  # fmt: skip
            continue
        item = scope.select_related("decision").filter(pk=item_id).first()
        if item is None:
            result.problems.append(
                Problem(line, label("item"), _("Item %(n)s is not in your queue.") % {"n": item_id})
            )
            continue
        if item.status != ItemStatus.OPEN or item.decision_id != version:
            result.unchanged.append((line, _("already decided: nothing changed")))
            continue
        problem = _apply_row(user, item, action, {k: cell(row, k) for k in BY_KEY}, line, label)
        if problem is None:
            result.applied.append(line)
        elif problem.column == "":
            result.unchanged.append((line, problem.message))
        else:
            result.problems.append(problem)
    upload.applied, upload.unchanged = len(result.applied), len(result.unchanged)
    upload.problems = [p.as_dict() for p in result.problems]
    upload.save()
    return result


FIELD_COLUMNS = {"citizen_id": "citizen_id", "full_name": "full_name",
                 "birth_date": "birth_date", "sex": "sex", "field": "action",
                 "item": "item"}  # fmt: skip


def _apply_row(user, item: ReviewItem, action: str, values: dict[str, str], line: int, label):
    note = values["note"]
    try:
        if action == "confirm":
            services.confirm_candidate(
                actor=user, item=item, citizen_id=_id(values["citizen_id"]), note=note,
                method=Method.SPREADSHEET,
            )  # fmt: skip
        elif action == "choose":
            if not values["citizen_id"]:
                return Problem(line, label("citizen_id"), _("Give the citizen ID of the person."))
            services.choose_person(
                actor=user, item=item, citizen_id=values["citizen_id"], note=note,
                method=Method.SPREADSHEET,
            )  # fmt: skip
        elif action == "correct":
            fixes = {
                k: values[k] for k in ("citizen_id", "full_name", "birth_date", "sex") if values[k]
            }
            if not fixes:
                return Problem(line, label("full_name"), _("Fill in the corrected values."))
            services.correct_fields(
                actor=user, item=item, values=fixes, note=note, method=Method.SPREADSHEET
            )
        elif action == "not_found":
            services.mark_not_found(actor=user, item=item, note=note, method=Method.SPREADSHEET)
        else:
            services.send_to_other_queue(actor=user, item=item, note=note)
    except services.ReviewError as error:
        if error.code == "already_decided":
            return Problem(line, "", error.message)
        return Problem(line, label(FIELD_COLUMNS.get(error.field, "action")), error.message)
    return None


def _id(text: str) -> str:
    """An ID as typed in the sheet, made comparable with the candidates' (leading zero
    restored, spaces removed); left as typed when it is no ID at all."""
    from vaxpass.core.identity import IdentityError, normalize_citizen_id

    try:
        normalized = normalize_citizen_id(text)
    except IdentityError:
        return text
    return normalized.value if normalized else ""
