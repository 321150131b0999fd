"""X-Ray subsegments: what reaches the daemon's UDP port for traced code and DynamoDB calls.

A real UDP socket stands in for the X-Ray daemon; the calls go to the moto server through a real
botocore client, so the documents are the ones botocore's own events produce.
"""

from __future__ import annotations

import json
import socket

import botocore.session
import pytest
from botocore.exceptions import ClientError

from chalicelib.observability import XRay, daemon_address
from tests.aws_env import ENDPOINT, TABLE

TRACE = "1-67891233-abcdef012345678912345678"
PARENT = "53995c3f42cd8ad8"


class Daemon:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = self.sock.getsockname()

    def documents(self, quiet: float = 0.3) -> list[dict]:
        """Every segment document received until the port has been quiet for ``quiet`` seconds."""
        docs = []
        self.sock.settimeout(quiet)
        while True:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return docs
            header, _, body = data.partition(b"\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            docs.append(json.loads(body))


@pytest.fixture
def daemon():
    d = Daemon()
    yield d
    d.sock.close()


@pytest.fixture
def traced(daemon, moto_table):
    xray = XRay(daemon.address)
    client = botocore.session.get_session().create_client(
        "dynamodb",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    xray.instrument(client)
    return xray, client


def sampled(monkeypatch, flag: int = 1) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={TRACE};Parent={PARENT};Sampled={flag}")


def get_wallet(client):
    return client.transact_get_items(
        TransactItems=[{"Get": {"TableName": TABLE, "Key": {"pk": {"S": "W#trace"}, "sk": {"S": "WALLET"}}}}]
    )


def test_dynamodb_calls_are_subsegments_of_the_traced_method_around_them(daemon, traced, monkeypatch):
    xray, client = traced
    sampled(monkeypatch)

    @xray.capture_method
    def pay():
        get_wallet(client)
        with pytest.raises(ClientError):
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": TABLE,
                            "Item": {"pk": {"S": "W#trace"}, "sk": {"S": "WALLET"}, "kind": {"S": "wallet"}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    }
                ]
            )

    pay()
    docs = {d["name"] + ":" + d.get("aws", {}).get("operation", ""): d for d in daemon.documents()}
    assert set(docs) == {f"## {pay.__qualname__}:", "DynamoDB:TransactGetItems", "DynamoDB:TransactWriteItems"}
    outer = docs[f"## {pay.__qualname__}:"]
    got, wrote = docs["DynamoDB:TransactGetItems"], docs["DynamoDB:TransactWriteItems"]
    assert {d["trace_id"] for d in docs.values()} == {TRACE}
    assert all(d["type"] == "subsegment" and len(d["id"]) == 16 for d in docs.values())
    assert outer["parent_id"] == PARENT  # the invocation's segment, as Lambda named it
    assert got["parent_id"] == outer["id"] and wrote["parent_id"] == outer["id"]
    assert (
        outer["start_time"]
        <= got["start_time"]
        <= got["end_time"]
        <= wrote["start_time"]
        <= wrote["end_time"]
        <= outer["end_time"]
    )
    assert got["namespace"] == "aws" and got["aws"]["table_name"] == TABLE and got["aws"]["region"] == "us-east-1"
    assert got["aws"]["request_id"] and got["http"]["response"]["status"] == 200 and "error" not in got
    # a refused condition is the caller's error (4xx), with the service's reason
    assert wrote["error"] is True and "fault" not in wrote and wrote["http"]["response"]["status"] == 400
    assert wrote["cause"]["exceptions"][0]["type"] == "TransactionCanceledException"
    assert "fault" not in outer  # the method caught it


def test_an_exception_leaving_a_traced_method_marks_its_subsegment_a_fault(daemon, traced, monkeypatch):
    xray, _ = traced
    sampled(monkeypatch)

    @xray.capture_method
    def broken():
        raise ValueError("the ledger is on fire")

    with pytest.raises(ValueError):
        broken()
    [doc] = daemon.documents()
    assert doc["fault"] is True
    assert doc["cause"]["exceptions"][0] == {
        **doc["cause"]["exceptions"][0],
        "type": "ValueError",
        "message": "the ledger is on fire",
    }


def test_a_call_that_never_got_an_answer_is_a_fault(daemon, monkeypatch):
    xray = XRay(daemon.address)
    client = botocore.session.get_session().create_client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )
    xray.instrument(client)
    sampled(monkeypatch)
    with pytest.raises(Exception):
        get_wallet(client)
    [doc] = daemon.documents()
    assert doc["fault"] is True and doc["aws"]["operation"] == "TransactGetItems"
    assert doc["cause"]["exceptions"][0]["type"] == "EndpointConnectionError"


@pytest.mark.parametrize("header", [None, f"Root={TRACE};Parent={PARENT};Sampled=0"])
def test_nothing_is_sent_outside_a_sampled_invocation(daemon, traced, monkeypatch, header):
    xray, client = traced
    if header is None:
        monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    else:
        monkeypatch.setenv("_X_AMZN_TRACE_ID", header)
    with xray.subsegment("## quiet"):
        get_wallet(client)
    assert daemon.documents() == []


def test_tracing_switched_off_sends_nothing_even_when_sampled(daemon, moto_table, monkeypatch):
    xray = XRay(daemon.address, enabled=False)
    sampled(monkeypatch)
    with xray.subsegment("## off"):
        pass
    assert daemon.documents() == []


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, ("127.0.0.1", 2000)),
        ("169.254.79.129:2000", ("169.254.79.129", 2000)),
        ("tcp:127.0.0.1:2000 udp:127.0.0.2:2001", ("127.0.0.2", 2001)),
    ],
)
def test_the_daemon_address_is_read_as_lambda_sets_it(value, expected):
    assert daemon_address(value) == expected
