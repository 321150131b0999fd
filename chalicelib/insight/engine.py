"""Running an analysis: its SQL text (``sql/<name>.sql``, Athena's dialect, ``?`` parameters) on DuckDB over
the export's rows, translated by sqlglot (athena -> duckdb). On AWS the same text runs on Athena, over the
Glue table ``events``; the analyses compute day differences on DATE values and assert nothing approximate,
so the two engines agree (docs/insight.md).

One construct translates with a difference the translation corrects: an analysis reads an event's fields
from one parse of its JSON, ``CAST(json_parse(detail) AS ROW(name type, ...))``. Trino (Athena) matches the
row's fields to the object's keys and leaves a field the object does not have NULL; DuckDB's cast of JSON to
a STRUCT refuses an object without one of them, where its ``json_transform`` does what Trino does. So the
DuckDB text reads such a cast with ``json_transform``."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
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

    return sqlglot.parse_one(athena_sql(name), read="athena").transform(_json_rows).sql(dialect="duckdb")


def _json_rows(node: Any) -> Any:
    """``CAST(json_parse(x) AS ROW(...))`` as ``json_transform(x, '<the row's fields and types>')``."""
    from sqlglot import exp

    if isinstance(node, exp.Cast) and isinstance(node.this, exp.ParseJSON) and node.to.is_type("struct"):
        structure = json.dumps(_structure(node.to), separators=(",", ":"))
        return exp.func("json_transform", node.this.this, exp.Literal.string(structure))
    return node


def _structure(row: Any) -> dict[str, Any]:
    """A ROW type as json_transform's structure: each field's name and DuckDB type, a nested ROW as an object."""
    fields = {}
    for field in row.expressions:
        kind = field.args["kind"]
        fields[field.name] = _structure(kind) if kind.is_type("struct") else kind.sql(dialect="duckdb")
    return fields


class DuckEngine:
    """An in-memory DuckDB with the export's rows as the table ``events`` (the Glue table's columns).

    DuckDB keeps to ``MEMORY_LIMIT`` of memory of its own and spills the rest of a large query's state to a
    temporary directory: the segmentation of a million customers (30M events) stays within 4 GB with it."""

    MEMORY_LIMIT = "2500MB"

    def __init__(self, rows: Sequence[tuple[Any, ...]]) -> None:
        import duckdb

        self.db = duckdb.connect(":memory:")
        # an in-memory database spills to ./.tmp unless told: a directory of its own in the system's temporary
        # one instead (made by DuckDB if it spills, and removed when it closes)
        spill = Path(tempfile.gettempdir()) / f"duckdb-{uuid.uuid4().hex}"
        self.db.execute("SET temp_directory = ?", [str(spill)])
        self._configure(self.db)
        # the column names are this module's constants and every value is a parameter
        columns = ", ".join(f"{c} VARCHAR" for c in COLUMNS)
        self.db.execute(f"CREATE TABLE events ({columns})")  # nosec B608 - constant column names
        if rows:
            # one statement, a list parameter per column, unnested side by side: executemany inserts row by row
            # (7.3 s for 20,000 events here, against 0.17 s so)
            unnested = ", ".join(f"unnest(?::VARCHAR[]) AS {c}" for c in COLUMNS)
            by_column = [list(column) for column in zip(*rows, strict=True)]
            self.db.execute(f"INSERT INTO events SELECT {unnested}", by_column)  # nosec B608 - parameters

    @classmethod
    def over(cls, db: Any) -> "DuckEngine":
        """An engine over a DuckDB connection that already has its ``events`` table (the benchmarks')."""
        engine = cls.__new__(cls)
        engine.db = db
        cls._configure(db)
        return engine

    @classmethod
    def _configure(cls, db: Any) -> None:
        db.execute("SET TimeZone = 'UTC'")
        db.execute("SET memory_limit = ?", [cls.MEMORY_LIMIT])
        db.execute("SET enable_progress_bar = false")

    def run(self, name: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(duckdb_sql(name), list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def columns(self, name: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        """The analysis's rows as columns: one numpy array per column (a masked array where it has NULLs; a
        DATE column as datetime64), with no Python object per row but the text values."""
        return dict(self.db.execute(duckdb_sql(name), list(params)).fetchnumpy())


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
