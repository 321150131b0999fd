"""Limited-time promotions: create (with their two schedules), list, read, cancel; and what their schedules do.

Creation, and what a failure half-way leaves (nothing live):
1. the request's key answers a retry (the idempotency record);
2. the promotion is written as ``pending`` under an id derived from the caller, the key and the start, so a
   retry finds it again (a pending promotion is never priced, and its schedules do nothing to it);
3. its two schedules are created (one that exists is kept: an earlier attempt made it); if that fails, the
   ones made are deleted again and the answer is 503: the retry with the same key resumes;
4. one transaction makes it ``scheduled`` and records the answer under the key.
A crash between 2 and 4 leaves a pending promotion (listed as such, never applied); its retry completes it.

The promotions function (``fire``): ``start`` marks it ``active`` (conditioned on its version) and, for
``grant_coupon``, grants one coupon to each customer of the audience, page by page of a Scan of the wallets
(a named segment's audience: page by page of its members in index ``segment-members``, as the last
segmentation run left them), recording after each page where the listing stands; a second firing, a retry
after a timeout, or a concurrent firing resumes from there, and each customer's coupon id derives from the
promotion, so nobody is granted twice. ``end`` marks it ``ended``. Pricing does not wait for either: it reads
the window (domain.promotions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Callable, cast

from ..domain.errors import present
from ..domain import access
from ..domain.moments import format_time, parse_time
from ..domain.errors import (
    ConcurrentUpdate,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    InvariantBroken,
    NotFound,
    PaymentStateConflict,
    VersionTaken,
    Unavailable,
)
from ..domain.model import Principal
from ..domain.promotions import (
    SEGMENT_TIER,
    Effect,
    GrantProgress,
    Promotion,
    factor_percent,
    in_audience,
    named_segment,
    promotion_id_for,
    with_status,
)
from ..domain.tiers import TierTable, effective
from ..observability import capture_method, logger
from . import clock
from .common import IdempotentRequest, Outcome, record_once, replay
from .coupons import coupon_id_for, grant_each
from ..insight.segments import SEGMENTS
from .ports import PromotionCreateStore, PromotionEffectStore, PromotionFireStore, Promotions, SegmentMembers

GRANT_SCOPE = "promotion"  # the scope of a promotion's coupon ids (a caller's id never has this form)


@dataclass(frozen=True)
class PromotionPolicy:
    max_days: int = 90
    clock_skew_seconds: int = 60
    grant_page: int = 200
    grant_margin_seconds: float = 10.0  # stop granting when the invocation has less than this left

    @classmethod
    def from_settings(cls, s: Any) -> "PromotionPolicy":
        return cls(
            max_days=s.promotion_max_days,
            clock_skew_seconds=s.promotion_clock_skew_seconds,
            grant_page=s.promotion_grant_page,
        )


class GrantIncomplete(Exception):
    """The invocation is running out of time with customers left to grant: the progress is recorded and the
    invocation fails, so Lambda's retry of the asynchronous invocation (or the next firing) resumes it."""


def _visible(p: Promotion | None, principal: Principal, promotion_id: str) -> Promotion:
    if p is None or not access.manages(principal, p.merchant_id):
        raise NotFound("promotion", promotion_id)
    return p


# ---- create --------------------------------------------------------------------------------


def _effect(
    store: PromotionEffectStore,
    principal: Principal,
    merchant_id: str | None,
    doc: dict[str, Any],
    starts: datetime,
    ends: datetime,
) -> Effect:
    kind = doc["kind"]
    if kind == "extra_balance_discount":
        return Effect(kind, percent=doc["percent"], max_amount=doc.get("max_amount"))
    if kind == "points_multiplier":
        percent = factor_percent(doc["factor"])
        if percent is None:
            raise InvalidRequest(
                'factor is a decimal string above 1 and at most 10, two decimals at most (e.g. "1.5")',
                code="invalid_factor",
                field="effect.factor",
            )
        return Effect(kind, factor_percent=percent)
    d = store.get_coupon_definition(doc["definition_id"])
    if d is None or (not principal.is_admin and d.terms.merchant_id != merchant_id):
        raise InvalidRequest(
            f"coupon definition {doc['definition_id']!r} does not exist"
            + ("" if principal.is_admin else " for this merchant"),
            code="unknown_coupon_definition",
            field="effect.definition_id",
        )
    if parse_time(d.terms.valid_to) <= starts:
        raise InvalidRequest(
            "the coupon definition is no longer valid when the promotion starts",
            code="coupon_definition_expired",
            field="effect.definition_id",
        )
    audience = doc["audience"]
    if isinstance(audience, dict):
        segment = audience["segment"]
        if segment in SEGMENTS:
            return Effect(kind, definition_id=d.terms.definition_id, audience={"segment": segment})
        if not segment.startswith(SEGMENT_TIER):
            raise InvalidRequest(
                f'a segment is one of {", ".join(SEGMENTS)} (docs/segments.md), or "tier:<tier name>"',
                code="unknown_segment",
                field="effect.audience",
            )
        tiers = store.snapshot(tiers=True).tiers or TierTable()
        if tiers.named(segment[len(SEGMENT_TIER) :]) is None:
            raise InvalidRequest(
                f"there is no membership tier {segment[len(SEGMENT_TIER) :]!r}",
                code="unknown_tier",
                field="effect.audience",
            )
        audience = {"segment": segment}
    return Effect(kind, definition_id=d.terms.definition_id, audience=audience)


@capture_method
def create(
    store: PromotionCreateStore,
    schedules: Any,
    cache: Any,
    policy: PromotionPolicy,
    principal: Principal,
    request: IdempotentRequest,
    body: dict[str, Any],
) -> Outcome:
    """Create a promotion and its two schedules (see the module's docstring for the order and what a
    failure leaves); the key replays the first answer."""
    previous = replay(store.get_idempotency(request.scope, request.key), request)
    if previous is not None:
        return previous
    merchant_id = body.get("merchant_id")
    if not principal.is_admin:
        if not principal.merchant_ids:
            raise Forbidden("an admin, or a merchant's staff for their merchant, creates promotions")
        if merchant_id is None:
            raise InvalidRequest(
                "a merchant's staff create promotions of their merchant: give merchant_id",
                code="merchant_id_required",
                field="merchant_id",
            )
        if merchant_id not in principal.merchant_ids:
            raise Forbidden("a merchant's staff create promotions of their own merchant only")
    now = clock.now()
    try:
        starts, ends = parse_time(body["starts_at"]), parse_time(body["ends_at"])
    except ValueError as exc:  # the shape is checked; a date like February 30th is not
        raise InvalidRequest(f"not a time: {exc}", code="invalid_request", field="starts_at/ends_at") from exc
    if ends <= starts:
        raise InvalidRequest("ends_at must be after starts_at", code="invalid_window", field="ends_at")
    if starts < now - timedelta(seconds=policy.clock_skew_seconds):
        raise InvalidRequest("starts_at is in the past", code="starts_in_past", field="starts_at")
    if ends <= now:
        raise InvalidRequest("ends_at is in the past", code="ends_in_past", field="ends_at")
    if ends - starts > timedelta(days=policy.max_days):
        raise InvalidRequest(
            f"a promotion runs at most {policy.max_days} days",
            code="promotion_too_long",
            field="ends_at",
            max_days=policy.max_days,
        )
    effect = _effect(store, principal, merchant_id, body["effect"], starts, ends)
    if merchant_id is not None:
        merchant = store.snapshot(merchant=merchant_id).merchant
        if merchant is None:
            raise NotFound("merchant", merchant_id)
    promotion = Promotion(
        promotion_id=promotion_id_for(starts, request.scope, request.key),
        name=body["name"],
        merchant_id=merchant_id,
        starts_at=format_time(starts),
        ends_at=format_time(ends),
        effect=effect,
        status="pending",
        created_at=format_time(now),
        created_by=principal.user_id,
        request_hash=request.request_hash,
    )
    if not store.put_pending_promotion(promotion):
        existing = present(store.get_promotion(promotion.promotion_id), "the promotion whose id was taken")
        if existing.request_hash != request.request_hash:
            raise IdempotencyKeyReused()
        if existing.status != "pending":  # a twin of this request completed it meanwhile: its answer
            previous = replay(store.get_idempotency(request.scope, request.key), request)
            return previous if previous is not None else Outcome(201, existing.as_view())
        promotion = existing  # an earlier attempt's: resume it
    try:
        schedules.create(promotion)
    except Exception as exc:
        logger.warning(
            "promotion schedules not created",
            extra={"promotion_id": promotion.promotion_id, "error": type(exc).__name__},
        )
        try:
            schedules.delete(promotion.promotion_id)
        except Exception:  # the pending promotion's schedules find it pending and do nothing
            logger.warning("promotion schedules not deleted", extra={"promotion_id": promotion.promotion_id})
        raise Unavailable(
            "the promotion's schedules could not be created; nothing is live; retry with the same Idempotency-Key",
            promotion_id=promotion.promotion_id,
        ) from exc
    at = format_time(clock.now())
    scheduled = with_status(promotion, "scheduled", at)
    try:
        outcome = record_once(
            store,
            request,
            Outcome(201, scheduled.as_view()),
            lambda record: store.confirm_promotion(promotion, at, record),
        )
    except VersionTaken as exc:  # cancelled while it was pending: its schedules are not needed
        try:
            schedules.delete(promotion.promotion_id)
        except Exception:  # they would find it cancelled and do nothing
            logger.warning("promotion schedules not deleted", extra={"promotion_id": promotion.promotion_id})
        raise PaymentStateConflict(
            "promotion_cancelled",
            "the promotion was cancelled while it was being created",
            promotion_id=promotion.promotion_id,
        ) from exc
    cache.forget_promotions()  # this function prices with it at once; others within the cache's time
    return outcome


# ---- read, cancel --------------------------------------------------------------------------


@capture_method
def list_promotions(store: Promotions, principal: Principal, merchant_id: str | None) -> dict[str, Any]:
    """Admins: all (or one merchant's); a merchant's staff: their merchants'."""
    if not (principal.is_admin or principal.merchant_ids):
        raise Forbidden("an admin, or a merchant's staff, lists promotions")
    if merchant_id is not None and not access.manages(principal, merchant_id):
        raise Forbidden("a merchant's staff list their own merchant's promotions")
    found = [
        p
        for p in store.list_promotions()
        if (
            p.merchant_id == merchant_id
            if merchant_id is not None
            else principal.is_admin or p.merchant_id in principal.merchant_ids
        )
    ]
    return {"promotions": [p.as_view() for p in sorted(found, key=lambda p: p.promotion_id, reverse=True)]}


@capture_method
def get_promotion(store: Promotions, principal: Principal, promotion_id: str) -> dict[str, Any]:
    return _visible(store.get_promotion(promotion_id), principal, promotion_id).as_view()


@capture_method
def cancel(
    store: Promotions, schedules: Any, cache: Any, principal: Principal, promotion_id: str, attempts: int = 5
) -> dict[str, Any]:
    """Cancel: status ``cancelled`` (conditioned on the version read), then its schedules deleted (one gone
    already is fine). Cancelling again answers the same and deletes again (what a failed deletion left);
    a promotion that has ended (by its end firing or by its time) is 409 ``promotion_ended``."""
    for _ in range(attempts):
        p = _visible(store.get_promotion(promotion_id), principal, promotion_id)
        if p.status == "cancelled":
            after = p
            break
        if p.status == "ended" or clock.now() >= parse_time(p.ends_at):
            raise PaymentStateConflict(
                "promotion_ended", f"promotion {promotion_id!r} has ended", promotion_id=promotion_id, ends_at=p.ends_at
            )
        at = format_time(clock.now())
        after = with_status(p, "cancelled", at, cancelled_at=at)
        if store.update_promotion(p, after):
            break
    else:
        raise ConcurrentUpdate(attempts)
    cache.forget_promotions()
    try:
        schedules.delete(promotion_id)
    except Exception as exc:
        raise Unavailable(
            "the promotion is cancelled (never priced again) but its schedules could not all be "
            "deleted; cancel again to retry",
            promotion_id=promotion_id,
        ) from exc
    return after.as_view()


# ---- the schedules' function ---------------------------------------------------------------


def fire(
    store: PromotionFireStore,
    policy: PromotionPolicy,
    promotion_id: str,
    action: str,
    time_left: Callable[[], float] | None = None,
    members: SegmentMembers | None = None,
) -> dict[str, Any]:
    """What a schedule does: ``start`` or ``end`` (see the module's docstring). ``members`` lists a named
    segment's customers (the profile store), for a promotion whose audience is one. Safe to run any number of
    times, at once too: every change is conditioned on the version read."""
    result: dict[str, Any] = {"promotion_id": promotion_id, "action": action}
    p = store.get_promotion(promotion_id)
    if p is None or action not in ("start", "end"):
        return {**result, "result": "ignored", "status": None if p is None else p.status}
    if action == "end":
        while p.status in ("scheduled", "active"):
            at = format_time(clock.now())
            if store.update_promotion(p, with_status(p, "ended", at, finished_at=at)):
                return {**result, "result": "ended", "status": "ended"}
            p = cast(Promotion, store.get_promotion(promotion_id))  # read above: a promotion is never deleted
        return {**result, "result": "ignored", "status": p.status}
    started = False
    while p.status == "scheduled":
        at = format_time(clock.now())
        grant = GrantProgress(state="running") if p.effect.kind == "grant_coupon" else p.grant
        after = with_status(p, "active", at, activated_at=at, grant=grant)
        if store.update_promotion(p, after):
            p, started = after, True
            break
        p = cast(Promotion, store.get_promotion(promotion_id))  # read above: a promotion is never deleted
    if p.effect.kind == "grant_coupon" and p.grant.state == "running" and p.status in ("active", "ended"):
        p = _grant(store, policy, p, time_left, members)
    return {
        **result,
        "result": "started" if started else "ignored",
        "status": p.status,
        **(
            {"grant": {"state": p.grant.state, "granted": p.grant.granted, "skipped": p.grant.skipped}}
            if p.effect.kind == "grant_coupon"
            else {}
        ),
    }


def _grant(
    store: PromotionFireStore,
    policy: PromotionPolicy,
    p: Promotion,
    time_left: Callable[[], float] | None,
    members: SegmentMembers | None,
) -> Promotion:
    """Grant page by page from the recorded position; each page's progress is written conditioned on the
    version read, so of two firings at once one records each page (the other re-reads and goes on from there)."""
    d = store.get_coupon_definition(cast(str, p.effect.definition_id))  # a grant_coupon effect names one
    segment = named_segment(p.effect.audience)
    by_tier = isinstance(p.effect.audience, dict) and segment is None
    tiers = (store.snapshot(tiers=True).tiers or TierTable()) if by_tier else TierTable()
    key = IdempotentRequest(scope=GRANT_SCOPE, key=p.promotion_id, request_hash="")
    while True:
        if time_left is not None and time_left() < policy.grant_margin_seconds:
            raise GrantIncomplete(p.promotion_id)
        now = clock.now()
        if segment is not None:
            if members is None:
                raise InvariantBroken("a segment's grant needs the segment's members")
            listed, after_page = members.members(segment, p.grant.cursor, policy.grant_page)
            users = [m["user_id"] for m in listed]
        else:
            wallets, after_page = store.scan_wallets(p.grant.cursor, policy.grant_page)
            users = [
                w.user_id
                for w in wallets
                if in_audience(
                    p.effect.audience,
                    w.spend_months,
                    w.spend_days,
                    now,
                    _tier_now(tiers, w, now) if by_tier else None,
                )
            ]
        granted, skipped = (
            grant_each(store, d, lambda u: coupon_id_for(d.terms.definition_id, key, u), users, now)
            if d is not None
            else (0, [{"user_id": u, "code": "definition_missing"} for u in users])
        )
        g = p.grant
        progress = GrantProgress(
            state="running" if after_page else "done",
            cursor=after_page,
            granted=g.granted + granted,
            skipped=g.skipped + len(skipped),
            pages=g.pages + 1,
        )
        after = replace(p, grant=progress, version=p.version + 1, updated_at=format_time(clock.now()))
        if store.update_promotion(p, after):
            p = after
        else:
            p = cast(Promotion, store.get_promotion(p.promotion_id))  # a promotion is never deleted
            if p.status == "cancelled":
                return p
        if p.grant.state == "done":
            logger.info(
                "promotion coupons granted",
                extra={"promotion_id": p.promotion_id, "granted": p.grant.granted, "skipped": p.grant.skipped},
            )
            return p


def _tier_now(tiers: TierTable, wallet: Any, now: datetime) -> str | None:
    tier, _ = effective(tiers, wallet.tier, wallet.spend_months, now, wallet.tier_since)
    return tier.name if tier is not None else None
