"""UVCIs and their Luhn mod 38 checksum."""

import json
from pathlib import Path

import pytest

from vaxpass.core.dcc.errors import DccError
from vaxpass.core.dcc.uvci import CHECKSUM_ALPHABET, checksum, has_valid_checksum, make_uvci

TESTDATA = Path(__file__).resolve().parents[2] / "data" / "dcc-conformance" / "testdata"

# The DCC schema FAQ's example, and UVCIs from member states' published test certificates.
PUBLISHED = [
    "URN:UVCI:01:NL:187/37512422923#Z",
    "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
]


@pytest.mark.parametrize("uvci", PUBLISHED)
def test_published_examples(uvci):
    assert has_valid_checksum(uvci)
    body, _, check = uvci.rpartition("#")
    assert checksum(body) == check


def test_published_test_certificates_of_several_countries():
    # Every UVCI with a checksum in the AT, DK, GR, LT and SI vectors (other countries
    # use other schemes or none).
    found = []
    for country in ("AT", "DK", "GR", "LT", "SI"):
        for path in (TESTDATA / country).rglob("*.json"):
            dcc = json.loads(path.read_text("utf-8")).get("JSON") or {}
            found += [e["ci"] for kind in "vtr" for e in dcc.get(kind, []) if "#" in e["ci"]]
    assert len(found) >= 20
    assert all(has_valid_checksum(ci) for ci in found), found


def test_a_changed_character_breaks_the_checksum():
    uvci = PUBLISHED[0]
    for i in range(len("URN:UVCI:01:NL:"), uvci.index("#")):
        for replacement in "07AZ":
            if uvci[i] != replacement:
                changed = uvci[:i] + replacement + uvci[i + 1 :]
                # Luhn mod N catches every single-character substitution.
                assert not has_valid_checksum(changed), changed


def test_a_swap_of_neighbours_breaks_the_checksum():
    uvci = "URN:UVCI:01:VN:ABC123/XYZ789"
    check = checksum(uvci)
    swapped = uvci[:16] + uvci[17] + uvci[16] + uvci[18:]
    assert checksum(swapped) != check


def test_make_uvci():
    uvci = make_uvci()
    assert uvci.startswith("URN:UVCI:01:VN:") and len(uvci) <= 80
    assert has_valid_checksum(uvci)
    assert len({make_uvci() for _ in range(1000)}) == 1000
    assert make_uvci("VN", "HCM/2021/0000123").startswith("URN:UVCI:01:VN:HCM/2021/0000123#")


@pytest.mark.parametrize(
    ("country", "unique"),
    [("vn", None), ("VNM", None), ("VN", "abc"), ("VN", "A//B"), ("VN", "X" * 80)],
)
def test_make_uvci_refuses_bad_parts(country, unique):
    with pytest.raises(DccError) as caught:
        make_uvci(country, unique)
    assert caught.value.code == "uvci_invalid"


def test_checksum_alphabet_and_no_checksum():
    assert len(CHECKSUM_ALPHABET) == 38
    assert not has_valid_checksum("URN:UVCI:01:VN:ABC")
    assert not has_valid_checksum("URN:UVCI:01:VN:abc#A")


def test_forked_children_make_different_uvcis():
    import os

    make_uvci()  # fill the parent's random pool
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(write, make_uvci().encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 100).decode() != make_uvci()
