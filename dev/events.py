"""`make events`: print the domain events the running local stack put on its bus (one JSON per line).

Every event is copied to the queue ALL_EVENTS_QUEUE by a catch-all rule on the local bus; this drains it.
Never a long poll: the local moto server serializes requests, so a waiting receive would stall the stack.
"""

from __future__ import annotations

import json
import sys

from dev.stack import ALL_EVENTS_QUEUE, StackInfo, aws_client


def main() -> int:
    sqs = aws_client("sqs", StackInfo.load().aws_endpoint)
    url = sqs.get_queue_url(QueueName=ALL_EVENTS_QUEUE)["QueueUrl"]
    shown = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            break
        for m in messages:
            event = json.loads(m["Body"])
            print(json.dumps({"detail-type": event["detail-type"], "time": event["time"], **event["detail"]}))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            shown += 1
    print(f"{shown} event(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
