"""Linkage tests need no database: replace the Django-only autouse fixture of
tests/conftest.py with a no-op, and share one small generated data set."""

from pathlib import Path

import pytest
from linkage_helpers import TODAY


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


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def trained(generated, models_dir):
    """A stage-2 model trained once on the generated set, saved in ``models_dir``."""
    from vaxpass.linkage.model import ModelStore
    from vaxpass.linkage.pipeline import BatchRun

    run = BatchRun(today=TODAY, threads=2)
    run.load_files(generated / "contract/registry.csv", generated / "contract/doses.csv")
    return ModelStore(models_dir).save(run.train(sample_doses=3000, u_pairs=2e5))


@pytest.fixture(scope="session")
def model_file(trained, models_dir) -> Path:
    return models_dir / f"{trained.version}.json"


@pytest.fixture(scope="session")
def cleaned(generated, trained):
    """A batch run over the generated set with the trained model (tables kept)."""
    from vaxpass.linkage.pipeline import BatchRun

    run = BatchRun(today=TODAY, threads=2)
    run.load_files(generated / "contract/registry.csv", generated / "contract/doses.csv")
    run.clean(trained)
    return run
