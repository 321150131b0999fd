"""The stage's EventBridge bus as the behaviour events use it (services/behaviour.py ``EventSink``)."""

from __future__ import annotations

from typing import Any

PUT_EVENTS_MAX = 10  # PutEvents takes at most 10 entries per call


class BusSink:
    """PutEvents in slices of ten; the indexes of the entries the bus did not take (each has an ErrorCode)."""

    def __init__(self, events_client: Any) -> None:
        self.client = events_client

    def put(self, entries: list[dict[str, Any]]) -> list[int]:
        failed: list[int] = []
        for start in range(0, len(entries), PUT_EVENTS_MAX):
            answer = self.client.put_events(Entries=entries[start : start + PUT_EVENTS_MAX])
            if answer.get("FailedEntryCount"):
                failed += [start + i for i, e in enumerate(answer["Entries"]) if e.get("ErrorCode")]
        return failed
