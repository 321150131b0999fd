"""The analyses on Athena, driven through a real botocore Athena client with botocore's Stubber (moto's Athena
runs no query): the calls made, the parameters as literals, the rows typed by the result's column types."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.domain.errors import Unavailable
from chalicelib.insight.engine import AthenaEngine, athena_literal, athena_sql


def client():
    return boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def state(name: str) -> dict:
    return {"QueryExecution": {"QueryExecutionId": "q1", "Status": {"State": name}}}


RESULT = {
    "ResultSet": {
        "ResultSetMetadata": {
            "ColumnInfo": [
                {"Name": "merchant_id", "Type": "varchar"},
                {"Name": "checkouts", "Type": "bigint"},
                {"Name": "quoted", "Type": "boolean"},
                {"Name": "topup_needed", "Type": "bigint"},
            ]
        },
        "Rows": [
            {
                "Data": [
                    {"VarCharValue": "merchant_id"},
                    {"VarCharValue": "checkouts"},
                    {"VarCharValue": "quoted"},
                    {"VarCharValue": "topup_needed"},
                ]
            },
            {"Data": [{"VarCharValue": "m1"}, {"VarCharValue": "3"}, {"VarCharValue": "true"}, {}]},
        ],
    }
}


def test_an_analysis_runs_its_athena_text_in_the_workgroup_and_answers_typed_rows():
    athena = client()
    with Stubber(athena) as stub:
        stub.add_response(
            "start_query_execution",
            {"QueryExecutionId": "q1"},
            {
                "QueryString": athena_sql("obstacles"),
                "QueryExecutionContext": {"Database": "db"},
                "WorkGroup": "wg",
                "ExecutionParameters": ["'2026-11-01'", "'2026-11-30'"],
            },
        )
        stub.add_response("get_query_execution", state("RUNNING"), {"QueryExecutionId": "q1"})
        stub.add_response("get_query_execution", state("SUCCEEDED"), {"QueryExecutionId": "q1"})
        stub.add_response("get_query_results", RESULT, {"QueryExecutionId": "q1"})
        rows = AthenaEngine(athena, "db", "wg", poll_seconds=0).run("obstacles", ["2026-11-01", "2026-11-30"])
        stub.assert_no_pending_responses()
    assert rows == [{"merchant_id": "m1", "checkouts": 3, "quoted": True, "topup_needed": None}]


def test_a_query_that_outlasts_the_request_is_stopped_and_answered_503():
    athena = client()
    with Stubber(athena) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q1"})
        stub.add_response("get_query_execution", state("RUNNING"), {"QueryExecutionId": "q1"})
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q1"})
        with pytest.raises(Unavailable):
            AthenaEngine(athena, "db", "wg", timeout=0, poll_seconds=0).run("event_ids", ["2026-11-01", "2026-11-02"])
        stub.assert_no_pending_responses()


def test_a_failed_query_says_why():
    athena = client()
    failed = {"QueryExecution": {"Status": {"State": "FAILED", "StateChangeReason": "bytes scanned limit"}}}
    with Stubber(athena) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q1"})
        stub.add_response("get_query_execution", failed, {"QueryExecutionId": "q1"})
        with pytest.raises(RuntimeError, match="bytes scanned limit"):
            AthenaEngine(athena, "db", "wg", poll_seconds=0).run("event_ids", ["2026-11-01", "2026-11-02"])


def test_parameters_are_sql_literals_with_quotes_doubled():
    assert [athena_literal(v) for v in ("it's", 7, 2.5)] == ["'it''s'", "7", "2.5"]
    with pytest.raises(TypeError):
        athena_literal(None)
