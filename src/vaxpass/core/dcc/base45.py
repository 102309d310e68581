"""Base45 (RFC 9285), the text encoding of the ``HC1:`` payload.

Written here because the PyPI ``base45`` package works one character at a time in Python,
which costs several times the ECDSA signature itself (about 260 µs to encode and 190 µs
to decode a 400-byte certificate here). No Python loop runs per character: every group
gets a lane of one big integer, and the base-45 arithmetic is done on all lanes at once
(multiplications by constants, shifts and masks never carry from one lane into the next,
since every intermediate value fits its lane).

Encoding: each two-byte group (and a final odd byte) gets a 40-bit lane, room for the
multiply-and-shift divisions; the result's two unused bytes per lane are set to 0xFF so
that one ``bytes.translate`` both maps digits to characters and drops them. Decoding:
the three digit bytes of a group already form a 24-bit lane of ``int.from_bytes``, so
the digits are not spread first. Measured on 370-490-byte inputs against the previous
version (which spread bytes into lanes and back with strided copies), same process:
encoding 21 → 16 µs, decoding 18 → 10 µs.
"""

from __future__ import annotations

import functools

from vaxpass.core.dcc.errors import BASE45_INVALID, DccError, error
from vaxpass.core.i18n import gettext_noop as _

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID = 0xFF
_VALUES = bytes(ALPHABET.index(chr(c)) if chr(c) in ALPHABET else _INVALID for c in range(256))
_CHARACTERS = bytes.maketrans(bytes(range(45)), ALPHABET.encode("ascii"))
_FILLER = b"\xff"  # in an encoding lane's unused bytes; deleted by the final translate

# Exact division of any group value by a multiply and a shift: floor(v / 2025) and
# floor(v / 45) for every v < 65536 (checked exhaustively by the tests).
DIV_2025 = (66281, 27)
DIV_45 = (46604, 21)


@functools.lru_cache(maxsize=1024)
def _encoding_masks(size: int) -> tuple[int, int, int]:
    """For ``size`` input bytes, little-endian 40-bit lanes: masks of each lane's low
    byte and low 16 bits, and the filler of the lanes' unused bytes."""
    groups, odd = divmod(size, 2)
    lanes = groups + odd
    low_byte = int.from_bytes(b"\xff\0\0\0\0" * lanes, "little")
    low_16 = int.from_bytes(b"\xff\xff\0\0\0" * lanes, "little")
    # A group writes three digits (two filler bytes), the odd byte two (three fillers).
    filler = int.from_bytes(b"\0\0\0\xff\xff" * groups + b"\0\0\xff\xff\xff" * odd, "little")
    return low_byte, low_16, filler


def b45encode(data: bytes) -> str:
    """Encode bytes as base45 text."""
    size = len(data)
    if not size:
        return ""
    low_byte, low_16, filler = _encoding_masks(size)
    full = size & ~1
    spread = bytearray(5 * ((size + 1) >> 1))
    spread[0 : 5 * (full >> 1) : 5] = data[1:full:2]
    spread[1 : 5 * (full >> 1) : 5] = data[0:full:2]
    if size & 1:
        spread[-5] = data[-1]
    value = int.from_bytes(spread, "little")  # each lane: v = 256 * first + second
    c = ((value * DIV_2025[0]) >> DIV_2025[1]) & low_byte  # v // 2025
    q = ((value * DIV_45[0]) >> DIV_45[1]) & low_16  # v // 45
    # Lane bytes a, b, c: v - 45q + 256 (q - 45c) + 65536c = v + 211 (q + 256c).
    digits = value + 211 * (q + (c << 8)) + filler
    return digits.to_bytes(len(spread), "little").translate(_CHARACTERS, _FILLER).decode("ascii")


@functools.lru_cache(maxsize=1024)
def _decoding_masks(groups: int) -> tuple[int, int]:
    """For ``groups`` little-endian 24-bit lanes: the mask of each lane's low byte, and
    of its top byte."""
    return int.from_bytes(b"\xff\0\0" * groups, "little"), int.from_bytes(
        b"\0\0\xff" * groups, "little"
    )


def b45decode(text: str | bytes) -> bytes:
    """Decode base45 text; raise ``DccError`` (code ``base45_invalid``) on a character
    outside the alphabet, a single character left over or a group above its maximum."""
    try:
        raw = text.encode("ascii") if isinstance(text, str) else bytes(text)
    except UnicodeEncodeError:
        raise _invalid(_("characters outside the base45 alphabet")) from None
    digits = raw.translate(_VALUES)
    if _INVALID in digits:
        raise _invalid(_("characters outside the base45 alphabet"))
    groups, rest = divmod(len(digits), 3)
    if rest == 1:
        raise _invalid(_("a single character left over at the end"))
    out = bytearray(2 * groups)
    if groups:
        full = 3 * groups
        low, top = _decoding_masks(groups)
        packed = int.from_bytes(digits[:full], "little")  # each lane: a + 256 b + 65536 c
        lanes = packed - 211 * ((packed >> 8) & low) - 63511 * ((packed >> 16) & low)
        # A group is at most 44 + 44*45 + 44*2025 = 91,124 (a + 45b + 2025c): anything in
        # a lane's top byte means a value above 65,535, which RFC 9285 says to reject.
        if lanes & top:
            raise _invalid(_("a three-character group above 65535"))
        values = lanes.to_bytes(full, "little")  # low byte, high byte, zero
        out[0::2] = values[1::3]
        out[1::2] = values[0::3]
    if rest == 2:
        last = digits[-2] + 45 * digits[-1]
        if last > 0xFF:
            raise _invalid(_("a final two-character group above 255"))
        out.append(last)
    return bytes(out)


def _invalid(reason: str) -> DccError:
    return error(BASE45_INVALID, _("Invalid base45: %(reason)s."), reason=reason)
