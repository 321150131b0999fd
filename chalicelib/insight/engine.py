"""Running an analysis: its SQL text (``sql/<name>.sql``, Athena's dialect, ``?`` parameters) on DuckDB over
the export's rows, translated by sqlglot (athena -> duckdb). On AWS the same text runs on Athena, over the
Glue table ``events``; the analyses compute day differences on DATE values and assert nothing approximate,
so the two engines agree (docs/insight.md)."""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path
from typing import Any, Sequence

from ..domain.errors import Unavailable

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

    @classmethod
    def over(cls, db: Any) -> "DuckEngine":
        """An engine over a DuckDB connection that already has its ``events`` table (the benchmarks')."""
        engine = cls.__new__(cls)
        engine.db = db
        return engine

    def run(self, name: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(duckdb_sql(name), list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


# Athena's result types that are not text (every value comes back as text: converted by the column's type)
_NUMBERS = {
    "tinyint": int,
    "smallint": int,
    "integer": int,
    "bigint": int,
    "double": float,
    "float": float,
    "real": float,
}


def athena_literal(value: Any) -> str:
    """An execution parameter as Athena takes it: the SQL text of a literal."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"no parameter of type {type(value).__name__}")
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


class AthenaEngine:
    """The same analyses on Athena, over the Glue table ``events``: start the query in the stage's workgroup
    (which bounds the bytes a query may scan), wait for it, read its rows. Answers within ``timeout`` seconds
    or 503: a report is an API request, and API Gateway gives up at 29 s."""

    def __init__(
        self, client: Any, database: str, workgroup: str, timeout: float = 25.0, poll_seconds: float = 0.25
    ) -> None:
        self.client, self.database, self.workgroup = client, database, workgroup
        self.timeout, self.poll_seconds = timeout, poll_seconds

    def run(self, name: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        started = self.client.start_query_execution(
            QueryString=athena_sql(name),
            QueryExecutionContext={"Database": self.database},
            WorkGroup=self.workgroup,
            **({"ExecutionParameters": [athena_literal(p) for p in params]} if params else {}),
        )
        query_id = started["QueryExecutionId"]
        deadline = time.monotonic() + self.timeout
        while True:
            status = self.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
            if status["State"] == "SUCCEEDED":
                break
            if status["State"] in ("FAILED", "CANCELLED"):
                raise RuntimeError(f"analysis {name} {status['State'].lower()}: {status.get('StateChangeReason')}")
            if time.monotonic() > deadline:
                self.client.stop_query_execution(QueryExecutionId=query_id)
                raise Unavailable(f"the analysis {name} took more than {self.timeout:.0f} s; try a shorter period")
            time.sleep(self.poll_seconds)
        return self._rows(query_id)

    def _rows(self, query_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        columns: list[tuple[str, str]] = []
        for page in self.client.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
            rows = page["ResultSet"]["Rows"]
            if not columns:
                columns = [(c["Name"], c["Type"].lower()) for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
                rows = rows[1:]  # the first row of the first page is the header
            for row in rows:
                values = [d.get("VarCharValue") for d in row["Data"]]
                out.append({name: _value(v, type_) for (name, type_), v in zip(columns, values)})
        return out


def _value(text: str | None, type_: str) -> Any:
    if text is None:
        return None
    if type_ in _NUMBERS:
        return _NUMBERS[type_](text)
    if type_ == "boolean":
        return text == "true"
    return text
