"""Batch and incremental cleaning of dose records against the population registry.

No Django: DuckDB and Splink for the batch, the registry adapter and pure Python for the
incremental path; both return ``vaxpass.core.matching.DoseDecision``.

Batch (the backlog, a province's export, a files-in/files-out run)::

    run = pipeline.BatchRun(policy=NATIONAL, today=..., memory_limit="6GB", progress=fn)
    run.load_files(registry_path, doses_path)        # CSV / Parquet, tables.py contract
    # or run.load_relations(registry_rel, doses_rel) # DuckDB relations on run.con
    model = model.ModelStore(models_dir).latest()    # or ModelStore(...).save(run.train())
    summary = run.clean(model)                       # counts per decision and reason
    for chunk in run.decisions(chunk_size=5_000):     # list[DoseDecision], corrections in
        ...
    run.write("decisions.parquet")                   # the clean-files output

Incremental (a few newly recorded doses, within seconds)::

    cleaner = incremental.IncrementalCleaner(registry, model, registry_size=n)
    decisions = cleaner.decide({dose_id: CapturedIdentity(...)}, visits=..., known=...)

Modules: ``tables`` (contract columns, CSV/Parquet I/O), ``prepare`` (comparable forms),
``stage1_sql`` (stage 1 vectorised), ``stage2`` (Splink training and prediction),
``model`` (versioned model files), ``pipeline`` (the batch), ``incremental``,
``cleanfiles`` (the ``vaxpass clean-files`` command), ``spark`` (stage 2 on Spark),
``synthetic`` (generator files to contract files, for the bench and tests).
"""
