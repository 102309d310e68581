"""End-to-end passport issuing: people whose doses are all signed, issued by the mass
issuing command's code (`passports.batch.issue_due`: read, encode, sign, COPY, supersede),
with one process and with two, against the raw ECDSA P-256 sign rate and the encode+sign
rate of the same machine (one process and two), measured in the same run. On PostgreSQL
also the floor of reading and storing alone (`read_and_store_floor`) and the bound that
it and the two-process encode+sign rate set together (`end_to_end_bound_2proc`).

    .venv/bin/python bench/issue.py [--size 100000] [--sqlite]

Two provinces get --size people each (names drawn by the synthetic generator, two doses
each, signed by their facility); the first province is issued by one process, the second
by two. Needs PostgreSQL (scripts/start-postgresql) unless --sqlite (one process only:
SQLite takes one writer).
A sample of the stored passports is verified. Prints one JSON line last.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import _server

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def seed(size: int) -> dict[str, str]:
    """Two facilities in two provinces; ``size`` people at each with two signed doses."""
    from vaxpass.accounts.models import Role, User
    from vaxpass.core.dose_signature import sign_dose
    from vaxpass.core.identity import make_cccd, name_key
    from vaxpass.passports import keys
    from vaxpass.passports.models import DoseSignature
    from vaxpass.passports.signing import dose_content
    from vaxpass.places.models import Division, Era, Facility, FacilityKind, Level
    from vaxpass.records.models import Dose, DoseStatus, Person
    from vaxpass.synth.generator import Generator, Ward

    keys.init_national_pki()
    # Names as the generator draws them (family, middle and given names with their
    # frequencies): a made-up name per person would miss every cache a real population hits.
    names = Generator([Ward("00001", "-", "001", "-", "01", "-", "00001")], seed=5)
    provinces = {}
    for code, legacy in (("p1", "01"), ("p2", "79")):
        ward = Division.objects.filter(
            era=Era.LEGACY, level=Level.WARD, province__code=legacy
        ).order_by("code")[0]
        facility = Facility(code=f"BENCH-{legacy}", name=f"Trạm Y tế {ward.name}",
                            kind=FacilityKind.HEALTH_STATION)  # fmt: skip
        facility.place_in(ward)
        facility.save()
        head = User.objects.create(username=f"head-{legacy}", role=Role.FACILITY_HEAD,
                                   facility=facility)  # fmt: skip
        _row, signer = keys.facility_signer(facility)
        key_row = _row
        for start in range(0, size, 5000):
            people = []
            for n in range(start, min(size, start + 5000)):
                cid = make_cccd(legacy.zfill(3), "MF"[n % 2], 1940 + n % 60, n)
                name = names.draw_name("MF"[n % 2])
                person = Person(citizen_id=cid, registry_id=cid, full_name=name,
                                search_name=name_key(name), birth_date=f"{1940 + n % 60}-03-04",
                                sex="MF"[n % 2])  # fmt: skip
                person.place_in(ward)
                people.append(person)
            Person.objects.bulk_create(people, batch_size=2000)
            doses = []
            for person in people:
                for number, day in ((1, date(2021, 7, 1)), (2, date(2021, 9, 1))):
                    doses.append(
                        Dose(
                            person=person,
                            captured_name=person.full_name,
                            captured_birth_date=person.birth_date,
                            registry_id=person.registry_id,
                            product="EU/1/21/1529",
                            given_on=day,
                            dose_number=number,
                            facility=facility,
                            entered_by=head,
                            status=DoseStatus.SIGNED,
                            dedup_key=f"{person.registry_id}-{number}",
                        )  # fmt: skip
                    )
            Dose.objects.bulk_create(doses, batch_size=2000)
            signatures = []
            for dose in doses:
                result = sign_dose(dose_content(dose), signer)
                signatures.append(DoseSignature(dose=dose, key=key_row, digest=result.digest,
                                                signature=result.signature, signed_by=head))  # fmt: skip
            DoseSignature.objects.bulk_create(signatures, batch_size=2000)
        provinces[code] = facility.current_province.code
    return provinces


_FLOOR: dict = {}  # range -> its passports as COPY text, made before the workers fork


def _read_and_store(job: tuple[int, int, str]) -> int:
    from django.db import connection, transaction

    from vaxpass.passports import batch

    first, last, province = job
    batch._due_people(first, last, province)  # the read, the doses' digests compared
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY floor_certificate ({', '.join(batch._COLUMNS)}) FROM STDIN"
        ) as copy:
            copy.write(_FLOOR[job])
    return last - first + 1


def read_and_store_floor(province: str, workers: int) -> float:
    """Passports/s of issuing's own reading and storing with nothing else: each range's
    people, doses and signatures read by the issuing query, and its passports (the ones
    just issued, encoded and signed already) COPYed into a copy of the passport table with
    every index and foreign key. Encoding and signing come on top of this."""
    import multiprocessing

    from django.db import connection, connections

    from vaxpass.passports import batch

    columns = ", ".join(batch._COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE floor_certificate (LIKE passports_certificate INCLUDING ALL)")
        cursor.execute(
            "ALTER TABLE floor_certificate ADD FOREIGN KEY (person_id) REFERENCES records_person (id)"
            " DEFERRABLE INITIALLY DEFERRED, ADD FOREIGN KEY (key_id) REFERENCES"
            " passports_signerkey (id) DEFERRABLE INITIALLY DEFERRED"
        )
        size = batch._range_size(batch._people(province).count(), workers)
        jobs = [(first, last, province) for first, last in batch._id_ranges(province, size)]
        for first, last, _p in jobs:
            select = (
                f"SELECT {columns} FROM passports_certificate WHERE person_id BETWEEN %s AND %s"
            )
            with cursor.cursor.copy(f"COPY ({select}) TO STDOUT", (first, last)) as copy:
                _FLOOR[(first, last, province)] = b"".join(bytes(block) for block in copy)
    connections.close_all()
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers, initializer=batch._worker_init) as pool:
        count = sum(pool.imap_unordered(_read_and_store, jobs))
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM floor_certificate")
        assert cursor.fetchone()[0] == count
    return count / seconds


def raw_and_encode_rates(count: int) -> dict[str, float]:
    """Raw ECDSA P-256 signs/s and encode+sign certificates/s: one process (CPU time), and
    two processes at once (wall time). On this machine the two figures per core differ:
    a process alone signs a third faster than each of two side by side."""
    import encode_sign

    signer, _ca = encode_sign.document_signer()
    work = encode_sign.inputs(count)
    messages = [os.urandom(300) for _ in range(count)]
    encode_1, _each, raw_1 = encode_sign.one_process(signer, work, messages, rounds=3)
    half = count // 2
    shares = [(signer, work[:half]), (signer, work[half:])]
    encode_2 = count / encode_sign.in_parallel(encode_sign.encode_all, shares)
    key = signer.private_key
    shares = [(key, messages[:half]), (key, messages[half:])]
    raw_2 = count / encode_sign.in_parallel(encode_sign.sign_all, shares)
    return {"raw_1": raw_1, "encode_1": encode_1, "raw_2": raw_2, "encode_2": encode_2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="people per province")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--database-url", default=_server.DEFAULT_PG)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VAXPASS_DATA_DIR"] = tmp
        if args.sqlite:
            os.environ.pop("VAXPASS_DATABASE_URL", None)
            figures = run(args.size, workers=(1,))
        else:
            with _server.fresh_database(args.database_url) as url:
                os.environ["VAXPASS_DATABASE_URL"] = url
                figures = run(args.size, workers=(1, 2))
    print(json.dumps(figures))


def run(size: int, workers: tuple[int, ...]) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxpass.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from vaxpass.core.dcc.verify import Verifier
    from vaxpass.passports.batch import issue_due
    from vaxpass.passports.models import Certificate
    from vaxpass.passports.publishing import current_trust_list

    call_command("migrate", verbosity=0)
    call_command("load_places", verbosity=0)
    started = time.perf_counter()
    provinces = seed(size)
    print(f"seeded {2 * size} people in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    figures: dict = {"people": size * len(workers), "backend": connections["default"].vendor}
    for count, province in zip(workers, ("p1", "p2"), strict=False):
        start = time.perf_counter()
        summary = issue_due(province=provinces[province], workers=count)
        seconds = time.perf_counter() - start
        assert summary.issued == size, summary
        figures[f"certs_per_s_{count}proc"] = round(size / seconds)
        print(f"{count} process(es): {size} in {seconds:.1f} s", file=sys.stderr)
    verifier = Verifier(current_trust_list().certificates_by_kid())
    sample = Certificate.objects.order_by("?")[:200]
    figures["verified_sample"] = sum(verifier.verify(c.hc1).valid for c in sample)
    assert figures["verified_sample"] == len(sample)
    if figures["backend"] == "postgresql":
        floor = read_and_store_floor(provinces["p2"], workers=2)
        figures["read_store_floor_2proc"] = round(floor)
    rates = raw_and_encode_rates(min(size, 20_000))
    figures["raw_sign_per_s"] = round(rates["raw_1"])
    figures["encode_sign_per_s_1proc"] = round(rates["encode_1"])
    figures["ratio_per_core"] = round(rates["encode_1"] / rates["raw_1"], 3)  # encoding, signing
    figures["raw_sign_per_s_2proc"] = round(rates["raw_2"])
    figures["encode_sign_per_s_2proc"] = round(rates["encode_2"])
    figures["ratio_2proc"] = round(rates["encode_2"] / rates["raw_2"], 3)
    figures["end_to_end_ratio_1proc"] = round(figures["certs_per_s_1proc"] / rates["raw_1"], 3)
    if "read_store_floor_2proc" in figures:
        # Reading and storing, and encoding and signing, each on both cores: done one after
        # the other for every passport, no issuing code on this machine beats this rate.
        bound = 1 / (1 / figures["read_store_floor_2proc"] + 1 / rates["encode_2"])
        figures["end_to_end_bound_2proc"] = round(bound)
    return figures


if __name__ == "__main__":
    main()
