"""Base45 against RFC 9285's examples, a one-character-at-a-time reference, and its
rejections."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxpass.core.dcc.base45 import ALPHABET, DIV_45, DIV_2025, b45decode, b45encode
from vaxpass.core.dcc.errors import DccError

RFC_9285 = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
]


def reference_encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        c, rest = divmod(data[i] * 256 + data[i + 1], 45 * 45)
        b, a = divmod(rest, 45)
        out += [ALPHABET[a], ALPHABET[b], ALPHABET[c]]
    if len(data) % 2:
        b, a = divmod(data[-1], 45)
        out += [ALPHABET[a], ALPHABET[b]]
    return "".join(out)


@pytest.mark.parametrize(("data", "text"), RFC_9285)
def test_rfc_9285_examples(data, text):
    assert b45encode(data) == text
    assert b45decode(text) == data


def test_edges():
    assert b45encode(b"") == "" and b45decode("") == b""
    assert b45encode(b"\xff\xff") == "FGW" and b45decode("FGW") == b"\xff\xff"
    assert b45encode(b"\x00") == "00" and b45decode(b"00") == b"\x00"


def test_division_constants_are_exact_for_every_group():
    multiplier, shift = DIV_2025
    assert all((v * multiplier) >> shift == v // 2025 for v in range(65536))
    multiplier, shift = DIV_45
    assert all((v * multiplier) >> shift == v // 45 for v in range(65536))


@given(st.binary(max_size=3000))
def test_matches_the_reference_and_round_trips(data):
    text = b45encode(data)
    assert text == reference_encode(data)
    assert b45decode(text) == data


@pytest.mark.parametrize(
    "text",
    [
        "GGW",  # 65536, one above the largest group (RFC 9285 section 4.2)
        ":::",  # 91124, the largest three characters can say
        "A",  # a dangling character
        "AAAA",
        "FG",  # a final pair above 255
        "00GW",
        "abc",  # lower case is not in the alphabet
        "QED8WEX0!",
        "ĐAB",
    ],
)
def test_rejects_invalid_text(text):
    with pytest.raises(DccError) as caught:
        b45decode(text)
    assert caught.value.code == "base45_invalid"
