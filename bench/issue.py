"""End-to-end passport issuing: people whose doses are all signed, issued by the mass
issuing command's code (`passports.batch.issue_due`: read, encode, sign, COPY, supersede,
mark the doses certified, audit), with one process and with two, against the raw ECDSA
P-256 sign rate and the encode+sign rate of the same machine, measured in the same run.

    .venv/bin/python bench/issue.py [--size 100000] [--sqlite]

Two provinces get --size people each (two doses each, signed by their facility); the
first province is issued by one process, the second by two. Needs PostgreSQL
(scripts/start-postgresql) unless --sqlite (one process only: SQLite takes one writer).
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

    keys.init_national_pki()
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
                name = f"Nguyễn {'Văn' if n % 2 == 0 else 'Thị'} Thử {n}"
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


def raw_and_encode_rates(count: int) -> tuple[float, float]:
    """Raw ECDSA P-256 signs/s and encode+sign certificates/s, one process, CPU time."""
    import encode_sign

    signer, _ca = encode_sign.document_signer()
    work = encode_sign.inputs(count)
    messages = [os.urandom(300) for _ in range(count)]
    _batch, _each, raw = encode_sign.one_process(signer, work, messages, rounds=3)
    return raw, _batch


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
    raw, encode = raw_and_encode_rates(min(size, 20_000))
    figures["raw_sign_per_s"] = round(raw)
    figures["encode_sign_per_s_1proc"] = round(encode)
    figures["ratio_per_core"] = round(encode / raw, 3)  # the encoding and signing path
    figures["end_to_end_ratio_1proc"] = round(figures["certs_per_s_1proc"] / raw, 3)
    return figures


if __name__ == "__main__":
    main()
