"""The local stand-in for what AWS runs around the app's event functions (a process of `make run`).

What is emulated here, and what moto itself provides:
- moto records the table's stream and serves it through the DynamoDB Streams API. This runner reads each
  shard (GetRecords), builds the event Lambda's event source mapping would (the same records plus
  ``eventSourceARN``) and calls the stream publisher's handler, ``publish_events``. Like the mapping with
  ReportBatchItemFailures, it restarts from the first failed sequence number the handler reports; a
  record that fails ``STREAM_ATTEMPTS`` times goes to the local dead-letter queue and the shard moves on.
- moto's EventBridge matches events put on the bus against the rules and delivers them to the rules'
  targets; locally each consumer's target is an SQS queue (dev/stack.py). This runner receives from it
  and calls the consumer function of the same name with the EventBridge event, as Lambda's asynchronous
  invoke would; a failed delivery becomes visible again and, after the queue's redrive count, lands in
  the consumer's dead-letter queue (moto applies the redrive policy).
- moto's EventBridge Scheduler stores schedules but never fires them: this runner fires the due one-time
  schedules of the stage's group with their input (dev/schedules.py), as the scheduler would.
The daily schedules (reconciliation, hold sweep, bonus expiry, reminders) are fired by hand locally:
`make reconcile`, `make sweep`, `make expire-bonus`, `make remind`.
"""

from __future__ import annotations

import json
import signal
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

STREAM_ATTEMPTS = 3
POLL_SECONDS = 0.1
QUIET_POLL_SECONDS = 1.0  # every source is read at least this often, whether or not anything asked moto to work


class Context:
    """The few attributes of Lambda's context the handlers read."""

    function_version = "$LATEST"
    memory_limit_in_mb = 512
    log_stream_name = "local"

    def __init__(self, name: str) -> None:
        self.function_name = f"store-balance-local-{name}"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 60000


def invoke(name: str, event: dict[str, Any]) -> Any:
    """Call the app's function ``name`` as Lambda would: the very object its handler string names."""
    import app

    return app.app.handler_map[name](event, Context(name))


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda's event source mapping delivers it (boto3 parsed the time; Lambda
    sends epoch seconds)."""
    out = {**record, "eventSourceARN": stream_arn, "dynamodb": dict(record["dynamodb"])}
    created = out["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        out["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    return out


class StreamReader:
    """Reads the table's stream shard by shard and hands batches to ``publish_events``."""

    def __init__(
        self,
        streams: Any,
        stream_arn: str,
        sqs: Any,
        dlq_url: str | None,
        handle: Callable[[dict, Any], Any] | None = None,
    ) -> None:
        self.streams, self.stream_arn, self.sqs, self.dlq_url = streams, stream_arn, sqs, dlq_url
        self.handle = handle or (lambda event, ctx: invoke("publish_events", event))
        self.iterators: dict[str, str | None] = {}
        self.attempts: dict[str, int] = {}
        self.records_read = 0
        self.shards: list[str] = []
        self.shards_read_at = -1e9

    def _shards(self) -> list[str]:
        """The stream's shards, described again every few seconds (as the mapping discovers new shards)."""
        if time.monotonic() - self.shards_read_at > 5:
            shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
            self.shards, self.shards_read_at = [s["ShardId"] for s in shards], time.monotonic()
        return self.shards

    def _iterator(self, shard: str, kind: str = "TRIM_HORIZON", seq: str | None = None) -> str:
        args = {"SequenceNumber": seq} if seq else {}
        return self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType=kind, **args
        )["ShardIterator"]

    def skip_to_latest(self) -> None:
        """Start after what the stream holds now (a test reading only its own records, on a shared table)."""
        for shard in self._shards():
            self.iterators[shard] = self._iterator(shard, "LATEST")

    def poll(self) -> int:
        """One pass over every shard; returns the number of records handed over."""
        handed = 0
        for shard in self._shards():
            iterator = self.iterators.get(shard) or self._iterator(shard)
            answer = self.streams.get_records(ShardIterator=iterator, Limit=100)
            records = answer.get("Records", [])
            self.iterators[shard] = answer.get("NextShardIterator")
            if not records:
                continue
            handed += len(records)
            event = {"Records": [lambda_record(r, self.stream_arn) for r in records]}
            response = self.handle(event, Context("publish_events")) or {}
            failed = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
            if failed:
                self._retry_from(shard, records, min(failed, key=int))
        self.records_read += handed
        return handed

    def _retry_from(self, shard: str, records: list[dict], seq: str) -> None:
        """As the event source mapping does: start again at the first failed record; after its last
        attempt, send it to the dead-letter queue and go on after it."""
        self.attempts[seq] = self.attempts.get(seq, 0) + 1
        if self.attempts[seq] < STREAM_ATTEMPTS:
            self.iterators[shard] = self._iterator(shard, "AT_SEQUENCE_NUMBER", seq)
            return
        record = next(r for r in records if r["dynamodb"]["SequenceNumber"] == seq)
        if self.dlq_url:
            self.sqs.send_message(
                QueueUrl=self.dlq_url,
                MessageBody=json.dumps(
                    {
                        "stream_arn": self.stream_arn,
                        "shard": shard,
                        "sequence_number": seq,
                        "keys": record["dynamodb"].get("Keys"),
                    },
                    default=str,
                ),
            )
        self.iterators[shard] = self._iterator(shard, "AFTER_SEQUENCE_NUMBER", seq)


class BusDelivery:
    """Drains each consumer's local target queue into the consumer function."""

    def __init__(self, sqs: Any, queues: dict[str, str]) -> None:
        self.sqs, self.queues = sqs, queues
        self.delivered = 0

    def poll(self) -> int:
        done = 0
        for name, url in self.queues.items():
            for message in self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                "Messages", []
            ):
                try:
                    invoke(name, json.loads(message["Body"]))
                except Exception as exc:  # left on the queue: visible again after its timeout, then the DLQ
                    print(f"lifecycle: {name} failed on an event: {exc!r}", file=sys.stderr, flush=True)
                    continue
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                done += 1
        self.delivered += done
        return done


class ExportDelivery:
    """The export rule's target, locally: what Amazon Data Firehose does on AWS (infra/concerns/analytics.py),
    drained from the rule's queue and written into moto's S3 under the same key layout, gzip, one object per
    partition per delivery (chalicelib/insight/export.py). A message is deleted only after its object is
    written: at least once, as Firehose; the analyses dedupe on event_id."""

    def __init__(self, sqs: Any, queue_url: str, s3: Any, bucket: str, stream: str) -> None:
        self.sqs, self.queue_url, self.s3, self.bucket, self.stream = sqs, queue_url, s3, bucket, stream
        self.delivered = 0

    def poll(self, max_batches: int = 50) -> int:
        from chalicelib.insight.export import objects_of

        messages: list[dict[str, Any]] = []
        for _ in range(max_batches):  # Firehose buffers too: a delivery takes what is waiting
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not got.get("Messages"):
                break
            messages += got["Messages"]
        if not messages:
            return 0
        for key, body in objects_of([json.loads(m["Body"]) for m in messages], self.stream).items():
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentEncoding="gzip")
        for start in range(0, len(messages), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages[start : start + 10])
                ],
            )
        self.delivered += len(messages)
        return len(messages)


def fire_due_schedules(scheduler: Any, group: str) -> list[str]:
    from dev.schedules import fire_due, invoke_app

    return fire_due(scheduler, group, invoke_app, datetime.now(timezone.utc))


def marked(client: Any) -> Any:
    """The client with the local poller's header on each request: moto's request count leaves them out
    (dev/moto_server.py), so that this runner's own reads do not look like new work."""
    from dev.moto_server import POLLER

    def add_header(request: Any, **_: Any) -> None:
        request.headers[POLLER] = "1"

    client.meta.events.register("before-send", add_header)
    return client


class RequestCount:
    """moto's count of the requests made by anyone but this runner: when it has not moved since the last
    pass, nothing new can be waiting in the stream or the queues (but what time alone brings back)."""

    def __init__(self, endpoint: str) -> None:
        import urllib3

        self.url = f"{endpoint}/_local/requests"
        self.http = urllib3.PoolManager(num_pools=1, retries=False, timeout=5)

    def read(self) -> int | None:
        try:
            return int(self.http.request("GET", self.url).data)
        except Exception:  # a moto without the count (or not up): poll every time, as if it moved
            return None


def pass_due(busy: int, count: int | None, seen: int | None, quiet_for: float) -> bool:
    """Whether to read every source now: the last pass found work (there may be more), moto's count moved
    (or cannot be read), or the sources have not been read for QUIET_POLL_SECONDS."""
    return bool(busy) or count is None or count != seen or quiet_for >= QUIET_POLL_SECONDS


def main() -> int:
    from chalicelib.config import get_settings
    from chalicelib.events.catalogue import CONSUMERS
    from dev.stack import EXPORT_BUCKET, EXPORT_QUEUE, EXPORT_STREAM, aws_client, consumer_queue, publisher_dlq

    s = get_settings()
    endpoint = s.aws_endpoint

    def client(service: str) -> Any:
        return marked(aws_client(service, endpoint))

    sqs = client("sqs")
    stream = StreamReader(
        client("dynamodbstreams"),
        s.ledger_stream_arn,
        sqs,
        sqs.get_queue_url(QueueName=publisher_dlq())["QueueUrl"],
    )
    bus = BusDelivery(sqs, {name: sqs.get_queue_url(QueueName=consumer_queue(name))["QueueUrl"] for name in CONSUMERS})
    export = ExportDelivery(
        sqs,
        sqs.get_queue_url(QueueName=EXPORT_QUEUE)["QueueUrl"],
        client("s3"),
        EXPORT_BUCKET,
        EXPORT_STREAM,
    )
    scheduler = client("scheduler")
    count = RequestCount(endpoint)
    import app

    del app
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    print("lifecycle: reading the stream, the bus's targets and the schedules", flush=True)
    last_schedules = last_pass = 0.0
    seen: int | None = None
    busy = 1
    while not stopping:
        now = count.read()
        if pass_due(busy, now, seen, time.monotonic() - last_pass):
            seen, last_pass = now, time.monotonic()  # read before the pass: what comes during it moves the count
            try:
                busy = stream.poll() + bus.poll() + export.poll()
                if time.monotonic() - last_schedules >= 1.0:
                    last_schedules = time.monotonic()
                    fired = fire_due_schedules(scheduler, s.schedule_group)
                    busy += len(fired)
            except Exception as exc:  # keep running: a local runner must survive what Lambda would retry
                print(f"lifecycle: {exc!r}", file=sys.stderr, flush=True)
                busy = 0
        if not busy:
            time.sleep(POLL_SECONDS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
