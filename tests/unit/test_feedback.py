"""Feedback rules and use cases on an in-memory store: tags, months walked, the cursor, once per transaction,
replays, and paging across months with filters."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import (
    FeedbackExists,
    Forbidden,
    IdempotencyKeyReused,
    IdempotencyKeyTaken,
    InvalidRequest,
    NotFound,
)
from chalicelib.domain.feedback import (
    Feedback,
    ListingFilter,
    Position,
    Subject,
    check_tags,
    decode_cursor,
    encode_cursor,
    months_newest_first,
    sort_key_bounds,
)
from chalicelib.domain.model import IdempotencyRecord, Principal
from chalicelib.services import feedback
from chalicelib.services.common import IdempotentRequest

ALICE, BOB = Principal("alice"), Principal("bob")


class FakeFeedbackStore:
    """The same conditions as the DynamoDB store: key, guard and record only if absent, in one step."""

    def __init__(self) -> None:
        self.subjects: dict[tuple[str, str], Subject] = {}
        self.idem: dict[tuple[str, str], IdempotencyRecord] = {}
        self.guards: dict[tuple[str, str], str] = {}
        self.items: dict[str, dict[str, Feedback]] = {}  # month -> sort key -> feedback
        self.queries = 0

    def get_idempotency(self, scope, key):
        return self.idem.get((scope, key))

    def read_subject(self, kind, subject_id, user_id, idempotency):
        subject = self.subjects.get((kind, subject_id))
        if kind == "entry" and subject is not None and subject.user_id != user_id:
            subject = None  # an entry is looked for in the caller's own partition only
        return self.idem.get(idempotency), subject

    def add_feedback(self, fb, record):
        if (record.scope, record.key) in self.idem:
            raise IdempotencyKeyTaken()
        if (fb.subject_kind, fb.subject_id) in self.guards:
            raise FeedbackExists(fb.subject_kind, fb.subject_id)
        self.idem[(record.scope, record.key)] = record
        self.guards[(fb.subject_kind, fb.subject_id)] = fb.feedback_id
        self.items.setdefault(fb.month, {})[f"{fb.created_at}#{fb.feedback_id}"] = fb

    def feedback_page(self, month, low, high, after, *, rating_lte, tag, merchant_id, page_size):
        self.queries += 1
        keys = sorted(
            (k for k in self.items.get(month, {}) if low <= k <= high and (after is None or k < after)), reverse=True
        )
        evaluated = keys[:page_size]
        rows = [
            (k, self.items[month][k])
            for k in evaluated
            if (rating_lte is None or self.items[month][k].rating <= rating_lte)
            and (tag is None or tag in self.items[month][k].tags)
            and (merchant_id is None or self.items[month][k].merchant_id == merchant_id)
        ]
        return rows, (evaluated[-1] if len(keys) > page_size else None)


def req(key: str, scope: str = "alice", body: str = "b") -> IdempotentRequest:
    return IdempotentRequest(scope=scope, key=key, request_hash=body)


@pytest.fixture
def store():
    s = FakeFeedbackStore()
    s.subjects[("payment", "pay_1")] = Subject("payment", "pay_1", "alice", "m1")
    s.subjects[("topup", "top_1")] = Subject("topup", "top_1", "alice")
    s.subjects[("entry", "ent_1")] = Subject("entry", "ent_1", "alice")
    s.subjects[("payment", "pay_bob")] = Subject("payment", "pay_bob", "bob", "m1")
    return s


def submit(
    store, principal=ALICE, key="k1", kind="payment", subject_id="pay_1", rating=4, tags=(), comment=None, body="b"
):
    return feedback.submit(
        store,
        principal,
        req(key, principal.user_id, body),
        kind=kind,
        subject_id=subject_id,
        rating=rating,
        tags=list(tags),
        comment=comment,
    )


# ---- tags -------------------------------------------------------------------------------------


def test_tags_are_lowercase_slugs_named_once_at_most_ten():
    assert check_tags(["slow", "wrong-amount"]) == ("slow", "wrong-amount")
    for bad in (["Slow"], ["two words"], ["-x"], ["x-"], ["a" * 33], ["ok", "ok"], [f"t{i}" for i in range(11)]):
        with pytest.raises(InvalidRequest) as err:
            check_tags(bad)
        assert err.value.code == "invalid_tags", bad


# ---- months and bounds ------------------------------------------------------------------------------


def test_months_are_walked_newest_first_across_a_year_end():
    assert months_newest_first(date(2025, 11, 30), date(2026, 2, 1)) == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert months_newest_first(date(2026, 3, 5), date(2026, 3, 9)) == ["2026-03"]
    assert months_newest_first(date(2026, 3, 9), date(2026, 3, 5)) == []


def test_the_sort_key_bounds_hold_every_key_of_the_days_and_none_of_the_next():
    low, high = sort_key_bounds(date(2026, 11, 1), date(2026, 11, 25))
    assert low <= "2026-11-01T00:00:00.000Z#fb_1" <= high
    assert low <= "2026-11-25T23:59:59.999Z#fb_zz" <= high
    assert not "2026-11-26T00:00:00.000Z#fb_1" <= high
    assert not low <= "2026-10-31T23:59:59.999Z#fb_1"


# ---- the cursor -------------------------------------------------------------------------------------

F = ListingFilter(date(2026, 1, 1), date(2026, 11, 30), rating_lte=3)
AT = Position("2026-10", "2026-10-05T10:00:00.000Z#fb_0123abcd")


def _tamper(cursor: str, **change) -> str:
    doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    doc.update(change)
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def test_a_cursor_returns_the_position_it_was_made_for():
    assert decode_cursor(encode_cursor(F, AT), F) == AT
    assert decode_cursor(encode_cursor(F, Position("2026-03")), F) == Position("2026-03")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        "e30",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        _tamper(encode_cursor(F, AT), m="2026-09"),
        _tamper(encode_cursor(F, AT), a="2026-10-06T10:00:00.000Z#fb_0123abcd"),
        _tamper(encode_cursor(F, AT), a="2026-09-06T10:00:00.000Z#fb_0123abcd"),  # not in its month
        _tamper(encode_cursor(F, AT), d="0" * 32),
        _tamper(encode_cursor(F, AT), extra=1),
    ],
    ids=[
        "garbage",
        "empty_object",
        "a_list",
        "month_changed",
        "position_changed",
        "position_elsewhere",
        "digest_changed",
        "field_added",
    ],
)
def test_a_changed_or_unreadable_cursor_is_refused(cursor):
    with pytest.raises(InvalidRequest) as err:
        decode_cursor(cursor, F)
    assert err.value.code == "invalid_cursor"


def test_a_cursor_sent_with_other_filters_is_refused():
    cursor = encode_cursor(F, AT)
    for other in (
        ListingFilter(F.start, F.end, rating_lte=2),
        ListingFilter(F.start, F.end, 3, tag="slow"),
        ListingFilter(date(2026, 2, 1), F.end, 3),
        ListingFilter(F.start, F.end, 3, merchant_id="m1"),
    ):
        with pytest.raises(InvalidRequest):
            decode_cursor(cursor, other)


# ---- submitting -------------------------------------------------------------------------------------


def test_a_customer_rates_their_payment_once_with_its_merchant(store):
    out = submit(store, tags=["slow"], comment="took ages")
    assert out.status_code == 201 and not out.replayed
    assert out.body["subject"] == {"kind": "payment", "id": "pay_1"} and out.body["merchant_id"] == "m1"
    assert out.body["rating"] == 4 and out.body["tags"] == ["slow"] and out.body["comment"] == "took ages"
    assert "user_id" not in out.body
    with pytest.raises(FeedbackExists):
        submit(store, key="k2")
    assert len(store.guards) == 1 and sum(len(m) for m in store.items.values()) == 1


def test_the_same_key_and_request_replays_and_writes_nothing_more(store):
    first = submit(store)
    again = submit(store)
    assert again.replayed and again.body == first.body
    assert sum(len(m) for m in store.items.values()) == 1
    with pytest.raises(IdempotencyKeyReused):
        submit(store, body="another request")


def test_someone_elses_or_an_unknown_transaction_is_not_found_and_nothing_is_written(store):
    for kind, subject_id in (
        ("payment", "pay_bob"),
        ("payment", "pay_nope"),
        ("topup", "top_nope"),
        ("entry", "ent_nope"),
    ):
        with pytest.raises(NotFound) as err:
            submit(store, kind=kind, subject_id=subject_id)
        assert err.value.what == kind
    assert store.guards == {} and store.idem == {}


def test_staff_services_and_admins_do_not_give_feedback(store):
    for groups in ({"admin"}, {"service"}, {"merchant:m1"}):
        with pytest.raises(Forbidden):
            submit(store, principal=Principal("alice", frozenset(groups)))
    assert store.guards == {}


def test_a_top_up_and_an_entry_are_rated_each_on_their_own(store):
    assert submit(store, key="t", kind="topup", subject_id="top_1").body["merchant_id"] is None
    assert submit(store, key="e", kind="entry", subject_id="ent_1").status_code == 201
    assert set(store.guards) == {("topup", "top_1"), ("entry", "ent_1")}


# ---- listing ------------------------------------------------------------------------------------------


def _seed(store, at, n_per_month: dict[str, int]):
    """``n`` feedback items in each month (on its 10th), rating cycling 1..5, tag "slow" on even ones."""
    made = []
    for month, n in n_per_month.items():
        for i in range(n):
            moment = datetime.fromisoformat(f"{month}-10T00:00:00+00:00") + timedelta(minutes=i)
            at(moment)
            subject = f"pay_{month}_{i}"
            store.subjects[("payment", subject)] = Subject("payment", subject, "alice", "m1" if i % 3 else "m2")
            made.append(
                submit(
                    store, key=subject, subject_id=subject, rating=i % 5 + 1, tags=["slow"] if i % 2 == 0 else []
                ).body
            )
    at(datetime(2026, 11, 25, 12, tzinfo=timezone.utc))
    return made


def _all(store, **q):
    pages, cursor = [], None
    while True:
        page = feedback.list_feedback(
            store,
            start=q.get("start"),
            end=q.get("end"),
            rating_lte=q.get("rating_lte"),
            tag=q.get("tag"),
            merchant_id=q.get("merchant_id"),
            limit=q.get("limit", 3),
            cursor=cursor,
        )
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return [i for p in pages for i in p["items"]], pages


def test_paging_across_months_returns_everything_newest_first_once(store, at):
    made = _seed(store, at, {"2026-09": 4, "2026-10": 0, "2026-11": 5})
    items, pages = _all(store, start="2026-01-01")
    assert [i["feedback_id"] for i in items] == [
        m["feedback_id"] for m in sorted(made, key=lambda m: (m["created_at"], m["feedback_id"]), reverse=True)
    ]
    assert all(len(p["items"]) == 3 for p in pages[:-1])


@pytest.mark.parametrize(
    "q,keep",
    [
        ({"rating_lte": 2}, lambda i: i["rating"] <= 2),
        ({"tag": "slow"}, lambda i: "slow" in i["tags"]),
        ({"merchant_id": "m2"}, lambda i: i["merchant_id"] == "m2"),
        ({"start": "2026-11-01", "end": "2026-11-30"}, lambda i: i["created_at"].startswith("2026-11")),
    ],
)
def test_filters_keep_only_what_they_name(store, at, q, keep):
    made = _seed(store, at, {"2026-09": 7, "2026-11": 6})
    items, _ = _all(store, **q)
    assert items and all(keep(i) for i in items)
    assert {i["feedback_id"] for i in items} == {m["feedback_id"] for m in made if keep(m)}


def test_a_listing_reads_a_bounded_number_of_months_per_request(store, at):
    _seed(store, at, {"2024-01": 1})
    page = feedback.list_feedback(
        store, start="2023-01-01", end=None, rating_lte=None, tag=None, merchant_id=None, limit=10, cursor=None
    )
    assert page["items"] == [] and page["next_cursor"] is not None
    assert store.queries == feedback.MAX_QUERIES
    items, _ = _all(store, start="2023-01-01", limit=10)
    assert len(items) == 1


def test_bad_dates_are_refused(store):
    for q, code in (
        ({"start": "2026-02-30"}, "invalid_date"),
        ({"end": "2026-13-01"}, "invalid_date"),
        ({"end": "0001-03-01"}, "invalid_date"),
        ({"start": "1999-12-31"}, "invalid_date"),
        ({"end": "3000-01-01"}, "invalid_date"),
        ({"start": "2026-11-02", "end": "2026-11-01"}, "invalid_date_range"),
    ):
        with pytest.raises(InvalidRequest) as err:
            feedback.list_feedback(
                store,
                start=q.get("start"),
                end=q.get("end"),
                rating_lte=None,
                tag=None,
                merchant_id=None,
                limit=5,
                cursor=None,
            )
        assert err.value.code == code


def test_without_from_a_listing_covers_twelve_calendar_months_in_one_request(store, at):
    _seed(store, at, {"2025-12": 1, "2025-11": 1})
    page = feedback.list_feedback(
        store, start=None, end=None, rating_lte=None, tag=None, merchant_id=None, limit=10, cursor=None
    )
    assert [i["created_at"][:7] for i in page["items"]] == ["2025-12"] and page["next_cursor"] is None
    assert store.queries == 12


def test_a_submission_cancelled_by_a_concurrent_transaction_is_read_again_and_then_decided(store):
    from chalicelib.domain.errors import ReadChanged

    real, calls = store.add_feedback, []

    def conflicted_once(fb, record):
        calls.append(fb.feedback_id)
        if len(calls) == 1:
            raise ReadChanged(None)
        return real(fb, record)

    store.add_feedback = conflicted_once
    out = submit(store)
    assert out.status_code == 201 and len(calls) == 2 and len(store.guards) == 1
