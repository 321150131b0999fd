"""The real app in this process, for the case tables (tests/tables): Chalice's own local gateway (the code
`chalice local` runs behind its socket) through ``chalice.test``, real ID tokens from a Cognito user pool in
the in-process tests' moto server, and the store on that server's table (tests/aws_env.py).

- ``InProcessApi`` is tests/e2e/conftest.py's ``Api`` (users, funding, webhooks, checkouts, ...) with the
  HTTP session replaced by the app itself, so the tables' worlds and requests are built by the same code.
- ``WriteLog`` records every AWS call the process makes (any botocore client: the store's PynamoDB
  connection, the user pool's and the scheduler's clients) and whether it succeeded. "Nothing written" is
  then: no successful call that is not a read between two snapshots. That says at least what comparing the
  whole table says, and more: it also sees a write that was undone, and writes to the other services.
- ``EventPump`` publishes the table's stream to the bus and delivers the bus's events to the consumers, with
  the local stack's runner's own classes (dev/lifecycle.py), when a world needs what a consumer writes.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlencode

import botocore.client
from requests.structures import CaseInsensitiveDict

from tests.e2e.conftest import Api, table_items

# what only reads; every other operation (Put, Update, Delete, TransactWrite, BatchWrite, Create, Send,
# AdminAdd..., ...) writes
READ = re.compile(r"^(Admin)?(Get|List|Describe|BatchGet|TransactGet|Query|Scan)")


# ---- the app as a requests-like session ------------------------------------------------------------


class Response:
    """The little of requests.Response the tables read."""

    def __init__(self, status_code: int, headers: dict[str, Any], body: bytes) -> None:
        self.status_code = status_code
        self.headers = CaseInsensitiveDict(headers)
        self.content = body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class InProcessSession:
    """``request(method, url, data=, headers=, params=)`` answered by the app through Chalice's local gateway."""

    def __init__(self, app: Any) -> None:
        from chalice.config import Config
        from chalice.test import TestHTTPClient

        # no stage configuration: chalice.test would put the stage's variables into os.environ around every
        # request, and the settings of tests/inprocess/conftest.py are the only ones the app may see
        self.client = TestHTTPClient(app, Config.create(chalice_stage="local", app_name="store-balance"))
        self.authorizations: list[str] = []  # the payments it put on hold, for tests/inprocess/conftest.py to void

    def request(
        self,
        method: str,
        url: str,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Response:
        path = url
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params)
        body = data.encode() if isinstance(data, str) else (data or b"")
        r = self.client.request(method, path, headers=dict(headers or {}), body=body)
        response = Response(r.status_code, r.headers, r.body)
        if (method, path, r.status_code) == ("POST", "/v1/payments", 201) and response.json()["status"] == "authorized":
            self.authorizations.append(response.json()["payment_id"])
        return response

    def get(self, url: str, **kw: Any) -> Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Response:
        return self.request("POST", url, **kw)


class InProcessApi(Api):
    """The e2e client's helpers, served by the app in this process."""

    def __init__(self, info: Any, app: Any, pump: "EventPump") -> None:
        super().__init__(info)
        self.http = InProcessSession(app)  # type: ignore[assignment]
        self.url = ""
        self.pump = pump

    @property
    def authorizations(self) -> list[str]:
        return self.http.authorizations

    def run_consumers(self) -> int:
        return self.pump.run()


# ---- what the process wrote --------------------------------------------------------------------------


@dataclass(frozen=True)
class AwsCall:
    service: str
    operation: str
    ok: bool

    @property
    def writes(self) -> bool:
        return not READ.match(self.operation)

    def __str__(self) -> str:
        return f"{self.service}:{self.operation}{'' if self.ok else ' (failed)'}"


class Snapshot(list):
    """A point in the write log (with the table's items then, when asked for): what the tables' checks take
    where over HTTP they take the whole table (tests/e2e/conftest.py assert_nothing_written)."""

    def __init__(self, log: "WriteLog", at: int, items: list[dict[str, Any]] | None) -> None:
        super().__init__(items or [])
        self.log, self.at, self.scanned = log, at, items is not None

    def assert_nothing_written_since(self, before: "Snapshot", message: str) -> None:
        written = [c for c in self.log.calls[before.at : self.at] if c.ok and c.writes]
        assert written == [], f"{message}: {', '.join(map(str, written))}"
        if before.scanned and self.scanned:
            assert list(self) == list(before), message


def _keys_written(operation: str, params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(table, pk, sk) of every item a DynamoDB write call puts, updates or deletes."""

    def key(item: dict[str, Any]) -> tuple[str, str]:
        return item["pk"]["S"], item["sk"]["S"]

    if operation == "PutItem":
        return [(params["TableName"], *key(params["Item"]))]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], *key(params["Key"]))]
    if operation == "TransactWriteItems":
        return [
            (op["TableName"], *key(op["Item"] if kind == "Put" else op["Key"]))
            for item in params["TransactItems"]
            for kind, op in item.items()
            if kind in ("Put", "Update", "Delete")
        ]
    if operation == "BatchWriteItem":
        return [
            (table, *key(r["PutRequest"]["Item"] if "PutRequest" in r else r["DeleteRequest"]["Key"]))
            for table, requests in params["RequestItems"].items()
            for r in requests
        ]
    return []


class WriteLog:
    """Every botocore call this thread makes while installed (``with WriteLog(...) as log``); ``snapshot()``
    before and after a request, ``assert_nothing_written`` between the two. The app in process runs in the
    test's thread (it starts none); calls of other threads (an e2e bus reader still draining a stack's
    queue in the background) are not the app's, and not recorded."""

    def __init__(self, endpoint: str, table: str) -> None:
        self.endpoint, self.table = endpoint, table
        self.calls: list[AwsCall] = []
        self.written = 0  # successful writes so far
        self.keys: set[tuple[str, str, str]] = set()  # (table, pk, sk) of every item written (tried or done)
        self._thread = threading.get_ident()
        self._kept: dict[Any, tuple[int, Any]] = {}
        self._original: Any = None
        self._ddb: Any = None

    def __enter__(self) -> "WriteLog":
        original = self._original = botocore.client.BaseClient._make_api_call
        log = self

        def recorded(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if threading.get_ident() != log._thread:
                return original(client, operation, params)
            service = client.meta.service_model.service_name
            if service == "dynamodb":
                log.keys.update(_keys_written(operation, params))
            try:
                answer = original(client, operation, params)
            except Exception:
                log.calls.append(AwsCall(service, operation, False))
                raise
            call = AwsCall(service, operation, True)
            log.calls.append(call)
            log.written += call.writes
            return answer

        botocore.client.BaseClient._make_api_call = recorded
        return self

    def __exit__(self, *exc: Any) -> None:
        botocore.client.BaseClient._make_api_call = self._original

    def snapshot(self, items: bool = False) -> Snapshot:
        """Where the log is now; with ``items``, the whole table too (for the checks that read its items)."""
        scanned = None
        if items:
            if self._ddb is None:
                from dev.stack import aws_client

                self._ddb = aws_client("dynamodb", self.endpoint)
            scanned = table_items(self._ddb, self.table)
        return Snapshot(self, len(self.calls), scanned)

    def may_have_changed(self, before: Snapshot, after: Snapshot) -> bool:
        """Whether anything the API reads can differ between the two snapshots: only if the process called
        AWS at all between them (a read included). A request refused before it reached any store (most bad
        input, most refusals of the matrix) leaves nothing to compare but the write log."""
        return after.at > before.at

    def unless_written(self, read: Callable[..., Any], *args: Any) -> Any:
        """What ``read(*args)`` answered last, if nothing was written since; else ``read(*args)`` now. For the
        state before a request: a case's own set-up writes (a fresh checkout, a hold) and the state is read
        again; a refused case writes nothing, so the next one starts from the same state."""
        key = (read, *map(id, args))
        kept = self._kept.get(key)
        if kept is not None and kept[0] == self.written:
            return kept[1]
        value = read(*args)
        self._kept[key] = (self.written, value)
        return value


# ---- the stream and the bus, driven from here -----------------------------------------------------------


class EventPump:
    """What the local stack's runner (dev/lifecycle.py) does in its own process, on demand: read the table's
    stream (from where it stood when the pump was made) into the stream publisher's function, which puts
    the events on the bus, and drain the bus's targets (moto's EventBridge rules, each with an SQS queue)
    into the consumer functions. The same classes as the runner's, the same functions of the app."""

    def __init__(self, endpoint: str, stream_arn: str) -> None:
        from chalicelib.events.catalogue import CONSUMERS
        from dev.lifecycle import BusDelivery, StreamReader
        from dev.stack import aws_client, consumer_queue

        sqs = aws_client("sqs", endpoint)
        self.stream = StreamReader(aws_client("dynamodbstreams", endpoint), stream_arn, sqs, dlq_url=None)
        # only what is written from now on: the earlier tests' records are not this module's to publish
        self.stream.iterators = {shard: self.stream._iterator(shard, "LATEST") for shard in self.stream._shards()}
        self.bus = BusDelivery(
            sqs, {name: sqs.get_queue_url(QueueName=consumer_queue(name))["QueueUrl"] for name in CONSUMERS}
        )

    def run(self) -> int:
        """Publish what the stream holds and deliver what the bus's rules matched, until neither has more
        (a consumer's writes are on the stream again); the records and events handled."""
        total = 0
        while True:
            done = self.stream.poll() + self.bus.poll()
            assert not self.stream.attempts, f"stream records the publisher failed on: {self.stream.attempts}"
            total += done
            if not done:
                return total
