"""Batch and incremental cleaning of dose records against the population registry.

No Django: DuckDB and Splink for the batch, the registry adapter and pure Python for the
incremental path. See ``pipeline.BatchRun`` (batch), ``incremental.IncrementalCleaner``
(a few doses within seconds), ``model`` (trained, versioned Splink models) and
``cleanfiles.clean_files`` (files in, files out).
"""
