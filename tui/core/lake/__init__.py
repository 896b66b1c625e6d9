"""A model whose predictions live in a data lake: its daily aggregates computed where
the data lives (DuckDB over Parquet files, or Spark) and written into the store.

The shape, for whoever continues it:

- ``aggregates``: each aggregate is one named query (``queries/lake_*.sql``, DuckDB's
  dialect) over two views, ``lake_predictions`` and ``lake_labels``, with bound
  parameters; it yields rows of exactly the columns of the store table it fills.
- ``duck`` and ``spark``: the engines. Each makes the two views from the source (Parquet
  files, a Parquet path, a metastore table) and runs a query, answering in Arrow; Spark
  runs the text SQLGlot transpiled. Only aggregates cross back to this machine.
- ``files``: what changed, from Parquet file times and Hive partition days.
- ``sync``: plan the days, compute them, write them in one store transaction.

Next: checks of a lake model need per-window statistics (row counts, nulls, bounds,
category counts, quantile bins per feature; outcome counts per window). They fit the same
pattern: a ``lake_check_stats`` query grouped by the finest check window (an hour
bucket) × version × slice, written to a store table that the checks' context sums into
longer windows instead of reading raw rows. Quantile bins need the baseline's bin edges
first (computed once, stored, then passed as a bound list so both engines bin exactly
alike; approximate percentiles differ between engines, binning by given edges does not).
"""
