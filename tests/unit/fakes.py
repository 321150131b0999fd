"""An in-memory LedgerStore with the same conditions as the DynamoDB one, for service tests."""
from __future__ import annotations

import threading
from dataclasses import replace

from chalicelib.domain.errors import (
    CheckoutExists,
    IdempotencyKeyTaken,
    OrderAlreadyPaid,
    RulesChanged,
    TopupNotPending,
    WalletChanged,
)
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


class FakeLedgerStore:
    def __init__(self) -> None:
        self.wallets: dict[str, Wallet] = {}
        self.entries: dict[str, list[Entry]] = {}
        self.payments: dict[str, Payment] = {}
        self.orders: dict[tuple[str, str], str] = {}
        self.refunds: dict[str, list[Refund]] = {}
        self.topups: dict[str, Topup] = {}
        self.merchants: dict[str, Merchant] = {}
        self.idem: dict[tuple[str, str], IdempotencyRecord] = {}
        self.checkouts: dict[str, object] = {}
        self.checkout_guards: dict[tuple[str, str], object] = {}  # (merchant, order) -> checkout
        self.rules: dict[str, object] = {}
        self.plans: dict[str, object] = {}
        self.points_entries: dict[str, list] = {}
        self.tiers = None
        self.promotions: dict[str, object] = {}
        self.commits = 0
        self.fail_next_commits: list[Exception] = []  # injected before the real conditions
        self._lock = threading.Lock()

    # reads
    def snapshot(self, *, wallet=None, merchant=None, payment=None, topup=None, idempotency=None, checkout=None,
                 paid_order=None, checkout_guard=None, rules=None, coupon=None, tiers=False) -> Snapshot:
        from datetime import datetime, timezone

        guard = self.checkout_guards.get(checkout_guard) if checkout_guard else None
        live = guard is not None and not guard.expired(datetime.now(timezone.utc))
        return Snapshot(
            wallet=self.wallets.get(wallet) if wallet else None,
            merchant=self.merchants.get(merchant) if merchant else None,
            payment=self.payments.get(payment) if payment else None,
            topup=self.topups.get(topup) if topup else None,
            idempotency=self.idem.get(idempotency) if idempotency else None,
            checkout=self.checkouts.get(checkout) if checkout else None,
            paid_order=self.orders.get(paid_order) if paid_order else None,
            checkout_guard=guard.checkout_id if live else None,
            rules=self.rules.get(rules) if rules else None,
            tiers=self.tiers if tiers else None,
        )

    def get_idempotency(self, scope, key):
        return self.idem.get((scope, key))

    def get_wallet(self, user_id):
        return self.wallets.get(user_id)

    def list_entries(self, user_id, limit, before_seq=None, entry_type=None):
        rows = [e for e in reversed(self.entries.get(user_id, []))
                if (before_seq is None or e.seq < before_seq) and (entry_type is None or e.type == entry_type)]
        if len(rows) > limit:
            return rows[:limit], rows[limit - 1].seq
        return rows, None

    def get_payment_with_refunds(self, payment_id):
        return self.payments.get(payment_id), list(self.refunds.get(payment_id, []))

    def promotions_that_may_be_live(self, since):
        from chalicelib.domain.promotions import LIVE_STATUSES, id_floor

        return [p for pid, p in sorted(self.promotions.items())
                if pid >= id_floor(since) and p.status in LIVE_STATUSES]

    def read_configuration(self, merchant_id, live_promotions_since=None):
        snap = self.snapshot(merchant=merchant_id, rules=merchant_id, tiers=True)
        live = None if live_promotions_since is None else self.promotions_that_may_be_live(live_promotions_since)
        return snap, live

    def get_promotion(self, promotion_id):
        return self.promotions.get(promotion_id)

    def list_promotions(self):
        return [p for _, p in sorted(self.promotions.items())]

    def put_pending_promotion(self, p):
        with self._lock:
            if p.promotion_id in self.promotions:
                return False
            self.promotions[p.promotion_id] = p
            return True

    def confirm_promotion(self, p, at, idem):
        with self._lock:
            if (idem.scope, idem.key) in self.idem:
                raise IdempotencyKeyTaken()
            stored = self.promotions[p.promotion_id]
            if stored.version != p.version or stored.status != "pending":
                raise RulesChanged()
            self.idem[(idem.scope, idem.key)] = idem
            self.promotions[p.promotion_id] = replace(stored, status="scheduled", version=p.version + 1,
                                                      updated_at=at)

    def update_promotion(self, before, after):
        with self._lock:
            if self.promotions[before.promotion_id].version != before.version:
                return False
            self.promotions[before.promotion_id] = after
            return True

    def health(self):
        return True

    def scan(self):
        for user_id in sorted(set(self.wallets) | set(self.entries)):
            yield (user_id, self.wallets.get(user_id), list(self.entries.get(user_id, [])),
                   list(self.points_entries.get(user_id, [])))

    def list_points_entries(self, user_id, limit, before_seq=None):
        rows = [e for e in reversed(self.points_entries.get(user_id, [])) if before_seq is None or e.seq < before_seq]
        if len(rows) > limit:
            return rows[:limit], rows[limit - 1].seq
        return rows, None

    # writes
    def commit(self, m: Movement) -> None:
        with self._lock:
            if self.fail_next_commits:
                raise self.fail_next_commits.pop(0)
            current = self.wallets.get(m.wallet.user_id)
            if m.idempotency and (m.idempotency.scope, m.idempotency.key) in self.idem:
                raise IdempotencyKeyTaken()
            if m.new_payment and (m.new_payment.merchant_id, m.new_payment.order_id) in self.orders:
                raise OrderAlreadyPaid(m.new_payment.merchant_id, m.new_payment.order_id)
            if m.settle:
                stored = self.payments[m.settle.payment.payment_id]
                if stored.version != m.settle.payment.version or stored.status != "authorized":
                    raise WalletChanged()
            if m.checkout and self.checkouts[m.checkout.checkout_id].status != "open":
                raise WalletChanged()  # paid, authorized or cancelled meanwhile: the re-read says which
            if m.topup and self.topups[m.topup.topup_id].status != "pending":
                raise WalletChanged()
            if (current.version if current else 0) != m.wallet.version:
                raise WalletChanged()
            if m.payment and self.payments[m.payment.payment_id].version != m.payment.version:
                raise WalletChanged()
            assert m.entry.balance_after.is_non_negative()
            self.commits += 1
            self.wallets[m.wallet.user_id] = replace(
                m.wallet, lots=m.entry.balance_after, version=m.entry.seq, updated_at=m.entry.created_at,
                daily_spend=m.daily_spend if m.daily_spend is not None else m.wallet.daily_spend,
                held=m.entry.held_after, points=m.points_entry.after if m.points_entry else m.wallet.points,
                spend_months=m.membership[0] if m.membership else m.wallet.spend_months,
                tier=m.membership[1] if m.membership else m.wallet.tier,
                tier_since=m.membership[2] if m.membership else m.wallet.tier_since,
                bonus_grants=m.bonus_grants if m.bonus_grants is not None else m.wallet.bonus_grants,
                spend_days=m.spend_days if m.spend_days is not None else m.wallet.spend_days,
                plan_uses=m.plan_uses if m.plan_uses is not None else m.wallet.plan_uses)
            assert not m.entry.delta.bonus or m.bonus_grants is not None, "bonus moved without its grants"
            if m.bonus_grants is not None:
                assert sum(g.amount for g in m.bonus_grants) == m.entry.balance_after.bonus
            if m.points_entry:
                self.points_entries.setdefault(m.wallet.user_id, []).append(m.points_entry)
            if m.settle:
                p = m.settle.payment
                self.payments[p.payment_id] = replace(p, status=m.settle.status, funded_by=m.settle.funded_by,
                                                      version=p.version + 1, points_earned=m.settle.points_earned,
                                                      bonus_from=m.settle.bonus_from)
                if p.checkout_id:
                    self.checkouts[p.checkout_id] = replace(
                        self.checkouts[p.checkout_id], status=m.settle.checkout_status,
                        payment_id=p.payment_id if m.settle.checkout_status != "open" else None)
                if m.settle.status != "succeeded":
                    self.orders.pop((p.merchant_id, p.order_id), None)
            if m.checkout and m.new_payment:
                self.checkouts[m.checkout.checkout_id] = replace(
                    self.checkouts[m.checkout.checkout_id], payment_id=m.new_payment.payment_id,
                    status="paid" if m.new_payment.status == "succeeded" else "authorized")
            self.entries.setdefault(m.wallet.user_id, []).append(m.entry)
            if m.idempotency:
                self.idem[(m.idempotency.scope, m.idempotency.key)] = m.idempotency
            if m.new_payment:
                self.payments[m.new_payment.payment_id] = m.new_payment
                self.orders[(m.new_payment.merchant_id, m.new_payment.order_id)] = m.new_payment.payment_id
            if m.refund and m.payment:
                p = self.payments[m.payment.payment_id]
                self.payments[p.payment_id] = replace(
                    p, refunded=p.refunded + m.refund.returned_to, version=p.version + 1,
                    points_returned=p.points_returned + m.refund.points_returned,
                    points_clawed=p.points_clawed + m.refund.points_clawed,
                    bonus_from=m.payment_bonus_from if m.payment_bonus_from is not None else p.bonus_from)
                self.refunds.setdefault(p.payment_id, []).append(m.refund)
            if m.topup:
                self.topups[m.topup.topup_id] = m.topup

    def list_topup_plans(self):
        return list(self.plans.values())

    def put_topup_plan(self, plan, at):
        current = self.plans.get(plan.plan_id)
        if (current.version if current else 0) != plan.version - 1:
            raise RulesChanged()
        self.plans[plan.plan_id] = plan

    def wallets_with_bonus_due(self, before):
        return [u for u, w in self.wallets.items() if any(g.expires_at and g.expires_at < before
                                                         for g in w.bonus_grants)]

    def create_topup(self, topup, idem):
        if (idem.scope, idem.key) in self.idem:
            raise IdempotencyKeyTaken()
        self.idem[(idem.scope, idem.key)] = idem
        self.topups[topup.topup_id] = topup

    def fail_topup(self, topup, provider_ref, at):
        if self.topups[topup.topup_id].status != "pending":
            raise TopupNotPending(topup.topup_id, "processed")
        self.topups[topup.topup_id] = replace(self.topups[topup.topup_id], status="failed", provider_ref=provider_ref)

    def update_settings(self, user_id, currency, at, threshold=None, reminders=None):
        w = self.wallets.get(user_id) or Wallet(user_id=user_id, currency=currency)
        if threshold is not None:
            w = replace(w, low_balance_threshold=threshold)
        self.wallets[user_id] = replace(w, reminders=w.reminders.updated(reminders or {}), updated_at=at)
        return self.wallets[user_id]

    def create_checkout(self, checkout, idem):
        from datetime import datetime, timezone

        with self._lock:
            if (idem.scope, idem.key) in self.idem:
                raise IdempotencyKeyTaken()
            guard = self.checkout_guards.get((checkout.merchant_id, checkout.order_id))
            if guard is not None and not guard.expired(datetime.now(timezone.utc)):
                raise CheckoutExists(checkout.merchant_id, checkout.order_id)
            self.idem[(idem.scope, idem.key)] = idem
            self.checkout_guards[(checkout.merchant_id, checkout.order_id)] = checkout
            self.checkouts[checkout.checkout_id] = checkout

    def cancel_checkout(self, checkout, at, reason, release_order):
        with self._lock:
            stored = self.checkouts.get(checkout.checkout_id)
            key = (checkout.merchant_id, checkout.order_id)
            if stored is None or stored.status != "open" or stored.payment_id is not None:
                raise WalletChanged()
            if release_order and getattr(self.checkout_guards.get(key), "checkout_id", None) != checkout.checkout_id:
                raise WalletChanged()
            self.checkouts[checkout.checkout_id] = replace(stored, status="cancelled", cancelled_at=at,
                                                           cancel_reason=reason)
            if release_order:
                del self.checkout_guards[key]

    def put_tiers(self, table, at):
        with self._lock:
            if (self.tiers.version if self.tiers else 0) != table.version - 1:
                raise RulesChanged()
            self.tiers = table

    def put_rules(self, rules, document):
        with self._lock:
            current = self.rules.get(rules.merchant_id)
            if (current.version if current else 0) != rules.version - 1:
                raise RulesChanged()
            self.rules[rules.merchant_id] = rules

    def open_holds_due(self, before):
        return [p.payment_id for p in self.payments.values() if p.status == "authorized" and p.expires_at < before]

    def put_merchant(self, merchant, at):
        self.merchants[merchant.merchant_id] = merchant
