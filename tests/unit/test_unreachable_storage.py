"""A store that does not answer (connection refused, read timeout) is answered 503 ``unavailable`` with
Retry-After, not 500: the request may be retried, and a money request with the same Idempotency-Key cannot
move money twice. A bug is still a 500 without internals. Through the real ``route`` decorator and
Chalice's test client, with the exceptions botocore and PynamoDB raise."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from chalice import Blueprint, Chalice
from chalice.test import Client
from pynamodb.exceptions import TransactGetError

from chalicelib.api.routing import ROUTES, Call, route, storage_unreachable
from chalicelib.api.schemas.common import Out


class Nothing(Out):
    ok: bool


def app_raising(exc: Exception) -> Chalice:
    bp = Blueprint(__name__)

    @route(
        bp, f"/v1/test-{id(exc)}", "GET", name=f"raise{id(exc)}", summary="raises", access="public", response=Nothing
    )
    def view(call: Call) -> dict:
        raise exc

    app = Chalice(app_name="unreachable-test")
    app.experimental_feature_flags.update(["BLUEPRINTS"])
    app.register_blueprint(bp)
    # out of the route registry again: it is the OpenAPI document's and the authorization matrix's source
    ROUTES[:] = [r for r in ROUTES if r.name != f"raise{id(exc)}"]
    return app


@pytest.mark.parametrize(
    "exc",
    [
        TransactGetError("Failed to get transaction items", ReadTimeoutError(endpoint_url="http://ddb")),
        EndpointConnectionError(endpoint_url="http://ddb"),
    ],
    ids=["read timeout inside PynamoDB", "connection refused"],
)
def test_an_unreachable_store_is_a_503_to_retry(exc):
    with Client(app_raising(exc)) as client:
        r = client.http.get(f"/v1/test-{id(exc)}")
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert json.loads(r.body)["error"]["code"] == "unavailable"


def test_a_bug_is_still_a_500_without_internals():
    exc = KeyError("secret internals")
    with Client(app_raising(exc)) as client:
        r = client.http.get(f"/v1/test-{id(exc)}")
    body = json.loads(r.body)
    assert r.status_code == 500 and body["error"]["code"] == "internal_error" and "secret" not in r.body.decode()


def test_only_botocore_connection_failures_count():
    assert storage_unreachable(RuntimeError("x")) is False
    assert storage_unreachable(TransactGetError("Failed", ValueError("bad"))) is False
    chained = RuntimeError("outer")
    chained.__cause__ = ReadTimeoutError(endpoint_url="http://ddb")
    assert storage_unreachable(chained) is True
