"""Core tests need no database and run with ``-p no:django``: replace the Django-only
autouse fixture of tests/conftest.py with a no-op here."""

import pytest


@pytest.fixture(autouse=True)
def _registry_per_test():
    yield
