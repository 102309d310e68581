"""The EU DCC JSON schemas, every release from 1.0.0 to 1.3.3 (in ``schemas/``, from the
ehn-dcc-schema repository, Apache-2.0), and validation of a DCC against the schema of its
own ``ver``.

Validation uses jsonschema-rs (Rust): with the DCC schema it checks a payload in a few
microseconds, where the pure-Python ``jsonschema`` package takes about a millisecond,
longer than the signature check it would sit next to. The tests check that both agree
on every conformance vector. As the 2020-12 draft says, ``format`` is an annotation and
is not asserted; value-set membership is not part of the schema either.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

import jsonschema_rs

from vaxpass.core.dcc.errors import SCHEMA_INVALID, SCHEMA_VERSION_UNKNOWN, DccError, error
from vaxpass.core.i18n import gettext_noop as _

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
CERTIFICATE_TYPES = ("v", "t", "r")  # vaccination, test, recovery


def _version_key(version: str) -> tuple[int, int, int]:
    match = _VERSION.fullmatch(version)
    if not match:
        raise ValueError(version)
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch)


@functools.cache
def known_versions() -> tuple[str, ...]:
    """Every schema release shipped, oldest first."""
    names = [
        p.name[: -len(".json")] for p in files("vaxpass.core.dcc").joinpath("schemas").iterdir()
    ]
    return tuple(sorted((n for n in names if _VERSION.fullmatch(n)), key=_version_key))


@functools.cache
def schema(version: str) -> dict[str, Any]:
    """The JSON schema of one release."""
    text = files("vaxpass.core.dcc").joinpath("schemas", f"{version}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _validator(version: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(schema(version))


def schema_version_for(ver: object) -> str:
    """The schema release to check a DCC of version ``ver`` against: that release, or for
    a release this module does not know, the newest known one of the same major version
    that is not newer. Raise ``DccError`` (``schema_version_unknown``) otherwise."""
    if type(ver) is str:
        return _schema_version_for(ver)
    return _schema_version_for.__wrapped__(ver)


@functools.lru_cache(maxsize=64)
def _schema_version_for(ver: object) -> str:
    if isinstance(ver, str) and _VERSION.fullmatch(ver):
        if ver in known_versions():
            return ver
        wanted = _version_key(ver)
        older = [
            v
            for v in known_versions()
            if _version_key(v)[0] == wanted[0] and _version_key(v) <= wanted
        ]
        if older:
            return older[-1]
    raise error(SCHEMA_VERSION_UNKNOWN, _("No DCC schema for version %(ver)s."), ver=str(ver)[:20])


@functools.lru_cache(maxsize=64)
def validator_for_ver(ver: str) -> jsonschema_rs.Validator | None:
    """The validator of the schema that a DCC of version ``ver`` is checked against
    (None when there is none), in one cached call for the verifier's common path."""
    try:
        return _validator(_schema_version_for(ver))
    except DccError:
        return None


def schema_errors(dcc: Mapping[str, Any], version: str | None = None) -> list[str]:
    """What is wrong with ``dcc`` against the schema of ``version`` (default: its own
    ``ver``); empty when it is valid. ``dcc`` must hold JSON types only (jsonschema-rs
    raises ValueError on others, such as datetimes)."""
    if type(dcc) is not dict and not isinstance(dcc, Mapping):
        return ["the DCC is not a JSON object"]
    try:
        chosen = version or schema_version_for(dcc.get("ver"))
    except DccError as exc:
        return [exc.message]
    validator = _validator(chosen)
    if validator.is_valid(dcc):
        # Releases before 1.3.0 do not say it in the schema, but the specification always
        # did: one DCC is one certificate, of one type.
        if ("v" in dcc) + ("t" in dcc) + ("r" in dcc) != 1:  # CERTIFICATE_TYPES, unrolled
            return ["/: the DCC must hold exactly one of v, t, r"]
        return []
    return [
        f"/{'/'.join(map(str, e.instance_path))}: {e.message}"[:200]
        for e in validator.iter_errors(dcc)
    ]


def check_schema(dcc: Mapping[str, Any], version: str | None = None) -> None:
    """Raise ``DccError`` (``schema_invalid``) unless ``dcc`` is valid."""
    problems = schema_errors(dcc, version)
    if problems:
        raise error(
            SCHEMA_INVALID,
            _("The DCC does not match its schema: %(problems)s."),
            problems="; ".join(problems[:3]),
        )
