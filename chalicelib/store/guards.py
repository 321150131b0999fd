"""Which guard of a transaction failed: by label, never by position.

DynamoDB answers a cancelled ``TransactWriteItems`` with one reason per item, in
the order the items were *sent*. PynamoDB's ``TransactWrite`` does not send them
in the order the code adds them: ``Connection.transact_write_items`` sends every
condition check, then every delete, then every put, then every update. Reading
the reasons against the order of the code therefore names the wrong guard as
soon as a transaction mixes kinds (a coupon *put* after a reward *update* made an
exhausted reward read as "limit per customer reached").

``Guarded`` is a ``TransactWrite`` whose every action carries a label. It keeps
the labels of each kind apart and lines them up in the order PynamoDB sends
(``tests/integration/test_guards.py`` checks that order against the request
PynamoDB really sends, and fails if a PynamoDB release changes it). A cancelled
transaction raises ``Cancelled``, which says by label which guards failed.

``Put`` and ``Change`` are one labelled action as data, for code that gathers a transaction's actions from
several small functions before sending them (``Guarded.send``).
"""

from __future__ import annotations

from typing import Any, Iterable, NamedTuple, Union

from pynamodb.exceptions import CancellationReason, TransactWriteError
from pynamodb.transactions import TransactWrite

CONDITION_FAILED = "ConditionalCheckFailed"
_CANCELLED = ("TransactionCanceledException", "TransactionConflictException")


class Cancelled(Exception):
    """A transaction that DynamoDB cancelled: nothing of it was written, and a caller may re-read and
    retry. ``reasons`` holds the guards that had a reason, by label: ``ConditionalCheckFailed`` for a condition
    that did not hold, ``TransactionConflict`` for an item another transaction was writing (none at all for a
    conflict on the whole transaction)."""

    def __init__(self, reasons: dict[str, CancellationReason], cause: TransactWriteError) -> None:
        super().__init__(f"transaction cancelled: {sorted(reasons) or cause.cause_response_code}")
        self.reasons = reasons
        self.cause = cause

    @property
    def failed(self) -> set[str]:
        """The labels of every action that had a reason (a failed condition or a conflict)."""
        return set(self.reasons)

    def condition_failed(self, label: str) -> bool:
        """Whether ``label``'s own condition did not hold (not merely a conflict on its item)."""
        reason = self.reasons.get(label)
        return reason is not None and reason.code == CONDITION_FAILED

    def raw_item(self, label: str) -> dict[str, Any] | None:
        """The item as the failed condition saw it, for an action sent with ``return_values="ALL_OLD"``."""
        reason = self.reasons.get(label)
        return reason.raw_item if reason is not None else None


class Put(NamedTuple):
    """A labelled put: ``item`` written whole, if ``condition`` holds."""

    label: str
    item: Any
    condition: Any = None


class Change(NamedTuple):
    """A labelled update: ``actions`` on ``item``'s key, if ``condition`` holds."""

    label: str
    item: Any
    actions: list[Any]
    condition: Any = None
    return_values: str | None = None


Write = Union[Put, Change]


class Guarded(TransactWrite):
    """``with Guarded(connection) as tx: tx.save("entry", item, condition)``; raises ``Cancelled``."""

    def __init__(self, connection: Any) -> None:
        super().__init__(connection=connection)
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def _label(self, kind: str, label: str) -> None:
        if label in self.sent_labels:
            raise ValueError(f"the label {label!r} names two actions of one transaction")
        self._labels[kind].append(label)

    @property
    def sent_labels(self) -> list[str]:
        """The labels in the order PynamoDB sends their actions (``Connection.transact_write_items``)."""
        return self._labels["check"] + self._labels["delete"] + self._labels["put"] + self._labels["update"]

    # the label comes first: every action of a Guarded has one
    def check(self, label: str, model_cls: Any, hash_key: Any, range_key: Any, condition: Any) -> None:
        self._label("check", label)
        super().condition_check(model_cls, hash_key, range_key, condition=condition)

    def remove(self, label: str, item: Any, condition: Any = None) -> None:
        self._label("delete", label)
        super().delete(item, condition=condition, add_version_condition=False)

    def put(self, label: str, item: Any, condition: Any = None, return_values: str | None = None) -> None:
        self._label("put", label)
        super().save(item, condition=condition, return_values=return_values)

    def change(
        self, label: str, item: Any, actions: list[Any], condition: Any = None, return_values: str | None = None
    ) -> None:
        self._label("update", label)
        super().update(
            item, actions=actions, condition=condition, return_values=return_values, add_version_condition=False
        )

    def send(self, writes: Iterable[Write]) -> None:
        """Add each labelled action, in the order given."""
        for w in writes:
            if isinstance(w, Put):
                self.put(*w)
            else:
                self.change(*w)

    def _commit(self) -> Any:
        try:
            return super()._commit()
        except TransactWriteError as exc:
            if exc.cause_response_code not in _CANCELLED:
                raise  # not a refusal (a timeout, a malformed request): as PynamoDB raised it
            sent = zip(self.sent_labels, exc.cancellation_reasons or [])
            raise Cancelled(
                {label: reason for label, reason in sent if reason is not None and reason.code not in (None, "None")},
                exc,
            ) from exc
