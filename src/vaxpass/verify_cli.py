"""`vaxpass verify`: check a vaccine passport offline, from text, a file or an image.

    vaxpass verify 'HC1:...'                 the text itself
    vaxpass verify passport.png              a QR image (PNG/JPEG), a text file, or COSE bytes
    vaxpass verify - < code.txt              standard input
    --signer-cert FILE                       trust this one signer (PEM, DER or base64 DER)
    --trust-list FILE [--ca FILE]            a signed vaxpass trust list (checked against the
                                             CA), or an EU gateway DSC list (JSON array)
    --revocations FILE                       a signed revocation list (needs --ca)
    --refresh URL [--ca FILE]                download the trust and revocation lists of a
                                             vaxpass server, check their signatures, keep them
    --lists-dir DIR                          where refreshed lists are kept (default
                                             $VAXPASS_VERIFIER_DIR or ~/.cache/vaxpass)
    --at TIME                                the clock, ISO-8601 (no zone: UTC)
    --json                                   the result as JSON

Runs without Django and without a network (except --refresh). Exit status 0 only when
the passport is valid; 1 when it is not; 2 when the command itself cannot run.
"""

import argparse
import base64
import binascii
import json
import os
import sys
import urllib.request
from datetime import datetime
from pathlib import Path

from cryptography import x509

from vaxpass.core import trustlist
from vaxpass.core.dcc.verify import VerificationResult, Verifier, parse_instant

TRUST_LIST, REVOCATIONS, CA = "trustlist.json", "revocations.json", "ca.pem"


class UsageError(Exception):
    pass


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate as PEM, DER or base64 DER (as the DCC test data carries them)."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(text)
        try:
            return x509.load_der_x509_certificate(data)
        except ValueError:
            return x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error) as error:
        raise UsageError(f"not a certificate (PEM, DER or base64 DER): {error}") from None


def _read(path: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None


def _input(value: str) -> str | bytes:
    """The thing to verify: the text given, or a file's bytes."""
    if value.strip().upper().startswith("HC1:"):
        return value.strip()
    if value == "-" or Path(value).is_file():
        data = _read(value)
        return data.decode("ascii").strip() if data[:4].upper() == b"HC1:" else data
    return value.strip()  # text with another prefix: the verifier says what is wrong


def lists_dir(given: str | None) -> Path:
    if given:
        return Path(given)
    return Path(os.environ.get("VAXPASS_VERIFIER_DIR") or Path.home() / ".cache" / "vaxpass")


def _ca(args, directory: Path) -> x509.Certificate | None:
    if args.ca:
        return load_certificate(_read(args.ca))
    stored = directory / CA
    return load_certificate(stored.read_bytes()) if stored.exists() else None


def refresh(url: str, directory: Path, ca: x509.Certificate | None) -> tuple[int, int]:
    """Download and check the lists of a vaxpass server, then keep them with the CA."""
    if ca is None:
        raise UsageError(
            "--refresh needs the national CA certificate (--ca FILE) the first time; it is "
            "kept for later refreshes"
        )
    fetched = {}
    for name in (TRUST_LIST, REVOCATIONS):
        target = url.rstrip("/") + "/trust/" + name
        try:
            with urllib.request.urlopen(target, timeout=30) as response:
                fetched[name] = response.read()
        except OSError as error:
            raise UsageError(f"cannot download {target}: {error}") from None
    try:  # both must verify before either replaces what is kept
        trusted = trustlist.parse_trust_list(fetched[TRUST_LIST], ca)
        revoked = trustlist.parse_revocation_list(fetched[REVOCATIONS], ca)
    except trustlist.TrustListError as error:
        raise UsageError(f"refused the lists of {url}: {error}") from None
    directory.mkdir(parents=True, exist_ok=True)
    from cryptography.hazmat.primitives import serialization

    (directory / CA).write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name, data in fetched.items():
        temporary = directory / f".{name}.new"
        temporary.write_bytes(data)
        temporary.replace(directory / name)
    return len(trusted), len(revoked)


def build_verifier(args) -> Verifier:
    directory = lists_dir(args.lists_dir)
    ca = _ca(args, directory)
    revocations = None
    revocation_file = args.revocations or (
        str(directory / REVOCATIONS) if (directory / REVOCATIONS).exists() else None
    )
    if revocation_file:
        if ca is None:
            raise UsageError("a revocation list is checked against the CA: give --ca FILE")
        try:
            revocations = trustlist.parse_revocation_list(_read(revocation_file), ca)
        except trustlist.TrustListError as error:
            raise UsageError(f"{revocation_file}: {error}") from None
    if args.signer_cert:
        return Verifier.for_signer(load_certificate(_read(args.signer_cert)), revocations)
    source = args.trust_list or (
        str(directory / TRUST_LIST) if (directory / TRUST_LIST).exists() else None
    )
    if source is None:
        raise UsageError(
            "no trust list: give --signer-cert, --trust-list, or --refresh URL --ca FILE first"
        )
    data = _read(source)
    try:
        document = json.loads(data)
    except ValueError:
        raise UsageError(f"{source}: not JSON") from None
    if isinstance(document, dict) and "payload" in document and "signature" in document:
        if ca is None:
            raise UsageError(f"{source} is a signed trust list: give --ca FILE to check it")
        try:
            listed = trustlist.parse_trust_list(data, ca)
        except trustlist.TrustListError as error:
            raise UsageError(f"{source}: {error}") from None
    else:  # the EU gateway's DSC list
        imported = trustlist.import_gateway_trust_list(document)
        listed = imported.trust_list
    return Verifier(listed.certificates_by_kid(), revocations)


def describe(result: VerificationResult) -> str:
    """The verdict for a person at a desk: the answer first, then who and why."""
    words = {
        "VALID": "VALID / HỢP LỆ",
        "NOT_VALID": "NOT VALID / KHÔNG HỢP LỆ",
        "EXPIRED": "EXPIRED / HẾT HẠN",
        "REVOKED": "REVOKED / ĐÃ THU HỒI",
    }
    lines = [words[result.status.value]]
    dcc = result.dcc
    if dcc and result.checks.get("verify"):
        name = dcc.get("nam", {})
        lines.append(
            f"  {name.get('fn', '')} {name.get('gn', '')}  ({name.get('fnt', '')}<<{name.get('gnt', '')})"
        )
        lines.append(f"  born {dcc.get('dob', '')}")
        for entry in dcc.get("v", []):
            lines.append(
                f"  dose {entry.get('dn')}/{entry.get('sd')} {entry.get('mp')} on {entry.get('dt')}"
                f" ({entry.get('co')}, {entry.get('is')})"
            )
            lines.append(f"  {entry.get('ci')}")
    if result.expires_at:
        lines.append(f"  valid until {result.expires_at.isoformat()}")
    lines += [f"  ✗ {r.check}: {r.message}" for r in result.reasons]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vaxpass verify", description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", help="HC1: text, a file (text, image, COSE) or -")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--signer-cert", help="trust only this signer certificate")
    parser.add_argument("--trust-list", help="a signed trust list or an EU gateway DSC list")
    parser.add_argument("--revocations", help="a signed revocation list")
    parser.add_argument("--ca", help="the national CA certificate the lists are signed under")
    parser.add_argument("--refresh", metavar="URL", help="download the lists of a vaxpass server")
    parser.add_argument("--lists-dir", help="where refreshed lists are kept")
    parser.add_argument("--at", help="the clock, ISO-8601 (no zone means UTC)")
    args = parser.parse_args(argv)
    try:
        at: datetime | None = parse_instant(args.at) if args.at else None
        directory = lists_dir(args.lists_dir)
        if args.refresh:
            signers, entries = refresh(args.refresh, directory, _ca(args, directory))
            print(f"{signers} signer certificates, {entries} revocation entries -> {directory}",
                  file=sys.stderr)  # fmt: skip
            if not args.input:
                return 0
        if not args.input:
            raise UsageError("give the passport to verify: HC1: text, a file, or -")
        verifier = build_verifier(args)
        result = verifier.verify(_input(args.input), at=at)
    except UsageError as error:
        print(f"vaxpass verify: {error}", file=sys.stderr)
        return 2
    except ValueError as error:  # a bad --at
        print(f"vaxpass verify: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, default=str))
    else:
        print(describe(result))
    return 0 if result.valid else 1
