"""Trained models are saved with a version and a content hash, reused, and refused when
edited by hand."""

import json

import pytest

from vaxpass.core.matching.comparisons import COMPARISONS
from vaxpass.linkage.model import ModelError, ModelStore, load_model


def test_saved_model_is_versioned_by_content_and_reloads_identically(trained, tmp_path):
    store = ModelStore(tmp_path)
    first = store.save(trained)
    assert first.version.startswith("stage2-1-") and first.version.endswith(first.sha256[:12])
    assert load_model(tmp_path / f"{first.version}.json") == first
    # the same content again: no new file, same version
    assert store.save(trained) == first
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert store.latest() == first


def test_a_new_model_gets_the_next_number(trained, tmp_path):
    store = ModelStore(tmp_path)
    store.save(trained)
    other = type(trained)(
        settings=trained.settings,
        matches_per_dose=0.9,
        trained_on=trained.trained_on,
        term_frequencies=trained.term_frequencies,
    )
    second = store.save(other)
    assert second.version.startswith("stage2-2-")
    assert store.latest() == second


def test_edited_model_is_refused(trained, tmp_path):
    path = tmp_path / f"{ModelStore(tmp_path).save(trained).version}.json"
    document = json.loads(path.read_text())
    document["splink_settings"]["comparisons"][0]["comparison_levels"][1]["m_probability"] = 0.5
    path.write_text(json.dumps(document))
    with pytest.raises(ModelError, match="sha256"):
        load_model(path)


def test_every_level_has_parameters_and_the_id_levels_stay_fixed(trained):
    saved = {c["output_column_name"]: c for c in trained.settings["comparisons"]}
    assert list(saved) == [c.name for c in COMPARISONS]
    for comparison in COMPARISONS:
        for level, stored in zip(comparison.levels, saved[comparison.name]["comparison_levels"],
                                 strict=True):  # fmt: skip
            assert stored["label_for_charts"] == level.label
            if not level.is_null:
                assert stored["m_probability"] > 0 and stored["u_probability"] > 0
            if level.m is not None:
                assert stored["m_probability"] == level.m and stored["fix_m_probability"]
    assert trained.term_frequencies["name_key"]  # kept for incremental scoring


def test_prior_follows_the_registry_size(trained):
    assert trained.prior(1_000_000) == pytest.approx(trained.matches_per_dose / 1_000_000)
    small, big = trained.parameters(10_000), trained.parameters(10_000_000)
    assert small.prior == pytest.approx(1000 * big.prior)
    assert small.levels == big.levels
