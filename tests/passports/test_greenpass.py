"""An independent verifier: the PyPI package greenpass (pycose, pyOpenSSL), given the
document signer certificate as DER, verifies a passport the platform issued.

greenpass needs cbor2 < 6 (pycose expects lists where cbor2 6 gives tuples), so it runs in
a virtual environment of its own, and offline: its settings cache is written by the test
(the Italian validity rules it would download, with a window wide enough that only the
signature and the format are judged)."""

import subprocess
import sys

import cbor2
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def greenpass(tmp_path_factory):
    venv = tmp_path_factory.mktemp("greenpass-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run(
        [str(venv / "bin/pip"), "install", "-q", "greenpass==4.3.1", "cbor2<6"],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        pytest.fail(f"cannot install greenpass: {installed.stderr[-2000:]}")
    cache = tmp_path_factory.mktemp("greenpass-cache")
    window = {"start_day": 0, "end_day": 100_000}
    kinds = ("complete", "not_complete", "booster_IT", "booster_NOT_IT", "complete_IT",
             "complete_NOT_IT")  # fmt: skip
    vaccines = {p: {k: dict(window) for k in kinds} for p in ("EU/1/21/1529", "EU/1/20/1528")}
    recovery = {k: dict(window) for k in ("default", "pv", "NOT_IT", "IT")}
    tests = {"molecular": {"start_hours": 0, "end_hours": 72}, "rapid": {"start_hours": 0,
             "end_hours": 48}}  # fmt: skip
    with open(cache / "settings", "wb") as handle:
        cbor2.dump([vaccines, recovery, tests, []], handle)
    with open(cache / "tests", "wb") as handle:
        cbor2.dump({}, handle)
    return venv / "bin/greenpass", cache


def _run(greenpass, text: str, key_der: bytes, tmp_path):
    program, cache = greenpass
    (tmp_path / "passport.txt").write_text(text)
    (tmp_path / "dsc.der").write_bytes(key_der)
    return subprocess.run(
        [str(program), "--txt", str(tmp_path / "passport.txt"), "--key",
         str(tmp_path / "dsc.der"), "--cachedir", str(cache), "--no-color", "--no-block-list"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def test_greenpass_verifies_an_issued_passport(personas, pki, an, greenpass, tmp_path):
    from vaxpass.passports.models import Certificate
    from vaxpass.passports.signing import sign_doses

    sign_doses(user=personas.head_a)
    certificate = Certificate.objects.select_related("key").get()
    der = bytes(certificate.key.certificate)
    done = _run(greenpass, certificate.hc1, der, tmp_path)
    assert "Verified                       True" in done.stdout, done.stdout + done.stderr
    assert "Nguyễn" in done.stdout and "2/2" in done.stdout
    assert done.returncode == 0, done.stdout + done.stderr

    # Given another signer's certificate, the signature does not verify.
    from vaxpass.passports import keys

    other = keys.rotate_document_signer()
    done = _run(greenpass, certificate.hc1, bytes(other.certificate), tmp_path)
    assert "Verified                       False" in done.stdout, done.stdout + done.stderr
    assert done.returncode != 0
