"""Coupons: definitions and their sharded budgets and per-customer grants (``CD#{definition} / DEFINITION``,
``/ BUDGET#{shard}``, ``/ GRANTS#{user}``) and the coupons granted (``W#{user} / CP#{coupon}``).

A coupon moves between states inside the movement that uses or returns it (``coupon_state_change``), and a
budgeted one takes from or gives back to one budget shard in the same transaction (``coupon_budget_change``).
"""

from __future__ import annotations

from ..domain.coupons import Coupon, CouponDefinition, CouponTerms
from ..domain.errors import VersionTaken
from ..domain.model import CouponChange
from .base import StoreBase
from .guards import Cancelled, Change, Guarded, Put
from .keys import COUPON_PREFIX, coupon_budget_key, coupon_definition_key, coupon_grants_key, coupon_key, wallet_key
from .models import CouponBudgetItem, CouponDefinitionItem, CouponGrantsItem, CouponItem


def as_coupon(item: CouponItem) -> Coupon:
    return Coupon(
        coupon_id=item.coupon_id,
        user_id=item.user_id,
        terms=CouponTerms.from_dict(item.terms),
        state=item.state,
        granted_at=item.granted_at,
        payment_id=item.payment_id,
        budget_shard=None if item.budget_shard is None else int(item.budget_shard),
    )


def as_definition(item: CouponDefinitionItem) -> CouponDefinition:
    return CouponDefinition(
        terms=CouponTerms.from_dict(item.terms),
        per_customer_limit=int(item.per_customer_limit),
        budget_count=None if item.budget_count is None else int(item.budget_count),
        budget_amount=None if item.budget_amount is None else int(item.budget_amount),
        version=int(item.version),
    )


def coupon_put(c: Coupon) -> Put:
    """A newly granted coupon, only if its id is unused (label ``coupon``)."""
    return Put(
        "coupon",
        CouponItem(
            *coupon_key(c.user_id, c.coupon_id),
            kind="coupon",
            coupon_id=c.coupon_id,
            user_id=c.user_id,
            terms=c.terms.as_dict(),
            state=c.state,
            granted_at=c.granted_at,
        ),
        CouponItem.pk.does_not_exist(),
    )


def coupon_state_change(c: CouponChange) -> Change:
    """The coupon's new state, conditioned on the state read (label ``coupon``); a held or used coupon keeps
    the budget shard it took from."""
    coupon = c.coupon
    actions = [CouponItem.state.set(c.state)]
    actions.append(CouponItem.payment_id.set(c.payment_id) if c.payment_id else CouponItem.payment_id.remove())
    keeps_shard = c.state in ("held", "used") and c.shard is not None
    actions.append(CouponItem.budget_shard.set(c.shard) if keeps_shard else CouponItem.budget_shard.remove())
    return Change(
        "coupon",
        CouponItem(*coupon_key(coupon.user_id, coupon.coupon_id)),
        actions,
        CouponItem.pk.exists() & (CouponItem.state == coupon.state),
    )


def coupon_budget_change(c: CouponChange) -> list[Change]:
    """For a budgeted coupon whose change moves its budget: the shard's use and amount (label
    ``coupon_budget``), taking only what the shard still has."""
    terms = c.coupon.terms
    if not (c.budget and c.shard is not None and terms.budgeted):
        return []
    actions, condition = [], CouponBudgetItem.pk.exists()
    if terms.counts_uses:
        actions.append(CouponBudgetItem.count_left.add(c.budget))
        if c.budget < 0:  # taking a use: one must be left in this shard
            condition = condition & (CouponBudgetItem.count_left >= -c.budget)
    if terms.counts_amount:
        actions.append(CouponBudgetItem.amount_left.add(c.budget * c.discount))
        if c.budget < 0:  # taking the discount: that much must be left in this shard
            condition = condition & (CouponBudgetItem.amount_left >= c.discount)
    return [
        Change("coupon_budget", CouponBudgetItem(*coupon_budget_key(terms.definition_id, c.shard)), actions, condition)
    ]


class CouponStore(StoreBase):
    def get_coupon_definition(self, definition_id: str) -> CouponDefinition | None:
        try:
            return as_definition(CouponDefinitionItem.get(*coupon_definition_key(definition_id), consistent_read=True))
        except CouponDefinitionItem.DoesNotExist:
            return None

    def put_coupon_definition(
        self, d: CouponDefinition, at: str, budget_shards: list[tuple[int | None, int | None]]
    ) -> None:
        """Version ``d.version`` of the definition, conditioned on the one before; the first version also
        creates its budget's shards (``(count, amount)`` each) in the same transaction."""
        condition = (
            CouponDefinitionItem.pk.does_not_exist()
            if d.version == 1
            else CouponDefinitionItem.version == d.version - 1
        )
        item = CouponDefinitionItem(
            *coupon_definition_key(d.terms.definition_id),
            kind="coupon_definition",
            definition_id=d.terms.definition_id,
            terms=d.terms.as_dict(),
            per_customer_limit=d.per_customer_limit,
            budget_count=d.budget_count,
            budget_amount=d.budget_amount,
            version=d.version,
            updated_at=at,
        )
        try:
            with Guarded(self._connection) as tx:
                tx.put("definition", item, condition)
                for shard, (count, amount) in enumerate(budget_shards if d.version == 1 else []):
                    tx.put(
                        f"budget_shard_{shard}",
                        CouponBudgetItem(
                            *coupon_budget_key(d.terms.definition_id, shard),
                            kind="coupon_budget",
                            count_left=count,
                            amount_left=amount,
                        ),
                        CouponBudgetItem.pk.does_not_exist(),
                    )
        except Cancelled as exc:
            raise VersionTaken() from exc  # the definition (and so its shards) was written meanwhile

    def grant_coupon(self, coupon: Coupon, limit: int) -> str | None:
        """Grant one coupon: the coupon and its customer's count of this definition, in one transaction.
        None when granted (or granted before under the same id); else why not: ``limit_reached``."""
        grants = CouponGrantsItem(*coupon_grants_key(coupon.terms.definition_id, coupon.user_id))
        try:
            with Guarded(self._connection) as tx:
                tx.send(
                    [
                        coupon_put(coupon),
                        Change(
                            "grants",
                            grants,
                            [CouponGrantsItem.kind.set("coupon_grants"), CouponGrantsItem.granted.add(1)],
                            CouponGrantsItem.granted.does_not_exist() | (CouponGrantsItem.granted < limit),
                        ),
                    ]
                )
        except Cancelled as exc:
            if "coupon" in exc.failed:
                return None  # this very coupon exists: an earlier attempt of the same grant
            if "grants" in exc.failed:
                return "limit_reached"
            raise
        return None

    def list_coupons(self, user_id: str) -> list[Coupon]:
        pk, _ = wallet_key(user_id)
        return [
            as_coupon(i) for i in CouponItem.query(pk, CouponItem.sk.startswith(COUPON_PREFIX), consistent_read=True)
        ]
