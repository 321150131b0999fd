"""A backtest: a merchant's past checkouts priced again, once under the configuration it has and once under a
proposed one, through the one pricing function (``pricing.price``) that quotes and payments use. Pure: no I/O.

What a past checkout is made of (``PastCheckout``): the priced lines, the moment and the customer's funds as the
checkout's last quote recorded them while it was open (``checkout.quoted``: cash, bonus, available points, the
day's balance spend at the merchant), what the customer asked for (points, a partial payment, their own coupon)
and their tier then.

How each checkout is replayed, under each configuration (``replay``):
- the customer asks for what they asked for, but never for more points than they hold, and a coupon of theirs
  that does not apply is left out (they would have paid without it);
- under the proposal, a customer's funds carry what the proposal changed in their earlier replayed payments:
  what it made them pay more (or less) by balance, per lot, and in points, comes off (or back onto) what their
  later quotes recorded, and the same for the day's spend at the merchant (``Drift``);
- a proposed coupon definition (``Configuration.coupon``) is taken as held by every customer, as many as its
  ``per_customer_limit``, from the period's start and whatever its validity window: each is used on the
  customer's first checkouts it applies to and takes something off (a checkout that named a coupon of its own
  keeps that one), while its budget (count and amount, over every customer, in time order) lasts;
- a proposed promotion applies over the whole period, beside the promotions the merchant had then (each in its
  own window), the best of a kind winning as in pricing.

The replay then counts, per configuration (``Totals``): the checkouts the customer could pay as they asked
(``payable``) and those balance, points and coupon pay in full (``fully_payable``: nothing left to pay outside),
what balance paid of the orders' amounts, the discounts given (their cost), the points spent and issued (the
liability they add), the customers who could pay; and the difference: the checkouts that become or stop being
payable in full by balance, and the customers any of whose checkouts priced otherwise.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Sequence

from .checkout import Checkout, Line
from .coupons import Coupon, CouponDefinition
from .money import Lots
from .moments import format_time, parse_time
from .pricing import Funds, PayOptions, PricingPolicy, Quote, price
from .promotions import Effect, Promotion
from .rules import BalanceRules
from .tiers import TierTable

ALWAYS_FROM, ALWAYS_TO = "2000-01-01T00:00:00.000Z", "2999-12-31T23:59:59.000Z"  # a window the replay never leaves
PROPOSED_COUPON_ID = "proposed-coupon"
PROPOSED_PROMOTION_ID = "proposed-promotion"
EXAMPLES = 20  # changed checkouts a report lists
NOT_OPEN_REFUSALS = ("order_already_paid", "checkout_expired", "checkout_cancelled")  # quotes the replay skips


@dataclass(frozen=True)
class PastCheckout:
    """One checkout as its last open quote recorded it."""

    checkout: Checkout
    at: datetime
    lots: Lots  # the customer's spendable cash and bonus then
    points_available: int
    spent_today: int  # balance spent at the merchant that local day, before this checkout
    points: int = 0  # points the customer asked to spend
    allow_partial: bool = False
    coupon: Coupon | None = None  # the customer's own coupon the quote named, as it was (available)
    tier: str | None = None
    paid: bool = False  # its order was paid (payment.succeeded): what happened, for comparison
    balance_paid: int = 0  # ... and what balance paid then

    @property
    def user_id(self) -> str:
        return self.checkout.user_id


@dataclass(frozen=True)
class Configuration:
    """What prices a merchant's checkout: its rules, the tiers, the promotions, and (a proposal's) a coupon
    definition every customer is taken to hold."""

    rules: BalanceRules
    tiers: TierTable = TierTable()
    promotions: tuple[Promotion, ...] = ()
    coupon: CouponDefinition | None = None


# ---- building the configurations ---------------------------------------------------------------------------


def as_replayed(p: Promotion) -> Promotion | None:
    """A promotion as it applied in the past: live over its window if it was scheduled, active or ended; a
    cancelled one up to its cancellation, if that came after its start; never if it stayed pending. (Pricing
    applies a promotion only while scheduled or active: the past ones are ended now.)"""
    if p.status in ("scheduled", "active", "ended"):
        return replace(p, status="active")
    if p.status == "cancelled" and p.cancelled_at and p.cancelled_at > p.starts_at:
        return replace(p, status="active", ends_at=min(p.ends_at, p.cancelled_at))
    return None


def proposed_promotion(merchant_id: str, effect: Effect, name: str | None, at: str) -> Promotion:
    """The proposal's promotion: at this merchant, live over the whole replayed period."""
    return Promotion(
        promotion_id=PROPOSED_PROMOTION_ID,
        name=name or "proposed promotion",
        merchant_id=merchant_id,
        starts_at=ALWAYS_FROM,
        ends_at=ALWAYS_TO,
        effect=effect,
        status="active",
        created_at=at,
        created_by="backtest",
    )


def proposed(
    current: Configuration, rules: BalanceRules | None, coupon: CouponDefinition | None, promotion: Promotion | None
) -> Configuration:
    """The current configuration with what a proposal changes: the rules (a whole document, as the rules' route
    takes it), a coupon definition every customer holds, a promotion over the period."""
    return Configuration(
        rules=rules or current.rules,
        tiers=current.tiers,
        promotions=current.promotions + ((promotion,) if promotion else ()),
        coupon=coupon,
    )


# ---- reading a past checkout ----------------------------------------------------------------------------------


def past_checkout(row: dict[str, Any], merchant_id: str, coupon: Coupon | None = None) -> PastCheckout:
    """A row of the ``backtest_checkouts`` analysis (one quoted checkout) as the replay takes it; ``coupon``: the
    customer's coupon the quote named, as the ledger holds it (None: it named none, or the coupon is gone)."""
    lines = tuple(
        Line(str(x["sku"]), str(x["category"]), int(x["unit_price"]), int(x["quantity"])) for x in _lines(row["lines"])
    )
    return PastCheckout(
        checkout=Checkout(
            checkout_id=str(row["checkout_id"]),
            merchant_id=merchant_id,
            order_id="",
            user_id=str(row["user_id"]),
            lines=lines,
            status="open",
            created_at="",
            expires_at=ALWAYS_TO,
        ),
        at=parse_time(str(row["occurred_at"])),
        lots=Lots(int(row["cash"] or 0), int(row["bonus"] or 0)),
        points_available=int(row["points_available"] or 0),
        spent_today=int(row["spent_today"] or 0),
        points=int(row["points"] or 0),
        allow_partial=bool(row["allow_partial"]),
        coupon=replace(coupon, state="available") if coupon is not None else None,
        tier=row.get("tier") or None,
        paid=bool(row.get("paid")),
        balance_paid=int(row.get("balance_paid") or 0),
    )


def _lines(value: Any) -> list[dict[str, Any]]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


# ---- one checkout priced -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Priced:
    """What one configuration's price of one checkout came to, as the report counts it."""

    payable: bool  # the customer could pay it as they asked
    full: bool  # ... and nothing was left to pay outside the wallet, points and coupon
    balance: int
    funded_by: Lots
    points: int  # spent
    points_to_earn: int
    discounts: tuple[int, int, int, int]  # balance_pay, tier, promotion, coupon
    refusal: str | None
    proposed_coupon: bool = False  # it used the proposal's coupon

    @property
    def discount_total(self) -> int:
        return sum(self.discounts)

    def differs(self, other: "Priced") -> bool:
        return (self.payable, self.full, self.balance, self.points, self.points_to_earn, self.discount_total) != (
            other.payable,
            other.full,
            other.balance,
            other.points,
            other.points_to_earn,
            other.discount_total,
        )

    def as_view(self) -> dict[str, Any]:
        return {
            "payable": self.payable,
            "fully_payable": self.full,
            "balance": self.balance,
            "discount": self.discount_total,
            "points_spent": self.points,
            "points_issued": self.points_to_earn,
            "refusal": self.refusal,
        }


def _priced(q: Quote, proposed_coupon: bool = False) -> Priced:
    payable = q.refusal is None
    return Priced(
        payable=payable,
        full=payable and q.external == 0,
        balance=q.balance if payable else 0,
        funded_by=q.funded_by if payable else Lots(),
        points=q.points if payable else 0,
        points_to_earn=q.points_to_earn if payable else 0,
        discounts=((q.discount, q.tier_discount, q.promotion_discount, q.coupon_discount) if payable else (0, 0, 0, 0)),
        refusal=q.refusal.code if q.refusal else None,
        proposed_coupon=proposed_coupon and payable and q.coupon_discount > 0,
    )


@dataclass
class CouponHoldings:
    """The proposal's coupon: how many each customer has left, and its budget left (None: no budget)."""

    definition: CouponDefinition
    used: dict[str, int] = field(default_factory=dict)
    count_left: int | None = None
    amount_left: int | None = None

    @classmethod
    def of(cls, d: CouponDefinition) -> "CouponHoldings":
        return cls(d, count_left=d.budget_count, amount_left=d.budget_amount)

    def coupon_for(self, user_id: str) -> Coupon | None:
        if self.used.get(user_id, 0) >= self.definition.per_customer_limit or self.count_left == 0:
            return None
        terms = replace(self.definition.terms, valid_from=ALWAYS_FROM, valid_to=ALWAYS_TO)
        return Coupon(PROPOSED_COUPON_ID, user_id, terms, "available", ALWAYS_FROM)

    def affords(self, discount: int) -> bool:
        return self.amount_left is None or discount <= self.amount_left

    def use(self, user_id: str, discount: int) -> None:
        self.used[user_id] = self.used.get(user_id, 0) + 1
        if self.count_left is not None:
            self.count_left -= 1
        if self.amount_left is not None:
            self.amount_left -= discount


def price_past(
    c: PastCheckout,
    config: Configuration,
    policy: PricingPolicy,
    lots: Lots | None = None,
    points_available: int | None = None,
    spent_today: int | None = None,
    holdings: CouponHoldings | None = None,
) -> Priced:
    """Price one past checkout under ``config`` with the funds given (the recorded ones by default), as the
    customer would have paid it (see the module's docstring)."""
    lots = c.lots if lots is None else lots
    held = c.points_available if points_available is None else points_available
    funds = Funds(
        lots,
        c.spent_today if spent_today is None else spent_today,
        held,
        c.coupon,
        config.tiers.named(c.tier) if c.tier else None,
    )
    points = min(c.points, held)

    def at(f: Funds, coupon_id: str | None) -> Quote:
        options = PayOptions(allow_partial=c.allow_partial, capture=True, points=points, coupon_id=coupon_id)
        return price(c.checkout, config.rules, f, c.at, options, policy, config.promotions)

    if c.coupon is not None:
        q = at(funds, c.coupon.coupon_id)
        if q.refusal is None or q.refusal.code != "coupon_not_applicable":
            return _priced(q)
        funds = replace(funds, coupon=None)  # it does not apply: paid without it
    elif holdings is not None:
        offered = holdings.coupon_for(c.user_id)
        if offered is not None:
            q = at(replace(funds, coupon=offered), offered.coupon_id)
            if q.refusal is None and q.coupon_discount > 0 and holdings.affords(q.coupon_discount):
                holdings.use(c.user_id, q.coupon_discount)
                return _priced(q, proposed_coupon=True)
            funds = replace(funds, coupon=None)
    return _priced(at(funds, None))


# ---- the carry-over of earlier changes ------------------------------------------------------------------------


@dataclass
class Drift:
    """What the proposal changed so far in what a customer paid: per lot, in points, per local day."""

    lots: Lots = Lots()
    points: int = 0
    days: dict[str, int] = field(default_factory=dict)

    def funds(self, c: PastCheckout, day: str) -> tuple[Lots, int, int]:
        lots = Lots(max(0, c.lots.cash - self.lots.cash), max(0, c.lots.bonus - self.lots.bonus))
        return lots, max(0, c.points_available - self.points), max(0, c.spent_today + self.days.get(day, 0))

    def add(self, current: Priced, proposed: Priced, day: str) -> None:
        self.lots = self.lots + proposed.funded_by - current.funded_by
        self.points += proposed.points - current.points
        self.days[day] = self.days.get(day, 0) + proposed.balance - current.balance


# ---- the totals --------------------------------------------------------------------------------------------


@dataclass
class Totals:
    """One configuration's figures over the replayed checkouts."""

    checkouts: int = 0
    amount: int = 0
    payable: int = 0
    fully_payable: int = 0
    balance_paid: int = 0
    discounts: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # balance_pay, tier, promotion, coupon
    points_spent: int = 0
    points_issued: int = 0
    coupons_used: int = 0
    customers: set[str] = field(default_factory=set)

    def add(self, c: PastCheckout, p: Priced) -> None:
        self.checkouts += 1
        self.amount += c.checkout.amount
        if not p.payable:
            return
        self.payable += 1
        self.fully_payable += p.full
        self.balance_paid += p.balance
        for i, d in enumerate(p.discounts):
            self.discounts[i] += d
        self.points_spent += p.points
        self.points_issued += p.points_to_earn
        self.coupons_used += p.discounts[3] > 0
        self.customers.add(c.user_id)

    def merged(self, other: "Totals") -> "Totals":
        """These totals and ``other``'s, over customers of their own (each customer in one of them only)."""
        return Totals(
            checkouts=self.checkouts + other.checkouts,
            amount=self.amount + other.amount,
            payable=self.payable + other.payable,
            fully_payable=self.fully_payable + other.fully_payable,
            balance_paid=self.balance_paid + other.balance_paid,
            discounts=[a + b for a, b in zip(self.discounts, other.discounts)],
            points_spent=self.points_spent + other.points_spent,
            points_issued=self.points_issued + other.points_issued,
            coupons_used=self.coupons_used + other.coupons_used,
            customers=self.customers | other.customers,
        )

    def as_view(self, point_value: int) -> dict[str, Any]:
        balance_pay, tier, promotion, coupon = self.discounts
        return {
            "checkouts": self.checkouts,
            "amount": self.amount,
            "payable": self.payable,
            "fully_payable": self.fully_payable,
            "balance_paid": self.balance_paid,
            "balance_share_bp": share_bp(self.balance_paid, self.amount),
            "discount_cost": sum(self.discounts),
            "discounts": {"balance_pay": balance_pay, "tier": tier, "promotion": promotion, "coupon": coupon},
            "coupons_used": self.coupons_used,
            "points_spent": self.points_spent,
            "points_issued": self.points_issued,
            "points_liability": self.points_issued * point_value,
            "customers": len(self.customers),
        }


def share_bp(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` in basis points, rounded down; None when ``whole`` is 0."""
    return part * 10000 // whole if whole else None


def _difference(current: dict[str, Any], proposed: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in proposed.items():
        before = current[key]
        if isinstance(value, dict):
            out[key] = _difference(before, value)
        elif value is None or before is None:
            out[key] = None
        else:
            out[key] = value - before
    return out


@dataclass(frozen=True)
class Replay:
    """Both configurations' totals and what changed, checkout by checkout."""

    current: Totals
    proposed: Totals
    became_payable: int
    stopped_being_payable: int
    changed: int
    customers_affected: int
    examples: tuple[dict[str, Any], ...]
    recorded: dict[str, int]

    def as_view(self, point_value: int) -> dict[str, Any]:
        current, proposed = self.current.as_view(point_value), self.proposed.as_view(point_value)
        return {
            "current": current,
            "proposed": proposed,
            "difference": {
                **_difference(current, proposed),
                "became_payable": self.became_payable,
                "stopped_being_payable": self.stopped_being_payable,
                "checkouts_changed": self.changed,
                "customers_affected": self.customers_affected,
            },
            "recorded": self.recorded,
            "examples": list(self.examples),
        }


def by_customer(checkouts: Iterable[PastCheckout], parts: int) -> list[list[PastCheckout]]:
    """The checkouts in ``parts`` groups, every customer's in one group (a stable hash of the customer's id): the
    replay of each group is the replay of its customers alone, as long as no budget is shared between customers
    (the proposal's coupon's)."""
    groups: list[list[PastCheckout]] = [[] for _ in range(parts)]
    for c in checkouts:
        groups[zlib.crc32(c.user_id.encode()) % parts].append(c)
    return groups


def shares_a_budget(config: Configuration) -> bool:
    """Whether replaying one customer's checkouts depends on other customers' (a coupon budget spent by all)."""
    d = config.coupon
    return d is not None and (d.budget_count is not None or d.budget_amount is not None)


def merged(parts: Sequence["Replay"], examples: int = EXAMPLES) -> "Replay":
    """The replays of groups of customers (``by_customer``) as one: their sums, the first examples of all."""
    first, *rest = parts
    now, then = first.current, first.proposed
    for r in rest:
        now, then = now.merged(r.current), then.merged(r.proposed)
    shown = sorted((e for r in parts for e in r.examples), key=lambda e: (e["at"], e["checkout_id"]))[:examples]
    return Replay(
        current=now,
        proposed=then,
        became_payable=sum(r.became_payable for r in parts),
        stopped_being_payable=sum(r.stopped_being_payable for r in parts),
        changed=sum(r.changed for r in parts),
        customers_affected=sum(r.customers_affected for r in parts),
        examples=tuple(shown),
        recorded={k: sum(r.recorded[k] for r in parts) for k in first.recorded},
    )


def replay(
    checkouts: Iterable[PastCheckout],
    current: Configuration,
    proposed_config: Configuration,
    policy: PricingPolicy,
    examples: int = EXAMPLES,
) -> Replay:
    """Every checkout priced under both configurations, in time order (see the module's docstring).

    Invariants: each checkout is counted once under each configuration; a proposal equal to the current
    configuration changes nothing (the same function on the same inputs), so its difference is zero."""
    ordered: Sequence[PastCheckout] = sorted(checkouts, key=lambda c: (c.at, c.checkout.checkout_id))
    now, then = Totals(), Totals()
    holdings = CouponHoldings.of(proposed_config.coupon) if proposed_config.coupon is not None else None
    drift: dict[str, Drift] = {}
    became = stopped = changed = 0
    affected: set[str] = set()
    shown: list[dict[str, Any]] = []
    recorded = {"paid": 0, "balance_paid": 0}
    for c in ordered:
        before = price_past(c, current, policy)
        carried = drift.setdefault(c.user_id, Drift())
        day = proposed_config.rules.local_day(c.at)
        lots, points, spent = carried.funds(c, day)
        after = price_past(c, proposed_config, policy, lots, points, spent, holdings)
        carried.add(before, after, day)
        now.add(c, before)
        then.add(c, after)
        recorded["paid"] += c.paid
        recorded["balance_paid"] += c.balance_paid if c.paid else 0
        became += after.full and not before.full
        stopped += before.full and not after.full
        if after.differs(before):
            changed += 1
            affected.add(c.user_id)
            if len(shown) < examples:
                shown.append(
                    {
                        "checkout_id": c.checkout.checkout_id,
                        "user_id": c.user_id,
                        "at": format_time(c.at),
                        "amount": c.checkout.amount,
                        "current": before.as_view(),
                        "proposed": after.as_view(),
                    }
                )
    return Replay(now, then, became, stopped, changed, len(affected), tuple(shown), recorded)
