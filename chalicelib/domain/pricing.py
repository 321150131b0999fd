"""The one pricing function: what a checkout costs the customer's balance under the merchant's rules.

``price`` is pure and is the only place that decides amounts: the quote shows
its result and the payment commits it, so the two can never disagree.

How a checkout is priced (all amounts in fen, integers):
1. ``amount`` is the sum of the lines (priced by the merchant when it opened the checkout).
   A coupon named in the request comes off first (the eligible lines, once the
   minimum is met); then points; then balance.
2. Lines whose sku or category the rules exclude are never paid by balance;
   the rest make ``eligible_amount``.
3. Below ``min_order_amount`` (on the eligible lines) balance and points pay nothing.
   Points asked for pay first, on the eligible lines, at most
   ``max_share_percent`` of the order (whole points at ``point_value`` fen each).
4. ``covered`` is the part of the order balance pays for: the eligible amount left,
   lowered until the wallet can pay it after the balance-pay discount, then
   until the day's limit at this merchant allows it.
5. When something is left to pay (``external`` > 0) the payment is partial:
   if the rules allow it now and ``max_share_percent`` < 100, ``covered`` is
   capped at floor(amount x max_share_percent / 100).
6. The discounts are ``rules.discount(covered)``, the tier's and the best live
   promotion's extra discount (chalicelib.domain.promotions), each rounded down;
   together they stay within 90 % of ``covered`` (the promotion's part is lowered
   first, then the tier's: never below zero, so balance never pays less than 10 %
   of what it covers, and never a negative amount); the wallet
   pays ``balance = covered - all three``, drawn from the lots in the spend order;
   ``external = amount - points_value - covered``; ``points_to_earn`` is what
   ``balance`` earns once captured (times the tier's multiplier and the best live
   promotion's factor, rounded down once).
7. ``limits`` names every rule that kept balance from paying more; ``refusal``
   says why paying now would be refused: a partial payment the customer did not
   allow (the binding reason: min_order_not_met, excluded_items,
   daily_limit_exceeded, insufficient_balance), or one the merchant does not
   allow now (partial_payment_not_allowed), or nothing for balance to pay.
8. A payment with ``external`` > 0 or ``capture`` false is an authorization:
   ``status`` "authorized", the balance is put on hold until it is captured,
   voided, or expires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from .checkout import Checkout
from .coupons import Coupon, not_applicable
from .ledger import split_spend
from .money import Lots
from .points import PointsPolicy
from .promotions import Promotion, best_discount, best_multiplier, capped_promotion_discount, factor_text, live_for
from .rules import BalanceRules
from .tiers import Tier

MESSAGES = {
    "excluded_items": "some items cannot be paid with balance",
    "min_order_not_met": "the eligible items are below the merchant's minimum for paying with balance",
    "partial_payment_not_allowed": "the merchant does not accept a partial balance payment now",
    "partial_share_capped": "the merchant caps the share of a partial payment that balance may pay",
    "daily_limit": "the daily limit for balance payments at this merchant is reached",
    "insufficient_balance": "the balance does not cover the order",
    "points_capped": "points pay at most a share of an order, and only its eligible items",
    "insufficient_points": "the points account holds fewer available points than asked for",
    "coupon_not_applicable": "the coupon cannot be used on this order",
}


@dataclass(frozen=True)
class PayOptions:
    """What the customer asks for: points to spend, a combined payment, an authorization only."""

    allow_partial: bool = False
    capture: bool = True
    points: int = 0
    coupon_id: str | None = None


@dataclass(frozen=True)
class Funds:
    """What the customer can pay with now: the wallet's lots, the day's spend at this merchant, available points,
    and the coupon named in the request (found in the customer's own coupons)."""

    lots: Lots
    spent_today: int = 0
    points: int = 0
    coupon: Coupon | None = None
    tier: Tier | None = None  # the membership tier held now (its discount and points multiplier)


@dataclass(frozen=True)
class PricingPolicy:
    spend_order: tuple[str, ...] = ("bonus", "cash")
    points: PointsPolicy = PointsPolicy()


@dataclass(frozen=True)
class Limit:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Quote:
    amount: int
    eligible_amount: int
    covered: int
    discount: int
    balance: int
    funded_by: Lots
    external: int
    status: str  # succeeded | authorized
    rules_version: int
    local_day: str
    spent_today: int
    points: int = 0  # points spent
    points_value: int = 0  # what they pay, in fen
    points_to_earn: int = 0  # on what balance pays, once captured
    coupon_discount: int = 0
    tier_discount: int = 0
    tier: str | None = None
    promotion_discount: int = 0  # the live promotion's extra discount on what balance pays for
    promotion_id: str | None = None  # ... and that promotion
    points_promotion_id: str | None = None  # the live promotion whose factor multiplies the points earned
    points_factor_percent: int = 100  # ... and its factor, in percent
    limits: tuple[Limit, ...] = ()
    refusal: Limit | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def payable(self) -> bool:
        return self.refusal is None

    @property
    def discounts(self) -> list[dict[str, Any]]:
        out = [{"source": "coupon", "amount": self.coupon_discount}] if self.coupon_discount else []
        out += [{"source": "balance_pay", "amount": self.discount}] if self.discount else []
        out += [{"source": "tier", "amount": self.tier_discount}] if self.tier_discount else []
        return out + (
            [{"source": "promotion", "amount": self.promotion_discount, "promotion_id": self.promotion_id}]
            if self.promotion_discount
            else []
        )

    @property
    def promotions(self) -> list[dict[str, Any]]:
        """The promotions this price applies: what each did."""
        out: list[dict[str, Any]] = []
        if self.promotion_discount:
            out.append(
                {
                    "promotion_id": self.promotion_id,
                    "kind": "extra_balance_discount",
                    "amount": self.promotion_discount,
                    "factor": None,
                }
            )
        if self.points_promotion_id is not None:
            out.append(
                {
                    "promotion_id": self.points_promotion_id,
                    "kind": "points_multiplier",
                    "amount": None,
                    "factor": factor_text(self.points_factor_percent),
                }
            )
        return out

    @property
    def discount_total(self) -> int:
        return self.discount + self.coupon_discount + self.tier_discount + self.promotion_discount

    def as_view(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "eligible_amount": self.eligible_amount,
            "discounts": self.discounts,
            "discount_total": self.discount_total,
            "balance": self.balance,
            "funded_by": self.funded_by.as_dict(),
            "external": self.external,
            "points": self.points,
            "points_value": self.points_value,
            "points_to_earn": self.points_to_earn,
            "tier": self.tier,
            "promotions": self.promotions,
            "status": self.status if self.payable else None,  # no payment would be made
            "rules_version": self.rules_version,
            "limits": [lim.as_dict() for lim in self.limits],
            "payable": self.payable,
            "refusal": self.refusal.as_dict() if self.refusal else None,
        }


def _largest(upper: int, fits: Any) -> int:
    """The largest v in [0, upper] with fits(v), for fits monotone (true up to a point, false after)."""
    lo, hi = 0, upper
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def price(
    checkout: Checkout,
    rules: BalanceRules,
    funds: Funds,
    now: datetime,
    options: PayOptions,
    policy: PricingPolicy,
    promotions: Sequence[Promotion] = (),
) -> Quote:
    """Price ``checkout`` for its customer at ``now`` (see the module's docstring for every step).
    ``promotions`` may hold any promotions: only those live at ``now`` for the checkout's merchant apply."""
    wallet, spent_today = funds.lots, funds.spent_today
    amount = checkout.amount
    eligible = sum(line.total for line in checkout.lines if not rules.excludes(line.sku, line.category))
    limits: list[str] = []
    if eligible < amount:
        limits.append("excluded_items")
    usable = eligible
    if eligible < rules.min_order_amount:
        usable = 0
        limits.append("min_order_not_met")

    # a coupon first: off the eligible lines (once the minimum is met)
    coupon_discount, coupon_problem = 0, None
    if options.coupon_id is not None and funds.coupon is not None:
        coupon_problem = not_applicable(funds.coupon, checkout.merchant_id, eligible, now)
        if coupon_problem is None and usable > 0:
            coupon_discount = funds.coupon.terms.discount_on(usable)
            usable -= coupon_discount
    # then points, on the eligible lines, within their share of the order
    pp = policy.points
    points = min(options.points, funds.points, min(usable, amount * pp.max_share_percent // 100) // pp.point_value)
    if points < options.points <= funds.points:
        limits.append("points_capped")
    points_value = points * pp.point_value
    usable -= points_value

    tier = funds.tier
    live = live_for(promotions, checkout.merchant_id, now)

    def discounts_on(v: int) -> tuple[int, int, int]:  # the merchant's balance-pay discount, the tier's, a promotion's
        merchant = rules.discount(v)
        by_tier = capped_promotion_discount(tier.discount(v), v, merchant) if tier else 0  # within the same cap
        return merchant, by_tier, capped_promotion_discount(best_discount(live, v)[1], v, merchant + by_tier)

    def pays(v: int) -> int:  # what the wallet pays to cover v fen of the order; non-decreasing in v
        return v - sum(discounts_on(v))

    covered = _largest(usable, lambda v: pays(v) <= wallet.total)
    short_of_balance = covered < usable
    day_left = None if rules.daily_limit is None else max(0, rules.daily_limit - spent_today)
    by_day = covered if day_left is None else _largest(covered, lambda v: pays(v) <= day_left)
    short_of_day = by_day < covered
    covered = by_day
    if short_of_day:
        limits.append("daily_limit")
    if short_of_balance:
        limits.append("insufficient_balance")

    local = rules.local(now)
    partial_allowed = rules.partial_pay.allowed_at(local)
    partial = covered + points_value + coupon_discount < amount
    if partial and partial_allowed and rules.partial_pay.max_share_percent < 100:
        share_cap = amount * rules.partial_pay.max_share_percent // 100
        if covered > share_cap:
            covered = share_cap
            limits.append("partial_share_capped")
    if partial and not partial_allowed:
        limits.append("partial_payment_not_allowed")

    discount, tier_discount, promotion_discount = discounts_on(covered)
    promotion = best_discount(live, covered)[0] if promotion_discount else None
    multiplier = best_multiplier(live)
    balance = covered - discount - tier_discount - promotion_discount
    funded_by = split_spend(wallet, balance, policy.spend_order) if balance > 0 else Lots()
    external = amount - coupon_discount - points_value - covered
    if (
        coupon_problem is None
        and coupon_discount
        and funds.coupon is not None
        and funds.coupon.terms.balance_pay_only
        and external > 0
    ):
        coupon_problem = "the coupon is only for orders paid in full from balance"

    refusal: tuple[str, str] | None = None
    if coupon_problem is not None:
        refusal = ("coupon_not_applicable", f"{MESSAGES['coupon_not_applicable']}: {coupon_problem}")
    elif options.points > funds.points:
        limits.append("insufficient_points")
        refusal = ("insufficient_points", MESSAGES["insufficient_points"])
    elif external > 0 and not options.allow_partial:
        binding = next(
            code
            for code in ("min_order_not_met", "excluded_items", "daily_limit", "insufficient_balance")
            if code in limits
        )
        code = "daily_limit_exceeded" if binding == "daily_limit" else binding
        refusal = (code, MESSAGES[binding] + "; pay the rest another way with allow_partial")
    elif external > 0 and not partial_allowed:
        refusal = ("partial_payment_not_allowed", MESSAGES["partial_payment_not_allowed"])
    elif covered + points_value + coupon_discount == 0:
        binding = next(
            (c for c in ("min_order_not_met", "excluded_items", "daily_limit", "insufficient_balance") if c in limits),
            "insufficient_balance",
        )
        code = "daily_limit_exceeded" if binding == "daily_limit" else binding
        refusal = (code, MESSAGES[binding] + "; balance can pay nothing of this order")
    status = "succeeded" if external == 0 and options.capture else "authorized"
    return Quote(
        amount=amount,
        eligible_amount=eligible,
        covered=covered,
        discount=discount,
        balance=balance,
        funded_by=funded_by,
        external=external,
        status=status,
        rules_version=rules.version,
        local_day=rules.local_day(now),
        spent_today=spent_today,
        points=points,
        points_value=points_value,
        points_to_earn=pp.earned(
            balance, tier.multiplier_percent if tier else 100, multiplier.effect.factor_percent if multiplier else 100
        ),
        coupon_discount=coupon_discount,
        tier_discount=tier_discount,
        tier=tier.name if tier else None,
        promotion_discount=promotion_discount,
        promotion_id=promotion.promotion_id if promotion else None,
        points_promotion_id=multiplier.promotion_id if multiplier else None,
        points_factor_percent=multiplier.effect.factor_percent if multiplier else 100,
        limits=tuple(Limit(c, MESSAGES[c]) for c in limits),
        refusal=Limit(*refusal) if refusal else None,
        details=(
            {"requested": options.points, "available": funds.points}
            if refusal and refusal[0] == "insufficient_points"
            else {"coupon_id": options.coupon_id, "reason": coupon_problem}
            if refusal and refusal[0] == "coupon_not_applicable"
            else _details(refusal[0] if refusal else None, amount, eligible, pays(usable), wallet, rules, spent_today)
        ),
    )


def _details(
    code: str | None, amount: int, eligible: int, needed: int, wallet: Lots, rules: BalanceRules, spent_today: int
) -> dict[str, Any]:
    """What a refusal's caller needs to act on it (``needed``: what the wallet must hold to pay all it may)."""
    if code == "insufficient_balance":
        return {"needed": needed, "available": wallet.total}
    if code == "daily_limit_exceeded":
        return {"daily_limit": rules.daily_limit, "spent_today": spent_today}
    if code == "min_order_not_met":
        return {"min_order_amount": rules.min_order_amount, "eligible_amount": eligible}
    if code == "excluded_items":
        return {"amount": amount, "eligible_amount": eligible}
    return {}
