"""The same Splink settings and saved model on Spark (local mode) score the same pairs
with the same weights as on DuckDB."""

import math
import shutil

import pytest
from linkage_helpers import TODAY

pytest.importorskip("pyspark")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java 17+ runtime"),
]


def test_spark_predictions_equal_duckdbs(generated, cleaned, trained, tmp_path):
    from vaxpass.linkage import stage2
    from vaxpass.linkage.pipeline import BatchRun
    from vaxpass.linkage.spark import local_session, spark_linker

    paths = cleaned.export_stage2(tmp_path)
    size = stage2.registry_size(cleaned.con)
    duck = stage2._linker(cleaned.con, trained.settings_for(size))
    duck_pairs = duck.inference.predict(warning_mode="never")
    expected = {
        (dose, person): weight
        for dose, person, weight in cleaned.con.execute(
            f"SELECT unique_id_l, unique_id_r, match_weight FROM {duck_pairs.physical_name}"
        ).fetchall()
    }
    spark = local_session(str(tmp_path / "checkpoints"), cores=2, memory="1g")
    try:
        read = spark.read.parquet
        linker = spark_linker(
            spark,
            read(str(paths["s2_doses"])),
            read(str(paths["s2_registry"])),
            {c: read(str(paths[f"tf_{c}"])) for c in ("name_key", "phone")},
            trained,
            size,
        )
        predictions = linker.inference.predict(warning_mode="never").as_spark_dataframe()
        rows = predictions.collect()
        predictions.write.parquet(str(tmp_path / "pairs"))
    finally:
        spark.stop()
    got = {(row["unique_id_l"], row["unique_id_r"]): row["match_weight"] for row in rows}
    assert len(got) > 500
    assert got.keys() == expected.keys()
    for pair, weight in got.items():
        assert math.isclose(weight, expected[pair], abs_tol=1e-6), pair
    # ... and the Spark pairs, taken back, give the DuckDB run's decisions
    run = BatchRun(today=TODAY, threads=2)
    run.load_files(generated / "contract/registry.csv", generated / "contract/doses.csv")
    run.clean_with_pairs(tmp_path / "pairs", trained.version)
    ours = [d for chunk in run.decisions() for d in chunk]
    theirs = [d for chunk in cleaned.decisions() for d in chunk]

    def key(d):
        return (d.dose_id, d.decision, d.citizen_id, d.reasons, d.candidate_id,
                [c.citizen_id for c in d.candidates], d.corrections, d.model_version)  # fmt: skip

    assert [key(d) for d in ours] == [key(d) for d in theirs]
    for a, b in zip(ours, theirs, strict=True):  # floating point differs in the last digits
        assert a.probability == pytest.approx(b.probability, abs=1e-9, nan_ok=False) or (
            a.probability is None and b.probability is None
        )
