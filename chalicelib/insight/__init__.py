"""Customer insight: the analytics export (every event of the bus, on S3 by day and type) and the analyses
run over it, one SQL text each in Athena's dialect (``sql/``), run unchanged on Athena and, translated by
sqlglot, on DuckDB locally (``engine.py``). Nothing here is imported by the API's cold path."""
