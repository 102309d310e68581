"""Retrospective import: upload, check every row, load, resume, cancel, report.

Two passes over the file, both streaming in chunks. `check_batch` parses each row with
the domain core, checks facility scope, ward codes and the dose-series rules against the
person's stored doses and the file's earlier rows, and stores every problem. `load_batch`
reads the file again and stores the good rows chunk by chunk; each chunk's doses and the
batch's progress commit together, so a killed load resumes exactly where it stopped.
A row already stored (same person, vaccine, day and facility) is never stored twice.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vaxpass.accounts.models import FACILITY_ROLES, NATION_ROLES, Role, User
from vaxpass.core import doses as rules
from vaxpass.core.dose_rows import DOSE_COLUMNS, CellIssue, DoseRow, match_header, parse_dose_row
from vaxpass.core.i18n import gettext_noop
from vaxpass.core.identity import name_key
from vaxpass.imports.models import ImportBatch, ImportMode, ImportProblem, ImportStatus
from vaxpass.imports.spreadsheets import read_table, write_error_report
from vaxpass.places.models import Division, Era, Level
from vaxpass.places.services import location_path
from vaxpass.records.audit import record_bulk
from vaxpass.records.bulk import insert_rows
from vaxpass.records.models import Dose, DoseSource, Person
from vaxpass.records.scopes import facilities_in_scope

CHUNK = 5000
IMPORT_ROLES = FACILITY_ROLES | NATION_ROLES | {Role.DISTRICT_MANAGER, Role.PROVINCE_MANAGER}
Progress = Callable[[int], None]


class UploadRefused(Exception):
    """The upload itself is refused (not a row problem)."""


def can_import(user: User) -> bool:
    return user.is_active and user.role in IMPORT_ROLES and user.role != Role.CENTRAL_SIGNER


def _sha256(handle) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    handle.seek(0)
    return digest.hexdigest()


def create_batch(
    user: User, upload, *, name: str, mode: str = ImportMode.ALL_OR_NOTHING, commitment=None
) -> ImportBatch:
    if not can_import(user):
        raise UploadRefused(_("Your account may not import doses."))
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UploadRefused(_("Upload an .xlsx or .csv file made from the template."))
    batch = ImportBatch(
        uploaded_by=user,
        facility=user.facility if user.facility_id else None,
        original_name=Path(name).name[:255],
        mode=mode,
        sha256=_sha256(upload),
    )
    batch.file.save(f"batch{suffix}", File(upload), save=False)
    if commitment is not None:
        batch.commitment.save(Path(commitment.name).name, File(commitment), save=False)
    batch.save()
    return batch


def earlier_upload(batch: ImportBatch) -> ImportBatch | None:
    """The same file loaded before by the same account, for the report to say so."""
    return (
        ImportBatch.objects.filter(
            sha256=batch.sha256, uploaded_by=batch.uploaded_by, status=ImportStatus.LOADED
        )
        .exclude(pk=batch.pk)
        .first()
    )


# --- reading -----------------------------------------------------------------------------


@dataclass
class _Rows:
    positions: dict[str, int]
    rows: Iterator[tuple[int, list]]
    header_issues: list[CellIssue]


def _open(batch: ImportBatch) -> _Rows:
    header, rows = read_table(batch.file.path)
    match = match_header(header)
    return _Rows(match.positions, rows, match.issues)


def _parsed(
    source: _Rows, today: date
) -> Iterator[tuple[int, DoseRow | None, list, list[CellIssue]]]:
    for line, cells in source.rows:
        values = {
            key: (cells[i] if i < len(cells) else None) for key, i in source.positions.items()
        }
        row, issues = parse_dose_row(line, values, today=today)
        yield line, row, cells, issues


def _chunks(iterable, size: int | None = None):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size or CHUNK)):
        yield chunk


# --- context shared by both passes -------------------------------------------------------


class _Context:
    """What rows are checked against: the facilities the uploader may import for, the
    ward codes, the people and doses already stored, and the file's earlier rows."""

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.facilities = {
            code: (pk, code)
            for pk, code in facilities_in_scope(batch.uploaded_by).values_list("pk", "code")
        }
        self.wards = dict(
            Division.objects.filter(era=Era.CURRENT, level=Level.WARD).values_list("code", "pk")
        )
        self.positions: dict[str, int] = {}  # column key -> index, when loading
        # The file's own earlier doses per identity, for the series rules; bounded.
        self.seen: OrderedDict[str, list[rules.DoseFacts]] = OrderedDict()

    def history_in_db(self, rows: list[DoseRow]) -> dict[str, list[rules.DoseFacts]]:
        ids = {r.citizen_id for r in rows if r.citizen_id}
        olds = {r.old_id_number for r in rows if r.old_id_number}
        names = {
            (name_key(r.full_name), r.birth_date)
            for r in rows
            if not (r.citizen_id or r.old_id_number)
        }
        query = Q(person__citizen_id__in=ids) | Q(person__old_id_number__in=olds)
        if names:
            query |= Q(
                person__search_name__in={n for n, _b in names},
                person__birth_date__in={b for _n, b in names},
            )
        history: dict[str, list[rules.DoseFacts]] = {}
        doses = (
            Dose.objects.filter(query)
            .values_list(
                "person__citizen_id",
                "person__old_id_number",
                "person__search_name",
                "person__birth_date",
                "product",
                "given_on",
                "dose_number",
                "facility__code",
                "dedup_key",
            )
            .order_by("given_on", "id")
        )
        for cid, old, search_name, birth, product, given_on, number, facility, key in doses:
            for identity in {cid, old, f"{search_name}|{birth}"} - {""}:
                history.setdefault(identity, []).append(
                    rules.DoseFacts(product, given_on, number, facility, ref=key)
                )
        return history

    def remember(self, identity: str, facts: rules.DoseFacts) -> None:
        self.seen.setdefault(identity, []).append(facts)
        self.seen.move_to_end(identity)
        if len(self.seen) > 50_000:  # rows of one person sit close together in a file
            self.seen.popitem(last=False)


def _row_issues(
    context: _Context,
    row: DoseRow,
    history: list[rules.DoseFacts],
    stored_keys: set[str],
    today: date,
) -> tuple[list[CellIssue], int | None, bool]:
    """Issues beyond the row's own cells: scope, ward, already stored, series rules.
    Returns the issues, the dose number to store, and whether the row is already stored."""
    issues: list[CellIssue] = []
    if row.facility_code not in context.facilities:
        issues.append(
            CellIssue(
                "facility_code",
                "facility_not_allowed",
                gettext_noop("%(value)s is not a facility you may import doses for."),
                {"value": row.facility_code},
            )
        )
    if row.ward_code and row.ward_code not in context.wards:
        issues.append(
            CellIssue(
                "ward_code",
                "unknown_ward",
                gettext_noop("%(value)s is not the code of a current ward."),
                {"value": row.ward_code},
            )
        )
    key = row.dedup_key()
    if key in stored_keys:
        return issues, row.dose_number, True
    seen = context.seen.get(row.identity_key(), [])
    number = row.dose_number or rules.suggest_dose_number(history + seen, row.given_on)
    facts = rules.DoseFacts(row.product, row.given_on, number, row.facility_code, ref=key)
    for issue in rules.check_dose(facts, history + seen, today=today):
        column = {"given_on": "given_on", "dose_number": "dose_number", "product": "product"}.get(
            issue.field, ""
        )
        severity = "error" if issue.severity == "error" else "warning"
        issues.append(CellIssue(column, issue.code, issue.template, dict(issue.params), severity))
    return issues, number, False


def _problem(batch: ImportBatch, line: int, issue: CellIssue) -> ImportProblem:
    return ImportProblem(
        batch=batch,
        line=line,
        column=issue.column,
        code=issue.code,
        template=issue.template,
        params=dict(issue.params),
        severity=issue.severity,
    )


# --- pass 1: check ---------------------------------------------------------------------


def check_batch(
    batch: ImportBatch, *, progress: Progress | None = None, today: date | None = None
) -> ImportBatch:
    today = today or timezone.localdate()
    batch.problems.all().delete()
    batch.status, batch.total_rows, batch.error_rows, batch.warning_rows = (
        ImportStatus.CHECKING,
        0,
        0,
        0,
    )
    batch.save()
    try:
        source = _open(batch)
    except Exception as error:  # unreadable file: say why, keep the batch
        return _fail(batch, str(error))
    header_errors = [i for i in source.header_issues if i.severity == "error"]
    if header_errors:
        ImportProblem.objects.bulk_create([_problem(batch, 1, i) for i in header_errors])
        return _fail(batch, _("The header row does not match the template."))
    context = _Context(batch)
    for chunk in _chunks(_parsed(source, today)):
        good = [row for _line, row, _cells, _issues in chunk if row is not None]
        history = context.history_in_db(good)
        stored = {f.ref for facts in history.values() for f in facts}
        problems: list[ImportProblem] = []
        for line, row, _cells, issues in chunk:
            batch.total_rows += 1
            if row is not None:
                more, number, _existing = _row_issues(
                    context, row, history.get(row.identity_key(), []), stored, today
                )
                issues = issues + more
                if not any(i.severity == "error" for i in issues) and number is not None:
                    context.remember(
                        row.identity_key(),
                        rules.DoseFacts(row.product, row.given_on, number, row.facility_code),
                    )
            problems += [_problem(batch, line, i) for i in issues]
            if any(i.severity == "error" for i in issues):
                batch.error_rows += 1
            elif any(i.severity == "warning" for i in issues):
                batch.warning_rows += 1
        ImportProblem.objects.bulk_create(problems, batch_size=2000)
        batch.save(update_fields=["total_rows", "error_rows", "warning_rows"])
        if progress:
            progress(len(chunk))
    if batch.total_rows == 0:
        return _fail(batch, _("The file has no rows below the header."))
    batch.status, batch.checked_at = ImportStatus.CHECKED, timezone.now()
    batch.save()
    return batch


def _fail(batch: ImportBatch, message: str) -> ImportBatch:
    batch.status, batch.failure, batch.finished_at = ImportStatus.FAILED, message, timezone.now()
    batch.save()
    return batch


# --- pass 2: load ----------------------------------------------------------------------


class NotLoadable(Exception):
    pass


def load_batch(
    batch: ImportBatch, *, progress: Progress | None = None, today: date | None = None
) -> ImportBatch:
    """Store the batch's good rows; resumes after the last committed chunk."""
    today = today or timezone.localdate()
    batch.refresh_from_db()
    if batch.status == ImportStatus.LOADED:
        return batch
    if not batch.loadable:
        raise NotLoadable(_("This file still has rows with errors; fix them and upload it again."))
    error_lines = set(batch.problems.filter(severity="error").values_list("line", flat=True))
    batch.status, batch.cancel_requested = ImportStatus.LOADING, False
    batch.save(update_fields=["status", "cancel_requested"])
    context = _Context(batch)
    source = _open(batch)
    context.positions = source.positions
    good_rows = (
        (line, row, cells)
        for line, row, cells, _i in _parsed(source, today)
        if row is not None and line not in error_lines
    )
    skip = batch.rows_done  # committed by an earlier, interrupted run
    if progress and skip:
        progress(skip)
    for chunk in _chunks(islice(good_rows, skip, None)):
        if ImportBatch.objects.filter(pk=batch.pk, cancel_requested=True).exists():
            batch.status = ImportStatus.CANCELLED
            batch.save(update_fields=["status"])
            return batch
        with transaction.atomic():
            created, existing = _store_chunk(batch, context, chunk, today)
            ImportBatch.objects.filter(pk=batch.pk).update(
                rows_done=batch.rows_done + len(chunk),
                loaded_rows=batch.loaded_rows + created,
                existing_rows=batch.existing_rows + existing,
            )
        batch.rows_done += len(chunk)
        batch.loaded_rows += created
        batch.existing_rows += existing
        if progress:
            progress(len(chunk))
    batch.status, batch.finished_at = ImportStatus.LOADED, timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    return batch


def _store_chunk(batch: ImportBatch, context: _Context, chunk, today: date) -> tuple[int, int]:
    rows = [row for _line, row, _cells in chunk]
    history = context.history_in_db(rows)
    stored = {f.ref for facts in history.values() for f in facts}
    people = _people_for(rows, context)
    new_people = [p for p in people.values() if p.pk is None]
    insert_rows(new_people)
    doses: list[Dose] = []
    existing = 0
    for line, row, cells in chunk:
        issues, number, already = _row_issues(
            context, row, history.get(row.identity_key(), []), stored, today
        )
        if already:
            existing += 1
            continue
        raw = {key: cells[i] if i < len(cells) else "" for key, i in context.positions.items()}
        raw = {c.key: raw.get(c.key, "") for c in DOSE_COLUMNS}
        key = row.dedup_key()
        stored.add(key)  # the same row twice in one file is stored once
        dose = Dose(
            person=people[row.identity_key()],
            captured_citizen_id=_cell(raw["citizen_id"])[:20],
            captured_name=_cell(raw["full_name"])[:120],
            captured_birth_date=_cell(raw["birth_date"])[:10],
            captured_sex=row.sex,
            captured_phone=_cell(raw["phone"])[:15],
            captured_address=row.address[:250],
            captured_ward_id=context.wards.get(row.ward_code),
            product=row.product,
            lot=row.lot[:40],
            given_on=row.given_on,
            dose_number=number,
            facility_id=context.facilities[row.facility_code][0],
            entered_by=batch.uploaded_by,
            source=DoseSource.IMPORT,
            flags=sorted({i.code for i in issues if i.severity == "warning"}),
            dedup_key=key,
            import_batch=batch,
            import_line=line,
        )
        doses.append(dose)
        context.remember(
            row.identity_key(),
            rules.DoseFacts(row.product, row.given_on, number, row.facility_code),
        )
    insert_rows(doses)
    record_bulk(new_people, actor=batch.uploaded_by)
    record_bulk(doses, actor=batch.uploaded_by)
    return len(doses), existing


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _people_for(rows: list[DoseRow], context: _Context) -> dict[str, Person]:
    """The stored person for each row's identity, or a new one (not yet saved)."""
    ids = {r.citizen_id for r in rows if r.citizen_id}
    olds = {r.old_id_number for r in rows if r.old_id_number}
    people: dict[str, Person] = {}
    for person in Person.objects.filter(Q(citizen_id__in=ids) | Q(old_id_number__in=olds)).order_by(
        "id"
    ):
        for key in (person.citizen_id, person.old_id_number):
            if key:
                people.setdefault(key, person)
    nameless = {
        (name_key(r.full_name), r.birth_date) for r in rows if not (r.citizen_id or r.old_id_number)
    }
    if nameless:
        for person in Person.objects.filter(
            citizen_id="",
            old_id_number="",
            search_name__in={n for n, _b in nameless},
            birth_date__in={b for _n, b in nameless},
        ).order_by("id"):
            people.setdefault(f"{person.search_name}|{person.birth_date}", person)
    paths: dict[str, dict] = {}
    for row in rows:
        key = row.identity_key()
        if key in people:
            continue
        person = Person.from_identity(row, address=row.address)
        if row.ward_code in context.wards:
            if row.ward_code not in paths:
                ward = Division.objects.get(pk=context.wards[row.ward_code])
                paths[row.ward_code] = {"ward": ward, **location_path(ward)}
            for column, value in paths[row.ward_code].items():
                setattr(person, column, value)
        people[key] = person
    return people


# --- cancel and report -------------------------------------------------------------------


def request_cancel(batch: ImportBatch) -> None:
    ImportBatch.objects.filter(
        pk=batch.pk,
        status__in=[
            ImportStatus.CHECKING,
            ImportStatus.LOADING,
            ImportStatus.UPLOADED,
            ImportStatus.CHECKED,
        ],
    ).update(cancel_requested=True)


def problem_messages(batch: ImportBatch) -> dict[int, list[str]]:
    """Line -> the problems of that line, in the active language, each naming its column."""
    names = {c.key: c for c in DOSE_COLUMNS}
    vietnamese = translation.get_language() == "vi"
    result: dict[int, list[str]] = {}
    for problem in batch.problems.exclude(severity="repair").iterator():
        column = names.get(problem.column)
        label = (column.vi if vietnamese else column.en) if column else ""
        message = _(problem.template) % problem.params
        if problem.severity == "warning":
            message = _("warning: %(message)s") % {"message": message}
        result.setdefault(problem.line, []).append(f"{label}: {message}" if label else message)
    return result


def error_report(batch: ImportBatch, out) -> None:
    """The uploaded file with an added column of problems: every row while nothing was
    loaded; after a load of the valid rows, only the rows that were not."""
    problems = problem_messages(batch)
    only = None
    if batch.status == ImportStatus.LOADED or batch.mode == ImportMode.VALID_ROWS:
        only = set(batch.problems.filter(severity="error").values_list("line", flat=True))
    write_error_report(
        batch.file.path, out, problems, only_lines=only, language=translation.get_language()
    )
