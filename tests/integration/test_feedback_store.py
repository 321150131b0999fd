"""The feedback store against moto: the one conditional write, finding an entry by id in the caller's own
partition, the listing across month partitions with real filter expressions, the storage calls each costs,
and the IAM actions they need (within what the API's role is granted)."""

from __future__ import annotations

import inspect
import uuid
from datetime import datetime, timezone

import pytest

from chalicelib.domain.errors import FeedbackExists, IdempotencyKeyTaken
from chalicelib.domain.feedback import Feedback
from chalicelib.domain.model import IdempotencyRecord, Principal
from chalicelib.services import clock, feedback, topups
from chalicelib.services.common import IdempotentRequest
from chalicelib.store.feedback import DynamoFeedbackStore
from infra.stacks import API_TABLE_ACTIONS


@pytest.fixture
def fstore(store):
    return DynamoFeedbackStore(store)


def _record(scope: str, key: str) -> IdempotencyRecord:
    return IdempotencyRecord(scope=scope, key=key, request_hash="h", status_code=201, body={}, created_at="t")


def _fb(
    created_at: str, merchant_id: str, rating: int = 3, tags: tuple[str, ...] = (), subject: str | None = None
) -> Feedback:
    return Feedback(
        feedback_id=f"fb_{uuid.uuid4().hex[:20]}",
        user_id="u-fb",
        subject_kind="payment",
        subject_id=subject or f"pay_{uuid.uuid4().hex[:12]}",
        rating=rating,
        created_at=created_at,
        tags=tags,
        merchant_id=merchant_id,
    )


def test_one_feedback_per_transaction_and_one_answer_per_key(fstore):
    fb = _fb("2026-11-20T10:00:00.000Z", "m1")
    fstore.add_feedback(fb, _record("u-fb", f"k-{fb.feedback_id}"))
    with pytest.raises(FeedbackExists):
        fstore.add_feedback(
            _fb("2026-11-20T10:00:01.000Z", "m1", subject=fb.subject_id), _record("u-fb", f"k2-{fb.feedback_id}")
        )
    with pytest.raises(IdempotencyKeyTaken):
        fstore.add_feedback(_fb("2026-11-20T10:00:02.000Z", "m1"), _record("u-fb", f"k-{fb.feedback_id}"))


def _funded_user(store, n: int) -> tuple[str, list[str]]:
    """A user with ``n`` top-up entries; their entry ids, oldest first."""
    user = f"u-{uuid.uuid4().hex[:8]}"
    for i in range(n):
        t = topups.create_topup(
            store,
            currency="CNY",
            max_balance=10**9,
            principal=Principal(user),
            request=IdempotentRequest(user, f"t{i}", "h"),
            amount=100,
            channel="card",
        )
        topups.confirm_topup(
            store,
            currency="CNY",
            max_attempts=5,
            topup_id=t.body["topup_id"],
            status="succeeded",
            amount=100,
            provider_ref=f"p{i}",
        )
    entries, _ = store.list_entries(user, 100)
    return user, [e.entry_id for e in reversed(entries)]


def test_an_entry_is_found_by_id_in_its_owners_partition_only(store, fstore, calls):
    owner, ids = _funded_user(store, 3)
    stranger = f"u-{uuid.uuid4().hex[:8]}"
    calls.clear()
    record, subject = fstore.read_subject("entry", ids[0], owner, (owner, "k"))
    assert record is None and subject is not None and (subject.user_id, subject.id) == (owner, ids[0])
    assert dict(calls) == {"GetItem": 1, "Query": 1}  # the key's record, then one page of the partition
    assert fstore.read_subject("entry", ids[0], stranger, (stranger, "k"))[1] is None
    assert fstore.read_subject("entry", "ent_nope", owner, (owner, "k"))[1] is None


def test_a_payment_or_top_up_and_the_key_are_one_read(store, fstore, calls):
    owner, _ = _funded_user(store, 1)
    calls.clear()
    _, subject = fstore.read_subject("topup", "top_nope", owner, (owner, "k"))
    assert subject is None and dict(calls) == {"TransactGetItems": 1}


def test_the_listing_walks_months_newest_first_with_filters(fstore, monkeypatch):
    merchant = f"m-{uuid.uuid4().hex[:8]}"
    made = [
        _fb(f"2026-{m:02d}-{d:02d}T0{h}:00:00.000Z", merchant, rating=r, tags=t)
        for m, d, h, r, t in (
            (8, 31, 9, 5, ()),
            (9, 1, 0, 1, ("slow",)),
            (9, 15, 1, 4, ("slow", "rude")),
            (11, 2, 3, 2, ()),
            (11, 25, 4, 1, ("rude",)),
        )
    ]
    for fb in made:
        fstore.add_feedback(fb, _record("u-fb", f"k-{fb.feedback_id}"))
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 25, 12, tzinfo=timezone.utc))
    newest_first = list(reversed(made))

    def walk(**q):
        out, cursor = [], None
        while True:
            page = feedback.list_feedback(
                fstore,
                start=q.get("start"),
                end=q.get("end"),
                rating_lte=q.get("rating_lte"),
                tag=q.get("tag"),
                merchant_id=merchant,
                limit=2,
                cursor=cursor,
            )
            out += [i["feedback_id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return out

    assert walk() == [f.feedback_id for f in newest_first]
    assert walk(rating_lte=2) == [f.feedback_id for f in newest_first if f.rating <= 2]
    assert walk(tag="slow") == [f.feedback_id for f in newest_first if "slow" in f.tags]
    assert walk(tag="rude", rating_lte=1) == [made[4].feedback_id]
    assert walk(start="2026-09-01", end="2026-09-30") == [made[2].feedback_id, made[1].feedback_id]
    assert walk(start="2026-08-31", end="2026-09-01") == [made[1].feedback_id, made[0].feedback_id]


def test_feedback_uses_only_the_table_actions_the_api_role_has(store, fstore, monkeypatch, actions):
    called: set[str] = set()
    for name, fn in inspect.getmembers(DynamoFeedbackStore, inspect.isfunction):
        if not name.startswith("_"):
            monkeypatch.setattr(
                DynamoFeedbackStore,
                name,
                lambda self, *a, __fn=fn, __name=name, **k: (called.add(__name), __fn(self, *a, **k))[1],
            )
    owner, ids = _funded_user(store, 1)
    actions.clear()
    fstore.read_subject("payment", "pay_nope", owner, (owner, "k"))
    fstore.read_subject("topup", "top_nope", owner, (owner, "k"))
    out = feedback.submit(
        fstore,
        Principal(owner),
        IdempotentRequest(owner, "f-entry", "h"),
        kind="entry",
        subject_id=ids[0],
        rating=5,
        tags=[],
        comment=None,
    )
    assert out.status_code == 201
    assert fstore.get_idempotency(owner, "f-entry").body == out.body
    feedback.list_feedback(
        fstore, start=None, end=None, rating_lte=3, tag="slow", merchant_id="m1", limit=5, cursor=None
    )
    seen = set(actions)
    public = {n for n, _ in inspect.getmembers(DynamoFeedbackStore, inspect.isfunction) if not n.startswith("_")}
    assert called == public, f"store methods not exercised here: {sorted(public - called)}"
    assert seen and seen <= set(API_TABLE_ACTIONS), seen - set(API_TABLE_ACTIONS)


def test_months_between_are_read_even_when_empty(fstore, monkeypatch, calls):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 25, 12, tzinfo=timezone.utc))
    calls.clear()
    page = feedback.list_feedback(
        fstore,
        start="2026-06-01",
        end="2026-11-25",
        rating_lte=None,
        tag=None,
        merchant_id=f"m-{uuid.uuid4().hex[:8]}",
        limit=5,
        cursor=None,
    )
    assert page == {"items": [], "next_cursor": None}
    assert dict(calls) == {"Query": 6}  # one per month, June to November
