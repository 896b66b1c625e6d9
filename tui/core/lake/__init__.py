"""A model whose predictions live in a data lake: its daily aggregates computed where
the data lives (DuckDB over Parquet files, or Spark) and written into the store."""
