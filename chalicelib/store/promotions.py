"""Limited-time promotions: ``PROMOS / PR#{promotion}``, one small partition; every change is conditioned on
the version read.

What pricing needs of the scheduled and active ones is also kept in one item, ``PROMOS / LIVE``, written in
the same transaction as each change of a promotion's status or window (and conditioned on its own version:
promotions changing at once retry it). A cold configuration read takes that item in the same
TransactGetItems as the merchant, rules and tiers (``read_configuration``), so the price of a cold function's
first payment does not include a Query of the promotions. Known limit: one item holds about 1,000 live
promotions (400 KB); past that, split it by merchant.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from ..domain.errors import IdempotencyKeyTaken, VersionTaken
from ..domain.model import IdempotencyRecord
from ..domain.promotions import LIVE_STATUSES, Effect, GrantProgress, Promotion, id_floor
from .base import StoreBase
from .guards import Cancelled, Change, Guarded
from .idempotency import idempotency_put
from .keys import PROMOTION_PREFIX, PROMOTIONS_PK, live_promotions_key, promotion_key
from .models import LivePromotionsItem, PromotionItem

LIVE = "live_promotions"  # the label of the LIVE item's change in a transaction
ATTEMPTS = 10  # a change that keeps losing the LIVE item to other promotions' changes gives up


def _back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.25, 0.005 * 2**attempt)))  # nosec B311 - retry jitter, not security


def as_promotion(item: PromotionItem) -> Promotion:
    g = item.grant or {}
    return Promotion(
        promotion_id=item.promotion_id,
        name=item.name,
        merchant_id=item.merchant_id,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        effect=Effect.from_doc(item.effect),
        status=item.status,
        created_at=item.created_at,
        created_by=item.created_by,
        version=int(item.version),
        updated_at=item.updated_at,
        activated_at=item.activated_at,
        finished_at=item.finished_at,
        cancelled_at=item.cancelled_at,
        request_hash=item.request_hash,
        grant=GrantProgress(
            state=g.get("state", "not_started"),
            cursor=g.get("cursor"),
            granted=int(g.get("granted", 0)),
            skipped=int(g.get("skipped", 0)),
            pages=int(g.get("pages", 0)),
        ),
    )


def live_doc(p: Promotion) -> dict[str, Any]:
    """A promotion as the LIVE item lists it: all pricing and a configuration read need."""
    return {
        "promotion_id": p.promotion_id,
        "name": p.name,
        "merchant_id": p.merchant_id,
        "starts_at": p.starts_at,
        "ends_at": p.ends_at,
        "effect": p.effect.as_doc(),
        "status": p.status,
        "created_at": p.created_at,
        "created_by": p.created_by,
    }


def from_live_doc(d: dict[str, Any]) -> Promotion:
    return Promotion(
        promotion_id=d["promotion_id"],
        name=d["name"],
        merchant_id=d.get("merchant_id"),
        starts_at=d["starts_at"],
        ends_at=d["ends_at"],
        effect=Effect.from_doc(d["effect"]),
        status=d["status"],
        created_at=d["created_at"],
        created_by=d["created_by"],
    )


def live_since(item: LivePromotionsItem | None, since: datetime) -> list[Promotion]:
    """The listed promotions that start at or after ``since`` (ids begin with the start), by id."""
    floor = id_floor(since)
    docs = sorted(
        (d for d in (item.promotions if item is not None else []) if d["promotion_id"] >= floor),
        key=lambda d: d["promotion_id"],
    )
    return [from_live_doc(d) for d in docs if d["status"] in LIVE_STATUSES]


def _grant_doc(g: GrantProgress) -> dict[str, Any]:
    return {"state": g.state, "cursor": g.cursor, "granted": g.granted, "skipped": g.skipped, "pages": g.pages}


class PromotionStore(StoreBase):
    def get_promotion(self, promotion_id: str) -> Promotion | None:
        try:
            return as_promotion(PromotionItem.get(*promotion_key(promotion_id), consistent_read=True))
        except PromotionItem.DoesNotExist:
            return None

    def list_promotions(self) -> list[Promotion]:
        """Every promotion, by start (one Query of the promotions' partition)."""
        return [
            as_promotion(i)
            for i in PromotionItem.query(
                PROMOTIONS_PK, PromotionItem.sk.startswith(PROMOTION_PREFIX), consistent_read=True
            )
        ]

    def promotions_that_may_be_live(self, since: datetime) -> list[Promotion]:
        """The scheduled or active promotions that start at or after ``since`` (one GetItem of the LIVE item)."""
        return live_since(self._live(consistent=False)[0], since)

    @staticmethod
    def _live(consistent: bool = True) -> tuple[LivePromotionsItem | None, int]:
        try:
            item = LivePromotionsItem.get(*live_promotions_key(), consistent_read=consistent)
        except LivePromotionsItem.DoesNotExist:
            return None, 0
        return item, int(item.version)

    @staticmethod
    def _live_change(item: LivePromotionsItem | None, version: int, p: Promotion) -> Change:
        """The LIVE item with ``p`` as it is now (listed while scheduled or active, else left out), conditioned on
        the version read."""
        docs = [d for d in (item.promotions if item is not None else []) if d["promotion_id"] != p.promotion_id]
        if p.status in LIVE_STATUSES:
            docs.append(live_doc(p))
        condition = (
            LivePromotionsItem.version.does_not_exist() if item is None else LivePromotionsItem.version == version
        )
        return Change(
            LIVE,
            LivePromotionsItem(*live_promotions_key()),
            [
                LivePromotionsItem.kind.set("live_promotions"),
                LivePromotionsItem.promotions.set(docs),
                LivePromotionsItem.version.set(version + 1),
            ],
            condition,
        )

    def put_pending_promotion(self, p: Promotion) -> bool:
        """Write a new promotion (status ``pending``); False if one with its id exists already."""
        try:
            PromotionItem(
                *promotion_key(p.promotion_id),
                kind="promotion",
                promotion_id=p.promotion_id,
                name=p.name,
                merchant_id=p.merchant_id,
                starts_at=p.starts_at,
                ends_at=p.ends_at,
                effect_kind=p.effect.kind,
                effect=p.effect.as_doc(),
                status=p.status,
                version=p.version,
                created_at=p.created_at,
                created_by=p.created_by,
                updated_at=p.created_at,
                request_hash=p.request_hash,
                grant=_grant_doc(p.grant) if p.effect.kind == "grant_coupon" else None,
            ).save(condition=PromotionItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def confirm_promotion(self, p: Promotion, at: str, idem: IdempotencyRecord) -> None:
        """pending -> scheduled (from the version read) and the creating request's key, in one transaction."""
        scheduled = replace(p, status="scheduled", version=p.version + 1, updated_at=at)
        for attempt in range(ATTEMPTS):
            live, version = self._live()
            try:
                with Guarded(self._connection) as tx:
                    tx.send(
                        [
                            idempotency_put(idem, self._ttl),
                            Change(
                                "promotion",
                                PromotionItem(*promotion_key(p.promotion_id)),
                                [
                                    PromotionItem.status.set("scheduled"),
                                    PromotionItem.version.set(p.version + 1),
                                    PromotionItem.updated_at.set(at),
                                ],
                                (PromotionItem.version == p.version) & (PromotionItem.status == "pending"),
                            ),
                            self._live_change(live, version, scheduled),
                        ]
                    )
                return
            except Cancelled as exc:
                if "idempotency" in exc.failed:
                    raise IdempotencyKeyTaken() from exc
                if exc.failed <= {LIVE}:  # another promotion changed the LIVE item first: read it again
                    _back_off(attempt)
                    continue
                raise VersionTaken() from exc
        raise VersionTaken()

    def update_promotion(self, before: Promotion, after: Promotion) -> bool:
        """Write ``after``'s status, times and grant progress, conditioned on ``before``'s version; False if
        the promotion changed meanwhile."""
        actions = [
            PromotionItem.status.set(after.status),
            PromotionItem.version.set(after.version),
            PromotionItem.updated_at.set(after.updated_at or ""),
        ]
        for name in ("activated_at", "finished_at", "cancelled_at"):
            value = getattr(after, name)
            if value is not None and value != getattr(before, name):
                actions.append(getattr(PromotionItem, name).set(value))
        if after.effect.kind == "grant_coupon" and after.grant != before.grant:
            actions.append(PromotionItem.grant.set(_grant_doc(after.grant)))
        item, condition = PromotionItem(*promotion_key(before.promotion_id)), PromotionItem.version == before.version
        if live_doc(after) == live_doc(before):  # nothing pricing reads changed: the LIVE item stays as it is
            try:
                item.update(actions=actions, condition=condition, add_version_condition=False)
            except UpdateError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
            return True
        for attempt in range(ATTEMPTS):
            live, version = self._live()
            try:
                with Guarded(self._connection) as tx:
                    tx.send([Change("promotion", item, actions, condition), self._live_change(live, version, after)])
                return True
            except Cancelled as exc:
                if exc.failed <= {LIVE}:  # another promotion changed the LIVE item first: read it again
                    _back_off(attempt)
                    continue
                return False
        return False
