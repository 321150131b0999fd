"""Top-ups and top-up bonus plans: ``T#{topup} / TOPUP`` and ``PLANS / TP#{plan}``.

A top-up is created pending with its request's key, then settled once: credited by a movement
(``topup_credited_change``, in the credit's own transaction) or failed here. Plans are one small partition,
each version conditioned on the one before.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError, UpdateError

from ..domain.bonus import TopupPlan
from ..domain.errors import IdempotencyKeyTaken, VersionTaken, TopupNotPending
from ..domain.model import IdempotencyRecord, Topup
from .base import StoreBase
from .guards import Cancelled, Change, Guarded, Put
from .idempotency import idempotency_put
from .keys import PLAN_PREFIX, PLANS_PK, topup_key, topup_plan_key
from .models import TopupItem, TopupPlanItem


def as_topup(item: TopupItem) -> Topup:
    return Topup(
        topup_id=item.topup_id,
        user_id=item.user_id,
        amount=int(item.amount),
        channel=item.channel,
        status=item.status,
        created_at=item.created_at,
        provider_ref=item.provider_ref,
        option_id=item.option_id,
        bonus=None if item.bonus is None else int(item.bonus),
        plan_id=item.plan_id,
    )


def topup_credited_change(t: Topup, at: str) -> Change:
    """The credited top-up: succeeded, with the bonus (and plan) it gave, only while pending (label ``topup``)."""
    return Change(
        "topup",
        TopupItem(*topup_key(t.topup_id)),
        [
            TopupItem.status.set("succeeded"),
            TopupItem.provider_ref.set(t.provider_ref),
            TopupItem.updated_at.set(at),
            TopupItem.bonus.set(t.bonus or 0),
            *([TopupItem.plan_id.set(t.plan_id)] if t.plan_id else []),
        ],
        TopupItem.pk.exists() & (TopupItem.status == "pending"),
    )


class TopupStore(StoreBase):
    def create_topup(self, topup: Topup, idem: IdempotencyRecord) -> None:
        try:
            with Guarded(self._connection) as tx:
                tx.send(
                    [
                        idempotency_put(idem, self._ttl),
                        Put(
                            "topup",
                            TopupItem(
                                *topup_key(topup.topup_id),
                                kind="topup",
                                topup_id=topup.topup_id,
                                user_id=topup.user_id,
                                amount=topup.amount,
                                channel=topup.channel,
                                status=topup.status,
                                created_at=topup.created_at,
                                option_id=topup.option_id,
                            ),
                            TopupItem.pk.does_not_exist(),
                        ),
                    ]
                )
        except Cancelled as exc:
            if "idempotency" in exc.failed:
                raise IdempotencyKeyTaken() from exc
            raise

    def fail_topup(self, topup: Topup, provider_ref: str, at: str) -> None:
        item = TopupItem(*topup_key(topup.topup_id))
        try:
            item.update(
                actions=[
                    TopupItem.status.set("failed"),
                    TopupItem.provider_ref.set(provider_ref),
                    TopupItem.updated_at.set(at),
                ],
                condition=TopupItem.pk.exists() & (TopupItem.status == "pending"),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise TopupNotPending(topup.topup_id, "processed") from exc
            raise

    def put_topup_plan(self, plan: TopupPlan, at: str) -> None:
        """Create (version 1) or replace (the version read + 1) a plan; VersionTaken if someone else did first."""
        condition = (
            TopupPlanItem.pk.does_not_exist() if plan.version == 1 else TopupPlanItem.version == plan.version - 1
        )
        try:
            TopupPlanItem(
                *topup_plan_key(plan.plan_id),
                kind="topup_plan",
                plan_id=plan.plan_id,
                document=plan.as_doc(),
                version=plan.version,
                updated_at=at,
            ).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise VersionTaken() from exc
            raise

    def list_topup_plans(self) -> list[TopupPlan]:
        return [
            TopupPlan.from_doc(i.plan_id, i.document, int(i.version))
            for i in TopupPlanItem.query(PLANS_PK, TopupPlanItem.sk.startswith(PLAN_PREFIX), consistent_read=True)
        ]
