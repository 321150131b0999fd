"""In-memory stores with the same conditions and refusals as the DynamoDB ones, for service tests.

``FakeLedgerStore`` has every method of every port of ``chalicelib.services.ports.LedgerStore`` and
``FakeFeedbackStore`` those of ``FeedbackStore``, with the same parameters: ``tests/contract`` checks that, and runs
the same cases against these fakes and the moto-backed stores. Where the real store answers with a store-level
exception (a transaction cancelled for a reason that is no domain refusal), the fake raises ``StoreConflict``.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from datetime import datetime, timezone

from chalicelib.domain.bonus import TopupPlan, soonest_expiry
from chalicelib.domain.checkout import Checkout
from chalicelib.domain.coupons import Coupon, CouponDefinition, Reward
from chalicelib.domain.errors import (
    BudgetShardExhausted,
    CheckoutExists,
    FeedbackExists,
    IdempotencyKeyTaken,
    OrderAlreadyPaid,
    OutOfStock,
    PaymentRefused,
    VersionTaken,
    TopupNotPending,
    ReadChanged,
)
from chalicelib.domain.feedback import Subject
from chalicelib.domain.model import (
    Entry,
    IdempotencyRecord,
    Merchant,
    Movement,
    Payment,
    Refund,
    Snapshot,
    Topup,
    Wallet,
)
from chalicelib.domain.notifications import EMAIL_PENDING, EMAIL_SENT, Notification
from chalicelib.domain.points import PointsEntry
from chalicelib.domain.promotions import Promotion
from chalicelib.domain.rules import BalanceRules
from chalicelib.domain.tiers import TierTable


class StoreConflict(Exception):
    """What the DynamoDB store raises as a store-level error (a cancelled transaction, a failed conditional
    update) where it has no domain signal: e.g. a notification id taken under another dedupe key."""


def _now_epoch() -> float:
    return datetime.now(timezone.utc).timestamp()


def _epoch(moment: str) -> float:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()


class FakeLedgerStore:
    def __init__(self) -> None:
        self.wallets: dict[str, Wallet] = {}
        self.entries: dict[str, list[Entry]] = {}
        self.payments: dict[str, Payment] = {}
        self.orders: dict[tuple[str, str], str] = {}  # (merchant, order) -> the payment of its guard
        self.released_orders: set[tuple[str, str]] = set()  # guards released by a void or an expiry
        self.refunds: dict[str, list[Refund]] = {}
        self.topups: dict[str, Topup] = {}
        self.merchants: dict[str, Merchant] = {}
        self.idem: dict[tuple[str, str], IdempotencyRecord] = {}
        self.checkouts: dict[str, Checkout] = {}
        self.checkout_guards: dict[tuple[str, str], tuple[str, int]] = {}  # (merchant, order) -> (checkout, epoch)
        self.rules: dict[str, BalanceRules] = {}
        self.plans: dict[str, TopupPlan] = {}
        self.points_entries: dict[str, list[PointsEntry]] = {}
        self.tiers: TierTable | None = None
        self.promotions: dict[str, Promotion] = {}
        self.coupon_definitions: dict[str, CouponDefinition] = {}
        self.coupon_budgets: dict[tuple[str, int], list] = {}  # (definition, shard) -> [count left, amount left]
        self.coupon_grants: dict[tuple[str, str], int] = {}  # (definition, user) -> coupons granted
        self.user_coupons: dict[tuple[str, str], Coupon] = {}  # (user, coupon) -> coupon
        self.rewards: dict[str, Reward] = {}
        self.redemptions: dict[tuple[str, str], int] = {}  # (reward, user) -> times redeemed
        self.notifications: dict[tuple[str, str], Notification] = {}  # (user, notification) -> notification
        self.notification_keys: dict[tuple[str, str], str] = {}  # (user, dedupe key) -> notification
        self.commits = 0
        self.fail_next_commits: list[Exception] = []  # injected before the real conditions
        self._lock = threading.RLock()

    # ---- Snapshots, Configurations -------------------------------------------------------------------

    def snapshot(
        self,
        *,
        wallet=None,
        merchant=None,
        payment=None,
        topup=None,
        idempotency=None,
        checkout=None,
        paid_order=None,
        checkout_guard=None,
        rules=None,
        coupon=None,
        reward=None,
        redemptions=None,
        coupon_definition=None,
        tiers=False,
    ) -> Snapshot:
        def get(table, key):
            return table.get(key) if key is not None else None

        guard = get(self.checkout_guards, checkout_guard)
        return Snapshot(
            wallet=get(self.wallets, wallet),
            merchant=get(self.merchants, merchant),
            payment=get(self.payments, payment),
            topup=get(self.topups, topup),
            idempotency=get(self.idem, idempotency),
            checkout=get(self.checkouts, checkout),
            paid_order=get(self.orders, paid_order),  # a released guard still names its payment
            checkout_guard=guard[0] if guard is not None and guard[1] > _now_epoch() else None,
            rules=get(self.rules, rules),
            coupon=get(self.user_coupons, coupon),
            reward=get(self.rewards, reward),
            redemptions=get(self.redemptions, redemptions),
            coupon_definition=get(self.coupon_definitions, coupon_definition),
            tiers=self.tiers if tiers else None,
        )

    def read_configuration(self, merchant_id, live_promotions_since=None):
        snap = self.snapshot(merchant=merchant_id, rules=merchant_id, tiers=True)
        live = None if live_promotions_since is None else self.promotions_that_may_be_live(live_promotions_since)
        return snap, live

    # ---- IdempotencyReads, Idempotency -----------------------------------------------------------------

    def get_idempotency(self, scope, key):
        return self.idem.get((scope, key))

    def put_idempotency(self, record):
        with self._lock:
            if (record.scope, record.key) in self.idem:
                raise IdempotencyKeyTaken()
            self.idem[(record.scope, record.key)] = record

    # ---- Wallets, WalletScans, Health, Points ----------------------------------------------------------

    def get_wallet(self, user_id):
        return self.wallets.get(user_id)

    def list_entries(self, user_id, limit, before_seq=None, entry_type=None):
        rows = [
            e
            for e in sorted(self.entries.get(user_id, []), key=lambda e: e.seq, reverse=True)
            if (before_seq is None or e.seq < before_seq) and (entry_type is None or e.type == entry_type)
        ]
        if len(rows) > limit:
            return rows[:limit], rows[limit - 1].seq
        return rows, None

    def update_settings(self, user_id, currency, at, threshold=None, reminders=None, marketing_email=None):
        """The named settings only (money and version untouched), as the DynamoDB store's one UpdateItem."""
        with self._lock:
            w = self.wallets.get(user_id) or Wallet(user_id=user_id, currency=currency)
            if threshold is not None:
                w = replace(w, low_balance_threshold=threshold)
            changes, r = reminders or {}, w.reminders
            if "low_balance" in changes:
                r = replace(r, low_balance=bool(changes["low_balance"]))
            if "run_out_days" in changes:
                r = replace(r, run_out_days=changes["run_out_days"])
            if "bonus_expiry_days" in changes:
                r = replace(r, bonus_expiry_days=changes["bonus_expiry_days"] or None)
            if "email" in changes:
                r = replace(r, email=changes["email"] or None)
            if marketing_email is not None:
                w = replace(w, marketing_email=bool(marketing_email))
            self.wallets[user_id] = replace(w, reminders=r, updated_at=at)
            return self.wallets[user_id]

    def health(self):
        return True

    def scan(self):
        for user_id in sorted(set(self.wallets) | set(self.entries) | set(self.points_entries)):
            yield (
                user_id,
                self.wallets.get(user_id),
                sorted(self.entries.get(user_id, []), key=lambda e: e.seq),
                sorted(self.points_entries.get(user_id, []), key=lambda e: e.seq),
            )

    def scan_wallets(self, cursor, limit):
        """Pages of ``limit`` wallets in key order; the cursor is opaque (the DynamoDB store's counts items of
        every kind, so its pages may hold fewer wallets)."""
        users = sorted(self.wallets)
        start = 0 if cursor is None else next((i for i, u in enumerate(users) if u > cursor["after"]), len(users))
        page = users[start : start + limit]
        after = {"after": page[-1]} if page and start + limit < len(users) else None
        return [self.wallets[u] for u in page], after

    def list_points_entries(self, user_id, limit, before_seq=None):
        rows = [
            e
            for e in sorted(self.points_entries.get(user_id, []), key=lambda e: e.seq, reverse=True)
            if before_seq is None or e.seq < before_seq
        ]
        if len(rows) > limit:
            return rows[:limit], rows[limit - 1].seq
        return rows, None

    # ---- Movements ---------------------------------------------------------------------------------------

    def commit(self, m: Movement) -> None:
        """The movement's writes, each under the DynamoDB store's condition (``store.movements``), all or none;
        the labels that failed mapped to the same signals."""
        with self._lock:
            if self.fail_next_commits:
                raise self.fail_next_commits.pop(0)
            # what wallet_change asserts while it builds the transaction
            if m.entry.delta.bonus and m.bonus_grants is None:
                raise AssertionError("a movement of bonus must say which grants it moves")
            if m.bonus_grants is not None:
                assert sum(g.amount for g in m.bonus_grants) == m.entry.balance_after.bonus, (
                    "bonus grants must sum to the bonus lot"
                )
            assert m.entry.balance_after.is_non_negative()  # the fake's own check of the use cases
            failed = self._movement_failures(m)
            if failed:
                raise self._refusal(m, failed)
            self.commits += 1
            self._apply(m)

    def _movement_failures(self, m: Movement) -> set[str]:
        user = m.wallet.user_id
        failed: set[str] = set()
        if any(e.seq == m.entry.seq for e in self.entries.get(user, [])):
            failed.add("entry")
        if m.idempotency is not None and (m.idempotency.scope, m.idempotency.key) in self.idem:
            failed.add("idempotency")
        if m.new_payment is not None:
            order = (m.new_payment.merchant_id, m.new_payment.order_id)
            if m.new_payment.payment_id in self.payments:
                failed.add("payment")
            if order in self.orders and order not in self.released_orders:
                failed.add("order")
        if m.refund is not None and any(
            r.refund_id == m.refund.refund_id for r in self.refunds.get(m.refund.payment_id, [])
        ):
            failed.add("refund")
        if m.points_entry is not None and any(pe.seq == m.points_entry.seq for pe in self.points_entries.get(user, [])):
            failed.add("points_entry")
        current = self.wallets.get(user)
        if (current.version if current else 0) != m.wallet.version or (
            m.points_entry is not None and (current.points.version if current else 0) != m.wallet.points.version
        ):
            failed.add("wallet")
        if m.checkout is not None and m.new_payment is not None:
            checkout = self.checkouts.get(m.checkout.checkout_id)
            if checkout is None or checkout.status != "open":
                failed.add("checkout")
        if m.settle is not None:
            p = m.settle.payment
            held = self.payments.get(p.payment_id)
            if held is None or held.version != p.version or held.status != "authorized":
                failed.add("payment_settle")
            if p.checkout_id and getattr(self.checkouts.get(p.checkout_id), "payment_id", None) != p.payment_id:
                failed.add("checkout_settle")
            if m.settle.status != "succeeded" and self.orders.get((p.merchant_id, p.order_id)) != p.payment_id:
                failed.add("order_release")
        if m.coupon is not None:
            c = m.coupon
            coupon = self.user_coupons.get((c.coupon.user_id, c.coupon.coupon_id))
            if coupon is None or coupon.state != c.coupon.state:
                failed.add("coupon")
            terms = c.coupon.terms
            if c.budget and c.shard is not None and terms.budgeted:
                left = self.coupon_budgets.get((terms.definition_id, c.shard))
                if left is None or (
                    c.budget < 0
                    and (
                        (terms.counts_uses and (left[0] or 0) < -c.budget)
                        or (terms.counts_amount and (left[1] or 0) < c.discount)
                    )
                ):
                    failed.add("coupon_budget")
        if m.refund is not None and m.payment is not None:
            paid = self.payments.get(m.payment.payment_id)
            if paid is None or paid.version != m.payment.version:
                failed.add("payment_refund")
        if m.topup is not None:
            topup = self.topups.get(m.topup.topup_id)
            if topup is None or topup.status != "pending":
                failed.add("topup")
        return failed

    def _refusal(self, m: Movement, failed: set[str]) -> Exception:
        """``store.movements._refusal``: the same precedence, the same wallet handed back."""
        if "idempotency" in failed:
            return IdempotencyKeyTaken()
        if "order" in failed and m.new_payment is not None:
            return OrderAlreadyPaid(m.new_payment.merchant_id, m.new_payment.order_id)
        if "checkout" in failed:
            return ReadChanged(None)
        if "coupon_budget" in failed and m.coupon is not None:
            return BudgetShardExhausted(m.coupon.shard)
        only_wallet = (
            "wallet" in failed
            and failed <= {"wallet", "entry", "points_entry"}
            and m.settle is None
            and m.refund is None
        )
        return ReadChanged(self.wallets.get(m.wallet.user_id) if only_wallet else None)

    def _apply(self, m: Movement) -> None:
        w, e = m.wallet, m.entry
        self.entries.setdefault(w.user_id, []).append(e)
        if m.idempotency is not None:
            self.idem[(m.idempotency.scope, m.idempotency.key)] = m.idempotency
        if m.new_payment is not None:
            order = (m.new_payment.merchant_id, m.new_payment.order_id)
            self.payments[m.new_payment.payment_id] = m.new_payment
            self.orders[order] = m.new_payment.payment_id
            self.released_orders.discard(order)
        if m.refund is not None:
            self.refunds.setdefault(m.refund.payment_id, []).append(m.refund)
        if m.points_entry is not None:
            self.points_entries.setdefault(w.user_id, []).append(m.points_entry)
        # the wallet: what the movement sets, on the wallet as stored (its settings are not the movement's)
        base = self.wallets.get(w.user_id) or w
        changes: dict = dict(
            currency=w.currency, lots=e.balance_after, version=e.seq, updated_at=e.created_at, held=e.held_after
        )
        if m.daily_spend is not None:
            changes["daily_spend"] = m.daily_spend
        if m.membership is not None:
            changes.update(
                spend_months=m.membership[0], tier=m.membership[1] or None, tier_since=m.membership[2] or None
            )
        if m.bonus_grants is not None:
            changes["bonus_grants"] = m.bonus_grants
        if m.spend_days is not None:
            changes["spend_days"] = m.spend_days
        if m.plan_uses is not None:
            changes["plan_uses"] = m.plan_uses
        if m.points_entry is not None:
            changes["points"] = m.points_entry.after
        self.wallets[w.user_id] = replace(base, **changes)
        if m.checkout is not None and m.new_payment is not None:
            self.checkouts[m.checkout.checkout_id] = replace(
                self.checkouts[m.checkout.checkout_id],
                payment_id=m.new_payment.payment_id,
                status="paid" if m.new_payment.status == "succeeded" else "authorized",
            )
        if m.settle is not None:
            st = m.settle
            p = self.payments[st.payment.payment_id]
            self.payments[p.payment_id] = replace(
                p,
                status=st.status,
                points_earned=st.points_earned,
                funded_by=st.funded_by,
                version=p.version + 1,
                bonus_from=tuple(st.bonus_from or ()),
            )
            if p.checkout_id:
                checkout = self.checkouts[p.checkout_id]
                self.checkouts[p.checkout_id] = replace(
                    checkout,
                    status=st.checkout_status,
                    payment_id=None if st.checkout_status == "open" else checkout.payment_id,
                )
            if st.status != "succeeded":
                self.released_orders.add((p.merchant_id, p.order_id))
        if m.coupon is not None:
            c = m.coupon
            key = (c.coupon.user_id, c.coupon.coupon_id)
            keeps_shard = c.state in ("held", "used") and c.shard is not None
            self.user_coupons[key] = replace(
                self.user_coupons[key],
                state=c.state,
                payment_id=c.payment_id or None,
                budget_shard=c.shard if keeps_shard else None,
            )
            terms = c.coupon.terms
            if c.budget and c.shard is not None and terms.budgeted:
                left = self.coupon_budgets[(terms.definition_id, c.shard)]
                if terms.counts_uses:
                    left[0] = (left[0] or 0) + c.budget
                if terms.counts_amount:
                    left[1] = (left[1] or 0) + c.budget * c.discount
        if m.refund is not None and m.payment is not None:
            p, r = m.payment, m.refund
            refunded = replace(
                self.payments[p.payment_id],
                refunded=p.refunded + r.returned_to,
                points_returned=p.points_returned + r.points_returned,
                points_clawed=p.points_clawed + r.points_clawed,
                version=p.version + 1,
            )
            if m.payment_bonus_from is not None:
                refunded = replace(refunded, bonus_from=m.payment_bonus_from)
            self.payments[p.payment_id] = refunded
        if m.topup is not None:
            t = m.topup
            stored_topup = self.topups[t.topup_id]
            self.topups[t.topup_id] = replace(
                stored_topup,
                status="succeeded",
                provider_ref=t.provider_ref,
                bonus=t.bonus or 0,
                plan_id=t.plan_id or stored_topup.plan_id,
            )

    # ---- Topups, TopupPlans, Payments --------------------------------------------------------------------

    def create_topup(self, topup, idem):
        with self._lock:
            if (idem.scope, idem.key) in self.idem:
                raise IdempotencyKeyTaken()
            if topup.topup_id in self.topups:
                raise StoreConflict(f"top-up {topup.topup_id} exists")
            self.idem[(idem.scope, idem.key)] = idem
            self.topups[topup.topup_id] = topup

    def fail_topup(self, topup, provider_ref, at):
        with self._lock:
            stored = self.topups.get(topup.topup_id)
            if stored is None or stored.status != "pending":
                raise TopupNotPending(topup.topup_id, "processed")
            self.topups[topup.topup_id] = replace(stored, status="failed", provider_ref=provider_ref)

    def put_topup_plan(self, plan, at):
        with self._lock:
            current = self.plans.get(plan.plan_id)
            if (current.version if current else 0) != plan.version - 1:
                raise VersionTaken()
            self.plans[plan.plan_id] = TopupPlan.from_doc(plan.plan_id, plan.as_doc(), plan.version)

    def list_topup_plans(self):
        return [p for _, p in sorted(self.plans.items())]

    def get_payment_with_refunds(self, payment_id):
        return self.payments.get(payment_id), sorted(self.refunds.get(payment_id, []), key=lambda r: r.refund_id)

    # ---- Checkouts -------------------------------------------------------------------------------------

    def create_checkout(self, checkout, idem):
        with self._lock:
            key = (checkout.merchant_id, checkout.order_id)
            if (idem.scope, idem.key) in self.idem:
                raise IdempotencyKeyTaken()
            guard = self.checkout_guards.get(key)
            if guard is not None and guard[1] > int(_now_epoch()):  # an expired checkout's guard is taken over
                raise CheckoutExists(checkout.merchant_id, checkout.order_id)
            if checkout.checkout_id in self.checkouts:
                raise StoreConflict(f"checkout {checkout.checkout_id} exists")
            self.idem[(idem.scope, idem.key)] = idem
            self.checkout_guards[key] = (checkout.checkout_id, int(_epoch(checkout.expires_at)))
            self.checkouts[checkout.checkout_id] = checkout

    def cancel_checkout(self, checkout, at, reason, release_order):
        with self._lock:
            stored = self.checkouts.get(checkout.checkout_id)
            key = (checkout.merchant_id, checkout.order_id)
            if stored is None or stored.status != "open" or stored.payment_id is not None:
                raise ReadChanged(None)
            guard = self.checkout_guards.get(key)
            if release_order and (guard is None or guard[0] != checkout.checkout_id):
                raise ReadChanged(None)
            self.checkouts[checkout.checkout_id] = replace(
                stored, status="cancelled", cancelled_at=at, **({"cancel_reason": reason} if reason else {})
            )
            if release_order:
                self.checkout_guards[key] = (guard[0], 0)

    def expire_checkout(self, checkout, at):
        with self._lock:
            stored = self.checkouts.get(checkout.checkout_id)
            if stored is None or stored.status != "open" or stored.payment_id is not None or stored.expires_at > at:
                raise ReadChanged(None)
            self.checkouts[checkout.checkout_id] = replace(stored, status="expired")

    # ---- Merchants, MerchantRules, Tiers -----------------------------------------------------------------

    def put_merchant(self, merchant, at):
        self.merchants[merchant.merchant_id] = merchant

    def put_rules(self, rules, document):
        with self._lock:
            current = self.rules.get(rules.merchant_id)
            if (current.version if current else 0) != rules.version - 1:
                raise VersionTaken()
            # what the DynamoDB store reads back: the document stored, under this version
            self.rules[rules.merchant_id] = BalanceRules.from_view(
                rules.merchant_id, document, rules.version, rules.updated_at or ""
            )

    def put_tiers(self, table, at):
        with self._lock:
            if (self.tiers.version if self.tiers else 0) != table.version - 1:
                raise VersionTaken()
            self.tiers = table

    # ---- CouponDefinitions, Coupons --------------------------------------------------------------------

    def get_coupon_definition(self, definition_id):
        return self.coupon_definitions.get(definition_id)

    def put_coupon_definition(self, d, at, budget_shards):
        with self._lock:
            definition_id = d.terms.definition_id
            current = self.coupon_definitions.get(definition_id)
            shards = list(enumerate(budget_shards)) if d.version == 1 else []
            if (
                (current is not None) if d.version == 1 else (current is None or current.version != d.version - 1)
            ) or any((definition_id, shard) in self.coupon_budgets for shard, _ in shards):
                raise VersionTaken()
            self.coupon_definitions[definition_id] = d
            for shard, (count, amount) in shards:
                self.coupon_budgets[(definition_id, shard)] = [count, amount]

    def grant_coupon(self, coupon, limit):
        """None when granted (or granted before under the same id); ``limit_reached`` when the customer has
        ``limit`` coupons of the definition."""
        with self._lock:
            key, grants = (coupon.user_id, coupon.coupon_id), (coupon.terms.definition_id, coupon.user_id)
            if key in self.user_coupons:
                return None
            if grants in self.coupon_grants and self.coupon_grants[grants] >= limit:
                return "limit_reached"
            self.user_coupons[key] = replace(coupon, payment_id=None, budget_shard=None)
            self.coupon_grants[grants] = self.coupon_grants.get(grants, 0) + 1
            return None

    def list_coupons(self, user_id):
        return [c for (u, _), c in sorted(self.user_coupons.items()) if u == user_id]

    # ---- Rewards ---------------------------------------------------------------------------------------

    def put_reward(self, reward, at):
        self.rewards[reward.reward_id] = reward

    def list_rewards(self):
        return [r for _, r in sorted(self.rewards.items())]

    def redeem(self, r):
        """One step: the key, the points (from the version read), the stock (>= 1, active), the customer's count
        (< limit), the coupon; refused as the DynamoDB store refuses."""
        with self._lock:
            w, pe, reward = r.wallet, r.points_entry, r.reward
            stored, left = self.wallets.get(w.user_id), self.rewards.get(reward.reward_id)
            redeemed = self.redemptions.get((reward.reward_id, w.user_id))
            failed = set()
            if (r.idempotency.scope, r.idempotency.key) in self.idem:
                failed.add("idempotency")
            if (stored.points.version if stored else 0) != w.points.version:
                failed.add("wallet")
            if any(e.seq == pe.seq for e in self.points_entries.get(w.user_id, [])):
                failed.add("points_entry")
            if left is None or left.stock < 1 or not left.active:
                failed.add("reward")
            if redeemed is not None and redeemed >= reward.per_customer_limit:
                failed.add("redemptions")
            if r.coupon is not None and (r.coupon.user_id, r.coupon.coupon_id) in self.user_coupons:
                failed.add("coupon")
            if "idempotency" in failed:
                raise IdempotencyKeyTaken()
            if "reward" in failed:
                raise OutOfStock(reward.reward_id)
            if "redemptions" in failed:
                raise PaymentRefused(
                    "redemption_limit_reached",
                    "this reward's limit per customer is reached",
                    reward_id=reward.reward_id,
                )
            if failed:
                raise ReadChanged(None)
            self.idem[(r.idempotency.scope, r.idempotency.key)] = r.idempotency
            self.wallets[w.user_id] = replace(stored or Wallet(user_id=w.user_id, currency=w.currency), points=pe.after)
            self.points_entries.setdefault(w.user_id, []).append(  # a redemption's entry records what was spent
                replace(pe, earned=0, returned=0, clawed=0, shortfall=0, held=0)
            )
            self.rewards[reward.reward_id] = replace(left, stock=left.stock - 1)
            self.redemptions[(reward.reward_id, w.user_id)] = (redeemed or 0) + 1
            if r.coupon is not None:
                self.user_coupons[(r.coupon.user_id, r.coupon.coupon_id)] = replace(
                    r.coupon, payment_id=None, budget_shard=None
                )

    # ---- Inbox -----------------------------------------------------------------------------------------

    def put_notification(self, n, dedupe_key):
        with self._lock:
            guard = (n.user_id, dedupe_key)
            if guard in self.notification_keys:
                return False, self.notifications.get((n.user_id, self.notification_keys[guard]))
            if (n.user_id, n.notification_id) in self.notifications:
                raise StoreConflict(f"notification {n.notification_id} exists under another key")
            self.notification_keys[guard] = n.notification_id
            self.notifications[(n.user_id, n.notification_id)] = replace(n, read_at=None, email_claimed_at=None)
            return True, n

    def get_notification(self, user_id, notification_id):
        return self.notifications.get((user_id, notification_id))

    def list_notifications(self, user_id, limit, before_id=None, unread=False):
        rows = [
            n
            for (u, nid), n in sorted(self.notifications.items(), reverse=True)
            if u == user_id and (before_id is None or nid < before_id) and not (unread and n.read_at)
        ]
        if len(rows) > limit:
            page = rows[:limit]
            return page, page[-1].notification_id
        return rows, None

    def count_unread(self, user_id):
        return sum(1 for (u, _), n in self.notifications.items() if u == user_id and n.read_at is None)

    def mark_notification_read(self, user_id, notification_id, at):
        with self._lock:
            n = self.notifications.get((user_id, notification_id))
            if n is None:
                return None
            if n.read_at is None:
                n = self.notifications[(user_id, notification_id)] = replace(n, read_at=at)
            return n

    def claim_email(self, user_id, notification_id, at, stale_before):
        with self._lock:
            n = self.notifications.get((user_id, notification_id))
            if (
                n is None
                or n.email_status != EMAIL_PENDING
                or (n.email_claimed_at is not None and not n.email_claimed_at < stale_before)
            ):
                return False
            self.notifications[(user_id, notification_id)] = replace(n, email_claimed_at=at)
            return True

    def email_sent(self, user_id, notification_id, message_id, at):
        with self._lock:
            n = self.notifications.get((user_id, notification_id))
            if n is None or n.email_status != EMAIL_PENDING:
                raise StoreConflict(f"the e-mail of {notification_id} is not pending")
            self.notifications[(user_id, notification_id)] = replace(n, email_status=EMAIL_SENT, email_claimed_at=None)

    def release_email(self, user_id, notification_id):
        with self._lock:
            n = self.notifications.get((user_id, notification_id))
            if n is not None and n.email_status == EMAIL_PENDING:
                self.notifications[(user_id, notification_id)] = replace(n, email_claimed_at=None)

    # ---- LivePromotions, Promotions --------------------------------------------------------------------

    def promotions_that_may_be_live(self, since):
        """As the DynamoDB store lists them (its ``PROMOS / LIVE`` item): what pricing reads of each, by id."""
        from chalicelib.domain.promotions import LIVE_STATUSES, Promotion, id_floor

        return [
            Promotion(
                promotion_id=p.promotion_id,
                name=p.name,
                merchant_id=p.merchant_id,
                starts_at=p.starts_at,
                ends_at=p.ends_at,
                effect=p.effect,
                status=p.status,
                created_at=p.created_at,
                created_by=p.created_by,
            )
            for pid, p in sorted(self.promotions.items())
            if pid >= id_floor(since) and p.status in LIVE_STATUSES
        ]

    def get_promotion(self, promotion_id):
        return self.promotions.get(promotion_id)

    def list_promotions(self):
        return [p for _, p in sorted(self.promotions.items())]

    def put_pending_promotion(self, p):
        with self._lock:
            if p.promotion_id in self.promotions:
                return False
            self.promotions[p.promotion_id] = replace(p, updated_at=p.created_at)  # as the DynamoDB store writes it
            return True

    def confirm_promotion(self, p, at, idem):
        with self._lock:
            if (idem.scope, idem.key) in self.idem:
                raise IdempotencyKeyTaken()
            stored = self.promotions.get(p.promotion_id)
            if stored is None or stored.version != p.version or stored.status != "pending":
                raise VersionTaken()
            self.idem[(idem.scope, idem.key)] = idem
            self.promotions[p.promotion_id] = replace(stored, status="scheduled", version=p.version + 1, updated_at=at)

    def update_promotion(self, before, after):
        """``after``'s status, version, times and grant progress (nothing else), from ``before``'s version."""
        with self._lock:
            stored = self.promotions.get(before.promotion_id)
            if stored is None or stored.version != before.version:
                return False
            changes: dict = dict(status=after.status, version=after.version, updated_at=after.updated_at or "")
            for name in ("activated_at", "finished_at", "cancelled_at"):
                value = getattr(after, name)
                if value is not None and value != getattr(before, name):
                    changes[name] = value
            if after.effect.kind == "grant_coupon" and after.grant != before.grant:
                changes["grant"] = after.grant
            self.promotions[before.promotion_id] = replace(stored, **changes)
            return True

    # ---- JobIndexes ------------------------------------------------------------------------------------

    def open_holds_due(self, before):
        return [p.payment_id for p in self.payments.values() if p.status == "authorized" and p.expires_at < before]

    def open_checkouts_due(self, before):
        return [
            c.checkout_id
            for c in self.checkouts.values()
            if c.status in ("open", "authorized") and c.expires_at < before
        ]

    def wallets_with_bonus_due(self, before):
        return [
            u
            for u, w in sorted(self.wallets.items())
            if (due := soonest_expiry(w.bonus_grants)) is not None and due < before
        ]

    def wallets_to_remind(self):
        return [u for u, w in sorted(self.wallets.items()) if w.reminders.run_out_days is not None]


class FakeFeedbackStore:
    """``DynamoFeedbackStore`` in memory: on a ledger's payments, top-ups, entries and idempotency records."""

    def __init__(self, ledger: FakeLedgerStore | None = None) -> None:
        self.ledger = ledger if ledger is not None else FakeLedgerStore()
        self.guards: dict[tuple[str, str], str] = {}  # (kind, subject) -> feedback
        self.items: dict[str, dict[str, object]] = {}  # month -> sort key -> feedback
        self.queries = 0

    def get_idempotency(self, scope, key):
        return self.ledger.get_idempotency(scope, key)

    def read_subject(self, kind, subject_id, user_id, idempotency):
        record = self.ledger.idem.get(tuple(idempotency))
        if kind == "entry":  # looked for in the caller's own wallet only, and only without a record
            if record is not None:
                return record, None
            for e in sorted(self.ledger.entries.get(user_id, []), key=lambda e: e.seq, reverse=True):
                if e.entry_id == subject_id:
                    merchant_id = e.refs.get("merchant_id")
                    return None, Subject(
                        "entry", subject_id, user_id, merchant_id if isinstance(merchant_id, str) else None
                    )
            return None, None
        if kind == "payment":
            p = self.ledger.payments.get(subject_id)
            return record, (Subject(kind, subject_id, p.user_id, p.merchant_id) if p is not None else None)
        t = self.ledger.topups.get(subject_id)
        return record, (Subject(kind, subject_id, t.user_id, None) if t is not None else None)

    def add_feedback(self, fb, record):
        with self.ledger._lock:
            sk = f"{fb.created_at}#{fb.feedback_id}"
            if (record.scope, record.key) in self.ledger.idem:
                raise IdempotencyKeyTaken()
            if (fb.subject_kind, fb.subject_id) in self.guards:
                raise FeedbackExists(fb.subject_kind, fb.subject_id)
            if sk in self.items.get(fb.month, {}):
                raise ReadChanged(None)
            self.ledger.idem[(record.scope, record.key)] = record
            self.guards[(fb.subject_kind, fb.subject_id)] = fb.feedback_id
            self.items.setdefault(fb.month, {})[sk] = replace(fb, tags=tuple(fb.tags))

    def feedback_page(self, month, low, high, after, *, rating_lte, tag, merchant_id, page_size):
        """One page of ``page_size`` items evaluated (newest first), filtered after; the sort key to continue
        after while more are left."""
        self.queries += 1
        items = self.items.get(month, {})
        keys = sorted((k for k in items if low <= k <= high and (after is None or k < after)), reverse=True)
        evaluated = keys[:page_size]
        rows = [
            (k, items[k])
            for k in evaluated
            if (rating_lte is None or items[k].rating <= rating_lte)
            and (tag is None or tag in items[k].tags)
            and (merchant_id is None or items[k].merchant_id == merchant_id)
        ]
        return rows, (evaluated[-1] if len(keys) > page_size else None)


class FakeProfileStore:
    """``DynamoProfileStore`` in memory."""

    def __init__(self) -> None:
        self.profiles: dict[str, dict] = {}
        self.runs: dict[str, dict] = {}

    def put_profiles(self, profiles, run_id, at):
        n = 0
        for p in profiles:
            self.profiles[p["user_id"]] = {**copy.deepcopy(p), "run_id": run_id, "computed_at": at}
            n += 1
        return n

    def get_profile(self, user_id):
        p = self.profiles.get(user_id)
        return copy.deepcopy(p) if p is not None else None

    def members(self, segment, cursor, limit):
        from chalicelib.store.keys import member_shard
        from chalicelib.store.profiles import check_members_cursor, member_view

        shard, after = check_members_cursor(segment, cursor)
        listed = sorted(
            (int(member_shard(segment, u).rsplit("#", 1)[1]), u)
            for u, p in self.profiles.items()
            if p["segment"] == segment
        )
        rest = [k for k in listed if k > (shard, after or "")]
        page = rest[:limit]
        out = [{"user_id": u, **member_view(self.profiles[u])} for _, u in page]
        return out, ({"shard": page[-1][0], "after": page[-1][1]} if len(rest) > limit else None)

    def put_run(self, run):
        self.runs[run["run_id"]] = copy.deepcopy(run)

    def add_run(self, run):
        if run["run_id"] in self.runs:
            return False
        self.runs[run["run_id"]] = copy.deepcopy(run)
        return True

    def claim_run(self, run_id, at):
        r = self.runs.get(run_id)
        if r is None or r["state"] != "queued":
            return False
        r.update(state="running", started_at=at)
        return True

    def get_run(self, run_id):
        r = self.runs.get(run_id)
        return copy.deepcopy(r) if r is not None else None

    def latest_runs(self, limit):
        return [copy.deepcopy(self.runs[k]) for k in sorted(self.runs, reverse=True)[:limit]]
