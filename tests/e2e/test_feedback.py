"""Feedback over HTTP on the local stack: a customer rates their own payment, top-up or ledger entry once;
someone else's or an unknown one is not found; bad input is refused and writes nothing; operators list it
newest first with filters and a cursor."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from tests.e2e.conftest import own_stack_fixtures

pytestmark = pytest.mark.e2e

# a stack of its own: several cases compare the whole table before and after, which stays quick only
# on a table holding this module's items alone
local_stack, api, ddb = own_stack_fixtures()


def _guard(ddb, table: str, kind: str, subject_id: str) -> dict[str, Any] | None:
    return ddb.get_item(
        TableName=table, Key={"pk": {"S": f"FS#{kind}#{subject_id}"}, "sk": {"S": "FEEDBACK"}}, ConsistentRead=True
    ).get("Item")


def _record(ddb, table: str, created_at: str, feedback_id: str) -> dict[str, Any] | None:
    return ddb.get_item(
        TableName=table,
        Key={"pk": {"S": f"FB#{created_at[:7]}"}, "sk": {"S": f"{created_at}#{feedback_id}"}},
        ConsistentRead=True,
    ).get("Item")


def _post(api, user, body: dict[str, Any], key: str | None = "fresh"):
    return api.post("/v1/feedback", user, body, key=str(uuid.uuid4()) if key == "fresh" else key)


@pytest.fixture(scope="module")
def shop(api) -> str:
    merchant_id = f"m-fb-{uuid.uuid4().hex[:8]}"
    api.ensure_merchant(merchant_id)
    return merchant_id


@pytest.fixture
def paid(api, shop):
    """A funded customer and one of their payments at the shop."""
    customer = api.unique_user("fb")
    api.fund(customer, 10_000)
    r = api.pay(customer, 1_000, merchant_id=shop)
    assert r.status_code == 201, r.text
    return customer, r.json()["payment_id"]


# ---- giving feedback ------------------------------------------------------------------------------


def test_a_customer_rates_their_payment_and_the_stored_record_has_the_event_attributes(
    api, ddb, local_stack, paid, shop
):
    customer, payment_id = paid
    r = _post(
        api,
        customer,
        {"payment_id": payment_id, "rating": 2, "tags": ["slow", "wrong-amount"], "comment": "the till was slow"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["subject"] == {"kind": "payment", "id": payment_id}
    assert (body["rating"], body["tags"], body["comment"], body["merchant_id"]) == (
        2,
        ["slow", "wrong-amount"],
        "the till was slow",
        shop,
    )
    assert body["feedback_id"].startswith("fb_") and body["created_at"].endswith("Z")

    item = _record(ddb, local_stack.table, body["created_at"], body["feedback_id"])
    assert item is not None
    assert item["kind"] == {"S": "feedback"}
    assert {k: v for k, v in item.items() if k not in ("pk", "sk")} == {
        "kind": {"S": "feedback"},
        "feedback_id": {"S": body["feedback_id"]},
        "user_id": {"S": customer.user_id},
        "subject_kind": {"S": "payment"},
        "subject_id": {"S": payment_id},
        "rating": {"N": "2"},
        "tags": {"L": [{"S": "slow"}, {"S": "wrong-amount"}]},
        "comment": {"S": "the till was slow"},
        "merchant_id": {"S": shop},
        "created_at": {"S": body["created_at"]},
    }
    assert _guard(ddb, local_stack.table, "payment", payment_id)["feedback_id"] == {"S": body["feedback_id"]}


def test_without_tags_or_comment_the_record_has_an_empty_list_and_no_comment(api, ddb, local_stack, paid):
    customer, payment_id = paid
    r = _post(api, customer, {"payment_id": payment_id, "rating": 5})
    assert r.status_code == 201, r.text
    assert r.json()["tags"] == [] and r.json()["comment"] is None
    item = _record(ddb, local_stack.table, r.json()["created_at"], r.json()["feedback_id"])
    assert item["tags"] == {"L": []} and "comment" not in item


def test_a_pending_and_a_failed_top_up_may_be_rated(api):
    customer = api.unique_user("fb-topup")
    pending = api.post("/v1/topups", customer, {"amount": 500, "channel": "card"}, key=str(uuid.uuid4())).json()
    failed = api.post("/v1/topups", customer, {"amount": 700, "channel": "card"}, key=str(uuid.uuid4())).json()
    w = api.webhook({"topup_id": failed["topup_id"], "status": "failed", "amount": 700, "provider_ref": "declined"})
    assert w.status_code == 200 and w.json()["status"] == "failed", w.text
    for topup in (pending, failed):
        r = _post(api, customer, {"topup_id": topup["topup_id"], "rating": 1, "tags": ["failed-topup"]})
        assert r.status_code == 201, r.text
        assert r.json()["subject"] == {"kind": "topup", "id": topup["topup_id"]} and r.json()["merchant_id"] is None


def test_a_customer_rates_one_of_their_ledger_entries_by_its_id(api, paid, shop):
    customer, _ = paid
    entries = api.all_entries(customer)
    payment_entry = next(e for e in entries if e["type"] == "payment")
    top_up_entry = next(e for e in entries if e["type"] == "top_up")
    r = _post(api, customer, {"entry_id": payment_entry["id"], "rating": 4})
    assert r.status_code == 201, r.text
    assert r.json()["subject"] == {"kind": "entry", "id": payment_entry["id"]} and r.json()["merchant_id"] == shop
    older = _post(api, customer, {"entry_id": top_up_entry["id"], "rating": 3})
    assert older.status_code == 201 and older.json()["merchant_id"] is None, older.text


def test_someone_elses_payment_top_up_or_entry_is_not_found_and_nothing_is_written(api, ddb, local_stack, paid):
    owner, payment_id = paid
    topup_id = api.fund(owner, 100)["topup_id"]
    entry_id = api.all_entries(owner)[0]["id"]
    stranger = api.unique_user("fb-stranger")
    for body, code in (
        ({"payment_id": payment_id}, "payment_not_found"),
        ({"topup_id": topup_id}, "topup_not_found"),
        ({"entry_id": entry_id}, "entry_not_found"),
        ({"payment_id": "pay_doesnotexist"}, "payment_not_found"),
    ):
        r = _post(api, stranger, {**body, "rating": 1})
        assert r.status_code == 404 and r.json()["error"]["code"] == code, r.text
    for kind, subject_id in (("payment", payment_id), ("topup", topup_id), ("entry", entry_id)):
        assert _guard(ddb, local_stack.table, kind, subject_id) is None
    # and the owner can still rate them: nothing was taken
    assert _post(api, owner, {"payment_id": payment_id, "rating": 5}).status_code == 201


def test_staff_services_and_admins_are_refused(api, paid, shop):
    _, payment_id = paid
    for user in (api.admin(), api.service(), api.unique_user("fb-staff", f"merchant:{shop}")):
        r = _post(api, user, {"payment_id": payment_id, "rating": 5})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text


# ---- once per transaction; retries -------------------------------------------------------------------


def test_a_second_feedback_on_the_same_transaction_is_a_conflict(api, paid):
    customer, payment_id = paid
    assert _post(api, customer, {"payment_id": payment_id, "rating": 3}).status_code == 201
    again = _post(api, customer, {"payment_id": payment_id, "rating": 1, "comment": "changed my mind"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "feedback_exists", again.text


def test_a_retry_with_the_same_key_replays_and_another_body_under_it_is_refused(api, ddb, local_stack, paid):
    customer, payment_id = paid
    body = {"payment_id": payment_id, "rating": 4, "tags": ["friendly"]}
    first = _post(api, customer, body, key="fb-retry")
    again = _post(api, customer, dict(reversed(list(body.items()))), key="fb-retry")  # same request, other order
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    other = _post(api, customer, {**body, "rating": 1}, key="fb-retry")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused", other.text
    assert _guard(ddb, local_stack.table, "payment", payment_id)["feedback_id"] == {"S": first.json()["feedback_id"]}


def test_two_feedbacks_at_once_on_one_transaction_give_one_201_and_one_409(api, paid):
    customer, payment_id = paid
    answers: list[Any] = []
    barrier = threading.Barrier(4)

    def send(rating: int) -> None:
        body = json.dumps({"payment_id": payment_id, "rating": rating})
        headers = customer.headers(str(uuid.uuid4()), **{"Content-Type": "application/json"})
        barrier.wait()
        answers.append(requests.post(f"{api.url}/v1/feedback", data=body, headers=headers, timeout=30))

    threads = [threading.Thread(target=send, args=(r,)) for r in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]


# ---- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change,code",
    [
        ({"payment_id": None}, "invalid_request"),  # no subject
        ({"topup_id": "top_x"}, "invalid_request"),  # two subjects
        ({"rating": 0}, "invalid_request"),
        ({"rating": 6}, "invalid_request"),
        ({"rating": 4.5}, "invalid_request"),
        ({"rating": "5"}, "invalid_request"),
        ({"rating": True}, "invalid_request"),
        ({"tags": [f"t{i}" for i in range(11)]}, "invalid_request"),
        ({"tags": ["Slow"]}, "invalid_request"),
        ({"tags": ["slow", "slow"]}, "invalid_request"),
        ({"tags": ["x" * 33]}, "invalid_request"),
        ({"tags": "slow"}, "invalid_request"),
        ({"comment": "x" * 1001}, "invalid_request"),
        ({"comment": ""}, "invalid_request"),
        ({"payment_id": "pay/../x"}, "invalid_request"),
        ({"user_id": "someone-else"}, "invalid_request"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_bad_input_is_refused_with_a_code_and_writes_nothing(api, ddb, local_stack, paid, change, code):
    customer, payment_id = paid
    body = {"payment_id": payment_id, "rating": 3, "tags": ["ok"], "comment": "fine"}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    r = _post(api, customer, body)
    assert r.status_code == 400 and r.json()["error"]["code"] == code, r.text
    assert _guard(ddb, local_stack.table, "payment", payment_id) is None
    assert _post(api, customer, {"payment_id": payment_id, "rating": 3}).status_code == 201  # control


def test_without_an_idempotency_key_nothing_is_written(api, ddb, local_stack, paid):
    customer, payment_id = paid
    r = _post(api, customer, {"payment_id": payment_id, "rating": 3}, key=None)
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_idempotency_key", r.text
    assert _guard(ddb, local_stack.table, "payment", payment_id) is None


# ---- the admin listing -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rated(api) -> dict[str, Any]:
    """Six feedbacks at a merchant of their own: ratings 1..5 and 2, "slow" on the odd ratings."""
    merchant_id = f"m-fbl-{uuid.uuid4().hex[:8]}"
    api.ensure_merchant(merchant_id)
    customer = api.unique_user("fb-list")
    api.fund(customer, 100_000)
    made = []
    for rating in (1, 2, 3, 4, 5, 2):
        paid = api.pay(customer, 100, merchant_id=merchant_id)
        assert paid.status_code == 201, paid.text
        r = _post(
            api,
            customer,
            {"payment_id": paid.json()["payment_id"], "rating": rating, "tags": ["slow"] if rating % 2 else ["quick"]},
        )
        assert r.status_code == 201, r.text
        made.append(r.json())
    return {"merchant_id": merchant_id, "user_id": customer.user_id, "made": made[::-1]}  # newest first


def _list(api, **params):
    return api.get("/v1/admin/feedback", api.admin(), params=params)


def _walk(api, **params) -> tuple[list[dict[str, Any]], int]:
    items, cursor, pages = [], None, 0
    while True:
        r = _list(api, **params, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        pages += 1
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items, pages


def test_the_listing_of_a_merchant_is_newest_first_with_who_rated(api, rated):
    r = _list(api, merchant_id=rated["merchant_id"])
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["feedback_id"] for i in items] == [m["feedback_id"] for m in rated["made"]]
    assert all(i["user_id"] == rated["user_id"] and i["merchant_id"] == rated["merchant_id"] for i in items)
    assert r.json()["next_cursor"] is None


def test_the_cursor_pages_through_everything_once(api, rated):
    items, pages = _walk(api, merchant_id=rated["merchant_id"], limit=4)
    assert [i["feedback_id"] for i in items] == [m["feedback_id"] for m in rated["made"]]
    assert pages == 2


def test_without_a_merchant_the_listing_holds_them_in_order(api, rated):
    items, _ = _walk(api, limit=100)
    ids = [i["feedback_id"] for i in items]
    mine = [m["feedback_id"] for m in rated["made"]]
    assert [i for i in ids if i in mine] == mine
    assert all(a["created_at"] >= b["created_at"] for a, b in zip(items, items[1:]))


@pytest.mark.parametrize(
    "params,keep",
    [
        ({"rating_lte": "2"}, lambda m: m["rating"] <= 2),
        ({"rating_lte": "1"}, lambda m: m["rating"] <= 1),
        ({"tag": "slow"}, lambda m: "slow" in m["tags"]),
        ({"tag": "quick", "rating_lte": "2"}, lambda m: "quick" in m["tags"] and m["rating"] <= 2),
        ({"tag": "nobody-uses-this"}, lambda m: False),
    ],
)
def test_each_filter_keeps_exactly_what_it_names(api, rated, params, keep):
    items, _ = _walk(api, merchant_id=rated["merchant_id"], limit=2, **params)
    assert [i["feedback_id"] for i in items] == [m["feedback_id"] for m in rated["made"] if keep(m)]


def test_the_dates_bound_the_listing(api, rated):
    today = datetime.now(timezone.utc).date()
    created = {m["created_at"][:10] for m in rated["made"]}
    day = max(created)  # today, or yesterday if the fixture ran across midnight
    within, _ = _walk(api, merchant_id=rated["merchant_id"], **{"from": min(created), "to": day})
    assert len(within) == 6
    before = (datetime.fromisoformat(min(created)) - timedelta(days=1)).date().isoformat()
    earlier, _ = _walk(api, merchant_id=rated["merchant_id"], **{"from": "2026-01-01", "to": before})
    assert earlier == []
    later, _ = _walk(
        api,
        merchant_id=rated["merchant_id"],
        **{"from": (today + timedelta(days=1)).isoformat(), "to": (today + timedelta(days=40)).isoformat()},
    )
    assert later == []


@pytest.mark.parametrize(
    "params,code",
    [
        ({"rating_lte": "0"}, "invalid_request"),
        ({"rating_lte": "6"}, "invalid_request"),
        ({"rating_lte": "two"}, "invalid_request"),
        ({"limit": "0"}, "invalid_request"),
        ({"limit": "101"}, "invalid_request"),
        ({"from": "2026-02-30"}, "invalid_date"),
        ({"from": "yesterday"}, "invalid_request"),
        ({"to": "2026-11-25T00:00:00Z"}, "invalid_request"),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "invalid_date_range"),
        ({"tag": "Not A Slug"}, "invalid_request"),
        ({"merchant_id": "m/../x"}, "invalid_request"),
        ({"sort": "oldest"}, "invalid_request"),
        ({"cursor": "garbage"}, "invalid_cursor"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_bad_query_parameters_are_refused(api, params, code):
    r = _list(api, **params)
    assert r.status_code == 400 and r.json()["error"]["code"] == code, r.text


def test_a_changed_cursor_or_one_sent_with_other_filters_is_refused(api, rated):
    import base64

    first = _list(api, merchant_id=rated["merchant_id"], limit=2).json()
    cursor = first["next_cursor"]
    assert cursor and len(first["items"]) == 2
    assert _list(api, merchant_id=rated["merchant_id"], limit=2, cursor=cursor).status_code == 200  # control
    doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    # skip ahead: the position moved to an earlier key of the same month
    doc["a"] = doc["a"][:11] + "00:00:00.000Z" + doc["a"][doc["a"].index("#") :]
    tampered = base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")
    for params in (
        {"merchant_id": rated["merchant_id"], "cursor": tampered},
        {"merchant_id": rated["merchant_id"], "cursor": cursor[:-2]},
        {"merchant_id": rated["merchant_id"], "cursor": cursor, "rating_lte": "3"},
        {"cursor": cursor},
    ):
        r = _list(api, limit=2, **params)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor", (params, r.text)


def test_only_admins_list_feedback(api, rated):
    customer = api.unique_user("fb-peek")
    for user in (customer, api.service()):
        r = api.get("/v1/admin/feedback", user)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text


def test_feedback_reaches_the_bus_as_feedback_submitted_matching_its_schema(api, local_stack):
    import jsonschema

    from chalicelib.events.catalogue import SCHEMAS
    from tests.e2e.conftest import EventLog

    user = api.unique_user("fb-bus")
    topup = api.post("/v1/topups", user, {"amount": 700, "channel": "card"}, key=str(uuid.uuid4())).json()
    r = api.post(
        "/v1/feedback",
        user,
        {"topup_id": topup["topup_id"], "rating": 2, "tags": ["slow"], "comment": "took ages"},
        key=str(uuid.uuid4()),
    )
    assert r.status_code == 201, r.text
    log = EventLog(local_stack)
    try:
        [event] = log.wait_for("feedback.submitted", feedback_id=r.json()["feedback_id"])
    finally:
        log.stop()
    jsonschema.validate(event["detail"], SCHEMAS["feedback.submitted"])
    assert event["detail"]["subject_kind"] == "topup" and event["detail"]["rating"] == 2
    assert event["detail"]["user_id"] == user.user_id and event["detail"]["tags"] == ["slow"]
