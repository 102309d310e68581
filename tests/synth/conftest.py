"""Generator tests run without a database: the synth package is pure Python."""

import csv
from functools import cache
from pathlib import Path

import pytest

from vaxpass.synth.generator import Generator, national_wards


@pytest.fixture(autouse=True)
def _registry_per_test():
    """Overrides the database-backed registry fixture of the suite's conftest."""
    yield


@cache
def wards(provinces: tuple[str, ...] = ()):
    return national_wards(list(provinces) or None)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def generated(people: int, seed: int = 7) -> Path:
    import tempfile

    out = Path(tempfile.mkdtemp(prefix=f"synth-{people}-"))
    Generator(wards(), seed=seed).write(out, people)
    return out
