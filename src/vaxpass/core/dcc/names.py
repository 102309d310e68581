"""Names on the certificate: the family name / given name split and the ICAO 9303
machine-readable form that the DCC's ``fnt`` and ``gnt`` fields need.

ICAO Doc 9303 part 3 (section 6 and its transliteration table): upper-case A-Z only,
diacritics dropped (Vietnamese: Ă Â → A, Ê → E, Ô Ơ → O, Ư → U, tone marks removed),
Đ → D, a few letters spelled out (Ä → AE, Ö → OE, Ü → UE, Å → AA, Æ → AE, Ø → OE,
Œ → OE, ß → SS, Þ → TH, Ĳ → IJ), apostrophes dropped, and every space, hyphen or other
separator written as the filler ``<`` (runs of separators give one filler).
"""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_LENGTH = 80  # DCC schema 1.3.x: fn, fnt, gn, gnt

_SPELLED_OUT = str.maketrans(
    {
        "Ä": "AE",
        "Ö": "OE",
        "Ü": "UE",
        "Å": "AA",
        "Æ": "AE",
        "Ø": "OE",
        "Œ": "OE",
        "ß": "SS",
        "ẞ": "SS",
        "Þ": "TH",
        "Ĳ": "IJ",
        "Đ": "D",
        "Ð": "D",  # Icelandic eth, also the look-alike of Đ in legacy Vietnamese data
        "Ɖ": "D",
        "Ħ": "H",
        "Ł": "L",
        "Ŀ": "L",
        "Ŋ": "N",
        "Ŧ": "T",
        "İ": "I",
        "I": "I",
    }
)
_DROPPED = re.compile(r"['’ʼ`´]")
_SEPARATORS = re.compile(r"[^A-Z]+")


@functools.lru_cache(maxsize=65_536)
def icao_transliteration(name: str) -> str:
    """``"Nguyễn Thị Hoà"`` → ``"NGUYEN<THI<HOA"``; ``"Musterfrau-Gößinger"`` →
    ``"MUSTERFRAU<GOESSINGER"``. At most 80 characters, as the DCC schema allows."""
    return "<".join(filter(None, map(_word, name.split())))[:MAX_LENGTH]


@functools.lru_cache(maxsize=65_536)
def _word(word: str) -> str:
    # Cached (as whole name parts are): a country's names are made of a few thousand
    # distinct words, so issuing millions of certificates transliterates each once.
    text = unicodedata.normalize("NFC", word).upper().translate(_SPELLED_OUT)
    text = _DROPPED.sub("", text)
    # What is left decomposes into a base letter and combining marks, which go.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _SEPARATORS.sub("<", text).strip("<")


def split_full_name(full_name: str) -> tuple[str, str]:
    """A Vietnamese full name, family name first, split as the DCC wants it:
    ``"Nguyễn Thị Hoà"`` → ``("Nguyễn", "Thị Hoà")``. A one-word name is a family name
    with an empty given name."""
    words = unicodedata.normalize("NFC", full_name).split()
    if not words:
        return "", ""
    return words[0], " ".join(words[1:])
