"""moto as a server process, with every request serialized and cheap transaction rollback.

Three local-only corrections to moto, all keeping DynamoDB's semantics:

1. Serialization. moto's threaded server is not safe under concurrent requests
   (measured here: 32 concurrent conditional debits let 337 succeed where 333
   could, and lost updates). One lock around moto's WSGI dispatcher makes each
   request atomic, as DynamoDB's own conditional writes are.
2. Rollback cost. moto backs up a transaction by deep-copying the *whole table*
   once per item in the transaction, so every TransactWriteItems costs O(table
   size): a few thousand items make each payment hundreds of milliseconds,
   which would distort every test and benchmark. We back up only the items the
   transaction touches (and the stream position) and restore exactly those on
   failure; moto's own whole-table copy is skipped. The integration tests check
   that a cancelled transaction leaves no trace.
3. Query cost. moto answers every Query by sorting *all* the table's items and then
   filtering them, so a Query costs O(n log n) in the table's size (measured here:
   8 ms at 1,000 items, 114 ms at 10,000, 1.1 s at 40,000), and a test stack's table
   grows with every test. A query of the table reads only its partition, and a
   query of an index reads the items unsorted (moto sorts what matches by the
   index's keys and the table's, a total order, so the answer is the same).
   tests/integration/test_moto_query.py compares both with moto's own answers.
4. Scan cost. moto answers each page of a Scan by sorting all the table's items by their keys (a Python-level
   comparison of its DynamoType wrappers) and then walking from the first item to the page's start key,
   comparing each: a full scan costs O(pages x n log n), and a reconciliation of a test table of some 20,000
   items took 20 s (and timed out under load). A table's Scan here sorts by the keys' plain values (what
   moto's comparison compares) and starts at the page's key by bisection: the same items, pages and keys;
   tests/integration/test_moto_query.py compares them with moto's own.

And two things a local stack needs that moto does not have:

5. A count of the requests that may have made work for the local event runner (dev/lifecycle.py), at
   ``GET /_local/requests``: every request but the runner's own (marked with the POLLER header). The runner
   polls its eight or so sources only when the count moved (or once a second, for what time alone makes due:
   schedules, messages visible again), instead of some 50 requests a second into every idle stack's moto;
   a test machine runs several stacks, most of them idle at any moment.
6. moto looks up its list of services on disk (a directory listing and a stat per service) for every
   request; the list is read once here.
7. Per-request overheads that grow with a session (measured here with py-spy, in a schemathesis run: some 60 %
   of this process's time): moto serializes each DynamoDB answer through the service's shape model, a
   Python walk over every attribute of every item; an SQS queue's attributes (the approximate message counts
   among them, a pass over every message) are all computed whenever one is read, as SendMessage does for
   each event the bus copies to a queue, and the catch-all queue of a test stack only grows; and the bus
   builds a JSONPath parser (its grammar tables) for each path of each target of each event. Here: the
   item operations' answers are the JSON of moto's own result (tests/integration/test_moto_query.py
   compares them with the serializer's), a queue's attributes are computed when read, one by one, and a
   path is parsed once.

Run: python -m dev.moto_server PORT
"""

from __future__ import annotations

import copy
import sys
import threading
from typing import Any, Iterable


POLLER = "X-Local-Poller"  # the header of the local event runner's own requests (not counted)
REQUESTS_PATH = "/_local/requests"


class Serialized:
    """WSGI middleware: one request at a time, body consumed inside the lock; and the count of requests
    other than the poller's, counted once each is answered (so that a poll after the count moved sees it)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.requests = 0

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == REQUESTS_PATH:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [str(self.requests).encode()]
        with self.lock:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if "HTTP_" + POLLER.upper().replace("-", "_") not in environ:
                self.requests += 1
        return [body]


def read_service_list_once() -> None:
    """moto's list of its services, read from disk once instead of at every request."""
    from moto import backends

    services = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: services  # type: ignore[assignment]


def install_item_level_rollback() -> None:
    """Replace moto's whole-table transaction backup by a backup of the touched items."""
    from moto.dynamodb import models as ddb_models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class _CopyExceptTables:
        """moto's `copy` as seen by its backend module: tables are 'copied' by reference."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    ddb_models.copy = _CopyExceptTables()
    original = ddb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups: list[tuple[Any, Any, Any, Any]] = []
        streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            if table.range_key_attr and range_value is None:
                continue
            backups.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
            if table.stream_shard is not None:
                streams.setdefault(id(table), (table, len(table.stream_shard.items)))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(backups):
                if table.range_key_attr:
                    if item is None:
                        table.items[hash_value].pop(range_value, None)
                        if not table.items[hash_value]:
                            del table.items[hash_value]
                    else:
                        table.items[hash_value][range_value] = item
                elif item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
            for table, length in streams.values():
                del table.stream_shard.items[length:]
            raise

    ddb_models.DynamoDBBackend.transact_write_items = transact_write_items


def install_partition_query() -> None:
    """A Query reads its partition (the table) or the unsorted items (an index), not a sort of the whole table."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_partition_query", False):
        return
    original = Table.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name is None and hash_key is not None:
            partition = self.items.get(hash_key)  # .get: the defaultdict must not grow an empty partition
            if partition is None:
                items: list[Any] = []
            elif self.range_key_attr:
                items = list(partition.values())
            else:
                items = [partition]
        else:
            items = [i for part in self.items.values() for i in (part.values() if self.range_key_attr else [part])]
        self.all_items = lambda: items  # the instance's, for this call: requests are serialized (Serialized)
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query._partition_query = True  # type: ignore[attr-defined]
    Table.query = query


def install_keyed_scan() -> None:
    """A Scan of a table sorts by the keys' plain values and bisects to its start key (an index: moto's own)."""
    import bisect

    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(Table.scan, "_keyed_scan", False):
        return
    original = Table.scan

    def scan(self: Any, filters: Any, limit: Any, exclusive_start_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[1] if len(args) > 1 else kwargs.get("index_name")
        if index_name is not None:
            return original(self, filters, limit, exclusive_start_key, *args, **kwargs)
        if self.range_key_attr:
            keyed = [
                ((i.hash_key.cast_value, i.range_key.cast_value), i)
                for part in self.items.values()
                for i in part.values()
            ]
        else:
            keyed = [((i.hash_key.cast_value,), i) for i in self.items.values()]
        keyed.sort(key=lambda pair: pair[0])  # keys are unique: the items themselves are never compared
        start = 0
        if exclusive_start_key is not None:
            attrs = [self.hash_key_attr] + ([self.range_key_attr] if self.range_key_attr else [])
            after = tuple(DynamoType(exclusive_start_key[a]).cast_value for a in attrs)
            start = bisect.bisect_right(keyed, after, key=lambda pair: pair[0])
        items = [item for _, item in keyed[start:]]
        self.all_items = lambda: items  # the instance's, for this call: requests are serialized (Serialized)
        try:
            return original(self, filters, limit, None, *args, **kwargs)
        finally:
            del self.all_items

    scan._keyed_scan = True  # type: ignore[attr-defined]
    Table.scan = scan


# the DynamoDB operations whose answers are items, keys, counts and consumed capacity: plain JSON of moto's result
ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "TransactGetItems",
    }  # BatchWriteItem and TransactWriteItems answer with moto's ActionResult, not a DynamoResult: not these
)
JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.0"}


def _blob(value: Any) -> str:
    import base64

    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(type(value).__name__)


def plain_item_answer(result: Any, members: Iterable[str]) -> tuple[int, dict[str, str], str] | None:
    """An item operation's answer as JSON (the output shape's ``members`` of moto's result, as the serializer
    keeps only those), or None when the result holds what plain JSON cannot say."""
    import json

    if not isinstance(result, dict):
        return None
    kept = {k: v for k, v in result.items() if k in members and v is not None}
    try:
        return 200, dict(JSON_HEADERS), json.dumps(kept, default=_blob, separators=(",", ":"))
    except TypeError:
        return None


def install_light_answers() -> None:
    """DynamoDB item answers as plain JSON, an SQS queue's attributes computed when read, a JSONPath parsed once."""
    import functools
    import json
    from collections.abc import Mapping

    import jsonpath_ng.ext
    from moto.core.utils import camelcase_to_underscores
    from moto.dynamodb.responses import DynamoResult
    from moto.sqs.models import Queue

    if getattr(DynamoResult.execute_result, "_light", False):
        return
    serialize = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name in ITEM_OPERATIONS:
            answer = plain_item_answer(self.result, context.operation_model.output_shape.members)
            if answer is not None:
                return answer
        return serialize(self, context)

    execute_result._light = True  # type: ignore[attr-defined]
    DynamoResult.execute_result = execute_result

    class QueueAttributes(Mapping):
        """Queue.attributes, each value computed when it is read (the same names, the same values)."""

        def __init__(self, queue: Any) -> None:
            self.queue = queue
            names = list(queue.BASE_ATTRIBUTES)
            names += queue.FIFO_ATTRIBUTES if queue.fifo_queue else []
            names += queue.KMS_ATTRIBUTES if queue.kms_master_key_id else []
            names += ["Policy"] if queue.policy else []
            names += ["RedrivePolicy"] if queue.redrive_policy else []
            self.names = dict.fromkeys(names)

        def __getitem__(self, name: str) -> Any:
            if name not in self.names:
                raise KeyError(name)
            if name == "Policy":
                return self.queue.policy
            if name == "RedrivePolicy" and self.queue.redrive_policy:  # (a base attribute too: None when unset)
                return json.dumps(self.queue.redrive_policy)
            value = getattr(self.queue, camelcase_to_underscores(name))
            return str(value).lower() if isinstance(value, bool) else value

        def __iter__(self) -> Any:
            return iter(self.names)

        def __len__(self) -> int:
            return len(self.names)

    Queue.attributes = property(QueueAttributes)  # type: ignore[assignment,method-assign]
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)


def main(host: str = "127.0.0.1", port: int = 5000) -> None:
    import logging

    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    install_item_level_rollback()
    install_partition_query()
    install_keyed_scan()
    install_light_answers()
    read_service_list_once()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = Serialized(DomainDispatcherApplication(create_backend_app))
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main(port=int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
