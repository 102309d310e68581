"""Linkage tests need no database: replace the Django-only autouse fixture of
tests/conftest.py with a no-op, and share one small generated data set."""

from datetime import date
from pathlib import Path

import pytest

TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _registry_per_test():
    yield


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """2,000 generated people of Hà Nội and Hồ Chí Minh City with their doses
    (generator files plus contract files under contract/)."""
    from vaxpass.linkage.synthetic import convert
    from vaxpass.synth.generator import Generator, national_wards

    out = tmp_path_factory.mktemp("generated")
    wards = national_wards(["01", "79"])
    Generator(wards, seed=11).write(out, 2000)
    convert(out, out / "contract", {w.code: (w.current_code, w.province_code) for w in wards})
    return out
