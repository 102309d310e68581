"""A batch run's automatic decisions written back in set-based SQL (PostgreSQL).

``services.record_engine_decisions`` applies a chunk through model objects: about a
millisecond of Python per dose, 45 minutes for a national backlog of 2.3 million. Here
the links (verified, corrected, linked) and the not-found decisions of a chunk are
staged by COPY into a temporary table, and the database does the rest in a few
statements: it locks the doses still waiting, finds each link's Person by the rules of
``linking.link_doses`` (the one already linked to the registry person; else the dose's own
Person when nothing ties it to anyone else, the first dose of the chunk winning; else a
new Person from the registry's values), aligns the Person's identity, and writes the
decisions, the corrections (before and after, so they can be undone), the doses and the
audit entries.

Two doses of one person and day are proposed for merging here too. Everything else stays
with the model path, in the same transaction: decisions for review (candidates, queues),
doses that already had a decision (``redecide``), and links whose Person has signed doses
(their saves must reach the passports app's signals). SQLite runs the model path
throughout: it is the embedded default for one site, not for national batches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from vaxpass.cleaning.linking import SIGNED_STATES, announce_verified
from vaxpass.cleaning.models import (
    LINK_OUTCOMES,
    CleaningDecision,
    Correction,
    MergeProposal,
    MergeStatus,
)
from vaxpass.cleaning.services import RegistryLookup, WriteResult, record_engine_decisions
from vaxpass.core.identity import name_key
from vaxpass.core.matching import Decision, DoseDecision
from vaxpass.core.matching.decisions import Correction as CoreCorrection
from vaxpass.places.models import Era, Level
from vaxpass.records.audit import bulk_audit_sql, bulk_change_audit_sql
from vaxpass.records.models import Dose, DoseStatus, Person

# Smaller chunks take the model path: for a few doses (a dose recorded live) the set-based
# path's dozen statements cost more than the model objects they replace.
SET_BASED_FROM = 50
# The staged decisions: column and type, in the order of `_staged_rows`' tuples.
STAGED_COLUMNS = (
    ("seq", "integer"), ("dose_id", "bigint"), ("decision", "text"), ("stage", "smallint"),
    ("citizen_id", "text"), ("probability", "double precision"), ("reasons", "jsonb"),
    ("corrections", "jsonb"), ("merge_with", "jsonb"), ("policy_version", "text"),
    ("model_version", "text"),
    ("why", "text"), ("r_old_id", "text"), ("r_full_name", "text"),
    ("r_birth_date", "text"), ("r_sex", "text"), ("r_phone", "text"),
    ("r_ward_code", "text"), ("r_name_key", "text"),
)  # fmt: skip
_CORRECTION = tuple(CoreCorrection.__dataclass_fields__)  # its fields, in their order
# Person field -> (the dose's captured column shown next to it, the registry's value).
_ALIGNED = (
    ("citizen_id", "captured_citizen_id", "l.citizen_id"),
    ("old_id_number", "captured_citizen_id", "l.r_old_id"),
    ("full_name", "captured_name", "l.r_full_name"),
    ("birth_date", "captured_birth_date", "l.r_birth_date"),
    ("sex", "captured_sex", "l.r_sex"),
)

# What a link writes to the Person and the dose, audited field by field.
_PERSON_WRITTEN = ("registry_id", "search_name", *(f for f, _c, _r in _ALIGNED))
_DOSE_WRITTEN = ("person", "registry_id", "status", "updated_at")


def available() -> bool:
    return connection.vendor == "postgresql"


def _set_based(d: DoseDecision) -> bool:
    return d.decision is not Decision.REVIEW


def _no_links(citizen_ids: set[str]) -> list[DoseDecision]:
    return []


@dataclass
class Prepared:
    """A part of a chunk made ready for the database (by a thread of its own in a batch
    run, while the database writes the chunk before): the rows staged for the set-based
    path, the decisions for the model path, and how to find the staged links of given
    registry people again (those the model path must take after all)."""

    size: int  # decisions in the part
    # Rows of STAGED_COLUMNS: tuples, or CSV text when DuckDB staged them (``staging``).
    rows: list[tuple] | bytes = field(default_factory=list)
    staged: int = 0
    rest: list[DoseDecision] = field(default_factory=list)
    unknown: int = 0  # links to a registry person no longer in the registry
    links_of: Callable[[set[str]], list[DoseDecision]] = _no_links


def prepare(
    decisions: Sequence[DoseDecision], *, lookup: RegistryLookup, redecide: bool = False
) -> Prepared:
    """Everything about a chunk that needs no database of the app's."""
    if not available() or redecide or len(decisions) < SET_BASED_FROM:
        return Prepared(len(decisions), rest=list(decisions))
    return staged_in_python(decisions, lookup=lookup)


def staged_in_python(decisions: Sequence[DoseDecision], *, lookup: RegistryLookup) -> Prepared:
    """A chunk's set-based rows from its DoseDecision objects, the rest for the model
    path (a batch run on PostgreSQL has DuckDB stage them: ``staging``)."""
    fast = [d for d in decisions if _set_based(d)]
    wanted = sorted({d.citizen_id for d in fast if d.decision.links and d.citizen_id})
    people = dict(lookup(wanted)) if wanted else {}
    usable = [d for d in fast if not d.decision.links or d.citizen_id in people]
    return Prepared(
        len(decisions),
        rows=_staged_rows(usable, people),
        staged=len(usable),
        rest=[d for d in decisions if not _set_based(d)],
        unknown=len(fast) - len(usable),
        links_of=lambda cids: [d for d in usable if d.decision.links and d.citizen_id in cids],
    )


def write_prepared(
    chunk: Prepared, *, run, method: str, lookup: RegistryLookup, redecide: bool = False,
    searched=None, today=None,
) -> WriteResult:  # fmt: skip
    """Write a prepared chunk in one transaction: the set-based part, then through the
    model path what is left and what the set-based part handed back. ``searched`` as for
    ``record_engine_decisions`` (it only concerns reviews, which take the model path)."""
    if not chunk.staged and not chunk.unknown:
        return record_engine_decisions(
            chunk.rest, run=run, method=method, lookup=lookup, redecide=redecide,
            searched=searched, today=today,
        )  # fmt: skip
    with transaction.atomic():
        result, handed_back = _apply(chunk, run=run, method=method)
        if chunk.rest or handed_back:
            result.add(
                record_engine_decisions(
                    [*handed_back, *chunk.rest], run=run, method=method, lookup=lookup,
                    searched=searched, today=today,
                )
            )  # fmt: skip
    return result


def write_engine_decisions(
    decisions: Sequence[DoseDecision],
    *,
    run,
    method: str,
    lookup: RegistryLookup,
    redecide: bool = False,
    searched=None,
    today=None,
) -> WriteResult:
    """As ``services.record_engine_decisions``, the automatic part in set-based SQL where
    the database allows it (one transaction for the whole chunk)."""
    chunk = prepare(decisions, lookup=lookup, redecide=redecide)
    return write_prepared(
        chunk,
        run=run,
        method=method,
        lookup=lookup,
        redecide=redecide,
        searched=searched,
        today=today,
    )


def _staged_rows(decisions: Sequence[DoseDecision], people) -> list[tuple]:
    """One row per decision, with the linked registry person's values (empty for
    not-found decisions)."""
    nobody = ("",) * 7
    registry: dict[str, tuple] = {}  # citizen ID -> its values, name key computed once
    said: dict[tuple, tuple[str, str]] = {}  # a run's decisions share a few sets of reasons
    rows = []
    for seq, d in enumerate(decisions):
        values = nobody
        if d.citizen_id:
            values = registry.get(d.citizen_id, ())
            if not values:
                person = people[d.citizen_id]
                values = registry[d.citizen_id] = (
                    person.old_id_number or "", person.full_name, person.birth_date,
                    person.sex, person.phone or "", person.ward_code,
                    name_key(person.full_name),
                )  # fmt: skip
        reasons = said.get(d.reasons)
        if reasons is None:
            named = [str(r) for r in d.reasons]
            reasons = said[d.reasons] = (json.dumps(named), " ".join(named))
        rows.append(
            (
                seq, int(d.dose_id), d.decision.value, d.stage, d.citizen_id or "",
                d.probability, reasons[0], corrections_json(d.corrections),
                json.dumps([int(x) for x in d.merge_with]), d.policy_version, d.model_version,
                reasons[1], *values,
            )
        )  # fmt: skip
    return rows


def corrections_json(corrections: Sequence[CoreCorrection]) -> str:
    """A decision's corrections as stored: the list dataclasses.asdict gives, without its
    deep copy (5 µs a correction)."""
    if not corrections:
        return "[]"
    return json.dumps([{name: getattr(c, name) for name in _CORRECTION} for c in corrections])


def _sequence(model) -> str:
    return f"pg_get_serial_sequence('{model._meta.db_table}', 'id')::regclass"


def _apply(chunk: Prepared, *, run, method: str) -> tuple[WriteResult, list[DoseDecision]]:
    """Apply links and not-found decisions; returns what was done and the decisions handed
    back to the model path (links whose Person has signed doses)."""
    result = WriteResult()
    result.skipped += chunk.unknown  # the registry changed since the run
    if not chunk.staged:
        return result, []
    # As the model path: a run's links are applied by nobody (applied_by and the audit
    # entries' actor empty), the run itself says who started it.
    now = timezone.now()
    params = {
        "now": now,
        "now_json": DjangoJSONEncoder().default(now),
        "actor": None,
        "run": run.pk if run is not None else None,
        "method": method,
        "recorded": DoseStatus.RECORDED,
        "verified": DoseStatus.VERIFIED,
        "links": list(LINK_OUTCOMES),
        "signed": list(SIGNED_STATES),
        "open": MergeStatus.OPEN,
        "era": Era.CURRENT,
        "level": Level.WARD,
    }
    with connection.cursor() as cursor:
        columns = ", ".join(f"{name} {kind}" for name, kind in STAGED_COLUMNS)
        cursor.execute(f"CREATE TEMP TABLE cleaning_staged ({columns}) ON COMMIT DROP")
        names = ", ".join(name for name, _kind in STAGED_COLUMNS)
        if isinstance(chunk.rows, bytes):
            with cursor.cursor.copy(
                f"COPY cleaning_staged ({names}) FROM STDIN (FORMAT csv)"
            ) as copy:
                copy.write(chunk.rows)
        else:
            with cursor.cursor.copy(f"COPY cleaning_staged ({names}) FROM STDIN") as copy:
                for row in chunk.rows:
                    copy.write_row(row)
        # A temporary table has no statistics: without them the planner may scan the doses.
        cursor.execute("ANALYZE cleaning_staged (dose_id)")
        # From here on every join goes from the chunk's few thousand rows into a table the
        # run keeps growing. With statistics from before the run the planner hashes or
        # merges against the whole table, for every chunk, and the run's time grows with
        # the square of its size; look-ups by index cost the same for the last chunk as
        # for the first. The temporary tables get the indexes their own joins need. And no
        # JIT: with those joins off, a statement's estimated cost passes jit_above_cost
        # and compiling took 100 times longer than running it (proposing a part's merges:
        # 320 ms, 3 ms without).
        saved = _planned_for_chunks(cursor)
        # The doses still waiting, locked; a dose another run or a person decided since
        # the export is left alone.
        cursor.execute(
            f"""CREATE TEMP TABLE cleaning_chosen ON COMMIT DROP AS
            SELECT s.*, d.person_id AS own_id, d.registry_id AS dose_registry_id,
                   d.captured_citizen_id, d.captured_name, d.captured_birth_date,
                   d.captured_sex, d.updated_at AS dose_updated_at,
                   nextval({_sequence(CleaningDecision)}) AS decision_id
            FROM cleaning_staged s JOIN records_dose d ON d.id = s.dose_id
            WHERE d.status = %(recorded)s
              AND NOT EXISTS (SELECT 1 FROM cleaning_cleaningdecision c
                              WHERE c.dose_id = s.dose_id AND c.current)
            FOR NO KEY UPDATE OF d""",
            params,
        )
        # Links whose Person (the registry person's, or the dose's own) has signed doses:
        # handed back whole, with every dose of the same registry person.
        cursor.execute("ANALYZE cleaning_chosen (citizen_id, own_id, decision)")
        cursor.execute(
            """SELECT c.citizen_id FROM cleaning_chosen c
               JOIN records_dose s ON s.person_id = c.own_id
            WHERE c.decision = ANY(%(links)s) AND s.status = ANY(%(signed)s)
            UNION
            SELECT c.citizen_id FROM cleaning_chosen c
               JOIN records_person p ON p.registry_id = c.citizen_id
               JOIN records_dose s ON s.person_id = p.id
            WHERE c.decision = ANY(%(links)s) AND c.citizen_id <> ''
              AND s.status = ANY(%(signed)s)""",
            params,
        )
        signed = {row[0] for row in cursor.fetchall()}
        handed_back = chunk.links_of(signed) if signed else []
        if signed:
            cursor.execute(
                "DELETE FROM cleaning_chosen WHERE citizen_id = ANY(%(cids)s)",
                {"cids": sorted(signed)},
            )
        # What is applied, counted by decision and reasons, and the registry people linked.
        cursor.execute(
            """SELECT decision, reasons::text, count(*),
                      array_agg(DISTINCT citizen_id) FILTER (WHERE decision = ANY(%(links)s))
               FROM cleaning_chosen GROUP BY 1, 2""",
            params,
        )
        cids: set[str] = set()
        for decision, reasons, count, linked in cursor.fetchall():
            result.decisions[decision] += count
            for reason in json.loads(reasons):
                result.reasons[reason] += count
            cids.update(linked or ())
        params["cids"] = sorted(cids)
        chosen = sum(result.decisions.values())
        result.skipped += chunk.staged - len(handed_back) - chosen
        _insert_decisions(cursor, params)
        verified = _link(cursor, params)
        result.merges = _propose_merges(cursor, params)
        cursor.execute("DROP TABLE cleaning_staged, cleaning_chosen, cleaning_links")
        _restore(cursor, saved)
    result.applied = chosen
    result.verified = len(verified)
    announce_verified(verified)
    return result, handed_back


_PLANNER_OFF = ("enable_hashjoin", "enable_mergejoin", "jit")


def _planned_for_chunks(cursor) -> list[str]:
    """Hash joins, merge joins and JIT off until ``_restore`` (within the transaction);
    returns the settings as they were. One round trip: the subquery (kept apart by
    ``OFFSET 0``) reads them before the outer select list changes them."""
    read = ", ".join(f"current_setting('{name}') AS s{i}" for i, name in enumerate(_PLANNER_OFF))
    off = ", ".join(f"set_config('{name}', 'off', true)" for name in _PLANNER_OFF)
    kept = ", ".join(f"was.s{i}" for i in range(len(_PLANNER_OFF)))
    cursor.execute(f"SELECT {kept}, {off} FROM (SELECT {read} OFFSET 0) was")
    return list(cursor.fetchone()[: len(_PLANNER_OFF)])


def _restore(cursor, saved: list[str]) -> None:
    cursor.execute(
        "SELECT " + ", ".join(f"set_config('{n}', %s, true)" for n in _PLANNER_OFF), saved
    )


def _aligned(field: str, current: str, registry: str) -> str:
    """linking.aligned_value in SQL."""
    if field == "birth_date":
        return (
            f"CASE WHEN {registry} = '' OR (length({registry}) = 4"
            f" AND left({current}, 4) = {registry}) THEN {current} ELSE {registry} END"
        )
    return f"CASE WHEN {registry} = '' THEN {current} ELSE {registry} END"


def _link(cursor, params: dict) -> list[int]:
    """The links of ``cleaning_chosen``: Persons found or made, aligned, doses moved, all
    audited; returns the ids of the doses now verified."""
    # The IDs as a list of values, not a join: most People have no registry_id yet, and
    # against that one common value the planner expects every look-up to find them all.
    cursor.execute(
        """CREATE TEMP TABLE cleaning_known ON COMMIT DROP AS
        SELECT p.registry_id, min(p.id) AS id FROM records_person p
        WHERE p.registry_id = ANY(%(cids)s)
        GROUP BY p.registry_id""",
        params,
    )
    cursor.execute("CREATE INDEX ON cleaning_known (registry_id)")
    cursor.execute("ANALYZE cleaning_known")
    # A batch run writes with two connections, each chunk split by registry person
    # (batch._partition), so no other writer gives a Person these registry IDs. But one
    # Person can hold doses of two registry people, each half adopting it. So the
    # Persons a chunk may adopt or align are locked first, in one order (two writers
    # never wait on each other in a circle), and read again after.
    cursor.execute(
        """SELECT p.id FROM records_person p WHERE p.id IN (
            SELECT own_id FROM cleaning_chosen WHERE decision = ANY(%(links)s)
            UNION SELECT id FROM cleaning_known)
        ORDER BY p.id FOR NO KEY UPDATE""",
        params,
    )
    cursor.execute(
        f"""CREATE TEMP TABLE cleaning_links ON COMMIT DROP AS
        WITH linked AS (
            SELECT c.*, k.id AS existing,
                   row_number() OVER (PARTITION BY c.citizen_id ORDER BY c.seq) AS nth
            FROM cleaning_chosen c LEFT JOIN cleaning_known k ON k.registry_id = c.citizen_id
            WHERE c.decision = ANY(%(links)s)
        ),
        adoptable AS (
            SELECT l.*, (l.existing IS NULL AND l.nth = 1 AND p.registry_id = ''
                         AND p.citizen_id IN ('', l.citizen_id)
                         AND p.old_id_number IN ('', l.r_old_id)) AS may_adopt
            FROM linked l JOIN records_person p ON p.id = l.own_id
        ),
        flagged AS (
            SELECT a.*, a.may_adopt AND row_number() OVER (
                       PARTITION BY a.own_id, a.may_adopt ORDER BY a.seq) = 1 AS adopts
            FROM adoptable a
        ),
        numbered AS (  -- a volatile CTE: each new Person's number drawn once
            SELECT f.*, CASE WHEN f.existing IS NULL AND f.nth = 1 AND NOT f.adopts
                             THEN nextval({_sequence(Person)}) END AS new_person
            FROM flagged f ORDER BY f.seq
        )
        -- Every link of a registry person goes to what its first link found or made.
        SELECT n.*, first_value(COALESCE(n.existing,
                   CASE WHEN n.adopts THEN n.own_id ELSE n.new_person END))
               OVER (PARTITION BY n.citizen_id ORDER BY n.seq) AS target
        FROM numbered n""",
        params,
    )
    cursor.execute("ANALYZE cleaning_links (dose_id, target, citizen_id)")
    # New People from the registry's values, placed in its ward (current structure).
    cursor.execute(
        f"""WITH born AS (
            INSERT INTO records_person (id, registration_id, citizen_id, old_id_number,
                full_name, search_name, birth_date, sex, phone, address, registry_id,
                created_at, ward_id, legacy_ward_id, legacy_district_id, legacy_province_id,
                current_ward_id, current_province_id)
            SELECT l.new_person, NULL, l.citizen_id, l.r_old_id, l.r_full_name, l.r_name_key,
                   l.r_birth_date, l.r_sex, l.r_phone, '', l.citizen_id, %(now)s, w.id, NULL,
                   NULL, NULL, w.id, w.province_id
            FROM cleaning_links l
            LEFT JOIN places_division w
                ON w.code = l.r_ward_code AND w.era = %(era)s AND w.level = %(level)s
            WHERE l.new_person IS NOT NULL ORDER BY l.seq
            RETURNING *
        ) {bulk_audit_sql(Person, "born n")}""",
        params,
    )
    # Align each found Person once (the first link of its registry person; later links
    # find it aligned already), and write the changes down field by field.
    before = ", ".join(f"p.{field} AS b_{field}" for field, _c, _r in _ALIGNED)
    after = ", ".join(
        f"{_aligned(field, f'p.{field}', registry)} AS a_{field}"
        for field, _c, registry in _ALIGNED
    )
    cursor.execute(
        f"""CREATE TEMP TABLE cleaning_aligned ON COMMIT DROP AS
        SELECT l.seq, l.target, l.citizen_id, l.r_name_key, p.registry_id AS registry_before,
               p.search_name AS b_search_name, {before}, {after}, l.captured_citizen_id, l.captured_name,
               l.captured_birth_date, l.captured_sex, l.r_old_id, l.r_full_name,
               l.r_birth_date, l.r_sex
        FROM cleaning_links l JOIN records_person p ON p.id = l.target
        WHERE l.nth = 1 AND l.new_person IS NULL"""
    )
    cursor.execute("CREATE INDEX ON cleaning_aligned (seq)")
    cursor.execute("ANALYZE cleaning_aligned (target, seq)")
    parts = [
        f"SELECT {i} AS i, jsonb_build_object('field', '{field}', 'captured', l.{captured},"
        f" 'registry', {registry}, 'before', l.b_{field}, 'after', l.a_{field}) AS change"
        f" WHERE l.a_{field} <> l.b_{field}"
        for i, (field, captured, registry) in enumerate(_ALIGNED)
    ]
    cursor.execute("ALTER TABLE cleaning_aligned ADD COLUMN changes jsonb")
    cursor.execute(
        f"""UPDATE cleaning_aligned l SET changes = (
            SELECT COALESCE(jsonb_agg(x.change ORDER BY x.i), '[]'::jsonb)
            FROM ({" UNION ALL ".join(parts)}) x)"""
    )
    assignments = ", ".join(f"{field} = a.a_{field}" for field, _c, _r in _ALIGNED)
    cursor.execute(
        f"""WITH changed AS (
            UPDATE records_person p SET registry_id = a.citizen_id, {assignments},
                search_name = CASE WHEN a.changes = '[]'::jsonb OR a.r_full_name = ''
                                   THEN p.search_name ELSE a.r_name_key END
            FROM cleaning_aligned a
            WHERE p.id = a.target AND (a.changes <> '[]'::jsonb OR a.registry_before <> a.citizen_id)
            RETURNING p.id, p.registry_id, a.registry_before AS b_registry_id, p.search_name,
                      a.b_search_name, {", ".join(f"p.{f}, a.b_{f}" for f, _c, _r in _ALIGNED)}
        ) {bulk_change_audit_sql(Person, "changed n", _PERSON_WRITTEN)}""",
        params,
    )
    cursor.execute(
        f"""INSERT INTO {Correction._meta.db_table} (dose_id, decision_id, citizen_id,
            person_before_id, person_id, person_created, registry_id_before, status_before,
            person_registry_id_before, changes, method, applied_by_id, applied_at, why,
            undone_at, undone_by_id, undo_note)
        SELECT l.dose_id, l.decision_id, l.citizen_id, l.own_id, l.target,
               l.new_person IS NOT NULL, l.dose_registry_id, %(recorded)s,
               CASE WHEN l.existing IS NULL AND l.nth = 1 THEN '' ELSE l.citizen_id END,
               COALESCE(a.changes, '[]'::jsonb), %(method)s, %(actor)s, %(now)s, l.why,
               NULL, NULL, ''
        FROM cleaning_links l LEFT JOIN cleaning_aligned a ON a.seq = l.seq
        ORDER BY l.seq""",
        params,
    )
    cursor.execute(
        f"""WITH moved AS (
            UPDATE records_dose d SET person_id = l.target, registry_id = l.citizen_id,
                status = %(verified)s, updated_at = %(now)s
            FROM cleaning_links l WHERE d.id = l.dose_id
            RETURNING d.id, d.person_id, l.own_id AS b_person_id, d.registry_id,
                      l.dose_registry_id AS b_registry_id, d.status,
                      CAST(%(recorded)s AS text) AS b_status, d.updated_at,
                      l.dose_updated_at AS b_updated_at
        ),
        audited AS ({bulk_change_audit_sql(Dose, "moved n", _DOSE_WRITTEN)})
        SELECT id FROM moved ORDER BY id""",
        params,
    )
    verified = [row[0] for row in cursor.fetchall()]
    cursor.execute("DROP TABLE cleaning_aligned, cleaning_known")
    return verified


def _insert_decisions(cursor, params: dict) -> None:
    cursor.execute(
        f"""INSERT INTO {CleaningDecision._meta.db_table} (id, dose_id, run_id, current,
            decision, stage, citizen_id, candidate_id, probability, reasons, candidates,
            corrections, merge_with, policy_version, model_version, method, decided_by_id,
            decided_at, note)
        SELECT c.decision_id, c.dose_id, %(run)s, true, c.decision, c.stage, c.citizen_id,
               '', c.probability, c.reasons, '[]'::jsonb, c.corrections, c.merge_with,
               c.policy_version, c.model_version, %(method)s, NULL, %(now)s, ''
        FROM cleaning_chosen c ORDER BY c.seq""",
        params,
    )


def _propose_merges(cursor, params: dict) -> int:
    """services._propose_merges in SQL: each pair of doses once (lower id first), with the
    registry person of the pair's last decision in the chunk, both doses still there."""
    cursor.execute(
        f"""WITH named AS (
            SELECT DISTINCT ON (low, high) low, high, citizen_id
            FROM (SELECT least(c.dose_id, CAST(m.other AS bigint)) AS low,
                         greatest(c.dose_id, CAST(m.other AS bigint)) AS high, c.citizen_id, c.seq
                  FROM cleaning_chosen c, jsonb_array_elements_text(c.merge_with) AS m (other)
            ) p
            WHERE EXISTS (SELECT 1 FROM records_dose d WHERE d.id = p.low)
              AND EXISTS (SELECT 1 FROM records_dose d WHERE d.id = p.high)
            ORDER BY low, high, seq DESC
        ),
        proposed AS (
            INSERT INTO {MergeProposal._meta.db_table} (dose_id, other_id, citizen_id, run_id,
                status, created_at)
            SELECT low, high, citizen_id, %(run)s, %(open)s, %(now)s FROM named ORDER BY low, high
            ON CONFLICT DO NOTHING
        )
        SELECT count(*) FROM named""",
        params,
    )
    return cursor.fetchone()[0]
