"""The points catalogue: rewards operators set up, and customers redeem with their points."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from typing import Any

from ..domain.coupons import Coupon, Redemption, Reward
from ..domain.errors import ConcurrentUpdate, Forbidden, InvalidRequest, NotFound, PaymentRefused, ReadChanged
from ..domain.model import Principal, new_id
from ..domain.points import PointsEntry
from ..observability import capture_method
from . import clock
from .common import IdempotentRequest, LedgerPolicy, Outcome, record_once, replay, wallet_or_empty
from .ports import RedeemStore, Rewards, RewardSetupStore


@capture_method
def put_reward(store: RewardSetupStore, principal: Principal, reward_id: str, body: dict[str, Any]) -> dict[str, Any]:
    if not principal.is_admin:
        raise Forbidden("an admin sets up the rewards catalogue")
    if body["kind"] == "coupon":
        if not body.get("coupon_definition_id"):
            raise InvalidRequest("a coupon reward names its coupon_definition_id", field="coupon_definition_id")
        if store.get_coupon_definition(body["coupon_definition_id"]) is None:
            raise NotFound("coupon_definition", body["coupon_definition_id"])
    elif body.get("coupon_definition_id"):
        raise InvalidRequest("only a coupon reward names a coupon_definition_id", field="coupon_definition_id")
    reward = Reward(
        reward_id=reward_id,
        name=body["name"],
        kind=body["kind"],
        points_cost=body["points_cost"],
        coupon_definition_id=body.get("coupon_definition_id"),
        stock=body["stock"],
        per_customer_limit=body["per_customer_limit"],
        active=body["active"],
    )
    store.put_reward(reward, clock.stamp())
    return reward.as_view()


@capture_method
def list_rewards(store: Rewards, principal: Principal) -> dict[str, Any]:
    """The catalogue: every active reward (admins also see the inactive ones)."""
    rewards = [r for r in store.list_rewards() if r.active or principal.is_admin]
    return {"rewards": [r.as_view() for r in sorted(rewards, key=lambda r: (r.points_cost, r.reward_id))]}


@capture_method
def redeem(
    store: RedeemStore, policy: LedgerPolicy, principal: Principal, request: IdempotentRequest, reward_id: str
) -> Outcome:
    """Spend the reward's points for it. Invariants: points never below zero, stock never below zero, the
    per-customer limit never passed, all in one transaction with the key (exactly once)."""
    user_id = principal.user_id
    for attempt in range(policy.max_attempts):
        snap = store.snapshot(
            wallet=user_id, reward=reward_id, redemptions=(reward_id, user_id), idempotency=(request.scope, request.key)
        )
        previous = replay(snap.idempotency, request)
        if previous is not None:
            return previous
        reward = snap.reward
        if reward is None or not reward.active:
            raise NotFound("reward", reward_id)
        if (snap.redemptions or 0) >= reward.per_customer_limit:
            raise PaymentRefused(
                "redemption_limit_reached",
                "this reward's limit per customer is reached",
                reward_id=reward_id,
                limit=reward.per_customer_limit,
            )
        wallet = wallet_or_empty(snap.wallet, user_id, policy.currency)
        now = clock.now()
        account = wallet.points.matured(now)
        if account.available < reward.points_cost:
            raise PaymentRefused(
                "insufficient_points",
                "the points account holds fewer available points than the reward costs",
                needed=reward.points_cost,
                available=account.available,
            )
        coupon = None
        if reward.kind == "coupon":
            definition = store.snapshot(coupon_definition=reward.coupon_definition_id).coupon_definition
            if definition is None:
                raise NotFound("coupon_definition", reward.coupon_definition_id or "")
            coupon = Coupon(
                coupon_id=new_id("cpn"),
                user_id=user_id,
                terms=definition.terms,
                state="available",
                granted_at=clock.stamp(),
            )
        seq = wallet.points.version + 1
        entry = PointsEntry(
            user_id=user_id,
            seq=seq,
            entry_id=new_id("pte"),
            type="redemption",
            after=replace(account, available=account.available - reward.points_cost, version=seq),
            created_at=clock.stamp(),
            spent=reward.points_cost,
            refs={"reward_id": reward_id},
        )
        body = {
            "redemption_id": entry.entry_id,
            "reward_id": reward_id,
            "points_spent": reward.points_cost,
            "points_available": entry.after.available,
            "coupon_id": coupon.coupon_id if coupon else None,
        }
        try:
            return record_once(
                store,
                request,
                Outcome(201, body),
                lambda rec: store.redeem(
                    Redemption(wallet=wallet, reward=reward, points_entry=entry, idempotency=rec, coupon=coupon)  # noqa: B023
                ),
            )
        except ReadChanged:  # the points account moved meanwhile: read again
            time.sleep(random.uniform(0, min(0.25, 0.002 * (2**attempt))))  # nosec B311 - retry jitter, not security
    raise ConcurrentUpdate(policy.max_attempts)
