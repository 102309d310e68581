"""Signers shared by the DCC tests (RSA key generation is slow enough to do once)."""

import pytest

from .keys import EKU_VACCINATION, TestSigner


@pytest.fixture(scope="session")
def signer() -> TestSigner:
    return TestSigner()


@pytest.fixture(scope="session")
def rsa_signer() -> TestSigner:
    return TestSigner("PS256", usages=(EKU_VACCINATION,))
