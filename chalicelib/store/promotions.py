"""Limited-time promotions: ``PROMOS / PR#{promotion}``, one small partition. Ids begin with the start, so
the promotions that may be live are one range of it; every change is conditioned on the version read.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from ..domain.errors import IdempotencyKeyTaken, RulesChanged
from ..domain.model import IdempotencyRecord
from ..domain.promotions import LIVE_STATUSES, Effect, GrantProgress, Promotion, id_floor
from .base import StoreBase
from .guards import Cancelled, Change, Guarded
from .idempotency import idempotency_put
from .keys import PROMOTION_PREFIX, PROMOTIONS_END, PROMOTIONS_PK, promotion_key
from .models import PromotionItem


def as_promotion(item: PromotionItem) -> Promotion:
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


class PromotionStore(StoreBase):
    def get_promotion(self, promotion_id: str) -> Promotion | None:
        try:
            return as_promotion(PromotionItem.get(*promotion_key(promotion_id), consistent_read=True))
        except PromotionItem.DoesNotExist:
            return None

    def list_promotions(self) -> list[Promotion]:
        """Every promotion, by start (one Query of the promotions' partition)."""
        return [as_promotion(i) for i in PromotionItem.query(
            PROMOTIONS_PK, PromotionItem.sk.startswith(PROMOTION_PREFIX), consistent_read=True)]

    def promotions_that_may_be_live(self, since: datetime) -> list[Promotion]:
        """The scheduled or active promotions that start at or after ``since`` (one Query of a range of ids)."""
        return [as_promotion(i) for i in PromotionItem.query(
            PROMOTIONS_PK, PromotionItem.sk.between(promotion_key(id_floor(since))[1], PROMOTIONS_END),
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
                tx.send([
                    idempotency_put(idem, self._ttl),
                    Change("promotion", PromotionItem(*promotion_key(p.promotion_id)), [
                        PromotionItem.status.set("scheduled"), PromotionItem.version.set(p.version + 1),
                        PromotionItem.updated_at.set(at)],
                        (PromotionItem.version == p.version) & (PromotionItem.status == "pending")),
                ])
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
