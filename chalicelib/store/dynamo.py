"""The ledger store on DynamoDB: the only module that knows items, keys and conditions.

Every money movement is one ``TransactWriteItems`` (PynamoDB ``TransactWrite``):
the wallet update conditioned on the version it was computed from, the
immutable entry (``attribute_not_exists``) and the records that make it happen
once. A lost condition is turned into a domain signal naming the guard that
failed; the services decide whether to retry, replay or refuse.
"""
from __future__ import annotations

import hashlib

from collections import defaultdict
from decimal import Decimal
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.transactions import TransactGet

from ..domain.checkout import Checkout, Line
from ..domain.coupons import Coupon, CouponDefinition, CouponTerms, Redemption, Reward
from ..domain.errors import (
    OutOfStock,
    PaymentRefused,
    BudgetShardExhausted,
    CheckoutExists,
    IdempotencyKeyTaken,
    OrderAlreadyPaid,
    RulesChanged,
    TopupNotPending,
    WalletChanged,
)
from ..domain.bonus import TopupPlan, drawn_from_doc, grants_from_doc, soonest_expiry
from ..domain.notifications import EMAIL_PENDING, EMAIL_SENT, Notification
from ..domain.reminders import DEFAULT_BONUS_EXPIRY_DAYS, ReminderSettings
from ..domain.model import (
    Entry,
    IdempotencyRecord,
    Merchant,
    CouponChange,
    Movement,
    Payment,
    Refund,
    Settlement,
    Snapshot,
    Topup,
    Wallet,
)
from ..domain.money import Lots
from ..domain.points import PointsAccount, PointsEntry
from ..domain.promotions import LIVE_STATUSES, Effect, GrantProgress, Promotion, id_floor
from ..domain.rules import BalanceRules
from ..domain.tiers import Tier, TierTable
from ..observability import capture_method, tracer
from .guards import Cancelled, Guarded
from .models import (
    BONUS_SHARDS,
    HOLD_SHARDS,
    REMIND_SHARDS,
    CheckoutGuardItem,
    CheckoutItem,
    CouponBudgetItem,
    CouponDefinitionItem,
    CouponGrantsItem,
    CouponItem,
    RedemptionsItem,
    RewardItem,
    TiersItem,
    TopupPlanItem,
    EntryItem,
    IdempotencyItem,
    LedgerItem,
    MerchantItem,
    NOTIFICATION_KEY_TTL_DAYS,
    NOTIFICATION_TTL_DAYS,
    NotificationItem,
    NotificationKeyItem,
    OrderItem,
    PaymentItem,
    PointsEntryItem,
    PromotionItem,
    RefundItem,
    RulesItem,
    TopupItem,
    WalletItem,
    checkout_guard_key,
    checkout_key,
    coupon_budget_key,
    coupon_definition_key,
    coupon_grants_key,
    coupon_key,
    redemptions_key,
    reward_key,
    tiers_key,
    entry_key,
    idempotency_key,
    merchant_key,
    notification_guard_key,
    notification_key,
    order_key,
    payment_key,
    points_entry_key,
    promotion_key,
    PROMOTIONS_PK,
    refund_key,
    rules_key,
    topup_key,
    wallet_key,
)


# ---- item <-> record -------------------------------------------------------

def _wallet(item: WalletItem) -> Wallet:
    return Wallet(
        user_id=item.user_id,
        currency=item.currency,
        lots=Lots(int(item.cash), int(item.bonus)),
        version=int(item.version),
        low_balance_threshold=int(item.low_balance_threshold or 0),
        updated_at=item.updated_at,
        daily_spend={m: (str(v[0]), int(v[1])) for m, v in (item.daily_spend or {}).items()},
        held=Lots(int(item.held_cash or 0), int(item.held_bonus or 0)),
        points=PointsAccount.from_doc(item.points),
        spend_months={k: int(v) for k, v in (item.spend_months or {}).items()},
        tier=item.tier, tier_since=item.tier_since,
        bonus_grants=grants_from_doc(item.bonus_grants),
        spend_days={k: int(v) for k, v in (item.spend_days or {}).items()},
        reminders=_reminders(item),
        plan_uses={k: int(v) for k, v in (item.plan_uses or {}).items()},
    )


def _reminders(item: WalletItem) -> ReminderSettings:
    bonus_days = DEFAULT_BONUS_EXPIRY_DAYS if item.remind_bonus_days is None else int(item.remind_bonus_days)
    return ReminderSettings(
        low_balance=True if item.remind_low_balance is None else bool(item.remind_low_balance),
        run_out_days=None if item.remind_run_out_days is None else int(item.remind_run_out_days),
        bonus_expiry_days=bonus_days or None, email=item.remind_email)


def remind_shard(user_id: str) -> str:
    """The partition of the ``reminders`` index a user's wallet is listed under (stable per user)."""
    return str(int(hashlib.sha256(user_id.encode()).hexdigest()[:8], 16) % REMIND_SHARDS)


def _notification(item: NotificationItem) -> Notification:
    data = item.data.as_dict() if hasattr(item.data, "as_dict") else dict(item.data or {})
    return Notification(
        notification_id=item.notification_id, user_id=item.user_id, type=item.type, title=item.title,
        body=item.body, data={k: (int(v) if isinstance(v, Decimal) and v == int(v) else v) for k, v in data.items()},
        created_at=item.created_at, read_at=item.read_at, email_status=item.email_status or "none",
        email_to=item.email_to, email_claimed_at=item.email_claimed_at)


def _entry(item: EntryItem) -> Entry:
    return Entry(
        user_id=item.user_id,
        seq=int(item.seq),
        entry_id=item.entry_id,
        type=item.type,
        delta=Lots(int(item.d_cash), int(item.d_bonus)),
        balance_after=Lots(int(item.after_cash), int(item.after_bonus)),
        created_at=item.created_at,
        refs=dict(item.refs.as_dict() if hasattr(item.refs, "as_dict") else item.refs or {}),
        held_delta=Lots(int(item.d_held_cash or 0), int(item.d_held_bonus or 0)),
        held_after=Lots(int(item.after_held_cash or 0), int(item.after_held_bonus or 0)),
    )


def _entry_item(e: Entry) -> EntryItem:
    pk, sk = entry_key(e.user_id, e.seq)
    return EntryItem(
        pk, sk, kind="entry", user_id=e.user_id, seq=e.seq, entry_id=e.entry_id, type=e.type,
        d_cash=e.delta.cash, d_bonus=e.delta.bonus,
        after_cash=e.balance_after.cash, after_bonus=e.balance_after.bonus,
        refs=dict(e.refs), created_at=e.created_at,
        **({"d_held_cash": e.held_delta.cash, "d_held_bonus": e.held_delta.bonus,
            "after_held_cash": e.held_after.cash, "after_held_bonus": e.held_after.bonus}
           if e.held_delta != Lots() or e.held_after != Lots() else {}),
    )


def _points_entry(item: PointsEntryItem) -> PointsEntry:
    return PointsEntry(
        user_id=item.user_id, seq=int(item.seq), entry_id=item.entry_id, type=item.type,
        after=PointsAccount.from_doc(item.after), created_at=item.created_at, spent=int(item.spent or 0),
        earned=int(item.earned or 0), returned=int(item.returned or 0), clawed=int(item.clawed or 0),
        shortfall=int(item.shortfall or 0), held=int(item.held or 0),
        refs=dict(item.refs.as_dict() if hasattr(item.refs, "as_dict") else item.refs or {}),
    )


def _topup(item: TopupItem) -> Topup:
    return Topup(
        topup_id=item.topup_id, user_id=item.user_id, amount=int(item.amount), channel=item.channel,
        status=item.status, created_at=item.created_at, provider_ref=item.provider_ref, option_id=item.option_id,
        bonus=None if item.bonus is None else int(item.bonus), plan_id=item.plan_id,
    )


def _payment(item: PaymentItem) -> Payment:
    return Payment(
        payment_id=item.payment_id, user_id=item.user_id, merchant_id=item.merchant_id, order_id=item.order_id,
        amount=int(item.amount), funded_by=Lots(int(item.funded_cash), int(item.funded_bonus)),
        items=item.items, created_at=item.created_at,
        refunded=Lots(int(item.refunded_cash), int(item.refunded_bonus)), version=int(item.version),
        checkout_id=item.checkout_id, discount=int(item.discount or 0), external=int(item.external or 0),
        rules_version=None if item.rules_version is None else int(item.rules_version),
        status=item.status or "succeeded", expires_at=item.hold_expires_at, local_day=item.local_day,
        points_spent=int(item.points_spent or 0), points_earned=int(item.points_earned or 0),
        points_returned=int(item.points_returned or 0), points_clawed=int(item.points_clawed or 0),
        coupon_id=item.coupon_id, coupon_discount=int(item.coupon_discount or 0),
        bonus_from=drawn_from_doc(item.bonus_from),
        promotion_discount=int(item.promotion_discount or 0), promotions=tuple(item.promotions or ()),
        points_factor_percent=int(item.points_factor_percent or 100),
    )


def _checkout(item: CheckoutItem) -> Checkout:
    return Checkout(
        checkout_id=item.checkout_id, merchant_id=item.merchant_id, order_id=item.order_id, user_id=item.user_id,
        lines=tuple(Line(str(x["sku"]), str(x["category"]), int(x["unit_price"]), int(x["quantity"]))
                    for x in item.lines),
        status=item.status, created_at=item.created_at, expires_at=item.expires_at, payment_id=item.payment_id,
        cancelled_at=item.cancelled_at, cancel_reason=item.cancel_reason,
    )


def _points_version_is(version: int) -> Any:
    """The condition that the points account is still at ``version`` (a redemption changes it alone)."""
    if version == 0:
        return WalletItem.points_version.does_not_exist() | (WalletItem.points_version == 0)
    return WalletItem.points_version == version


def _tiers(item: TiersItem) -> TierTable:
    return TierTable(tuple(Tier(t["name"], int(t["threshold"]), int(t["multiplier_percent"]),
                                int(t["discount_percent"])) for t in item.tiers), int(item.version))


def _reward(item: RewardItem) -> Reward:
    return Reward(reward_id=item.reward_id, name=item.name, kind=item.reward_kind, points_cost=int(item.points_cost),
                  coupon_definition_id=item.coupon_definition_id, stock=int(item.stock),
                  per_customer_limit=int(item.per_customer_limit), active=bool(item.active))


def _coupon(item: CouponItem) -> Coupon:
    return Coupon(coupon_id=item.coupon_id, user_id=item.user_id, terms=CouponTerms.from_dict(item.terms),
                  state=item.state, granted_at=item.granted_at, payment_id=item.payment_id,
                  budget_shard=None if item.budget_shard is None else int(item.budget_shard))


def _definition(item: CouponDefinitionItem) -> CouponDefinition:
    return CouponDefinition(
        terms=CouponTerms.from_dict(item.terms), per_customer_limit=int(item.per_customer_limit),
        budget_count=None if item.budget_count is None else int(item.budget_count),
        budget_amount=None if item.budget_amount is None else int(item.budget_amount), version=int(item.version))


def _rules(item: RulesItem) -> BalanceRules:
    return BalanceRules.from_view(item.merchant_id, item.document, int(item.version), item.updated_at)


def _refund(item: RefundItem) -> Refund:
    return Refund(
        refund_id=item.refund_id, payment_id=item.payment_id, amount=int(item.amount),
        returned_to=Lots(int(item.r_cash), int(item.r_bonus)), reason=item.reason, created_at=item.created_at,
        points_returned=int(item.points_returned or 0), points_clawed=int(item.points_clawed or 0),
    )


def _promotion(item: PromotionItem) -> Promotion:
    g = item.grant or {}
    return Promotion(
        promotion_id=item.promotion_id, name=item.name, merchant_id=item.merchant_id, starts_at=item.starts_at,
        ends_at=item.ends_at, effect=Effect.from_doc(item.effect), status=item.status, created_at=item.created_at,
        created_by=item.created_by, version=int(item.version), updated_at=item.updated_at,
        activated_at=item.activated_at, finished_at=item.finished_at, cancelled_at=item.cancelled_at,
        request_hash=item.request_hash,
        grant=GrantProgress(state=g.get("state", "not_started"), cursor=g.get("cursor"),
                            granted=int(g.get("granted", 0)), skipped=int(g.get("skipped", 0)),
                            pages=int(g.get("pages", 0))),
    )


def _grant_doc(g: GrantProgress) -> dict[str, Any]:
    return {"state": g.state, "cursor": g.cursor, "granted": g.granted, "skipped": g.skipped, "pages": g.pages}


def _merchant(item: MerchantItem) -> Merchant:
    return Merchant(merchant_id=item.merchant_id, name=item.name, status=item.status)


def _idem(item: IdempotencyItem) -> IdempotencyRecord:
    scope, key = item.pk[2:].split("#", 1)
    return IdempotencyRecord(
        scope=scope, key=key, request_hash=item.request_hash, status_code=int(item.status_code),
        body=item.body, created_at=item.created_at,
    )


class DynamoLedgerStore:
    """LedgerStore on DynamoDB through PynamoDB."""

    def __init__(self, idempotency_ttl_seconds: int) -> None:
        self._ttl = timedelta(seconds=idempotency_ttl_seconds)
        # Connect the base model first: every item model then inherits its one connection (one botocore
        # client per process) instead of creating its own on first use (50-150 ms each on a cold start).
        # Every DynamoDB call becomes a subsegment of the request's trace (when tracing is on).
        tracer.instrument(LedgerItem._get_connection().connection.client)

    @property
    def _connection(self) -> Any:
        return LedgerItem._get_connection().connection

    # ---- reads ------------------------------------------------------------

    @capture_method
    def snapshot(
        self,
        *,
        wallet: str | None = None,
        merchant: str | None = None,
        payment: str | None = None,
        topup: str | None = None,
        idempotency: tuple[str, str] | None = None,
        checkout: str | None = None,
        paid_order: tuple[str, str] | None = None,
        checkout_guard: tuple[str, str] | None = None,
        rules: str | None = None,
        coupon: tuple[str, str] | None = None,
        reward: str | None = None,
        redemptions: tuple[str, str] | None = None,
        coupon_definition: str | None = None,
        tiers: bool = False,
    ) -> Snapshot:
        """Read the named items in one strongly consistent TransactGetItems."""
        asked: list[tuple[str, type, tuple[str, str], Any]] = []
        if checkout is not None:
            asked.append(("checkout", CheckoutItem, checkout_key(checkout), _checkout))
        if rules is not None:
            asked.append(("rules", RulesItem, rules_key(rules), _rules))
        if coupon is not None:
            asked.append(("coupon", CouponItem, coupon_key(*coupon), _coupon))
        if reward is not None:
            asked.append(("reward", RewardItem, reward_key(reward), _reward))
        if redemptions is not None:
            asked.append(("redemptions", RedemptionsItem, redemptions_key(*redemptions), lambda i: int(i.redeemed)))
        if tiers:
            asked.append(("tiers", TiersItem, tiers_key(), _tiers))
        if coupon_definition is not None:
            asked.append(("coupon_definition", CouponDefinitionItem, coupon_definition_key(coupon_definition),
                          _definition))
        if paid_order is not None:
            asked.append(("paid_order", OrderItem, order_key(*paid_order), lambda i: i.payment_id))
        if checkout_guard is not None:
            asked.append(("checkout_guard", CheckoutGuardItem, checkout_guard_key(*checkout_guard),
                          lambda i: i.checkout_id if int(i.expires_epoch) > datetime.now(timezone.utc).timestamp()
                          else None))
        if wallet is not None:
            asked.append(("wallet", WalletItem, wallet_key(wallet), _wallet))
        if merchant is not None:
            asked.append(("merchant", MerchantItem, merchant_key(merchant), _merchant))
        if payment is not None:
            asked.append(("payment", PaymentItem, payment_key(payment), _payment))
        if topup is not None:
            asked.append(("topup", TopupItem, topup_key(topup), _topup))
        if idempotency is not None:
            asked.append(("idempotency", IdempotencyItem, idempotency_key(*idempotency), _idem))
        if not asked:
            return Snapshot()
        with TransactGet(connection=self._connection) as tg:
            futures = [(name, cls, tg.get(cls, *key), conv) for name, cls, key, conv in asked]
        found: dict[str, Any] = {}
        for name, cls, future, conv in futures:
            try:
                found[name] = conv(future.get())
            except cls.DoesNotExist:
                found[name] = None
        return Snapshot(**found)

    def get_idempotency(self, scope: str, key: str) -> IdempotencyRecord | None:
        try:
            return _idem(IdempotencyItem.get(*idempotency_key(scope, key), consistent_read=True))
        except IdempotencyItem.DoesNotExist:
            return None

    def get_wallet(self, user_id: str) -> Wallet | None:
        try:
            return _wallet(WalletItem.get(*wallet_key(user_id), consistent_read=True))
        except WalletItem.DoesNotExist:
            return None

    def list_entries(
        self, user_id: str, limit: int, before_seq: int | None = None, entry_type: str | None = None
    ) -> tuple[list[Entry], int | None]:
        """Newest first. Returns the page and the seq to continue before (None at the end)."""
        pk, _ = wallet_key(user_id)
        if before_seq is None:
            condition = EntryItem.sk.startswith("E#")
        else:
            condition = EntryItem.sk.between("E#", entry_key(user_id, max(before_seq - 1, 0))[1])
        filter_condition = (EntryItem.type == entry_type) if entry_type else None
        items = EntryItem.query(
            pk, condition, filter_condition=filter_condition, scan_index_forward=False,
            limit=limit + 1, page_size=100 if entry_type else limit + 1, consistent_read=True,
        )
        entries = [_entry(item) for item in items]
        if len(entries) > limit:
            page = entries[:limit]
            return page, page[-1].seq
        return entries, None

    def get_payment_with_refunds(self, payment_id: str) -> tuple[Payment | None, list[Refund]]:
        """The payment and its refunds: one Query of the payment's partition."""
        pk, _ = payment_key(payment_id)
        payment, refunds, last_key = None, [], None
        while True:
            page = self._connection.query(LedgerItem.Meta.table_name, pk, exclusive_start_key=last_key,
                                          consistent_read=True)
            for raw in page.get("Items", []):
                sk = raw["sk"]["S"]
                if sk == "PAYMENT":
                    payment = _payment(PaymentItem.from_raw_data(raw))
                elif sk.startswith("R#"):
                    refunds.append(_refund(RefundItem.from_raw_data(raw)))
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return payment, refunds

    def list_points_entries(self, user_id: str, limit: int, before_seq: int | None = None
                            ) -> tuple[list[PointsEntry], int | None]:
        """Newest first; the seq to continue before (None at the end)."""
        pk, _ = wallet_key(user_id)
        if before_seq is None:
            condition = PointsEntryItem.sk.startswith("PE#")
        else:
            condition = PointsEntryItem.sk.between("PE#", points_entry_key(user_id, max(before_seq - 1, 0))[1])
        items = PointsEntryItem.query(pk, condition, scan_index_forward=False, limit=limit + 1,
                                      page_size=limit + 1, consistent_read=True)
        rows = [_points_entry(i) for i in items]
        if len(rows) > limit:
            return rows[:limit], rows[limit - 1].seq
        return rows, None

    def health(self) -> bool:
        return LedgerItem.exists()

    def scan(self) -> Iterator[tuple[str, Wallet | None, list[Entry], list[PointsEntry]]]:
        """Every wallet with its entries and points entries (a full scan: for reconciliation jobs, not the
        hot path)."""
        wallets: dict[str, Wallet] = {}
        entries: dict[str, list[Entry]] = defaultdict(list)
        points: dict[str, list[PointsEntry]] = defaultdict(list)
        for raw in self._scan_raw():
            kind = raw.get("kind", {}).get("S")
            if kind == "wallet":
                w = _wallet(WalletItem.from_raw_data(raw))
                wallets[w.user_id] = w
            elif kind == "entry":
                e = _entry(EntryItem.from_raw_data(raw))
                entries[e.user_id].append(e)
            elif kind == "points_entry":
                pe = _points_entry(PointsEntryItem.from_raw_data(raw))
                points[pe.user_id].append(pe)
        for user_id in sorted(set(wallets) | set(entries) | set(points)):
            yield (user_id, wallets.get(user_id), sorted(entries.get(user_id, []), key=lambda e: e.seq),
                   sorted(points.get(user_id, []), key=lambda e: e.seq))

    def _scan_raw(self) -> Iterator[dict[str, Any]]:
        last_key = None
        while True:
            page = self._connection.scan(
                LedgerItem.Meta.table_name, exclusive_start_key=last_key, consistent_read=True
            )
            yield from page.get("Items", [])
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return

    # ---- writes -----------------------------------------------------------

    def _idem_item(self, rec: IdempotencyRecord) -> IdempotencyItem:
        pk, sk = idempotency_key(rec.scope, rec.key)
        return IdempotencyItem(
            pk, sk, kind="idempotency", request_hash=rec.request_hash, status_code=rec.status_code,
            body=rec.body, created_at=rec.created_at, expires_at=datetime.now(timezone.utc) + self._ttl,
        )

    @capture_method
    def commit(self, m: Movement) -> None:
        """Commit one movement as one TransactWriteItems, or raise the guard that failed."""
        w, e = m.wallet, m.entry
        puts: list[tuple[str, LedgerItem, Any]] = [("entry", _entry_item(e), EntryItem.pk.does_not_exist())]
        if m.idempotency is not None:
            puts.append(("idempotency", self._idem_item(m.idempotency), IdempotencyItem.pk.does_not_exist()))
        if m.new_payment is not None:
            p = m.new_payment
            puts.append(("payment", PaymentItem(
                *payment_key(p.payment_id), kind="payment", payment_id=p.payment_id, user_id=p.user_id,
                merchant_id=p.merchant_id, order_id=p.order_id, amount=p.amount,
                funded_cash=p.funded_by.cash, funded_bonus=p.funded_by.bonus, refunded_cash=0,
                refunded_bonus=0, version=0, items=p.items, created_at=p.created_at, checkout_id=p.checkout_id,
                discount=p.discount, external=p.external, rules_version=p.rules_version, status=p.status,
                hold_expires_at=p.expires_at, local_day=p.local_day, points_spent=p.points_spent,
                points_earned=p.points_earned, coupon_id=p.coupon_id, coupon_discount=p.coupon_discount,
                bonus_from=[d.as_doc() for d in p.bonus_from] if p.bonus_from else None,
                **({"promotion_discount": p.promotion_discount, "promotions": list(p.promotions),
                    "points_factor_percent": p.points_factor_percent} if p.promotions else {}),
                **({"hold_shard": str(int(p.payment_id[-4:], 16) % HOLD_SHARDS), "hold_due": p.expires_at}
                   if p.status == "authorized" else {}),
            ), PaymentItem.pk.does_not_exist()))
            # one payment per order; an order whose authorization was voided or expired may be paid again
            puts.append(("order", OrderItem(
                *order_key(p.merchant_id, p.order_id), kind="order", payment_id=p.payment_id
            ), OrderItem.pk.does_not_exist() | (OrderItem.released == True)))  # noqa: E712 - a condition
        if m.refund is not None:
            r = m.refund
            puts.append(("refund", RefundItem(
                *refund_key(r.payment_id, r.refund_id), kind="refund", refund_id=r.refund_id,
                payment_id=r.payment_id, amount=r.amount, r_cash=r.returned_to.cash,
                r_bonus=r.returned_to.bonus, reason=r.reason, created_at=r.created_at,
                points_returned=r.points_returned, points_clawed=r.points_clawed,
            ), RefundItem.pk.does_not_exist()))
        if m.points_entry is not None:
            pe = m.points_entry
            puts.append(("points_entry", PointsEntryItem(
                *points_entry_key(pe.user_id, pe.seq), kind="points_entry", user_id=pe.user_id, seq=pe.seq,
                entry_id=pe.entry_id, type=pe.type, spent=pe.spent, earned=pe.earned, returned=pe.returned,
                clawed=pe.clawed, shortfall=pe.shortfall, held=pe.held, delta=pe.delta, after=pe.after.as_doc(), refs=dict(pe.refs),
                created_at=pe.created_at,
            ), PointsEntryItem.pk.does_not_exist()))

        updates: list[tuple[str, LedgerItem, list, Any]] = []
        after = e.balance_after
        wallet_item = WalletItem(*wallet_key(w.user_id))
        wallet_condition = (
            (WalletItem.version.does_not_exist() | (WalletItem.version == 0))
            if w.version == 0 else (WalletItem.version == w.version)
        )
        wallet_actions = [
            WalletItem.kind.set("wallet"),
            WalletItem.user_id.set(w.user_id),
            WalletItem.currency.set(w.currency),
            WalletItem.cash.set(after.cash),
            WalletItem.bonus.set(after.bonus),
            WalletItem.version.set(e.seq),
            WalletItem.updated_at.set(e.created_at),
            WalletItem.held_cash.set(e.held_after.cash),
            WalletItem.held_bonus.set(e.held_after.bonus),
        ]
        if m.daily_spend is not None:
            wallet_actions.append(WalletItem.daily_spend.set({k: list(v) for k, v in m.daily_spend.items()}))
        if m.membership is not None:
            months, tier, since = m.membership
            wallet_actions.append(WalletItem.spend_months.set(months))
            wallet_actions.append(WalletItem.tier.set(tier) if tier else WalletItem.tier.remove())
            wallet_actions.append(WalletItem.tier_since.set(since) if since else WalletItem.tier_since.remove())
        if e.delta.bonus and m.bonus_grants is None:
            raise AssertionError("a movement of bonus must say which grants it moves")
        if m.bonus_grants is not None:
            assert sum(g.amount for g in m.bonus_grants) == after.bonus, "bonus grants must sum to the bonus lot"
            wallet_actions.append(WalletItem.bonus_grants.set([g.as_doc() for g in m.bonus_grants]))
            due = soonest_expiry(m.bonus_grants)
            wallet_actions.extend([WalletItem.bonus_shard.set(str(int(hashlib.sha256(w.user_id.encode()).hexdigest(), 16)
                                                                  % BONUS_SHARDS)), WalletItem.bonus_due.set(due)]
                                  if due else [WalletItem.bonus_shard.remove(), WalletItem.bonus_due.remove()])
        if m.spend_days is not None:
            wallet_actions.append(WalletItem.spend_days.set(m.spend_days))
        if m.plan_uses is not None:
            wallet_actions.append(WalletItem.plan_uses.set(m.plan_uses))
        if m.points_entry is not None:
            wallet_actions.append(WalletItem.points.set(m.points_entry.after.as_doc()))
            wallet_actions.append(WalletItem.points_version.set(m.points_entry.seq))
            wallet_condition = wallet_condition & _points_version_is(m.wallet.points.version)
        updates.append(("wallet", wallet_item, wallet_actions, wallet_condition))
        if m.checkout is not None and m.new_payment is not None:
            updates.append(("checkout", CheckoutItem(*checkout_key(m.checkout.checkout_id)), [
                CheckoutItem.status.set("paid" if m.new_payment.status == "succeeded" else "authorized"),
                CheckoutItem.payment_id.set(m.new_payment.payment_id),
            ], CheckoutItem.pk.exists() & (CheckoutItem.status == "open")))
        if m.settle is not None:
            updates.extend(self._settlement(m.settle))
        if m.coupon is not None:
            updates.extend(self._coupon_change(m.coupon))
        if m.refund is not None and m.payment is not None:
            p = m.payment
            refunded = p.refunded + m.refund.returned_to
            updates.append(("payment_refund", PaymentItem(*payment_key(p.payment_id)), [
                PaymentItem.refunded_cash.set(refunded.cash),
                PaymentItem.refunded_bonus.set(refunded.bonus),
                PaymentItem.points_returned.set(p.points_returned + m.refund.points_returned),
                PaymentItem.points_clawed.set(p.points_clawed + m.refund.points_clawed),
                PaymentItem.version.set(p.version + 1),
                *([PaymentItem.bonus_from.set([d.as_doc() for d in m.payment_bonus_from])]
                  if m.payment_bonus_from is not None else []),
            ], PaymentItem.pk.exists() & (PaymentItem.version == p.version)))
        if m.topup is not None:
            t = m.topup
            updates.append(("topup", TopupItem(*topup_key(t.topup_id)), [
                TopupItem.status.set("succeeded"),
                TopupItem.provider_ref.set(t.provider_ref),
                TopupItem.updated_at.set(e.created_at),
                TopupItem.bonus.set(t.bonus or 0),
                *([TopupItem.plan_id.set(t.plan_id)] if t.plan_id else []),
            ], TopupItem.pk.exists() & (TopupItem.status == "pending")))

        try:
            with Guarded(self._connection) as tx:
                for name, item, condition in puts:
                    tx.put(name, item, condition)
                for name, item, actions, condition in updates:
                    tx.change(name, item, actions, condition, return_values="ALL_OLD" if name == "wallet" else None)
        except Cancelled as exc:
            failed = exc.failed
            if "idempotency" in failed:
                raise IdempotencyKeyTaken() from exc
            if "order" in failed and m.new_payment is not None:
                raise OrderAlreadyPaid(m.new_payment.merchant_id, m.new_payment.order_id) from exc
            if "checkout" in failed:  # paid, authorized or cancelled meanwhile: the re-read says which
                raise WalletChanged(None) from exc
            if "coupon_budget" in failed and m.coupon is not None:
                raise BudgetShardExhausted(m.coupon.shard) from exc
            # anything else read has changed (wallet version, refund total, a top-up settled meanwhile):
            # the caller re-reads and retries, and answers from the new state.
            # The entry's key is the next version, so it collides exactly when the wallet moved. The
            # failed wallet is handed back for a retry without reading, but only to a movement planned
            # from the wallet alone: a settlement's or a refund's plan also rests on the payment, and the
            # reasons need not name every failed condition (evaluation may stop at the wallet), so a
            # fresh wallet beside a stale payment could plan the impossible (a hold released twice).
            # The points entry's key is the points account's next version, which the wallet carries too.
            only_wallet = ("wallet" in failed and failed <= {"wallet", "entry", "points_entry"}
                           and m.settle is None and m.refund is None)
            wallet_now = exc.raw_item("wallet") if only_wallet else None
            raise WalletChanged(_wallet(WalletItem.from_raw_data(wallet_now)) if wallet_now else None) from exc

    @staticmethod
    def _coupon_change(c: CouponChange) -> list[tuple[str, LedgerItem, list, Any]]:
        """The coupon's new state (conditioned on the state read) and, for a budgeted coupon, its shard."""
        coupon = c.coupon
        actions = [CouponItem.state.set(c.state)]
        actions.append(CouponItem.payment_id.set(c.payment_id) if c.payment_id else CouponItem.payment_id.remove())
        keeps_shard = c.state in ("held", "used") and c.shard is not None
        actions.append(CouponItem.budget_shard.set(c.shard) if keeps_shard else CouponItem.budget_shard.remove())
        out: list[tuple[str, LedgerItem, list, Any]] = [(
            "coupon", CouponItem(*coupon_key(coupon.user_id, coupon.coupon_id)), actions,
            CouponItem.pk.exists() & (CouponItem.state == coupon.state))]
        terms = coupon.terms
        if c.budget and c.shard is not None and terms.budgeted:
            budget_actions, condition = [], CouponBudgetItem.pk.exists()
            if terms.counts_uses:
                budget_actions.append(CouponBudgetItem.count_left.add(c.budget))
                if c.budget < 0:  # taking a use: one must be left in this shard
                    condition = condition & (CouponBudgetItem.count_left >= -c.budget)
            if terms.counts_amount:
                budget_actions.append(CouponBudgetItem.amount_left.add(c.budget * c.discount))
                if c.budget < 0:  # taking the discount: that much must be left in this shard
                    condition = condition & (CouponBudgetItem.amount_left >= c.discount)
            out.append(("coupon_budget", CouponBudgetItem(*coupon_budget_key(terms.definition_id, c.shard)),
                        budget_actions, condition))
        return out

    @staticmethod
    def _settlement(st: Settlement) -> list[tuple[str, LedgerItem, list, Any]]:
        """The updates that end an authorization: the payment (from the version and status read), its
        checkout (paid, or open again), and for a void or an expiry its order guard (released)."""
        p = st.payment
        out: list[tuple[str, LedgerItem, list, Any]] = [("payment_settle", PaymentItem(*payment_key(p.payment_id)), [
            PaymentItem.status.set(st.status),
            PaymentItem.points_earned.set(st.points_earned),
            PaymentItem.funded_cash.set(st.funded_by.cash),
            PaymentItem.funded_bonus.set(st.funded_by.bonus),
            PaymentItem.version.set(p.version + 1),
            PaymentItem.bonus_from.set([d.as_doc() for d in st.bonus_from]) if st.bonus_from
            else PaymentItem.bonus_from.remove(),
            PaymentItem.hold_shard.remove(),
            PaymentItem.hold_due.remove(),
        ], PaymentItem.pk.exists() & (PaymentItem.version == p.version) & (PaymentItem.status == "authorized"))]
        if p.checkout_id:
            actions = [CheckoutItem.status.set(st.checkout_status)]
            if st.checkout_status == "open":
                actions.append(CheckoutItem.payment_id.remove())
            out.append(("checkout_settle", CheckoutItem(*checkout_key(p.checkout_id)), actions,
                        CheckoutItem.payment_id == p.payment_id))
        if st.status != "succeeded":
            out.append(("order_release", OrderItem(*order_key(p.merchant_id, p.order_id)),
                        [OrderItem.released.set(True)], OrderItem.payment_id == p.payment_id))
        return out

    @staticmethod
    def _listed(index: Any, shards: int, sk: str, condition: Any = None) -> list[str]:
        """The ids (the part of pk after its 2-character prefix) of the ``sk`` items a sparse index lists in
        its shards 0..shards-1, optionally within ``condition`` on its range key (eventually consistent:
        whoever acts on the list re-reads each item and writes under a condition)."""
        return [item.pk[2:] for shard in range(shards)
                for item in index.query(str(shard), condition) if item.sk == sk]

    def open_holds_due(self, before: str) -> list[str]:
        """Ids of the authorizations whose hold ends before ``before``: the sweeper settles each with a
        conditional transaction, so a stale entry settles nothing."""
        return self._listed(LedgerItem.open_holds, HOLD_SHARDS, "PAYMENT", LedgerItem.hold_due < before)

    def wallets_with_bonus_due(self, before: str) -> list[str]:
        """Users whose wallet holds a bonus grant expiring before ``before`` (index ``bonus-due``)."""
        return self._listed(LedgerItem.bonus_due_index, BONUS_SHARDS, "WALLET", LedgerItem.bonus_due < before)

    def wallets_to_remind(self) -> list[str]:
        """Users who asked for run-out reminders (index ``reminders``)."""
        return self._listed(LedgerItem.remind_list, REMIND_SHARDS, "WALLET")

    def create_topup(self, topup: Topup, idem: IdempotencyRecord) -> None:
        try:
            with Guarded(self._connection) as tx:
                tx.put("idempotency", self._idem_item(idem), IdempotencyItem.pk.does_not_exist())
                tx.put("topup", TopupItem(
                    *topup_key(topup.topup_id), kind="topup", topup_id=topup.topup_id, user_id=topup.user_id,
                    amount=topup.amount, channel=topup.channel, status=topup.status, created_at=topup.created_at,
                    option_id=topup.option_id,
                ), TopupItem.pk.does_not_exist())
        except Cancelled as exc:
            if "idempotency" in exc.failed:
                raise IdempotencyKeyTaken() from exc
            raise

    def fail_topup(self, topup: Topup, provider_ref: str, at: str) -> None:
        item = TopupItem(*topup_key(topup.topup_id))
        try:
            item.update(
                actions=[TopupItem.status.set("failed"), TopupItem.provider_ref.set(provider_ref),
                         TopupItem.updated_at.set(at)],
                condition=TopupItem.pk.exists() & (TopupItem.status == "pending"),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise TopupNotPending(topup.topup_id, "processed") from exc
            raise

    def update_settings(self, user_id: str, currency: str, at: str, threshold: int | None = None,
                        reminders: dict[str, Any] | None = None) -> Wallet:
        """Set the named settings and nothing else, in one UpdateItem: the money attributes are created as zero
        if absent and never changed here, and the version is not touched, so a payment's transaction (which
        conditions on the version and sets only money attributes) neither loses this write nor is refused by it.
        ``reminders`` holds only the fields to change (None turns one off). Setting ``run_out_days`` lists the
        wallet in the ``reminders`` index (``remind_shard``); turning it off takes it out."""
        item = WalletItem(*wallet_key(user_id))
        actions = [
            WalletItem.kind.set("wallet"),
            WalletItem.user_id.set(user_id),
            WalletItem.currency.set(WalletItem.currency | currency),
            WalletItem.cash.set(WalletItem.cash | 0),
            WalletItem.bonus.set(WalletItem.bonus | 0),
            WalletItem.version.set(WalletItem.version | 0),
            WalletItem.updated_at.set(at),
        ]
        if threshold is not None:
            actions.append(WalletItem.low_balance_threshold.set(threshold))
        changes = reminders or {}
        if "low_balance" in changes:
            actions.append(WalletItem.remind_low_balance.set(bool(changes["low_balance"])))
        if "run_out_days" in changes:
            days = changes["run_out_days"]
            actions += ([WalletItem.remind_run_out_days.set(days), WalletItem.remind_shard.set(remind_shard(user_id))]
                        if days is not None else
                        [WalletItem.remind_run_out_days.remove(), WalletItem.remind_shard.remove()])
        if "bonus_expiry_days" in changes:
            actions.append(WalletItem.remind_bonus_days.set(changes["bonus_expiry_days"] or 0))
        if "email" in changes:
            email = changes["email"]
            actions.append(WalletItem.remind_email.set(email) if email else WalletItem.remind_email.remove())
        item.update(actions=actions, condition=WalletItem.user_id.does_not_exist() | (WalletItem.user_id == user_id))
        return _wallet(item)

    # ---- the inbox --------------------------------------------------------------

    def put_notification(self, n: Notification, dedupe_key: str) -> tuple[bool, Notification | None]:
        """The notification and its dedupe guard in one transaction. (True, n) when created; (False, the one
        created before under the same key) when the key was used (None if that one has expired)."""
        now = datetime.now(timezone.utc)
        try:
            with Guarded(self._connection) as tx:
                tx.put("dedupe_key", NotificationKeyItem(
                    *notification_guard_key(n.user_id, dedupe_key), kind="notification_key",
                    notification_id=n.notification_id, expires_at=now + timedelta(days=NOTIFICATION_KEY_TTL_DAYS)),
                    NotificationKeyItem.pk.does_not_exist())
                tx.put("notification", NotificationItem(
                    *notification_key(n.user_id, n.notification_id), kind="notification",
                    notification_id=n.notification_id, user_id=n.user_id, type=n.type, title=n.title, body=n.body,
                    data=dict(n.data), created_at=n.created_at, email_status=n.email_status, email_to=n.email_to,
                    dedupe_key=dedupe_key, expires_at=now + timedelta(days=NOTIFICATION_TTL_DAYS),
                ), NotificationItem.pk.does_not_exist())
        except Cancelled as exc:
            if not exc.condition_failed("dedupe_key"):
                raise  # a conflict with a concurrent delivery of the same key: the caller's retry finds it
            guard = NotificationKeyItem.get(*notification_guard_key(n.user_id, dedupe_key), consistent_read=True)
            return False, self.get_notification(n.user_id, guard.notification_id)
        return True, n

    def get_notification(self, user_id: str, notification_id: str) -> Notification | None:
        try:
            return _notification(NotificationItem.get(*notification_key(user_id, notification_id),
                                                      consistent_read=True))
        except NotificationItem.DoesNotExist:
            return None

    def list_notifications(self, user_id: str, limit: int, before_id: str | None = None, unread: bool = False
                           ) -> tuple[list[Notification], str | None]:
        """Newest first; the id to continue before (None at the end)."""
        pk, _ = wallet_key(user_id)
        upper = notification_key(user_id, before_id)[1] if before_id else "N#~"
        items = NotificationItem.query(
            pk, NotificationItem.sk.between("N#", upper),
            filter_condition=NotificationItem.read_at.does_not_exist() if unread else None,
            scan_index_forward=False, page_size=100 if unread else limit + 2, consistent_read=True)
        rows: list[Notification] = []
        for item in items:
            if before_id is not None and item.notification_id == before_id:
                continue
            rows.append(_notification(item))
            if len(rows) > limit:
                page = rows[:limit]
                return page, page[-1].notification_id
        return rows, None

    def count_unread(self, user_id: str) -> int:
        """Unread notifications of the inbox (a filtered count over the inbox's keys: bounded by its TTL)."""
        pk, _ = wallet_key(user_id)
        return NotificationItem.count(pk, NotificationItem.sk.between("N#", "N#~"),
                                      filter_condition=NotificationItem.read_at.does_not_exist(),
                                      consistent_read=True)

    def mark_notification_read(self, user_id: str, notification_id: str, at: str) -> Notification | None:
        """Set ``read_at`` once (a second call keeps the first time); None when the caller has no such one."""
        item = NotificationItem(*notification_key(user_id, notification_id))
        try:
            item.update(actions=[NotificationItem.read_at.set(NotificationItem.read_at | at)],
                        condition=NotificationItem.pk.exists() & (NotificationItem.kind == "notification"))
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return _notification(item)

    def claim_email(self, user_id: str, notification_id: str, at: str, stale_before: str) -> bool:
        """Take the pending e-mail of a notification for sending: only one sender at a time (a claim older
        than ``stale_before`` is a crashed sender's and may be taken over). False when it is not pending
        or someone else holds a live claim."""
        item = NotificationItem(*notification_key(user_id, notification_id))
        try:
            item.update(actions=[NotificationItem.email_claimed_at.set(at)],
                        condition=(NotificationItem.email_status == EMAIL_PENDING)
                        & (NotificationItem.email_claimed_at.does_not_exist()
                           | (NotificationItem.email_claimed_at < stale_before)))
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def email_sent(self, user_id: str, notification_id: str, message_id: str, at: str) -> None:
        NotificationItem(*notification_key(user_id, notification_id)).update(actions=[
            NotificationItem.email_status.set(EMAIL_SENT), NotificationItem.email_message_id.set(message_id),
            NotificationItem.email_sent_at.set(at), NotificationItem.email_claimed_at.remove(),
        ], condition=NotificationItem.email_status == EMAIL_PENDING)

    def release_email(self, user_id: str, notification_id: str) -> None:
        """Give up a claim after a failed send: the e-mail stays pending for the next delivery."""
        try:
            NotificationItem(*notification_key(user_id, notification_id)).update(
                actions=[NotificationItem.email_claimed_at.remove()],
                condition=NotificationItem.email_status == EMAIL_PENDING)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    # ---- checkouts and rules ---------------------------------------------------

    def create_checkout(self, checkout: Checkout, idem: IdempotencyRecord) -> None:
        """The checkout, its order guard (new, or replacing an expired checkout's) and the key, in one transaction."""
        now = datetime.now(timezone.utc).timestamp()
        expires = datetime.fromisoformat(checkout.expires_at.replace("Z", "+00:00")).timestamp()
        try:
            with Guarded(self._connection) as tx:
                tx.put("idempotency", self._idem_item(idem), IdempotencyItem.pk.does_not_exist())
                tx.put("order_guard", CheckoutGuardItem(
                    *checkout_guard_key(checkout.merchant_id, checkout.order_id), kind="checkout_guard",
                    checkout_id=checkout.checkout_id, expires_epoch=int(expires)),
                    CheckoutGuardItem.pk.does_not_exist() | (CheckoutGuardItem.expires_epoch <= int(now)))
                tx.put("checkout", CheckoutItem(
                    *checkout_key(checkout.checkout_id), kind="checkout", checkout_id=checkout.checkout_id,
                    merchant_id=checkout.merchant_id, order_id=checkout.order_id, user_id=checkout.user_id,
                    lines=[line.as_dict() for line in checkout.lines], status=checkout.status,
                    created_at=checkout.created_at, expires_at=checkout.expires_at,
                ), CheckoutItem.pk.does_not_exist())
        except Cancelled as exc:
            if "idempotency" in exc.failed:
                raise IdempotencyKeyTaken() from exc
            if "order_guard" in exc.failed:
                raise CheckoutExists(checkout.merchant_id, checkout.order_id) from exc
            raise

    def cancel_checkout(self, checkout: Checkout, at: str, reason: str | None, release_order: bool) -> None:
        """Close an open checkout with no payment (conditioned on that), and with ``release_order`` its order's
        guard, so the order may get a new checkout. Raises ``WalletChanged`` if either changed since read."""
        try:
            with Guarded(self._connection) as tx:
                tx.change("checkout", CheckoutItem(*checkout_key(checkout.checkout_id)), [
                    CheckoutItem.status.set("cancelled"), CheckoutItem.cancelled_at.set(at),
                    *([CheckoutItem.cancel_reason.set(reason)] if reason else [])],
                    CheckoutItem.pk.exists() & (CheckoutItem.status == "open")
                    & CheckoutItem.payment_id.does_not_exist())
                if release_order:
                    tx.change("order_guard", CheckoutGuardItem(*checkout_guard_key(checkout.merchant_id,
                                                                                   checkout.order_id)),
                              [CheckoutGuardItem.expires_epoch.set(0)],
                              CheckoutGuardItem.checkout_id == checkout.checkout_id)
        except Cancelled as exc:
            raise WalletChanged(None) from exc  # the checkout was paid or authorized, or its order moved on

    def put_rules(self, rules: BalanceRules, document: dict[str, Any]) -> None:
        """Write version ``rules.version``, conditioned on the stored one being the version before it."""
        condition = (RulesItem.pk.does_not_exist() if rules.version == 1
                     else RulesItem.version == rules.version - 1)
        try:
            RulesItem(*rules_key(rules.merchant_id), kind="rules", merchant_id=rules.merchant_id,
                      version=rules.version, document=document, updated_at=rules.updated_at or "").save(
                condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise RulesChanged() from exc
            raise

    # ---- coupons ----------------------------------------------------------------

    def get_coupon_definition(self, definition_id: str) -> CouponDefinition | None:
        try:
            return _definition(CouponDefinitionItem.get(*coupon_definition_key(definition_id), consistent_read=True))
        except CouponDefinitionItem.DoesNotExist:
            return None

    def put_coupon_definition(self, d: CouponDefinition, at: str, budget_shards: list[tuple[int | None, int | None]]
                              ) -> None:
        """Version ``d.version`` of the definition, conditioned on the one before; the first version also
        creates its budget's shards (``(count, amount)`` each) in the same transaction."""
        condition = (CouponDefinitionItem.pk.does_not_exist() if d.version == 1
                     else CouponDefinitionItem.version == d.version - 1)
        item = CouponDefinitionItem(
            *coupon_definition_key(d.terms.definition_id), kind="coupon_definition",
            definition_id=d.terms.definition_id, terms=d.terms.as_dict(), per_customer_limit=d.per_customer_limit,
            budget_count=d.budget_count, budget_amount=d.budget_amount, version=d.version, updated_at=at)
        try:
            with Guarded(self._connection) as tx:
                tx.put("definition", item, condition)
                for shard, (count, amount) in enumerate(budget_shards if d.version == 1 else []):
                    tx.put(f"budget_shard_{shard}", CouponBudgetItem(
                        *coupon_budget_key(d.terms.definition_id, shard), kind="coupon_budget", count_left=count,
                        amount_left=amount), CouponBudgetItem.pk.does_not_exist())
        except Cancelled as exc:
            raise RulesChanged() from exc  # the definition (and so its shards) was written meanwhile

    def grant_coupon(self, coupon: Coupon, limit: int) -> str | None:
        """Grant one coupon: the coupon and its customer's count of this definition, in one transaction.
        None when granted (or granted before under the same id); else why not: ``limit_reached``."""
        grants = CouponGrantsItem(*coupon_grants_key(coupon.terms.definition_id, coupon.user_id))
        try:
            with Guarded(self._connection) as tx:
                tx.put("coupon", CouponItem(*coupon_key(coupon.user_id, coupon.coupon_id), kind="coupon",
                                            coupon_id=coupon.coupon_id, user_id=coupon.user_id,
                                            terms=coupon.terms.as_dict(), state=coupon.state,
                                            granted_at=coupon.granted_at), CouponItem.pk.does_not_exist())
                tx.change("grants", grants, [CouponGrantsItem.kind.set("coupon_grants"), CouponGrantsItem.granted.add(1)],
                          CouponGrantsItem.granted.does_not_exist() | (CouponGrantsItem.granted < limit))
        except Cancelled as exc:
            if "coupon" in exc.failed:
                return None  # this very coupon exists: an earlier attempt of the same grant
            if "grants" in exc.failed:
                return "limit_reached"
            raise
        return None

    def put_idempotency(self, record: IdempotencyRecord) -> None:
        """An answer recorded on its own (a use case whose effects are each idempotent by themselves)."""
        try:
            self._idem_item(record).save(condition=IdempotencyItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise IdempotencyKeyTaken() from exc
            raise

    # ---- membership tiers ----------------------------------------------------------

    def put_tiers(self, table: TierTable, at: str) -> None:
        condition = TiersItem.pk.does_not_exist() if table.version == 1 else TiersItem.version == table.version - 1
        try:
            TiersItem(*tiers_key(), kind="tiers", version=table.version, updated_at=at, tiers=[
                {"name": t.name, "threshold": t.threshold, "multiplier_percent": t.multiplier_percent,
                 "discount_percent": t.discount_percent} for t in table.tiers]).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise RulesChanged() from exc
            raise

    # ---- top-up bonus plans ------------------------------------------------------

    def put_topup_plan(self, plan: TopupPlan, at: str) -> None:
        """Create (version 1) or replace (the version read + 1) a plan; RulesChanged if someone else did first."""
        condition = (TopupPlanItem.pk.does_not_exist() if plan.version == 1
                     else TopupPlanItem.version == plan.version - 1)
        try:
            TopupPlanItem("PLANS", f"TP#{plan.plan_id}", kind="topup_plan", plan_id=plan.plan_id,
                          document=plan.as_doc(), version=plan.version, updated_at=at).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise RulesChanged() from exc
            raise

    def list_topup_plans(self) -> list[TopupPlan]:
        return [TopupPlan.from_doc(i.plan_id, i.document, int(i.version))
                for i in TopupPlanItem.query("PLANS", TopupPlanItem.sk.startswith("TP#"), consistent_read=True)]

    # ---- the rewards catalogue ---------------------------------------------------

    def put_reward(self, reward: Reward, at: str) -> None:
        RewardItem(*reward_key(reward.reward_id), kind="reward", reward_id=reward.reward_id, name=reward.name,
                   reward_kind=reward.kind, points_cost=reward.points_cost,
                   coupon_definition_id=reward.coupon_definition_id, stock=reward.stock,
                   per_customer_limit=reward.per_customer_limit, active=reward.active, updated_at=at).save()

    def list_rewards(self) -> list[Reward]:
        return [_reward(i) for i in RewardItem.query("REWARDS", RewardItem.sk.startswith("RW#"), consistent_read=True)]

    def redeem(self, r: Redemption) -> None:
        """One transaction: the points (conditioned on the account's version), the reward's stock (>= 1, active),
        the customer's count (< limit), the coupon it grants, the key. Raises what failed."""
        w, pe = r.wallet, r.points_entry
        try:
            with Guarded(self._connection) as tx:
                tx.put("idempotency", self._idem_item(r.idempotency), IdempotencyItem.pk.does_not_exist())
                tx.change("wallet", WalletItem(*wallet_key(w.user_id)), [
                    WalletItem.kind.set("wallet"), WalletItem.user_id.set(w.user_id),
                    WalletItem.currency.set(WalletItem.currency | w.currency),
                    WalletItem.cash.set(WalletItem.cash | 0), WalletItem.bonus.set(WalletItem.bonus | 0),
                    WalletItem.version.set(WalletItem.version | 0),
                    WalletItem.points.set(pe.after.as_doc()), WalletItem.points_version.set(pe.seq),
                ], _points_version_is(w.points.version))
                tx.put("points_entry", PointsEntryItem(
                    *points_entry_key(pe.user_id, pe.seq), kind="points_entry", user_id=pe.user_id, seq=pe.seq,
                    entry_id=pe.entry_id, type=pe.type, spent=pe.spent, delta=pe.delta, after=pe.after.as_doc(),
                    refs=dict(pe.refs), created_at=pe.created_at), PointsEntryItem.pk.does_not_exist())
                tx.change("reward", RewardItem(*reward_key(r.reward.reward_id)), [RewardItem.stock.add(-1)],
                          RewardItem.pk.exists() & (RewardItem.stock >= 1) & (RewardItem.active == True))  # noqa: E712
                tx.change("redemptions", RedemptionsItem(*redemptions_key(r.reward.reward_id, w.user_id)),
                          [RedemptionsItem.kind.set("redemptions"), RedemptionsItem.redeemed.add(1)],
                          RedemptionsItem.redeemed.does_not_exist()
                          | (RedemptionsItem.redeemed < r.reward.per_customer_limit))
                if r.coupon is not None:
                    c = r.coupon
                    tx.put("coupon", CouponItem(*coupon_key(c.user_id, c.coupon_id), kind="coupon",
                                                coupon_id=c.coupon_id, user_id=c.user_id, terms=c.terms.as_dict(),
                                                state=c.state, granted_at=c.granted_at), CouponItem.pk.does_not_exist())
        except Cancelled as exc:
            if "idempotency" in exc.failed:
                raise IdempotencyKeyTaken() from exc
            if exc.condition_failed("reward"):
                raise OutOfStock(r.reward.reward_id) from exc
            if exc.condition_failed("redemptions"):
                raise PaymentRefused("redemption_limit_reached", "this reward's limit per customer is reached",
                                     reward_id=r.reward.reward_id) from exc
            raise WalletChanged(None) from exc  # the points moved (or a conflict): re-read and retry

    def list_coupons(self, user_id: str) -> list[Coupon]:
        pk, _ = wallet_key(user_id)
        return [_coupon(i) for i in CouponItem.query(pk, CouponItem.sk.startswith("CP#"), consistent_read=True)]

    # ---- promotions ----------------------------------------------------------------

    def get_promotion(self, promotion_id: str) -> Promotion | None:
        try:
            return _promotion(PromotionItem.get(*promotion_key(promotion_id), consistent_read=True))
        except PromotionItem.DoesNotExist:
            return None

    def list_promotions(self) -> list[Promotion]:
        """Every promotion, by start (one Query of the promotions' partition)."""
        return [_promotion(i) for i in PromotionItem.query(PROMOTIONS_PK, PromotionItem.sk.startswith("PR#"),
                                                          consistent_read=True)]

    def promotions_that_may_be_live(self, since: datetime) -> list[Promotion]:
        """The scheduled or active promotions that start at or after ``since`` (one Query of a range of ids)."""
        return [_promotion(i) for i in PromotionItem.query(
            PROMOTIONS_PK, PromotionItem.sk.between(f"PR#{id_floor(since)}", "PR#prm_~"),
            filter_condition=PromotionItem.status.is_in(*LIVE_STATUSES))]

    def put_pending_promotion(self, p: Promotion) -> bool:
        """Write a new promotion (status ``pending``); False if one with its id exists already."""
        try:
            PromotionItem(
                *promotion_key(p.promotion_id), kind="promotion", promotion_id=p.promotion_id, name=p.name,
                merchant_id=p.merchant_id, starts_at=p.starts_at, ends_at=p.ends_at, effect_kind=p.effect.kind,
                effect=p.effect.as_doc(), status=p.status, version=p.version, created_at=p.created_at,
                created_by=p.created_by, updated_at=p.created_at, request_hash=p.request_hash,
                grant=_grant_doc(p.grant) if p.effect.kind == "grant_coupon" else None,
            ).save(condition=PromotionItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def confirm_promotion(self, p: Promotion, at: str, idem: IdempotencyRecord) -> None:
        """pending -> scheduled (from the version read) and the creating request's key, in one transaction."""
        try:
            with Guarded(self._connection) as tx:
                tx.put("idempotency", self._idem_item(idem), IdempotencyItem.pk.does_not_exist())
                tx.change("promotion", PromotionItem(*promotion_key(p.promotion_id)), [
                    PromotionItem.status.set("scheduled"), PromotionItem.version.set(p.version + 1),
                    PromotionItem.updated_at.set(at)],
                    (PromotionItem.version == p.version) & (PromotionItem.status == "pending"))
        except Cancelled as exc:
            if "idempotency" in exc.failed:
                raise IdempotencyKeyTaken() from exc
            raise RulesChanged() from exc

    def update_promotion(self, before: Promotion, after: Promotion) -> bool:
        """Write ``after``'s status, times and grant progress, conditioned on ``before``'s version; False if
        the promotion changed meanwhile."""
        actions = [PromotionItem.status.set(after.status), PromotionItem.version.set(after.version),
                   PromotionItem.updated_at.set(after.updated_at or "")]
        for name in ("activated_at", "finished_at", "cancelled_at"):
            value = getattr(after, name)
            if value is not None and value != getattr(before, name):
                actions.append(getattr(PromotionItem, name).set(value))
        if after.effect.kind == "grant_coupon" and after.grant != before.grant:
            actions.append(PromotionItem.grant.set(_grant_doc(after.grant)))
        try:
            PromotionItem(*promotion_key(before.promotion_id)).update(
                actions=actions, condition=PromotionItem.version == before.version, add_version_condition=False)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def scan_wallets(self, cursor: dict[str, Any] | None, limit: int) -> tuple[list[Wallet], dict[str, Any] | None]:
        """One page of a Scan of the table, keeping the wallets: ``limit`` items read (of any kind), and the
        position after them (None at the end). Eventually consistent (half the read cost): a customer whose
        first payment lands during the scan may be missed."""
        page = self._connection.scan(LedgerItem.Meta.table_name, filter_condition=LedgerItem.kind == "wallet",
                                     exclusive_start_key=cursor, limit=limit)
        wallets = [_wallet(WalletItem.from_raw_data(raw)) for raw in page.get("Items", [])]
        return wallets, page.get("LastEvaluatedKey")

    def put_merchant(self, merchant: Merchant, at: str) -> None:
        MerchantItem(
            *merchant_key(merchant.merchant_id), kind="merchant", merchant_id=merchant.merchant_id,
            name=merchant.name, status=merchant.status, updated_at=at,
        ).save()
