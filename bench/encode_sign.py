"""Issuing speed of the EU DCC path: person and doses → payload → CWT → COSE_Sign1 (ES256)
→ zlib → base45 → ``HC1:``, against the raw ECDSA P-256 sign rate of the same machine,
measured in the same run.

    .venv/bin/python bench/encode_sign.py --size 20000

The signer is the project's own (``pki.KeySigner``, what the key-file store hands out,
with a DSC issued by a national CA made with ``pki``); the inputs are distinct people
named like the synthetic population, with one to three doses. Issuing is timed both
through the batch API (``encode_vaccination_certificates``, batches of 1,000: the
headline figures) and one call per certificate (``*_one_by_one``). One process: raw
signing and issuing alternate in rounds so all see the same load from anything else
running; each figure is its best round, timed in CPU seconds of the process (so
other work sharing the cores counts against neither). Two processes: both encode (or sign) their share at once,
rate = all certificates / wall time. ``ratio_per_core`` = certificates/s ÷ raw signs/s,
both in one process. Nothing is stored (an end-to-end issuing benchmark with the database
is ``bench/issue.py``). Also QR images/s (PNG and SVG, segno and zxing-cpp writers) for
30 certificates. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vaxpass.core import pki
from vaxpass.core.dcc import (
    Dose,
    Person,
    encode_vaccination_certificate,
    encode_vaccination_certificates,
    qr,
)
from vaxpass.synth.names import FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES

PRODUCTS = ("EU/1/21/1529", "BBIBP-CorV", "EU/1/20/1528", "EU/1/20/1507")
ISSUED_AT = datetime(2022, 3, 1, 8, 0, tzinfo=UTC)
_ECDSA = ec.ECDSA(hashes.SHA256())
# One-process figures are CPU seconds of this process: on a machine shared with other
# work, wall time would count their use of the core against both rates.
_clock = time.process_time


def document_signer() -> tuple[pki.KeySigner, bytes]:
    """An ES256 document signer with its DSC, and the national CA certificate (DER)."""
    ca_key = pki.KeySigner(ec.generate_private_key(ec.SECP256R1()), label="bench CA")
    ca_cert = pki.create_national_ca(ca_key)
    ca = ca_key.with_certificate(ca_cert.public_bytes(serialization.Encoding.DER))
    dsc_key = ec.generate_private_key(ec.SECP256R1())
    dsc = pki.issue_document_signer(ca, dsc_key.public_key())
    signer = pki.KeySigner(dsc_key, dsc.public_bytes(serialization.Encoding.DER), "bench DSC")
    return signer, ca.certificate_der


def inputs(count: int, seed: int = 2021) -> list[tuple[Person, list[Dose]]]:
    """Distinct people with one to three doses, named and born as the registry has them."""
    rng = random.Random(seed)
    families = [name for name, _ in FAMILY_NAMES]
    shares = [share for _, share in FAMILY_NAMES]
    made = []
    for _ in range(count):
        sex = rng.choice("MF")
        given = f"{rng.choice(MIDDLE_NAMES[sex])} {rng.choice(GIVEN_NAMES[sex])}"
        year = rng.randint(1930, 2010)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        birth = str(year) if rng.random() < 0.05 else f"{year}-{month:02}-{day:02}"
        first = date(2021, 6, 1) + timedelta(days=rng.randint(0, 150))
        doses = [Dose(rng.choice(PRODUCTS), first, 1, 2)]
        for number in range(2, rng.randint(1, 3) + 1):
            when = first + timedelta(days=60 * (number - 1))
            doses.append(Dose(rng.choice(PRODUCTS), when, number, min(number, 3)))
        made.append((Person(rng.choices(families, shares)[0], given, birth), doses))
    return made


BATCH = 1000


def encode_all(signer: pki.KeySigner, work: list[tuple[Person, list[Dose]]]) -> float:
    """Seconds to issue ``work`` in batches (``encode_vaccination_certificates`` as mass
    issuing calls it: the HC1 text, no DCC JSON dict per certificate)."""
    start = _clock()
    for i in range(0, len(work), BATCH):
        encode_vaccination_certificates(
            work[i : i + BATCH], signer, issued_at=ISSUED_AT, payloads=False
        )
    return _clock() - start


def encode_each(signer: pki.KeySigner, work: list[tuple[Person, list[Dose]]]) -> float:
    """Seconds to issue ``work`` one call per certificate."""
    start = _clock()
    for person, doses in work:
        encode_vaccination_certificate(person, doses, signer, issued_at=ISSUED_AT)
    return _clock() - start


def sign_all(key: ec.EllipticCurvePrivateKey, messages: list[bytes]) -> float:
    start = _clock()
    for message in messages:
        key.sign(message, _ECDSA)
    return _clock() - start


def one_process(signer, work, messages, rounds: int) -> tuple[float, float, float]:
    """Best certificates/s (batches, one by one) and raw signs/s, interleaved rounds."""
    size = len(work) // rounds
    best_batch = best_each = best_raw = 0.0
    for i in range(rounds):
        chunk = slice(i * size, (i + 1) * size)
        best_raw = max(best_raw, size / sign_all(signer.private_key, messages[chunk]))
        best_batch = max(best_batch, size / encode_all(signer, work[chunk]))
        best_each = max(best_each, size / encode_each(signer, work[chunk]))
    return best_batch, best_each, best_raw


def _worker(task, args, queue) -> None:
    queue.put((time.perf_counter(), task(*args), time.perf_counter()))


def in_parallel(task, shares: list[tuple]) -> float:
    """Wall time for ``task`` run on each share at once, one process per share."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_worker, args=(task, share, queue)) for share in shares]
    for worker in workers:
        worker.start()
    spans = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return max(end for _, _, end in spans) - min(start for start, _, _ in spans)


def qr_rates(texts: list[str]) -> dict[str, float]:
    """Images/s for each writer and format, over ``texts``."""
    rates = {}
    for writer in ("segno", "zxing"):
        for kind, render in (("png", qr.png), ("svg", qr.svg)):
            start = _clock()
            for text in texts:
                render(text, writer=writer)
            rates[f"qr_{kind}_per_s_{writer}"] = round(len(texts) / (_clock() - start), 1)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="certificates (default 20,000)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    signer, _ = document_signer()
    work = inputs(args.size)
    # Raw signing signs messages of the size the certificates' Sig_structures have.
    sample = encode_vaccination_certificate(*work[0], signer, issued_at=ISSUED_AT)
    messages = [bytes([i % 256]) + sample.cose[1:] for i in range(args.size)]
    encode_all(signer, work[:200])  # warm caches (name words, tables)

    certs_1, each_1, raw_1 = one_process(signer, work, messages, args.rounds)
    half = args.size // 2
    certs_2 = args.size / in_parallel(encode_all, [(signer, work[:half]), (signer, work[half:])])
    key = signer.private_key
    raw_2 = args.size / in_parallel(sign_all, [(key, messages[:half]), (key, messages[half:])])
    figures = {
        "certificates": args.size,
        "certs_per_s_1proc": round(certs_1),
        "certs_per_s_2proc": round(certs_2),
        "raw_sign_per_s": round(raw_1),
        "raw_sign_per_s_2proc": round(raw_2),
        "ratio_per_core": round(certs_1 / raw_1, 3),
        "ratio_2proc": round(certs_2 / raw_2, 3),
        "certs_per_s_1proc_one_by_one": round(each_1),
        "ratio_per_core_one_by_one": round(each_1 / raw_1, 3),
        "hc1_chars": len(sample.hc1),
        **qr_rates([encode_vaccination_certificate(*w, signer).hc1 for w in work[:30]]),
    }
    print(
        f"1 process: {certs_1:,.0f} certificates/s in batches ({each_1:,.0f}/s one by one), "
        f"raw ECDSA P-256 {raw_1:,.0f} signs/s; "
        f"2 processes: {certs_2:,.0f}/s vs {raw_2:,.0f}/s",
        file=sys.stderr,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
