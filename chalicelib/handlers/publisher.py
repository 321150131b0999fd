"""The stream publisher: the table's DynamoDB stream -> domain events on the stage's EventBridge bus.

Each record of a batch is mapped to its events (chalicelib.events.mapping) and put on the bus, one
PutEvents per record that has any (at most a handful). Partial failures are reported with Powertools'
batch processor (``batchItemFailures``), and the mapping sets ReportBatchItemFailures, so Lambda retries
from the first failed record and never re-sends the ones before it.

After one record fails, the records after it in the batch are failed too, without being published:
Lambda would re-deliver them anyway (it restarts a stream batch from the lowest failed sequence number),
so publishing them now would put them on the bus twice and out of order. A record that keeps failing
is split off (BisectBatchOnFunctionError) and, after its retries, sent to the publisher's dead-letter
queue (infra), so it never blocks the shard.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from ..aws import client
from ..config import get_settings
from ..observability import logger, metrics
from ..events.catalogue import SOURCE
from ..events.mapping import Event, events_of, plain

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

bp = Blueprint(__name__)


class PublishFailed(Exception):
    """PutEvents refused some of a record's events."""


class _Batch:
    """One invocation's state: once a record failed, the rest of the batch waits for the retry."""

    def __init__(self) -> None:
        self.failed = False
        self.published = 0

    def handle(self, record: "DynamoDBRecord") -> int:
        if self.failed:
            raise PublishFailed("an earlier record of this batch failed; retried with it")
        try:
            events = record_events(record)
            if events:
                put_events(events)
        except Exception:
            self.failed = True
            logger.exception(
                "stream record not published",
                extra={"sequence_number": record.dynamodb.sequence_number if record.dynamodb else None},
            )
            raise
        self.published += len(events)
        return len(events)


def record_events(record: "DynamoDBRecord") -> list[Event]:
    ddb = record.dynamodb
    created = ddb.approximate_creation_date_time if ddb else None
    at = (
        datetime.fromtimestamp(int(created), timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        if created
        else None
    )
    old = plain(ddb.old_image) if ddb and ddb.old_image else None
    new = plain(ddb.new_image) if ddb and ddb.new_image else None
    name = record.event_name.name if record.event_name else ""
    if get_settings().fault_injection and new and new.get("refs", {}).get("reason") == "fault:publish":
        raise RuntimeError("fault injected: this record cannot be published")
    return events_of(name, old, new, at)


def put_events(events: list[Event]) -> None:
    bus = get_settings().event_bus_name
    entries = [
        {
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, separators=(",", ":")),
            "EventBusName": bus,
        }
        for detail_type, detail in events
    ]
    for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
        answer = client("events").put_events(Entries=entries[start : start + 10])
        if answer.get("FailedEntryCount"):
            codes = sorted({e.get("ErrorCode", "") for e in answer["Entries"] if e.get("ErrorCode")})
            raise PublishFailed(f"PutEvents refused {answer['FailedEntryCount']} event(s): {codes}")


def publish_batch(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The stream batch -> the bus; returns the partial batch response Lambda reads."""
    # imported here: the API function imports this module too, and never needs the batch processor
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    batch = _Batch()
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    response = process_partial_response(event=event, record_handler=batch.handle, processor=processor, context=context)
    failures = len(response.get("batchItemFailures", []))
    metrics.add_metric(name="EventsPublished", unit="Count", value=batch.published)
    if failures:
        metrics.add_metric(name="StreamRecordsFailed", unit="Count", value=failures)
        logger.warning(
            "stream records not published; retried from the first",
            extra={"failed": failures, "records": len(event.get("Records", []))},
        )
    metrics.flush_metrics()
    return dict(response)  # {"batchItemFailures": [...]}: Powertools' TypedDict, as the plain dict Lambda reads


@bp.on_dynamodb_record(
    stream_arn=get_settings().ledger_stream_arn, name="publish_events", batch_size=100, starting_position="TRIM_HORIZON"
)
def publish_events(event: Any) -> dict[str, Any]:
    return publish_batch(event.to_dict(), getattr(event, "context", None))
