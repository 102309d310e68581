"""Unique vaccination certificate identifiers (UVCI), ``URN:UVCI:01:VN:<unique>#<check>``.

Format and checksum from the eHealth Network guidelines on verifiable vaccination
certificates (release 2, annex 2) and the DCC schema FAQ: version ``01``, the issuing
country, an opaque unique part of upper-case letters, digits and ``/``, then ``#`` and a
Luhn mod N check character computed over everything before the ``#`` (the ``URN:UVCI:``
prefix included) with N = 38 and the alphabet below. The guidelines' own example
``URN:UVCI:01:NL:187/37512422923#Z`` is in the tests.
"""

from __future__ import annotations

import os
import re

from vaxpass.core.dcc.errors import UVCI_INVALID, DccError, error
from vaxpass.core.i18n import gettext_noop as _

CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
PREFIX = "URN:UVCI:01:"
MAX_LENGTH = 80  # DCC schema 1.3.x, certificate_id
_N = len(CHECKSUM_ALPHABET)
_UNIQUE = re.compile(r"[A-Z0-9]+(/[A-Z0-9]+)*")
_COUNTRY = re.compile(r"[A-Z]{2}")


def _addends(factor: int) -> bytes:
    # Luhn mod N adds the base-N digits of factor * code point.
    table = bytearray(256)
    for point, char in enumerate(CHECKSUM_ALPHABET):
        table[ord(char)] = sum(divmod(factor * point, _N))
    return bytes(table)


# Character -> its addend with factor 1 and factor 2, for a sum done in C (bytes.translate
# and sum over a slice) instead of a loop over characters.
_ADDEND_1 = _addends(1)
_ADDEND_2 = _addends(2)
_VALID = frozenset(CHECKSUM_ALPHABET)


def checksum(text: str) -> str:
    """The Luhn mod 38 check character of ``text`` (which must use only the alphabet)."""
    if not _VALID.issuperset(text):
        raise error(UVCI_INVALID, _("A UVCI may hold only A-Z, 0-9, '/' and ':'."))
    raw = text.encode("ascii")
    # From the right, the factor is 2 for the last character, 1 for the one before, ...
    total = sum(raw[::-1][0::2].translate(_ADDEND_2)) + sum(raw[::-1][1::2].translate(_ADDEND_1))
    return CHECKSUM_ALPHABET[(_N - total % _N) % _N]


def make_uvci(country: str = "VN", unique: str | None = None) -> str:
    """A new UVCI for ``country``. ``unique`` is the opaque part; by default 128 random
    bits in hexadecimal (32 characters), unique without any registry to coordinate."""
    if not _COUNTRY.fullmatch(country):
        raise error(UVCI_INVALID, _("The country must be two capital letters."))
    if unique is None:
        unique = os.urandom(16).hex().upper()  # base64.b32encode is pure Python, 10x slower
    elif not _UNIQUE.fullmatch(unique):
        raise error(
            UVCI_INVALID,
            _("The unique part must be capital letters and digits, optionally split by '/'."),
        )
    body = f"{PREFIX}{country}:{unique}"
    uvci = f"{body}#{checksum(body)}"
    if len(uvci) > MAX_LENGTH:
        raise error(UVCI_INVALID, _("A UVCI is at most %(max)s characters."), max=MAX_LENGTH)
    return uvci


def has_valid_checksum(uvci: str) -> bool:
    """Whether ``uvci`` ends with ``#`` and the right check character."""
    body, hash_sign, check = uvci.rpartition("#")
    if not hash_sign or len(check) != 1:
        return False
    try:
        return checksum(body) == check
    except DccError:
        return False
