"""`vaxpass verify`: offline from a signer certificate or a signed trust list, images and
files, the clock, revocation, refreshing the lists from a server; exit status 0 only
when valid."""

import http.server
import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from vaxpass.core import pki, trustlist
from vaxpass.core.dcc import qr
from vaxpass.core.dcc.encode import encode_vaccination_certificate
from vaxpass.core.dcc.payload import Dose, Person
from vaxpass.verify_cli import main

ISSUED = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def national():
    """A national CA, a document signer and a list signer, as `vaxpass pki init` makes."""
    start = ISSUED - timedelta(days=10)
    ca_key = pki.KeySigner(pki._throwaway_ec_key(), label="ca")
    ca = ca_key.with_certificate(
        pki.create_national_ca(ca_key, not_before=start).public_bytes(serialization.Encoding.DER)
    )
    dsc_key = pki.KeySigner(pki._throwaway_ec_key(), label="dsc")
    dsc = dsc_key.with_certificate(
        pki.issue_document_signer(ca, dsc_key.public_key(), not_before=start).public_bytes(
            serialization.Encoding.DER
        )
    )
    lists_key = pki.KeySigner(pki._throwaway_ec_key(), label="lists")
    lists = lists_key.with_certificate(
        pki.issue_list_signer(ca, lists_key.public_key(), not_before=start).public_bytes(
            serialization.Encoding.DER
        )
    )
    return ca, dsc, lists


def _issue(dsc):
    return encode_vaccination_certificate(
        Person.from_full_name("Nguyễn Thị Hoà", "1970-03-04"),
        [Dose("EU/1/20/1528", date(2021, 9, 1), 2, 2)],
        dsc,
        issued_at=ISSUED,
    )


@pytest.fixture
def files(tmp_path, national):
    ca, dsc, lists = national
    from cryptography import x509

    listed = trustlist.TrustList().with_certificate(
        x509.load_der_x509_certificate(dsc.certificate_der)
    )
    good, revoked = _issue(dsc), _issue(dsc)
    entries = trustlist.revocation_entries(
        dsc.kid,
        uci=revoked.uvci,
        country="VN",
        signature=revoked.signature,
        expires=revoked.expires_at,
    )
    paths = {
        "ca": tmp_path / "ca.pem",
        "signer": tmp_path / "dsc.der",
        "trust": tmp_path / "trustlist.json",
        "revocations": tmp_path / "revocations.json",
        "png": tmp_path / "passport.png",
        "text": tmp_path / "passport.txt",
    }
    paths["ca"].write_bytes(
        x509.load_der_x509_certificate(ca.certificate_der).public_bytes(serialization.Encoding.PEM)
    )
    paths["signer"].write_bytes(dsc.certificate_der)
    paths["trust"].write_bytes(trustlist.sign_trust_list(listed, lists))
    paths["revocations"].write_bytes(
        trustlist.sign_revocation_list(trustlist.RevocationList(entries), lists)
    )
    paths["png"].write_bytes(qr.png(good.hc1))
    paths["text"].write_text(good.hc1 + "\n")
    return paths, good, revoked


AT = ["--at", "2026-07-01T00:00:00"]


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_signer_certificate_text_input(files, capsys):
    paths, good, _revoked = files
    assert main([good.hc1, "--signer-cert", str(paths["signer"]), "--json", *AT]) == 0
    result = _json(capsys)
    assert result["valid"] is True
    for flag in ("verify", "decode", "unprefix", "b45decode", "compression", "expiration",
                 "keyusage", "schema"):  # fmt: skip
        assert result[flag] is True, flag
    assert result["reasons"] == []


def test_image_and_text_files(files, capsys):
    paths, _good, _revoked = files
    for source in (paths["png"], paths["text"]):
        assert main([str(source), "--signer-cert", str(paths["signer"]), *AT]) == 0
        out = capsys.readouterr().out
        assert out.startswith("VALID")
        assert "Nguyễn Thị Hoà" in out


def test_signed_trust_list_needs_the_ca(files, capsys):
    paths, good, _revoked = files
    assert main([good.hc1, "--trust-list", str(paths["trust"]), *AT]) == 2
    assert "--ca" in capsys.readouterr().err
    assert main([good.hc1, "--trust-list", str(paths["trust"]), "--ca", str(paths["ca"]), *AT]) == 0


def test_expired_and_not_yet_valid(files, capsys):
    paths, good, _revoked = files
    args = [good.hc1, "--signer-cert", str(paths["signer"]), "--json"]
    assert main([*args, "--at", "2027-07-01"]) == 1
    result = _json(capsys)
    assert result["status"] == "EXPIRED" and result["expiration"] is False
    assert main([*args, "--at", "2026-01-01T00:00:00+07:00"]) == 1
    assert _json(capsys)["expiration"] is False


def test_revoked(files, capsys):
    paths, good, revoked = files
    common = ["--signer-cert", str(paths["signer"]), "--revocations", str(paths["revocations"]),
              "--ca", str(paths["ca"]), "--json", *AT]  # fmt: skip
    assert main([revoked.hc1, *common]) == 1
    assert _json(capsys)["status"] == "REVOKED"
    assert main([good.hc1, *common]) == 0


def test_tampered_and_wrong_prefix(files, capsys):
    paths, good, _revoked = files
    args = ["--signer-cert", str(paths["signer"]), "--json", *AT]
    assert main(["HC2:" + good.hc1[4:], *args]) == 1
    assert _json(capsys)["unprefix"] is False
    broken = good.hc1[:40] + ("A" if good.hc1[40] != "A" else "B") + good.hc1[41:]
    assert main([broken, *args]) == 1
    assert _json(capsys)["valid"] is False


def test_bad_clock_is_a_usage_error(files, capsys):
    paths, good, _revoked = files
    assert main([good.hc1, "--signer-cert", str(paths["signer"]), "--at", "yesterday"]) == 2


def test_refresh_from_a_server_then_verify_offline(files, tmp_path, capsys):
    paths, good, revoked = files
    site = tmp_path / "site"
    (site / "trust").mkdir(parents=True)
    (site / "trust" / "trustlist.json").write_bytes(paths["trust"].read_bytes())
    (site / "trust" / "revocations.json").write_bytes(paths["revocations"].read_bytes())

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    kept = tmp_path / "lists"
    try:
        assert main(["--refresh", url, "--lists-dir", str(kept)]) == 2  # the CA is needed
        assert main(["--refresh", url, "--lists-dir", str(kept), "--ca", str(paths["ca"])]) == 0
        # a tampered list on the server is refused and the kept ones stay
        tampered = json.loads(paths["trust"].read_text())
        tampered["payload"] = "x" + tampered["payload"][1:]
        (site / "trust" / "trustlist.json").write_text(json.dumps(tampered))
        assert main(["--refresh", url, "--lists-dir", str(kept)]) == 2
    finally:
        server.shutdown()
    assert main([good.hc1, "--lists-dir", str(kept), *AT]) == 0
    assert main([revoked.hc1, "--lists-dir", str(kept), *AT]) == 1
    assert (kept / "ca.pem").exists()
    capsys.readouterr()


def test_command_line_entry(files):
    import subprocess
    import sys

    paths, good, _revoked = files
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vaxpass.cli",
            "verify",
            good.hc1,
            "--signer-cert",
            str(paths["signer"]),
            *AT,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path(paths["ca"]).parent)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("VALID")
