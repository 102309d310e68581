"""Mass issuing: every person of an area whose doses are all signed and whose passport is
missing or out of date gets one, in parallel across the machine's cores.

The work is cut into ranges of person ids; each range is read with one query, encoded and
signed in Python, and written in one transaction (new passports by COPY on PostgreSQL, the
old ones superseded; no dose row is touched: "certified" is derived, `records.stages`). A range
either commits whole or not at all, and "due" is decided from the database each time, so
a run stopped at any point resumes by running again, and a second run issues nothing.
"""

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from vaxpass.core import doses as rules
from vaxpass.core.dcc import payload as dcc
from vaxpass.core.dcc.encode import encode_vaccination_certificates
from vaxpass.core.dcc.errors import DccError
from vaxpass.core.pki import COUNTRY
from vaxpass.passports import keys
from vaxpass.passports.issuing import digest_of, stored_fields
from vaxpass.passports.models import Certificate
from vaxpass.records.bulk import insert_values
from vaxpass.records.models import DoseStatus, Person

RANGE = 2000  # people per transaction


@dataclass
class Summary:
    issued: int = 0
    skipped: int = 0  # people in the ranges who were not due
    failed: int = 0  # due, but their data cannot make a certificate (e.g. a birth year < 1900)

    def add(self, other: "Summary") -> None:
        self.issued += other.issued
        self.skipped += other.skipped
        self.failed += other.failed


def _people(province: str | None):
    people = Person.objects.all()
    return people.filter(current_province__code=province) if province else people


def _range_size(people: int, workers: int) -> int:
    """People per range: RANGE, or fewer when that would give each worker too few ranges
    to end together (five ranges between two workers keep one busy for the last)."""
    if workers == 1:
        return RANGE
    return max(RANGE // 8, min(RANGE, -(-people // (workers * 4))))


def _id_ranges(province: str | None, size: int = RANGE) -> Iterator[tuple[int, int]]:
    ids = _people(province).order_by("pk").values_list("pk", flat=True)
    chunk: list[int] = []
    for pk in ids.iterator(chunk_size=size * 5):
        chunk.append(pk)
        if len(chunk) == size:
            yield chunk[0], chunk[-1]
            chunk = []
    if chunk:
        yield chunk[0], chunk[-1]


_ROWS = """
SELECT p.id, p.full_name, p.birth_date, p.registry_id, d.id, d.product, d.given_on,
       d.dose_number, d.status, s.digest
FROM records_person p
JOIN records_dose d ON d.person_id = p.id
LEFT JOIN passports_dosesignature s ON s.dose_id = d.id
WHERE p.id BETWEEN %s AND %s AND d.person_id BETWEEN %s AND %s {province}
ORDER BY p.id, d.given_on, d.id
"""


def _due_people(first: int, last: int, province: str | None):
    """(person id, name, birth date, registry id, doses, digest) for each person of the
    range whose doses are all signed and whose valid passport (if any) says otherwise."""
    where = "AND p.current_province_id = (SELECT id FROM places_division WHERE era = 'current' AND level = 'province' AND code = %s)"
    # The range on the doses too: it lets the planner take the range from their person
    # index instead of hashing the whole table's doses against the range's people.
    params: list = [first, last, first, last] + ([province] if province else [])
    with connection.cursor() as cursor:
        cursor.execute(_ROWS.format(province=where if province else ""), params)
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT person_id, content_digest FROM passports_certificate "
            "WHERE person_id BETWEEN %s AND %s AND status = 'valid'",
            [first, last],
        )
        current = dict(cursor.fetchall())
    people, skipped = [], 0
    i = 0
    while i < len(rows):
        person_id = rows[i][0]
        j = i
        while j < len(rows) and rows[j][0] == person_id:
            j += 1
        group = rows[i:j]
        i = j
        if any(r[8] != DoseStatus.SIGNED or r[9] is None for r in group):
            skipped += 1
            continue
        _pid, name, birth, registry_id = group[0][:4]
        digest = digest_of(name, birth, registry_id, (r[9] for r in group))
        if current.get(person_id) == digest:
            skipped += 1
            continue
        people.append((person_id, name, birth, group, digest))
    return people, skipped, set(current)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def issue_range(
    first: int, last: int, province: str | None = None, at: datetime | None = None
) -> Summary:
    people, skipped, had_valid = _due_people(first, last, province)
    read_at = timezone.now()
    at = at or read_at
    if not people:
        return Summary(0, skipped)
    key_row, signer = keys.document_signer(at)
    holders = []
    for _person_id, name, birth, group, _digest in people:
        facts = [rules.DoseFacts(r[5], _as_date(r[6]), r[7]) for r in group]
        totals = rules.series_totals(facts)
        doses = [
            dcc.Dose(product=r[5], date=facts[n].given_on, dose_number=r[7], series_total=totals[n])
            for n, r in enumerate(group)
        ]
        holders.append((dcc.Person.from_full_name(name, birth), doses))
    # Stored is the HC1 text: the DCC JSON of each certificate is not built.
    options = {"issuer_country": COUNTRY, "issued_at": at, "validity": settings.PASSPORT_VALIDITY,
               "payloads": False}  # fmt: skip
    try:
        results = encode_vaccination_certificates(holders, signer, **options)
    except DccError:  # someone's data cannot make a certificate: issue the others
        results = []
        for holder in holders:
            try:
                results.append(encode_vaccination_certificates([holder], signer, **options)[0])
            except DccError:
                results.append(None)
    issued = [
        (person[0], person[4], stored_fields(result))
        for person, result in zip(people, results, strict=True)
        if result is not None
    ]
    _store(issued, key_row.pk, had_valid, read_at)
    return Summary(len(issued), skipped, len(people) - len(issued))


def _among(column: str, ids: list[int]) -> tuple[str, list]:
    """`column` is one of `ids`: one array parameter on PostgreSQL (no planning of 2,000
    placeholders), a list of placeholders on SQLite."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


_COLUMNS = (
    "person_id", "uvci", "hc1", "key_id", "issued_at", "doses_read_at", "expires_at",
    "content_digest", "signature_hash", "status", "revoked_at", "revocation_reason",
)  # fmt: skip


def _copy_text(issued, key_id: int, read_at: datetime) -> bytes:
    """The rows of ``issued`` as COPY text, built as one string: psycopg's per-row,
    per-value adaptation took 13 µs a passport, a tenth of its whole cost."""
    times: dict[datetime, str] = {}

    def stamp(value: datetime) -> str:  # a range's passports share their times
        text = times.get(value)
        if text is None:
            text = times[value] = value.isoformat()
        return text

    read, key = stamp(read_at), str(key_id)
    lines = [
        f"{person_id}\t{f['uvci']}\t{f['hc1']}\t{key}\t{stamp(f['issued_at'])}\t{read}\t"
        f"{stamp(f['expires_at'])}\t{digest}\t{f['signature_hash']}\tvalid\t\\N\t\n"
        for person_id, digest, f in issued
    ]
    text = "".join(lines)
    # No value holds a character the text format escapes (HC1 is base45, the UVCI has its
    # own alphabet, digests are hex): counted here, so a change elsewhere cannot slip a
    # tab or a backslash into a row unescaped.
    rows = len(lines)
    counts = (text.count("\t"), text.count("\n"), text.count("\\"), text.count("\r"))
    if counts != (11 * rows, rows, rows, 0):
        raise ValueError("a passport value holds a character COPY text would escape")
    return text.encode()


def _store(issued, key_id: int, had_valid: set[int], read_at: datetime) -> None:
    person_ids = [person_id for person_id, _digest, _fields in issued]
    replacing = [p for p in person_ids if p in had_valid]
    with transaction.atomic(), connection.cursor() as cursor:
        if replacing:
            old, old_params = _among("person_id", replacing)
            cursor.execute(
                f"UPDATE passports_certificate SET status = 'superseded' "
                f"WHERE status = 'valid' AND {old}",
                old_params,
            )
        # The ids come from the table's own default: nothing refers to them here.
        if connection.vendor == "postgresql":
            names = ", ".join(_COLUMNS)
            with cursor.cursor.copy(f"COPY passports_certificate ({names}) FROM STDIN") as copy:
                copy.write(_copy_text(issued, key_id, read_at))
        else:
            prep = connection.ops.adapt_datetimefield_value
            read = prep(read_at)
            rows = [
                (
                    person_id,
                    f["uvci"],
                    f["hc1"],
                    key_id,
                    prep(f["issued_at"]),
                    read,
                    prep(f["expires_at"]),
                    digest,
                    f["signature_hash"],
                    "valid",
                    None,
                    "",
                )  # fmt: skip
                for person_id, digest, f in issued
            ]
            insert_values(Certificate, _COLUMNS, rows)
        if replacing:
            cursor.execute(
                "UPDATE passports_certificate SET replaced_by_id = (SELECT n.id FROM "
                "passports_certificate n WHERE n.person_id = passports_certificate.person_id "
                "AND n.status = 'valid') WHERE status = 'superseded' AND replaced_by_id IS NULL "
                f"AND {old}",
                old_params,
            )


def _worker(job: tuple[int, int, str | None]) -> Summary:
    first, last, province = job
    # A range's rows and certificates make no reference cycles worth collecting, but
    # their number sets the cyclic collector off, walking the whole heap each time: a
    # sixth of the time. Off for the range; what it leaves is freed by reference counts.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return issue_range(first, last, province)
    finally:
        if enabled:
            gc.enable()


def _worker_init() -> None:
    connections.close_all()  # never share the parent's connection after fork
    keys._cached_signer.cache_clear()


def issue_due(
    *,
    province: str | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Issue every passport due in the province (or the nation)."""
    summary = Summary()
    workers = workers or os.cpu_count() or 1
    if connection.vendor != "postgresql":
        workers = 1
    size = _range_size(_people(province).count(), workers)
    ranges = [(first, last, province) for first, last in _id_ranges(province, size)]
    if workers == 1 or len(ranges) < 2:
        for job in ranges:  # SQLite takes one writer at a time: no gain in more
            done = _worker(job)
            summary.add(done)
            if progress:
                progress(done.issued + done.skipped + done.failed)
        return summary
    keys.document_signer()  # fail early, before forking, if there is no DSC
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_worker_init) as pool:
        for done in pool.imap_unordered(_worker, ranges):
            summary.add(done)
            if progress:
                progress(done.issued + done.skipped + done.failed)
    return summary
