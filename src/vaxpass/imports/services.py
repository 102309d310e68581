"""Retrospective import: upload, check every row, load, resume, cancel, report.

The check pass (`imports.checking`) parses each row once, checks facility scope, ward
codes and the dose-series rules against the person's stored doses and the file's earlier
rows, stores every problem, and stages each good row (`imports.staging`). The load pass
(`imports.loading`) stores the staged rows chunk by chunk in set-based SQL; each chunk's
people, doses, audit entries and the batch's progress commit together, so a killed load
resumes exactly where it stopped. A row already stored (same person, vaccine, day and
facility) is never stored twice. Large files are checked and loaded in parts side by side
(`imports.parts`).
"""

import hashlib
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from django.core.files import File
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vaxpass.accounts.models import FACILITY_ROLES, NATION_ROLES, Role, User
from vaxpass.core.dose_rows import DOSE_COLUMNS, CellIssue
from vaxpass.imports import loading, parts, staging
from vaxpass.imports.checking import PartChecker, open_rows
from vaxpass.imports.models import (
    ImportBatch,
    ImportMode,
    ImportProblem,
    ImportStatus,
    LoadProgress,
)
from vaxpass.imports.parts import parts_for
from vaxpass.imports.spreadsheets import write_error_report

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


# --- pass 1: check ---------------------------------------------------------------------


def check_batch(
    batch: ImportBatch, *, progress: Progress | None = None, today: date | None = None
) -> ImportBatch:
    """Check every row, store its problems, and stage the good rows for the load."""
    today = today or timezone.localdate()
    batch.problems.all().delete()
    LoadProgress.objects.filter(batch=batch).delete()
    batch.status = ImportStatus.CHECKING
    batch.total_rows = batch.error_rows = batch.warning_rows = 0
    batch.rows_done = batch.loaded_rows = batch.existing_rows = 0  # the staging starts anew
    batch.save()
    try:
        header, rows = open_rows(batch)
    except Exception as error:  # unreadable file: say why, keep the batch
        return _fail(batch, str(error))
    header_errors = [i for i in header.issues if i.severity == "error"]
    if header_errors:
        ImportProblem.objects.bulk_create([_problem(batch, 1, i) for i in header_errors])
        return _fail(batch, _("The header row does not match the template."))
    staging.create(batch.pk)
    count = parts_for(batch.file.path)
    if count == 1:
        checker = PartChecker(batch, part=0, parts=1, today=today)
        checker.run(rows, header.positions, chunk=CHUNK, progress=progress)
    elif parts.side_by_side_possible():
        rows.close()  # each part reads the file itself
        parts.in_processes(partial(_check_part, batch.pk, count, today), count, progress)
    else:
        rows.close()
        for part in range(count):
            _check_part(batch.pk, count, today, part, progress)
    batch.refresh_from_db()
    if batch.total_rows == 0:
        staging.drop(batch.pk)
        return _fail(batch, _("The file has no rows below the header."))
    LoadProgress.objects.bulk_create(
        [LoadProgress(batch=batch, part=part) for part in range(count)]
    )
    if batch.error_rows and batch.mode != ImportMode.VALID_ROWS:
        staging.drop(batch.pk)  # nothing of it will be loaded: a fixed file comes as a new batch
    batch.status, batch.checked_at = ImportStatus.CHECKED, timezone.now()
    batch.save(update_fields=["status", "checked_at"])
    return batch


def _check_part(batch_id: int, count: int, today: date, part: int, report) -> None:
    batch = ImportBatch.objects.get(pk=batch_id)
    header, rows = open_rows(batch)
    checker = PartChecker(batch, part=part, parts=count, today=today)
    checker.run(rows, header.positions, chunk=CHUNK, progress=report)


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
    """Store the batch's staged rows; resumes after the last committed chunk of each part."""
    batch.refresh_from_db()
    if batch.status == ImportStatus.LOADED:
        return batch
    if not batch.loadable:
        raise NotLoadable(_("This file still has rows with errors; fix them and upload it again."))
    if not staging.exists(batch.pk):  # checked before rows were staged: check it again
        check_batch(batch, today=today)
        if not batch.loadable:
            raise NotLoadable(
                _("This file still has rows with errors; fix them and upload it again.")
            )
    batch.status, batch.cancel_requested = ImportStatus.LOADING, False
    batch.save(update_fields=["status", "cancel_requested"])
    if progress and batch.rows_done:
        progress(batch.rows_done)  # committed by an earlier, interrupted run
    count = batch.load_parts.count()
    if count > 1 and connection.vendor == "postgresql" and parts.side_by_side_possible():
        finished = parts.in_threads(lambda part: _load_part(batch, part, progress), count)
    else:  # SQLite writes one transaction at a time anyway
        finished = [_load_part(batch, part, progress) for part in range(count)]
    batch.refresh_from_db()
    if not all(finished):
        batch.status = ImportStatus.CANCELLED
        batch.save(update_fields=["status"])
        return batch
    staging.drop(batch.pk)
    batch.status, batch.finished_at = ImportStatus.LOADED, timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    return batch


def _load_part(batch: ImportBatch, part: int, progress: Progress | None) -> bool:
    """Load one part chunk by chunk; False if cancelled before its end."""
    after = LoadProgress.objects.get(batch=batch, part=part).last_line
    while True:
        rows, last = loading.chunk_bounds(batch.pk, part, after, CHUNK)
        if rows == 0:
            return True
        if ImportBatch.objects.filter(pk=batch.pk, cancel_requested=True).exists():
            return False
        with transaction.atomic():
            created = loading.load_chunk(batch, part, after, last)
            LoadProgress.objects.filter(batch=batch, part=part).update(last_line=last)
            ImportBatch.objects.filter(pk=batch.pk).update(
                rows_done=F("rows_done") + rows,
                loaded_rows=F("loaded_rows") + created,
                existing_rows=F("existing_rows") + rows - created,
            )
        after = last
        if progress:
            progress(rows)


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
