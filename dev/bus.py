"""A reader of every event a local stack put on its bus (the catch-all rule's queue, dev/stack.py).

One reader drains the queue (a queue message goes to one receiver), so tests and benchmarks ask it, not the
queue. Never a long poll: the local moto server serializes requests, and a receive waiting there would hold
up every other request of the stack.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any


class BusTail:
    def __init__(self, info: Any) -> None:
        from dev.stack import ALL_EVENTS_QUEUE, aws_client

        self.sqs = aws_client("sqs", info.aws_endpoint)
        self.url = self.sqs.get_queue_url(QueueName=ALL_EVENTS_QUEUE)["QueueUrl"]
        self.seen: list[tuple[float, dict[str, Any]]] = []  # (perf_counter when read, the EventBridge event)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while not self.stopping.is_set():
            try:
                messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                    "Messages", []
                )
            except Exception:  # the stack is going away
                return
            if not messages:
                self.stopping.wait(0.02)
            for m in messages:
                at = time.perf_counter()
                with self.lock:
                    self.seen.append((at, json.loads(m["Body"])))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])

    @property
    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [e for _, e in self.seen]

    def find(self, detail_type: str | None = None, **detail: Any) -> list[tuple[float, dict[str, Any]]]:
        """(when read, event) of the events of ``detail_type`` (any, if None) whose detail has these values."""
        with self.lock:
            return [
                (t, e)
                for t, e in self.seen
                if (detail_type is None or e["detail-type"] == detail_type)
                and all(e["detail"].get(k) == v for k, v in detail.items())
            ]

    def matching(self, detail_type: str, **detail: Any) -> list[dict[str, Any]]:
        return [e for _, e in self.find(detail_type, **detail)]

    def wait_for(
        self, detail_type: str | None, timeout: float = 60.0, count: int = 1, **detail: Any
    ) -> list[dict[str, Any]]:
        """The events once ``count`` have arrived. The timeout is generous: the local stream reader is one
        process per stack, and a stack shared by a test worker may hold a backlog of other tests' records
        (the wait ends as soon as the events are in; only a failure waits it out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for _, e in self.find(detail_type, **detail)]
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(
            f"no {count} x {detail_type} {detail} on the bus within {timeout} s; "
            f"saw {sorted({e['detail-type'] for e in self.events})}"
        )

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
