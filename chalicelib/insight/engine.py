"""Running an analysis: its SQL text (``sql/<name>.sql``, Athena's dialect, ``?`` parameters) on DuckDB over
the export's rows, translated by sqlglot (athena -> duckdb). On AWS the same text runs on Athena, over the
Glue table ``events``; the analyses compute day differences on DATE values and assert nothing approximate,
so the two engines agree (docs/insight.md)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Sequence

from .export import COLUMNS

SQL_DIR = Path(__file__).with_name("sql")


@cache
def athena_sql(name: str) -> str:
    """The analysis as Athena runs it."""
    return (SQL_DIR / f"{name}.sql").read_text()


@cache
def duckdb_sql(name: str) -> str:
    """The same analysis in DuckDB's dialect."""
    import sqlglot

    [statement] = sqlglot.transpile(athena_sql(name), read="athena", write="duckdb")
    return statement


class DuckEngine:
    """An in-memory DuckDB with the export's rows as the table ``events`` (the Glue table's columns)."""

    def __init__(self, rows: Sequence[tuple[Any, ...]]) -> None:
        import duckdb

        self.db = duckdb.connect(":memory:")
        self.db.execute("SET TimeZone = 'UTC'")
        # the column names are this module's constants and every value is a parameter
        columns = ", ".join(f"{c} VARCHAR" for c in COLUMNS)
        self.db.execute(f"CREATE TABLE events ({columns})")  # nosec B608 - constant column names
        if rows:
            marks = ", ".join("?" for _ in COLUMNS)
            self.db.executemany(f"INSERT INTO events VALUES ({marks})", list(rows))  # nosec B608 - parameters

    def run(self, name: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(duckdb_sql(name), list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
