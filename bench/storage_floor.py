"""The storage floor: how fast this machine's PostgreSQL takes people and doses at all,
with nothing of the platform's own work around it.

    .venv/bin/python bench/storage_floor.py [--doses 300000] [--writers 2]

Rows as an import makes them (a person per 2.3 doses) are sent by COPY straight into the
platform's tables, with their indexes and foreign keys, and for comparison into copies of
those tables without the foreign keys, and without the indexes either. No checks, no
dedup, no audit entries, no Python per row but the COPY itself. Whatever stores doses
(the import, the batch API, cleaning's write-back) cannot beat the first figure; the
others show what the constraints cost. Then the doses are updated as linking one to the
registry at least does (status and registry ID, one statement per writer). Needs PostgreSQL (scripts/start-postgresql).
Prints one JSON line last.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import _server

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PERSON_COLUMNS = (
    "id, citizen_id, old_id_number, full_name, search_name, birth_date, sex, phone, address,"
    " registry_id, created_at"
)
DOSE_COLUMNS = (
    "person_id, captured_citizen_id, captured_name, captured_birth_date, captured_sex,"
    " captured_phone, captured_address, registry_id, product, lot, given_on, dose_number,"
    " facility_id, entered_by_id, source, status, flags, override_reason, dedup_key,"
    " import_line, created_at, updated_at"
)
NOW = "2026-12-01 00:00:00+00"


def seed() -> tuple[list[int], int]:
    """Facilities and a user for the doses to refer to."""
    from vaxpass.accounts.models import Role, User
    from vaxpass.places.models import Division, Era, Facility, FacilityKind, Level

    wards = Division.objects.filter(era=Era.LEGACY, level=Level.WARD).order_by("code")[:50]
    facilities = []
    for n, ward in enumerate(wards):
        facility = Facility(code=f"FLOOR-{n}", name=f"Trạm Y tế {ward.name}",
                            kind=FacilityKind.HEALTH_STATION)  # fmt: skip
        facility.place_in(ward)
        facility.save()
        facilities.append(facility.pk)
    user = User.objects.create(username="floor", role=Role.NATIONAL_ADMIN)
    return facilities, user.pk


def write(url: str, tables: tuple[str, str], people: range, per_person: float, refs) -> None:
    """COPY the people of `people` and their doses, in one transaction."""
    import psycopg

    person_table, dose_table = tables
    facilities, user = refs
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY {person_table} ({PERSON_COLUMNS}) FROM STDIN") as copy:
            for i in people:
                name = f"Nguyễn Văn Thử {i}"
                copy.write_row((i, f"{i:012d}", "", name, f"nguyen van thu {i}", "1980-01-01",
                                "M", f"09{i:08d}", "Số 1, phố Huế", "", NOW))  # fmt: skip
        doses = int(len(people) * per_person)
        with cursor.copy(f"COPY {dose_table} ({DOSE_COLUMNS}) FROM STDIN") as copy:
            for n in range(doses):
                i = people[n % len(people)]
                number = 1 + n // len(people)
                copy.write_row((i, f"{i:012d}", f"Nguyễn Văn Thử {i}", "01/01/1980", "M",
                                f"09{i:08d}", "Số 1, phố Huế", "", "EU/1/21/1529", "AB123",
                                f"2021-{number * 3:02d}-01", number, facilities[i % len(facilities)],
                                user, "import", "recorded", "[]", "", f"{i:024x}{number:08x}",
                                n, NOW, NOW))  # fmt: skip


def side_by_side(work, jobs: list[tuple]) -> float:
    """Run `work(*job)` for each job in a thread of its own; the seconds it took them."""
    from vaxpass.imports.parts import in_threads

    began = time.perf_counter()
    in_threads(lambda k: work(*jobs[k]), len(jobs))
    return time.perf_counter() - began


def update(url: str, people: range) -> None:
    """What linking a dose at least costs: its status and registry ID set, one statement."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE records_dose SET status = 'verified', registry_id = captured_citizen_id,"
            " updated_at = now() WHERE person_id BETWEEN %s AND %s",
            [people[0], people[-1]],
        )


def measure_update(url: str, start: int, people: int, writers: int) -> float:
    """Doses updated per second, `writers` connections on disjoint people."""
    share = people // writers
    ranges = [range(start + k * share, start + (k + 1) * share) for k in range(writers)]
    seconds = side_by_side(update, [(url, r) for r in ranges])
    return round(int(writers * share * 2.3) / seconds)


def measure(url: str, tables, start: int, people: int, writers: int, refs) -> float:
    """Doses per second (their people included) with `writers` connections side by side."""
    per_person = 2.3
    share = people // writers
    ranges = [range(start + k * share, start + (k + 1) * share) for k in range(writers)]
    seconds = side_by_side(write, [(url, tables, r, per_person, refs) for r in ranges])
    return round(sum(int(len(r) * per_person) for r in ranges) / seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doses", type=int, default=300_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--database-url", default=_server.DEFAULT_PG)
    args = parser.parse_args()
    people = int(args.doses / 2.3)
    with tempfile.TemporaryDirectory() as tmp, _server.fresh_database(args.database_url) as url:
        os.environ["VAXPASS_DATA_DIR"] = tmp
        os.environ["VAXPASS_DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxpass.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("load_places", verbosity=0)
        refs = seed()
        with connection.cursor() as cursor:
            for kind, like in (
                ("nofk", "INCLUDING ALL"),
                ("bare", "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY"),
            ):
                for table in ("records_person", "records_dose"):
                    cursor.execute(f"CREATE TABLE {kind}_{table} (LIKE {table} {like})")
        connection.close()
        platform = ("records_person", "records_dose")
        figures = {"doses": int(people * 2.3), "writers": args.writers}
        base = 1_000_000_000  # ids clear of anything the migrations made
        figures["platform_1_writer"] = measure(url, platform, base, people, 1, refs)
        figures[f"platform_{args.writers}_writers"] = measure(
            url, platform, base + people, people, args.writers, refs
        )
        figures[f"platform_update_{args.writers}_writers"] = measure_update(
            url, base + people, people, args.writers
        )
        for kind in ("nofk", "bare"):
            tables = (f"{kind}_records_person", f"{kind}_records_dose")
            figures[f"{kind}_1_writer"] = measure(url, tables, base, people, 1, refs)
    figures["note"] = "doses/s, their people included; platform = every index and foreign key"
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
