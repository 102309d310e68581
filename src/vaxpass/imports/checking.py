"""The check pass of an import, for one part of a file: every row parsed once, checked
against scope, wards, the stored doses and the file's earlier rows, its problems stored,
and each good row staged for the load (`imports.staging`).

A large file is checked in parts side by side (`imports.parts`): a row belongs to the part
of its person's identity, so the series rules, which look at the person's earlier rows in
the file, see all of them. Rows whose identity cannot be read (they have errors) are
shared out by line.
"""

import json
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import F

from vaxpass.core import doses as rules
from vaxpass.core.dose_rows import (
    DOSE_COLUMNS,
    CellIssue,
    DoseRow,
    HeaderMatch,
    RowParser,
    dedup_key,
    match_header,
)
from vaxpass.core.i18n import gettext_noop
from vaxpass.imports import staging
from vaxpass.imports.models import ImportBatch, ImportProblem
from vaxpass.imports.spreadsheets import read_table
from vaxpass.places.models import Division, Era, Level
from vaxpass.records.bulk import insert_values
from vaxpass.records.scopes import facilities_in_scope

SEEN_PEOPLE = 50_000  # identities whose file rows are remembered; a person's rows sit close
PROBLEM_COLUMNS = ("batch_id", "line", "column", "code", "template", "params", "severity")
_COLUMN_OF_RULE = {"given_on": "given_on", "dose_number": "dose_number", "product": "product"}


@dataclass
class Counts:
    total: int = 0
    errors: int = 0
    warnings: int = 0
    staged: int = 0

    def add(self, other: "Counts") -> None:
        self.total += other.total
        self.errors += other.errors
        self.warnings += other.warnings
        self.staged += other.staged


def part_of(identity: str | None, line: int, parts: int) -> int:
    """The part a row is checked and loaded in: by identity, the same in every process."""
    if parts == 1:
        return 0
    if identity is None:
        return line % parts
    return zlib.crc32(identity.encode()) % parts


def _any(column: str, values: list) -> tuple[str, list]:
    """`column` equals one of `values`, as one parameter whatever their number."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


class _Parsed:
    """A row of a chunk as parsed: its cells, the row (None after an error), its issues,
    its identity and dedup keys."""

    __slots__ = ("line", "cells", "row", "issues", "identity", "key")

    def __init__(self, line, cells, row, issues, identity, key):
        self.line, self.cells, self.row = line, cells, row
        self.issues, self.identity, self.key = issues, identity, key


class PartChecker:
    """Checks the rows of one part of a batch, chunk by chunk, and stores the results."""

    def __init__(self, batch: ImportBatch, *, part: int, parts: int, today: date):
        self.batch, self.part, self.parts, self.today = batch, part, parts, today
        self.parser = RowParser(today=today)
        self.facilities = dict(facilities_in_scope(batch.uploaded_by).values_list("code", "pk"))
        self.wards = {
            code: (pk, province)
            for code, pk, province in Division.objects.filter(
                era=Era.CURRENT, level=Level.WARD
            ).values_list("code", "pk", "province_id")
        }
        # The file's own earlier doses per identity, for the series rules; bounded.
        self.seen: OrderedDict[str, list[rules.DoseFacts]] = OrderedDict()
        self.counts = Counts()
        self._params: dict[int, tuple[CellIssue, str]] = {}
        self._first_doses: dict[tuple, tuple[int, list[CellIssue], list[str]]] = {}
        self._flags: dict[tuple[str, ...], str] = {}

    # --- reading ---------------------------------------------------------------------

    def own_rows(self, rows: Iterator[tuple[int, list]], positions: dict[str, int]):
        """(line, cells in DOSE_COLUMNS order) of the rows of this part."""
        index = [positions.get(c.key, -1) for c in DOSE_COLUMNS]
        width = max(index) + 1
        # The usual row has every template column: its cells are picked in C.
        pick = itemgetter(*index) if min(index) >= 0 else None
        parser, part, parts = self.parser, self.part, self.parts
        for line, cells in rows:
            size = len(cells)
            if pick is not None and size >= width:
                values = pick(cells)
            else:
                values = [cells[i] if 0 <= i < size else None for i in index]
            if parts > 1 and part_of(parser.identity_of(values), line, parts) != part:
                continue
            yield line, values

    def run(self, rows, positions, *, chunk: int, progress: Callable[[int], None] | None):
        own = self.own_rows(rows, positions)
        while block := list(islice(own, chunk)):
            counts = self.check_chunk(block)
            if progress:
                progress(counts.total)
        return self.counts

    # --- one chunk -------------------------------------------------------------------

    def check_chunk(self, block: list[tuple[int, Sequence]]) -> Counts:
        parse, identity_key = self.parser.parse_values, self.parser.identity_key
        parsed: list[_Parsed] = []
        for line, values in block:
            row, issues = parse(line, values)
            if row is None:
                parsed.append(_Parsed(line, values, None, issues, "", ""))
            else:
                identity = identity_key(row)
                key = dedup_key(identity, row.product, row.given_on, row.facility_code)
                parsed.append(_Parsed(line, values, row, issues, identity, key))
        history = self.history_in_db([p for p in parsed if p.row is not None])
        stored = {f.ref for facts in history.values() for f in facts}
        counts = Counts(total=len(parsed))
        problems: list[tuple] = []
        staged: list[tuple] = []
        for item in parsed:
            issues = item.issues
            if item.row is not None:
                more, number, flags, has_error = self.row_issues(item, history, stored)
                if more:
                    issues = issues + more
                if not has_error:
                    if number is not None:
                        self.remember(item.identity, item.row, number)
                    staged.append(self.staged_row(item, number, history, flags))
            if issues:
                for issue in issues:
                    problems.append(self.problem(item.line, issue))
                if any(i.severity == "error" for i in issues):
                    counts.errors += 1
                elif any(i.severity == "warning" for i in issues):
                    counts.warnings += 1
        counts.staged = len(staged)
        with transaction.atomic():
            insert_values(ImportProblem, PROBLEM_COLUMNS, problems)
            staging.write(self.batch.pk, staged)
            ImportBatch.objects.filter(pk=self.batch.pk).update(
                total_rows=F("total_rows") + counts.total,
                error_rows=F("error_rows") + counts.errors,
                warning_rows=F("warning_rows") + counts.warnings,
            )
        self.counts.add(counts)
        return counts

    def history_in_db(self, items: list[_Parsed]) -> dict[str, list[rules.DoseFacts]]:
        """The stored doses of the people these rows may be about, per identity: by ID,
        by old ID, and by name and birth date (anyone's, for the series rules)."""
        ids = sorted({p.row.citizen_id for p in items if p.row.citizen_id})
        olds = sorted({p.row.old_id_number for p in items if p.row.old_id_number})
        nameless = [p for p in items if not (p.row.citizen_id or p.row.old_id_number)]
        names = sorted({p.identity.partition("|")[0] for p in nameless})
        births = sorted({p.row.birth_date for p in nameless})
        selects, params = [], []
        for condition in (
            [_any("citizen_id", ids)] if ids else [],
            [("NOT (old_id_number = '')", []), _any("old_id_number", olds)] if olds else [],
            [_any("search_name", names), _any("birth_date", births)] if names else [],
        ):
            if condition:
                selects.append(
                    "SELECT id FROM records_person WHERE "
                    + " AND ".join(sql for sql, _p in condition)
                )
                params += [value for _sql, p in condition for value in p]
        if not selects:
            return {}
        sql = (
            "SELECT p.citizen_id, p.old_id_number, p.search_name, p.birth_date, d.product,"
            " d.given_on, d.dose_number, f.code, d.dedup_key"
            " FROM records_dose d JOIN records_person p ON p.id = d.person_id"
            " JOIN places_facility f ON f.id = d.facility_id"
            f" WHERE d.person_id IN ({' UNION ALL '.join(selects)})"
            " ORDER BY d.given_on, d.id"
        )
        history: dict[str, list[rules.DoseFacts]] = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for cid, old, search_name, birth, product, given_on, number, code, key in cursor:
                if isinstance(given_on, str):  # SQLite
                    given_on = date.fromisoformat(given_on)
                facts = rules.DoseFacts(product, given_on, number, code, ref=key)
                for identity in {cid, old, f"{search_name}|{birth}"} - {""}:
                    history.setdefault(identity, []).append(facts)
        return history

    def row_issues(
        self, item: _Parsed, history: dict[str, list[rules.DoseFacts]], stored: set[str]
    ) -> tuple[list[CellIssue], int | None, list[str], bool]:
        """Issues beyond the row's own cells: scope, ward, series rules; the dose number to
        store (None for a row already stored without one), the flags (warning codes), and
        whether any issue is an error."""
        row = item.row
        issues: list[CellIssue] = []
        if row.facility_code not in self.facilities:
            issues.append(
                CellIssue(
                    "facility_code",
                    "facility_not_allowed",
                    gettext_noop("%(value)s is not a facility you may import doses for."),
                    {"value": row.facility_code},
                )
            )
        if row.ward_code and row.ward_code not in self.wards:
            issues.append(
                CellIssue(
                    "ward_code",
                    "unknown_ward",
                    gettext_noop("%(value)s is not the code of a current ward."),
                    {"value": row.ward_code},
                )
            )
        if item.key in stored:  # loaded before: counted as already there, not checked again
            return issues, row.dose_number, [], bool(issues)
        known = history.get(item.identity)
        seen = self.seen.get(item.identity)
        if known or seen:
            known = (known or []) + (seen or [])
            number, series, flags = self.series(row, known, item.key)
        else:  # a person's first dose: the same answer for the same vaccine, day and number
            first = (row.product, row.given_on, row.dose_number)
            if first not in self._first_doses:
                self._first_doses[first] = self.series(row, [], item.key)
            number, series, flags = self._first_doses[first]
        if series:
            issues += series
        return issues, number, flags, any(i.severity == "error" for i in issues)

    def series(
        self, row: DoseRow, known: list[rules.DoseFacts], key: str
    ) -> tuple[int, list[CellIssue], list[str]]:
        """The dose-series rules: the dose number, its issues and its flags."""
        number = row.dose_number or rules.suggest_dose_number(known, row.given_on)
        facts = rules.DoseFacts(row.product, row.given_on, number, row.facility_code, ref=key)
        issues, flags = [], set()
        for issue in rules.check_dose(facts, known, today=self.today):
            severity = "error" if issue.severity == "error" else "warning"
            if severity == "warning":
                flags.add(issue.code)
            column = _COLUMN_OF_RULE.get(issue.field, "")
            issues.append(
                CellIssue(column, issue.code, issue.template, dict(issue.params), severity)
            )
        return number, issues, sorted(flags)

    def remember(self, identity: str, row: DoseRow, number: int) -> None:
        self.seen.setdefault(identity, []).append(
            rules.DoseFacts(row.product, row.given_on, number, row.facility_code)
        )
        self.seen.move_to_end(identity)
        if len(self.seen) > SEEN_PEOPLE:
            self.seen.popitem(last=False)

    # --- what is stored --------------------------------------------------------------

    def problem(self, line: int, issue: CellIssue) -> tuple:
        # The parser's cached issues repeat (a person's repaired ID on each dose): their
        # params are encoded once, keyed by identity (equal issues hash alike, params
        # aside, so keying by the issue itself would compare a long chain of them).
        known = self._params.get(id(issue))
        if known is None or known[0] is not issue:
            if len(self._params) >= 100_000:
                self._params.clear()
            known = self._params[id(issue)] = (issue, json.dumps(dict(issue.params)))
        params = known[1]
        return (
            self.batch.pk, line, issue.column, issue.code, issue.template, params, issue.severity
        )  # fmt: skip

    def staged_row(self, item: _Parsed, number: int | None, history, flags: list[str]) -> tuple:
        row = item.row
        if number is None:  # already stored; a number in case it is gone by the load
            known = history.get(item.identity, []) + self.seen.get(item.identity, [])
            number = rules.suggest_dose_number(known, row.given_on)
        ward, province = self.wards.get(row.ward_code, _NO_WARD) if row.ward_code else _NO_WARD
        cid, name, birth, _sex, phone = item.cells[:5]
        return (
            self.part, item.line, item.identity, row.citizen_id, row.old_id_number,
            row.full_name, self.parser.name_key(row.full_name), row.birth_date, row.sex,
            row.phone, row.address[:250], ward, province,
            (cid.strip() if type(cid) is str else _captured(cid))[:20],
            (name.strip() if type(name) is str else _captured(name))[:120],
            (birth.strip() if type(birth) is str else _captured(birth))[:10],
            (phone.strip() if type(phone) is str else _captured(phone))[:15],
            row.product, row.lot[:40], row.given_on, number,
            self.facilities[row.facility_code], self.flags_json(flags), item.key,
        )  # fmt: skip

    def flags_json(self, flags: list[str]) -> str:
        if not flags:
            return "[]"
        key = tuple(flags)
        if key not in self._flags:
            self._flags[key] = json.dumps(flags)
        return self._flags[key]


_NO_WARD = (None, None)


def _captured(value) -> str:
    """A cell as the dose keeps it, "as typed": dates as dd/mm/yyyy, integral numbers
    without ".0", otherwise the text unchanged but trimmed."""
    if value is None:
        return ""
    if type(value) is str:
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def open_rows(batch: ImportBatch) -> tuple[HeaderMatch, Iterator[tuple[int, list]]]:
    """The batch file's header match and its rows."""
    header, rows = read_table(batch.file.path)
    return match_header(header), rows
