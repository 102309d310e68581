"""Offline verification speed: ``HC1:`` text → prefix, base45, zlib, COSE, CWT, DCC,
signature (ES256), expiry, key usage, schema and revocation, against the raw ECDSA P-256
verify rate of the same machine, measured in the same run.

    .venv/bin/python bench/verify.py --size 20000

Certificates come from ``bench/encode_sign.py``'s inputs and signer; the verifier holds a
trust list of 200 signer certificates and a revocation list of 10,000 hashes for the
signer (none of them a benchmark certificate's), as a border post would. Raw verifying
checks the same Sig_structures and signatures directly with `cryptography`. Verifying is
timed through ``Verifier.verify_many`` (batches of 1,000: the headline figures) and one
``verify`` call per certificate (``*_one_by_one``, a border post's case). One process:
raw and library verifying alternate in rounds so all see the same load, each figure its
best round, in CPU seconds of the process. Two
processes: both verify their share at once, rate = all / wall time. ``ratio_per_core`` =
verifications/s ÷ raw verifies/s, both in one process. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encode_sign import ISSUED_AT, _clock, document_signer, in_parallel, inputs  # noqa: E402

from vaxpass.core import pki  # noqa: E402
from vaxpass.core.dcc import RevocationSet, Verifier, encode_vaccination_certificate  # noqa: E402
from vaxpass.core.dcc.cose import decode_sign1  # noqa: E402
from vaxpass.core.signing import kid_of  # noqa: E402

CLOCK = ISSUED_AT + timedelta(days=30)
_ECDSA = ec.ECDSA(hashes.SHA256())


def trust_list(signer: pki.KeySigner, others: int) -> dict[bytes, x509.Certificate]:
    """The signer's DSC among ``others`` more, as a trust list of many countries is."""
    certificates = {signer.kid: x509.load_der_x509_certificate(signer.certificate_der)}
    ca_key = pki.KeySigner(ec.generate_private_key(ec.SECP256R1()), label="other CA")
    ca_cert = pki.create_national_ca(ca_key, common_name="Other CSCA")
    ca = ca_key.with_certificate(ca_cert.public_bytes(serialization.Encoding.DER))
    for n in range(others):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = pki.issue_document_signer(ca, key.public_key(), common_name=f"DSC {n}")
        certificates[kid_of(cert.public_bytes(serialization.Encoding.DER))] = cert
    return certificates


BATCH = 1000


def verify_all(verifier: Verifier, texts: list[str]) -> float:
    """Seconds to verify ``texts`` in batches (``Verifier.verify_many``)."""
    start = _clock()
    for i in range(0, len(texts), BATCH):
        results = verifier.verify_many(texts[i : i + BATCH], at=CLOCK)
        if not all(result.valid for result in results):
            raise SystemExit("a benchmark certificate did not verify")
    return _clock() - start


def verify_each(verifier: Verifier, texts: list[str]) -> float:
    """Seconds to verify ``texts`` one call each, as a border officer's scans come."""
    start = _clock()
    for text in texts:
        if not verifier.verify(text, at=CLOCK).valid:
            raise SystemExit("a benchmark certificate did not verify")
    return _clock() - start


def raw_verify_all(
    public_key: ec.EllipticCurvePublicKey, signed: list[tuple[bytes, bytes]]
) -> float:
    start = _clock()
    for data, signature in signed:
        public_key.verify(signature, data, _ECDSA)
    return _clock() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="certificates (default 20,000)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    signer, _ = document_signer()
    certificates = [
        encode_vaccination_certificate(person, doses, signer, issued_at=ISSUED_AT)
        for person, doses in inputs(args.size)
    ]
    texts = [c.hc1 for c in certificates]
    signed = []
    for c in certificates:  # what raw verifying checks: the DER form cryptography takes
        cose = decode_sign1(c.cose)
        r, s = int.from_bytes(c.signature[:32]), int.from_bytes(c.signature[32:])
        signed.append((cose.to_be_signed(), encode_dss_signature(r, s)))
    revoked = RevocationSet({signer.kid: {os.urandom(16) for _ in range(10_000)}})
    verifier = Verifier(trust_list(signer, 199), revoked)
    public_key = signer.private_key.public_key()
    verify_all(verifier, texts[:200])  # warm: schema validator, signer key

    size = args.size // args.rounds
    best = best_each = best_raw = 0.0
    for i in range(args.rounds):
        chunk = slice(i * size, (i + 1) * size)
        best_raw = max(best_raw, size / raw_verify_all(public_key, signed[chunk]))
        best = max(best, size / verify_all(verifier, texts[chunk]))
        best_each = max(best_each, size / verify_each(verifier, texts[chunk]))
    half = args.size // 2
    two = args.size / in_parallel(verify_all, [(verifier, texts[:half]), (verifier, texts[half:])])
    raw_two = args.size / in_parallel(
        raw_verify_all, [(public_key, signed[:half]), (public_key, signed[half:])]
    )
    figures = {
        "certificates": args.size,
        "verifies_per_s_1proc": round(best),
        "verifies_per_s_2proc": round(two),
        "raw_verify_per_s": round(best_raw),
        "raw_verify_per_s_2proc": round(raw_two),
        "ratio_per_core": round(best / best_raw, 3),
        "ratio_2proc": round(two / raw_two, 3),
        "verifies_per_s_1proc_one_by_one": round(best_each),
        "ratio_per_core_one_by_one": round(best_each / best_raw, 3),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(
        f"1 process: {best:,.0f} verifications/s in batches ({best_each:,.0f}/s one by one), "
        f"raw ECDSA P-256 {best_raw:,.0f} verifies/s; "
        f"2 processes: {two:,.0f}/s vs {raw_two:,.0f}/s",
        file=sys.stderr,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
