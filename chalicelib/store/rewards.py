"""The points catalogue and its redemptions: ``REWARDS / RW#{reward}`` (stock is what is left) and
``RW#{reward} / BY#{user}`` (how many times a customer redeemed it).

A redemption is one transaction of its own: the points (conditioned on the account's version), the stock,
the customer's count, the coupon it grants and the request's key.
"""

from __future__ import annotations

from ..domain.coupons import Redemption, Reward
from ..domain.errors import IdempotencyKeyTaken, OutOfStock, PaymentRefused, ReadChanged
from .base import StoreBase
from .coupons import coupon_put
from .guards import Cancelled, Change, Guarded, Write
from .idempotency import idempotency_put
from .keys import REWARD_PREFIX, REWARDS_PK, redemptions_key, reward_key, wallet_key
from .models import RedemptionsItem, RewardItem, WalletItem
from .points import points_entry_put, points_version_is


def as_reward(item: RewardItem) -> Reward:
    return Reward(
        reward_id=item.reward_id,
        name=item.name,
        kind=item.reward_kind,
        points_cost=int(item.points_cost),
        coupon_definition_id=item.coupon_definition_id,
        stock=int(item.stock),
        per_customer_limit=int(item.per_customer_limit),
        active=bool(item.active),
    )


def _redemption_writes(r: Redemption) -> list[Write]:
    w, pe = r.wallet, r.points_entry
    writes: list[Write] = [
        Change(
            "wallet",
            WalletItem(*wallet_key(w.user_id)),
            [
                WalletItem.kind.set("wallet"),
                WalletItem.user_id.set(w.user_id),
                WalletItem.currency.set(WalletItem.currency | w.currency),
                WalletItem.cash.set(WalletItem.cash | 0),
                WalletItem.bonus.set(WalletItem.bonus | 0),
                WalletItem.version.set(WalletItem.version | 0),
                WalletItem.points.set(pe.after.as_doc()),
                WalletItem.points_version.set(pe.seq),
            ],
            points_version_is(w.points.version),
        ),
        points_entry_put(pe, spend_only=True),
        Change(
            "reward",
            RewardItem(*reward_key(r.reward.reward_id)),
            [RewardItem.stock.add(-1)],
            RewardItem.pk.exists() & (RewardItem.stock >= 1) & (RewardItem.active == True),  # noqa: E712
        ),
        Change(
            "redemptions",
            RedemptionsItem(*redemptions_key(r.reward.reward_id, w.user_id)),
            [RedemptionsItem.kind.set("redemptions"), RedemptionsItem.redeemed.add(1)],
            RedemptionsItem.redeemed.does_not_exist() | (RedemptionsItem.redeemed < r.reward.per_customer_limit),
        ),
    ]
    if r.coupon is not None:
        writes.append(coupon_put(r.coupon))
    return writes


class RewardStore(StoreBase):
    def put_reward(self, reward: Reward, at: str) -> None:
        RewardItem(
            *reward_key(reward.reward_id),
            kind="reward",
            reward_id=reward.reward_id,
            name=reward.name,
            reward_kind=reward.kind,
            points_cost=reward.points_cost,
            coupon_definition_id=reward.coupon_definition_id,
            stock=reward.stock,
            per_customer_limit=reward.per_customer_limit,
            active=reward.active,
            updated_at=at,
        ).save()

    def list_rewards(self) -> list[Reward]:
        return [
            as_reward(i)
            for i in RewardItem.query(REWARDS_PK, RewardItem.sk.startswith(REWARD_PREFIX), consistent_read=True)
        ]

    def redeem(self, r: Redemption) -> None:
        """One transaction: the points (conditioned on the account's version), the reward's stock (>= 1, active),
        the customer's count (< limit), the coupon it grants, the key. Raises what failed."""
        try:
            with Guarded(self._connection) as tx:
                tx.send([idempotency_put(r.idempotency, self._ttl), *_redemption_writes(r)])
        except Cancelled as exc:
            if "idempotency" in exc.failed:
                raise IdempotencyKeyTaken() from exc
            if exc.condition_failed("reward"):
                raise OutOfStock(r.reward.reward_id) from exc
            if exc.condition_failed("redemptions"):
                raise PaymentRefused(
                    "redemption_limit_reached",
                    "this reward's limit per customer is reached",
                    reward_id=r.reward.reward_id,
                ) from exc
            raise ReadChanged(None) from exc  # the points moved (or a conflict): re-read and retry
