"""Stage 2 on Spark: the same Splink settings and saved model as on DuckDB, for data that
outgrows one machine.

    spark = local_session("/tmp/checkpoints")  # or the cluster's SparkSession
    linker = spark_linker(spark, doses_df, registry_df, tf_frames, model, registry_size)
    pairs = linker.inference.predict(threshold_match_weight=stage2.FLOOR_WEIGHT)
    pairs.as_spark_dataframe().write.parquet("pairs")
    # back on the DuckDB run that exported the inputs:
    run.clean_with_pairs("pairs", model.version)

``doses_df`` and ``registry_df`` carry the columns of
vaxpass.core.matching.comparisons.RECORD_COLUMNS (the prepare step writes them; see
``BatchRun.export_stage2``); ``tf_frames`` maps "name_key" and "phone" to frames of
(value, tf_value). Nothing here imports pyspark until called.
"""

from __future__ import annotations

import logging
from typing import Any

from vaxpass.linkage.model import Model
from vaxpass.linkage.stage2 import prediction_settings


def local_session(
    checkpoint_dir: str, *, cores: int = 2, memory: str = "2g", app: str = "vaxpass-stage2"
):
    """A local-mode SparkSession with Splink's similarity UDF jar on the classpath and a
    checkpoint directory (Splink checkpoints to break long lineages)."""
    from pyspark.sql import SparkSession
    from splink.internals.spark.jar_location import similarity_jar_location

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setCheckpointDir(checkpoint_dir)
    return spark


def spark_linker(
    spark,
    doses_df,
    registry_df,
    tf_frames: dict[str, Any],
    model: Model,
    registry_size: int,
):
    from splink import Linker, SparkAPI

    db_api = SparkAPI(spark_session=spark)
    # As on DuckDB: the doses' table name sorts first, so they are ``l``.
    doses = db_api.register(doses_df, table_name="a_doses", dataset_display_name="doses")
    registry = db_api.register(
        registry_df, table_name="b_registry", dataset_display_name="registry"
    )
    settings = prediction_settings(model, registry_size)
    linker = Linker([doses, registry], settings, log_level=logging.WARNING)
    for column, frame in tf_frames.items():
        table = db_api.register(frame, table_name=f"tf_lookup_{column}")
        linker.table_management.register_term_frequency_lookup(table, column)
    return linker
