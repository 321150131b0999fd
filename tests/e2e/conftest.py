"""End-to-end fixtures: real HTTP against chalice local, real Cognito tokens, real signatures."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import boto3
import pytest
import requests

from chalicelib.api.signature import sign
from dev.bus import BusTail as EventLog  # every event the stack put on its bus: wait_for(detail_type, **detail)
from dev.stack import REGION, StackInfo, issue_token


@dataclass
class User:
    name: str
    token: str
    user_id: str
    groups: tuple[str, ...] = ()

    def headers(self, key: str | None = None, **extra: str) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}", **extra}
        if key is not None:
            h["Idempotency-Key"] = key
        return h


class Api:
    """A thin client of the running API, with the helpers every test needs."""

    def __init__(self, info: StackInfo) -> None:
        self.info = info
        self.url = info.api_url
        self.http = requests.Session()
        self._users: dict[tuple[str, tuple[str, ...]], User] = {}
        self._checkouts: dict[tuple[str, str, str], dict[str, Any]] = {}  # (merchant, order, user) -> checkout

    def user(self, name: str, *groups: str) -> User:
        """A user of the local pool (created on first use) with exactly these groups."""
        ident = (name, tuple(sorted(groups)))
        if ident not in self._users:
            token = issue_token(self.info, name, list(groups))
            user_id = self.http.get(f"{self.url}/v1/wallet", headers={"Authorization": f"Bearer {token}"}).json()[
                "user_id"
            ]
            self._users[ident] = User(name, token, user_id, tuple(groups))
        return self._users[ident]

    def unique_user(self, prefix: str = "u", *groups: str) -> User:
        return self.user(f"{prefix}-{uuid.uuid4().hex[:10]}", *groups)

    def request(
        self,
        method: str,
        path: str,
        user: User | None = None,
        body: Any = None,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> requests.Response:
        h = dict(headers or {})
        if user is not None:
            h.update(user.headers(key))
        elif key is not None:
            h["Idempotency-Key"] = key
        if body is not None and "data" not in kw:
            kw["data"] = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        return self.http.request(method, self.url + path, headers=h, timeout=30, **kw)

    def get(self, path: str, user: User | None = None, **kw: Any) -> requests.Response:
        return self.request("GET", path, user, **kw)

    def post(
        self, path: str, user: User | None = None, body: Any = None, key: str | None = None, **kw: Any
    ) -> requests.Response:
        return self.request("POST", path, user, body, key, **kw)

    def sign(self, raw: bytes) -> str:
        """The X-Signature of ``raw`` with the secret the running app checks."""
        return sign(self.info.webhook_secret, raw)

    def webhook(
        self, body: dict[str, Any], secret: str | None = None, signature: str | None = None
    ) -> requests.Response:
        raw = json.dumps(body).encode()
        signature = signature or sign(secret or self.info.webhook_secret, raw)
        return self.http.post(
            f"{self.url}/v1/webhooks/payments",
            data=raw,
            timeout=30,
            headers={"Content-Type": "application/json", "X-Signature": signature},
        )

    def admin(self) -> User:
        return self.user("test-admin", "admin")

    def ensure_merchant(self, merchant_id: str) -> None:
        r = self.request("PUT", f"/v1/admin/merchants/{merchant_id}", self.admin(), {"name": merchant_id})
        assert r.status_code == 200, r.text

    def fund(self, user: User, amount: int) -> dict[str, Any]:
        """Top up and settle through the signed webhook, as the provider would."""
        r = self.post("/v1/topups", user, {"amount": amount, "channel": "wechat"}, key=str(uuid.uuid4()))
        assert r.status_code == 201, r.text
        topup = r.json()
        w = self.webhook(
            {
                "topup_id": topup["topup_id"],
                "status": "succeeded",
                "amount": amount,
                "provider_ref": f"ref-{topup['topup_id']}",
            }
        )
        assert w.status_code == 200, w.text
        return topup

    def make_known(self, user: User) -> None:
        """Give a customer who has never been credited a wallet (an empty one), as their own settings change does:
        the ledger opens checkouts only for customers it knows."""
        r = self.request("PUT", "/v1/wallet/settings", user, {"low_balance_threshold": 0})
        assert r.status_code == 200, r.text

    def grant_bonus(self, user: User, amount: int) -> None:
        r = self.post(
            f"/v1/admin/wallets/{user.user_id}/adjustments",
            self.admin(),
            {"amount": amount, "lot": "bonus", "reason": "test bonus"},
            key=str(uuid.uuid4()),
        )
        assert r.status_code == 201, r.text

    def service(self) -> User:
        return self.user("test-order-service", "service")

    def open_checkout(
        self,
        user: User,
        amount: int | None = None,
        merchant_id: str = "m-e2e",
        order_id: str | None = None,
        items: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """The order service opens a checkout of the merchant's priced order for ``user``."""
        body = {
            "merchant_id": merchant_id,
            "order_id": order_id or f"o-{uuid.uuid4().hex[:12]}",
            "user_id": user.user_id,
            "items": items or [{"sku": "sku-1", "category": "books", "unit_price": amount, "quantity": 1}],
            **extra,
        }
        r = self.post("/v1/checkouts", self.service(), body, key=str(uuid.uuid4()))
        if r.status_code == 404 and r.json()["error"]["code"] == "customer_not_found":
            # a customer never credited: give them their (empty) wallet first, as their own settings change does
            self.make_known(user)
            r = self.post("/v1/checkouts", self.service(), body, key=str(uuid.uuid4()))
        if r.status_code == 404 and r.json()["error"]["code"] == "customer_not_found":
            # a customer never credited: give them their (empty) wallet first, as their own settings change does
            self.make_known(user)
            r = self.post("/v1/checkouts", self.service(), body, key=str(uuid.uuid4()))
        assert r.status_code == 201, r.text
        return r.json()

    def pay(
        self,
        user: User,
        amount: int,
        merchant_id: str = "m-e2e",
        order_id: str | None = None,
        key: str | None = None,
        **kw: Any,
    ) -> requests.Response:
        """Pay one line of ``amount`` from ``user``'s balance, through the order's checkout (opened on first use)."""
        order_id = order_id or f"o-{uuid.uuid4().hex[:12]}"
        ident = (merchant_id, order_id, user.user_id)
        if ident not in self._checkouts:
            self._checkouts[ident] = self.open_checkout(user, amount, merchant_id, order_id)
        checkout = self._checkouts[ident]
        return self.post(
            "/v1/payments", user, {"checkout_id": checkout["checkout_id"]}, key=key or str(uuid.uuid4()), **kw
        )

    def run_consumers(self) -> int:
        """Let the bus's consumers catch up: the local stack's runner does so on its own, in its process
        (the in-process client, tests/inprocess/harness.py, drives them from the table's stream instead)."""
        return 0

    def balance(self, user: User) -> dict[str, int]:
        return self.get("/v1/wallet", user).json()["balance"]

    def all_entries(self, user: User) -> list[dict[str, Any]]:
        entries, cursor = [], None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = self.get("/v1/wallet/entries", user, params=params).json()
            entries += page["entries"]
            cursor = page["next_cursor"]
            if not cursor:
                return entries


def make_api(info: StackInfo) -> Api:
    client = Api(info)
    client.ensure_merchant("m-e2e")
    return client


def make_ddb(info: StackInfo):
    return boto3.client(
        "dynamodb",
        endpoint_url=info.aws_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def api(local_stack: StackInfo) -> Api:
    return make_api(local_stack)


@pytest.fixture(scope="session")
def ddb(local_stack: StackInfo):
    """Direct access to the local table, for checks behind the API's back."""
    return make_ddb(local_stack)


def own_stack_fixtures():
    """``local_stack, api, ddb = own_stack_fixtures()`` in a test module: a stack of the module's own.

    For modules whose cases compare the whole table before and after each request: their table then
    holds only their own items, so those scans stay short whatever the other modules wrote."""
    from tests.conftest import test_stack

    @pytest.fixture(scope="module")
    def local_stack(tmp_path_factory):
        yield from test_stack(tmp_path_factory)

    @pytest.fixture(scope="module")
    def api(local_stack):
        return make_api(local_stack)

    @pytest.fixture(scope="module")
    def ddb(local_stack):
        return make_ddb(local_stack)

    return local_stack, api, ddb


def table_items(ddb, table: str) -> list[dict[str, Any]]:
    """Every item of the table, in key order: compare two of these to prove nothing was written."""
    items, key = [], None
    while True:
        page = ddb.scan(TableName=table, ConsistentRead=True, **({"ExclusiveStartKey": key} if key else {}))
        items += page["Items"]
        key = page.get("LastEvaluatedKey")
        if not key:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


class TableScan:
    """The table over HTTP: ``snapshot()`` before and after a request, ``assert_nothing_written`` between the two
    (the in-process tests' WriteLog, tests/inprocess/harness.py, has the same methods).

    ``snapshot()`` is every item, in key order. ``snapshot(items=False)`` is a mark on the table's stream instead
    (a check that only asks whether anything was written): every write to the table is a stream record, so what
    was written after the mark is read from the stream, without scanning the table twice per request."""

    def __init__(self, ddb, table: str) -> None:
        self.ddb, self.table = ddb, table
        self.streams = boto3.client("dynamodbstreams", endpoint_url=ddb.meta.endpoint_url, region_name=REGION)
        self.stream_arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.last_mark: StreamMark | None = None

    def snapshot(self, items: bool = True) -> list[dict[str, Any]] | StreamMark:
        if items:
            return table_items(self.ddb, self.table)
        if self.last_mark is not None:
            self.last_mark.freeze()  # a mark's records end where the next one begins (a check may write after)
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        self.last_mark = StreamMark(
            self.streams,
            {
                s["ShardId"]: self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=s["ShardId"], ShardIteratorType="LATEST"
                )["ShardIterator"]
                for s in shards
            },
        )
        return self.last_mark

    def may_have_changed(self, before: Any, after: Any) -> bool:
        """Whether what the API reads can differ between two snapshots: between two marks, when the stream has
        a record the request wrote; between two item lists, always (what the server called is not seen here)."""
        if isinstance(before, StreamMark):
            return bool(before.written())
        return True

    def unless_written(self, read: Callable[..., Any], *args: Any) -> Any:
        """``read(*args)``, now: the stack's runner writes behind the tests' back, so nothing read before is kept."""
        return read(*args)


@dataclass
class StreamMark:
    """Where each shard of the table's stream was: ``written()`` are the records after it that a request wrote
    (the notifications the bus's consumer writes meanwhile for earlier requests' events are not the request's),
    up to the next mark taken on the same table (``freeze``), or up to now."""

    streams: Any
    iterators: dict[str, str]
    frozen: list[dict[str, Any]] | None = None

    def freeze(self) -> None:
        if self.frozen is None:
            self.frozen = self._read()

    def written(self) -> list[dict[str, Any]]:
        records = self._read() if self.frozen is None else self.frozen
        return [
            r
            for r in records
            if not (r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["sk"]["S"].startswith(("N#", "NK#")))
            and not is_segmentation_item(r["dynamodb"]["Keys"])
        ]

    def _read(self) -> list[dict[str, Any]]:
        records = []
        for iterator in self.iterators.values():
            while iterator:
                page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                records += page["Records"]
                if not page["Records"]:
                    break
                iterator = page.get("NextShardIterator")
        return records


def is_new_inbox_item(item: dict[str, Any], before_keys: set[tuple[str, str]]) -> bool:
    return item["sk"]["S"].startswith(("N#", "NK#")) and (item["pk"]["S"], item["sk"]["S"]) not in before_keys


def is_segmentation_item(key: dict[str, Any]) -> bool:
    """A profile or a segmentation run: derived data the stack's segmentation job writes whenever a run someone
    queued reaches it (``POST /v1/admin/segmentations``), behind the tests' back like the inbox; no route but
    that one writes them, and it writes a run only."""
    return key["sk"]["S"] == "PROFILE" or key["pk"]["S"] == "SEGRUN"


def backtest_settled(api, backtest_path: str, reader) -> None:
    """Until the queued backtest has run: the bus's consumer runs it asynchronously, and a check of what a
    request wrote must not see it finish between its before and after (it writes the backtest's item)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        api.run_consumers()
        if api.get(backtest_path, reader).json()["state"] in ("succeeded", "failed"):
            return
        time.sleep(0.2)
    raise AssertionError(f"{backtest_path} never ran")


def segmentation_settled(api, run_id: str, reader) -> None:
    """Until the queued segmentation run has finished: the stack's runner runs it asynchronously, and a run
    recomputes every profile on the stack, so none may be left to land in a later module's seeded segment."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        api.run_consumers()
        if api.get(f"/v1/admin/segmentations/{run_id}", reader).json()["state"] in ("succeeded", "failed"):
            return
        time.sleep(0.2)
    raise AssertionError(f"segmentation run {run_id} never finished")


def assert_nothing_written(
    before: list[dict[str, Any]], after: list[dict[str, Any]], message: str = "the request wrote to the table"
) -> None:
    """``after`` (table_items) is ``before``, but for notifications that appeared meanwhile: those are written
    by the bus's consumer (the local stack's runner) for events of earlier requests, asynchronously, so they
    are not the request's doing. Every other item, and every notification that was already there, must be
    as it was.

    Snapshots of the app in process (tests/inprocess/harness.py) say it themselves, from the calls the
    process made between them."""
    if hasattr(after, "assert_nothing_written_since"):
        after.assert_nothing_written_since(before, message)
        return
    if isinstance(before, StreamMark):
        written = before.written()
        assert not written, f"{message}: {[(r['eventName'], r['dynamodb']['Keys']) for r in written]}"
        return
    before_keys = {(i["pk"]["S"], i["sk"]["S"]) for i in before}
    kept = [i for i in before if not is_segmentation_item(i)]
    assert [i for i in after if not is_new_inbox_item(i, before_keys) and not is_segmentation_item(i)] == kept, message


@pytest.fixture(scope="session")
def bus_events(local_stack: StackInfo):
    log = EventLog(local_stack)
    yield log
    log.stop()


def run_schedule(info: StackInfo, schedule: str, at: str | None = None) -> dict[str, Any]:
    """Fire one of the app's scheduled functions against the stack, as `make <schedule>` does: the handler
    Lambda runs, with the scheduled event Chalice generates, in a process of its own with the app's
    environment; ``at`` (ISO UTC) sets that process's clock, for jobs whose work is days away."""
    import os
    import subprocess
    import sys

    from dev.stack import ROOT, app_environment

    script = (
        "import json, sys\n"
        "from datetime import datetime\n"
        "from chalicelib.services import clock\n"
        "if sys.argv[2]:\n"
        "    moment = datetime.fromisoformat(sys.argv[2].replace('Z', '+00:00'))\n"
        "    clock.now = lambda: moment\n"
        "from dev.reconcile import fire\n"
        "print(json.dumps(fire(schedule=sys.argv[1])))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, schedule, at or ""],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **app_environment(info), "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])
