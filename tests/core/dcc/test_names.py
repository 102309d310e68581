"""ICAO 9303 transliteration of names for fnt/gnt, and the family / given split."""

import re
import unicodedata

import pytest

from vaxpass.core.dcc.names import icao_transliteration, split_full_name

# Every Vietnamese vowel with every tone mark, upper and lower case, and Đ/đ.
VOWELS = "aăâeêioôơuưy"
TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền sắc ngã hỏi nặng


def every_vietnamese_letter() -> list[tuple[str, str]]:
    pairs = []
    for vowel in VOWELS:
        base = unicodedata.normalize("NFD", vowel)[0].upper()
        for tone in ("", *TONES):
            letter = unicodedata.normalize("NFC", vowel + tone)
            pairs += [(letter, base), (letter.upper(), base)]
    return pairs + [("đ", "D"), ("Đ", "D"), ("Ð", "D")]


@pytest.mark.parametrize(("letter", "expected"), every_vietnamese_letter())
def test_every_vietnamese_letter(letter, expected):
    assert icao_transliteration(letter) == expected
    # Decomposed input (NFD, as some keyboards and old data give) says the same.
    assert icao_transliteration(unicodedata.normalize("NFD", letter)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Nguyễn Thị Hoà", "NGUYEN<THI<HOA"),
        ("Nguyễn Thị Hòa", "NGUYEN<THI<HOA"),
        ("Đặng Thuỷ", "DANG<THUY"),
        ("  Trần   Văn  An ", "TRAN<VAN<AN"),
        ("H'Hen Niê", "HHEN<NIE"),  # apostrophes are dropped
        ("Y-Moan Êban", "Y<MOAN<EBAN"),
        ("Musterfrau-Gößinger", "MUSTERFRAU<GOESSINGER"),  # the AT test certificate
        ("Øresund Ærø Åse", "OERESUND<AEROE<AASE"),
        ("", ""),
        ("A" * 100, "A" * 80),
    ],
)
def test_names(name, expected):
    assert icao_transliteration(name) == expected


def test_output_is_always_machine_readable():
    for letter, _ in every_vietnamese_letter():
        assert re.fullmatch(r"[A-Z<]*", icao_transliteration(f"{letter} -{letter}"))


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Nguyễn Thị Hoà", ("Nguyễn", "Thị Hoà")),
        ("  Lê   Văn  Tám ", ("Lê", "Văn Tám")),
        ("Tôn Nữ Thị Hồng", ("Tôn", "Nữ Thị Hồng")),
        ("Madonna", ("Madonna", "")),
        ("", ("", "")),
    ],
)
def test_split_full_name(full, parts):
    assert split_full_name(full) == parts
