"""From one stream record of the ledger table to the domain events it means (pure; no AWS here).

A record is one item's change (INSERT, MODIFY or REMOVE) with its old and new image. The mapping
looks at the item's ``kind`` and turns the change into zero or more ``(detail_type, detail)``:

  entry (ledger line)      INSERT  top_up -> topup.credited, refund -> payment.refunded,
                                   adjustment -> balance.adjusted, expiry -> bonus.expired
  payment                  INSERT  payment.authorized | payment.succeeded
                           MODIFY  status authorized -> succeeded | voided | expired
  points_entry             INSERT  points.earned, points.spent, points.returned, points.clawed_back
  wallet                   MODIFY  tier.changed; wallet.balance_low on crossing the threshold downwards;
                                   points.matured for pending points that this write made available
  coupon                   INSERT  coupon.granted; MODIFY state -> used: coupon.used, -> available: coupon.restored
  notification, feedback   INSERT  notification.sent, feedback.submitted
  promotion                MODIFY  status -> active: promotion.started; -> ended, or active -> cancelled:
                                   promotion.ended
  checkout                 INSERT  checkout.opened; MODIFY -> cancelled: checkout.cancelled;
                                   open -> expired (the sweeper's, past expires_at unpaid): checkout.expired
  backtest                 INSERT  queued: backtest.requested

Every detail has ``event_id``: a UUID derived from the detail type, the item's key and what identifies
the change (its version, its state), never from the delivery, so a redelivered record yields the same
id and consumers dedupe on it. ``occurred_at`` is the change's own time where the item has one.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any, Iterator

from ..domain.campaigns import COUNTS as CAMPAIGN_COUNTS

NAMESPACE = uuid.UUID("5b0c1f8e-4d3a-4c55-9a1e-2f3c6d7e8f90")

Event = tuple[str, dict[str, Any]]


def event_id(detail_type: str, *parts: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join([detail_type, *(str(p) for p in parts)])))


def plain(value: Any) -> Any:
    """Stream images as JSON values: DynamoDB numbers (Decimal) become int (money and counts are integral)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return value


def _doc(value: Any) -> Any:
    """A PynamoDB JSONAttribute as stored (a JSON string)."""
    return json.loads(value) if isinstance(value, str) else value


def _lots(image: dict, cash: str, bonus: str) -> dict[str, int]:
    return {"cash": int(image.get(cash) or 0), "bonus": int(image.get(bonus) or 0)}


def _event(detail_type: str, key: tuple[Any, ...], **detail: Any) -> Event:
    return detail_type, {"event_id": event_id(detail_type, *key), **{k: v for k, v in detail.items() if v is not None}}


def events_of(
    event_name: str, old: dict[str, Any] | None, new: dict[str, Any] | None, approximate_time: str | None = None
) -> list[Event]:
    """The domain events of one change. ``old``/``new`` are the images as plain values (numbers as int)."""
    image = new or old or {}
    handler = _BY_KIND.get(str(image.get("kind", "")))
    if handler is None or event_name == "REMOVE":
        return []
    return list(handler(event_name, old or {}, new or {}, approximate_time))


# ---- by item kind ---------------------------------------------------------------------------------


def _entry(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    if name != "INSERT":
        return
    refs = new.get("refs") or {}
    delta = _lots(new, "d_cash", "d_bonus")
    common = dict(
        user_id=new["user_id"],
        entry_id=new["entry_id"],
        amount=delta["cash"] + delta["bonus"],
        lots=delta,
        balance_after=_lots(new, "after_cash", "after_bonus"),
        occurred_at=new["created_at"],
    )
    key = (new["pk"], new["sk"])
    kind = new.get("type")
    if kind == "top_up":
        yield _event(
            "topup.credited",
            key,
            topup_id=refs.get("topup_id"),
            plan_id=refs.get("plan_id"),
            option=refs.get("option"),
            **common,
        )
    elif kind == "refund":
        yield _event(
            "payment.refunded",
            key,
            payment_id=refs.get("payment_id"),
            refund_id=refs.get("refund_id"),
            merchant_id=refs.get("merchant_id"),
            order_id=refs.get("order_id"),
            **common,
        )
    elif kind == "adjustment":
        yield _event("balance.adjusted", key, reason=refs.get("reason"), actor=refs.get("actor"), **common)
    elif kind == "expiry":
        yield _event(
            "bonus.expired", key, grant_ids=[g for g in str(refs.get("grant_ids", "")).split(",") if g], **common
        )


_PAYMENT_STATUS = {
    "authorized": "payment.authorized",
    "succeeded": "payment.succeeded",
    "voided": "payment.voided",
    "expired": "payment.expired",
}


def _payment(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    status = new.get("status") or "succeeded"
    if name == "MODIFY" and (old.get("status") or "succeeded") == status:
        return  # a refund's bookkeeping, not a change of state (refunds come from their ledger entry)
    detail_type = _PAYMENT_STATUS.get(status)
    if detail_type is None:
        return
    funded = _lots(new, "funded_cash", "funded_bonus")
    yield _event(
        detail_type,
        (new["pk"], new.get("version", 0)),
        payment_id=new["payment_id"],
        user_id=new["user_id"],
        merchant_id=new["merchant_id"],
        order_id=new["order_id"],
        amount=new["amount"],
        balance_paid=funded["cash"] + funded["bonus"],
        lots=funded,
        discount=new.get("discount", 0),
        external=new.get("external", 0),
        coupon_id=new.get("coupon_id"),
        points_spent=new.get("points_spent", 0),
        points_earned=new.get("points_earned", 0),
        promotion_id=new.get("promotion_id"),
        # a payment's own time when it is made (paid at once or authorized); a later change of state (capture,
        # void, expiry) has none on the item: the stream's time of that change
        occurred_at=new["created_at"] if name == "INSERT" else new.get("updated_at") or at or new["created_at"],
    )


def _points_entry(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    if name != "INSERT":
        return
    refs = new.get("refs") or {}
    common = dict(
        user_id=new["user_id"],
        entry_id=new["entry_id"],
        payment_id=refs.get("payment_id"),
        reward_id=refs.get("reward_id"),
        occurred_at=new["created_at"],
    )
    key = (new["pk"], new["sk"])
    after = _doc(new.get("after")) or {}
    if new.get("earned"):
        due = [p[1] for p in after.get("pending", []) if str(p[2]) == str(refs.get("payment_id"))]
        yield _event("points.earned", key, points=new["earned"], available_at=min(due) if due else None, **common)
    if new.get("spent"):
        yield _event("points.spent", key, points=new["spent"], **common)
    if new.get("returned"):
        yield _event("points.returned", key, points=new["returned"], **common)
    if new.get("clawed"):
        yield _event("points.clawed_back", key, points=new["clawed"], shortfall=new.get("shortfall", 0), **common)


def _wallet(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    user, version = new["user_id"], new.get("version", 0)
    when = new.get("updated_at") or at
    if name == "MODIFY" and old.get("tier") != new.get("tier"):
        yield _event(
            "tier.changed",
            (new["pk"], version),
            user_id=user,
            from_tier=old.get("tier"),
            to_tier=new.get("tier"),
            since=new.get("tier_since"),
            occurred_at=when,
        )
    threshold = int(new.get("low_balance_threshold") or 0)
    before = int(old.get("cash") or 0) + int(old.get("bonus") or 0)
    after = int(new.get("cash") or 0) + int(new.get("bonus") or 0)
    if name == "MODIFY" and threshold > 0 and before >= threshold > after:
        yield _event(
            "wallet.balance_low",
            (new["pk"], version),
            user_id=user,
            balance=after,
            threshold=threshold,
            wallet_version=version,
            occurred_at=when,
        )
    if name == "MODIFY":
        was = {(p[2], p[1]): p[0] for p in (_doc(old.get("points")) or {}).get("pending", [])}
        still = {(p[2], p[1]) for p in (_doc(new.get("points")) or {}).get("pending", [])}
        gone = {k: v for k, v in was.items() if k not in still and (not when or k[1] <= when)}
        if gone:
            yield _event(
                "points.matured",
                (new["pk"], version),
                user_id=user,
                points=sum(gone.values()),
                payment_ids=sorted(str(k[0]) for k in gone),
                occurred_at=when,
            )


def _coupon(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    terms = _doc(new.get("terms")) or {}
    common = dict(
        coupon_id=new["coupon_id"],
        user_id=new["user_id"],
        definition_id=terms.get("definition_id"),
        merchant_id=terms.get("merchant_id"),
        payment_id=new.get("payment_id"),
    )
    state = new.get("state")
    if name == "INSERT":
        yield _event(
            "coupon.granted",
            (new["pk"], new["sk"]),
            valid_to=terms.get("valid_to"),
            occurred_at=new.get("granted_at"),
            **common,
        )
    elif old.get("state") != state and state == "used":
        yield _event("coupon.used", (new["pk"], new["sk"], state, new.get("payment_id")), occurred_at=at, **common)
    elif old.get("state") in ("used", "held") and state == "available":
        common["payment_id"] = old.get("payment_id")
        yield _event("coupon.restored", (new["pk"], new["sk"], state, old.get("payment_id")), occurred_at=at, **common)


def _notification(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    if name == "INSERT":
        yield _event(
            "notification.sent",
            (new["pk"], new["sk"]),
            notification_id=new["notification_id"],
            user_id=new["user_id"],
            type=new["type"],
            title=new.get("title"),
            body=new.get("body"),
            data=new.get("data") or {},
            occurred_at=new.get("created_at") or at,
        )


def _feedback(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    if name == "INSERT":
        yield _event(
            "feedback.submitted",
            (new["pk"], new["sk"]),
            feedback_id=new["feedback_id"],
            user_id=new["user_id"],
            subject_kind=new["subject_kind"],
            subject_id=new["subject_id"],
            rating=new["rating"],
            tags=list(new.get("tags") or []),
            comment=new.get("comment"),
            merchant_id=new.get("merchant_id"),
            occurred_at=new.get("created_at") or at,
        )


def _promotion(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    status = new.get("status")
    if old.get("status") == status:
        return
    detail_type = {"active": "promotion.started", "ended": "promotion.ended"}.get(str(status))
    if status == "cancelled" and old.get("status") == "active":
        detail_type = "promotion.ended"  # cancelled before it started: it never began, so it does not end
    if detail_type:
        yield _event(
            detail_type,
            (new["pk"], new["sk"], status),
            promotion_id=new["promotion_id"],
            merchant_id=new.get("merchant_id"),
            name=new.get("name"),
            status=status,
            effect=_doc(new.get("effect")),
            starts_at=new.get("starts_at"),
            ends_at=new.get("ends_at"),
            occurred_at=at,
        )


def _lines(new: dict) -> list[dict[str, Any]]:
    return [
        {"sku": x["sku"], "category": x["category"], "unit_price": int(x["unit_price"]), "quantity": int(x["quantity"])}
        for x in _doc(new["lines"])
    ]


def _checkout(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    lines = _lines(new)
    order = dict(
        checkout_id=new["checkout_id"],
        merchant_id=new["merchant_id"],
        order_id=new["order_id"],
        user_id=new["user_id"],
        amount=sum(x["unit_price"] * x["quantity"] for x in lines),
    )
    if name == "INSERT" and new.get("status") == "open":
        yield _event(
            "checkout.opened",
            (new["pk"], new["sk"], "opened"),
            **order,
            lines=lines,
            expires_at=new["expires_at"],
            occurred_at=new.get("created_at") or at,
        )
    if new.get("status") == "cancelled" and old.get("status") != "cancelled":
        yield _event(
            "checkout.cancelled",
            (new["pk"], new["sk"], "cancelled"),
            **order,
            reason=new.get("cancel_reason"),
            occurred_at=new.get("cancelled_at") or at,
        )
    if name == "MODIFY" and old.get("status") == "open" and new.get("status") == "expired":
        yield _event(
            "checkout.expired",
            (new["pk"], new["sk"], "expired"),
            **order,
            lines=lines,
            expires_at=new["expires_at"],
            occurred_at=new.get("expired_at") or at,
        )


def _profile(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    before, after = old.get("segment"), new.get("segment")
    if before == after:
        return
    common = dict(user_id=new["user_id"], run_id=new["run_id"], occurred_at=new.get("computed_at") or at)
    if before:
        yield _event("segment.left", (new["pk"], new["run_id"], "left", before), segment=before, to=after, **common)
    if after:
        yield _event(
            "segment.entered", (new["pk"], new["run_id"], "entered", after), segment=after, **{"from": before}, **common
        )


def _segmentation(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    if name == "INSERT" and new.get("state") == "queued":
        yield _event(
            "segmentation.requested",
            (new["pk"], new["sk"], "requested"),
            run_id=new["run_id"],
            as_of=new["as_of"],
            requested_by=new.get("requested_by"),
            occurred_at=new.get("started_at") or at,
        )


def _campaign(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    status, before = new.get("status"), old.get("status")
    common = dict(campaign_id=new["campaign_id"], name=new.get("name"), segment=new.get("segment"))
    if status != before and status in ("running", "completed"):
        counts = _doc(new.get("counts")) or {}
        yield _event(
            "campaign.started" if status == "running" else "campaign.completed",
            (new["pk"], new["sk"], status),
            **common,
            action=(_doc(new.get("action")) or {}).get("kind"),
            holdout_percent=new.get("holdout_percent"),
            **({k: int(counts.get(k, 0)) for k in CAMPAIGN_COUNTS} if status == "completed" else {}),
            occurred_at=(new.get("started_at") if status == "running" else new.get("completed_at")) or at,
        )
    measuring, measured = _doc(new.get("measurement")) or {}, _doc(old.get("measurement")) or {}
    if measuring.get("state") == "queued" and measured.get("state") != "queued":
        yield _event(
            "campaign.measurement_requested",
            (new["pk"], new["sk"], "measure", measuring.get("requested_at")),
            campaign_id=new["campaign_id"],
            requested_at=measuring.get("requested_at"),
            occurred_at=measuring.get("requested_at") or at,
        )


def _campaign_member(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    if new.get("answer_choice") is not None and old.get("answer_choice") is None:
        yield _event(
            "survey.answered",
            (new["pk"], new["sk"], "answered"),
            survey_id=new["campaign_id"],
            user_id=new["user_id"],
            choice=new["answer_choice"],
            comment=new.get("answer_comment"),
            segment=new.get("segment"),
            frequency_class=new.get("answer_class"),
            occurred_at=new.get("answered_at") or at,
        )


def _backtest(name: str, old: dict, new: dict, at: str | None) -> Iterator[Event]:
    if name == "INSERT" and new.get("state") == "queued":
        yield _event(
            "backtest.requested",
            (new["pk"], new["sk"], "requested"),
            backtest_id=new["backtest_id"],
            merchant_id=new["merchant_id"],
            days=new["days"],
            requested_by=new.get("requested_by"),
            occurred_at=new.get("requested_at") or at,
        )


_BY_KIND = {
    "entry": _entry,
    "payment": _payment,
    "points_entry": _points_entry,
    "wallet": _wallet,
    "coupon": _coupon,
    "notification": _notification,
    "feedback": _feedback,
    "promotion": _promotion,
    "checkout": _checkout,
    "profile": _profile,
    "segmentation": _segmentation,
    "campaign": _campaign,
    "campaign_member": _campaign_member,
    "backtest": _backtest,
}
