"""Campaigns on the ledger table: ``CAMPAIGNS / CA#{campaign}`` (one small partition, listed by one Query) and
each customer's membership ``CA#{campaign} / MB#{user}``.

A membership is written once, conditioned on not existing: the group it records (treated or holdout) is the
group for good, whatever later runs compute. Its ``outcome`` is written after the action reached the customer
(conditioned on it not being recorded yet), so a retried page re-does only what has no outcome, and every action
is idempotent by its own id besides (a coupon's id, a bonus's idempotency key, a notification's dedupe key).
Every change of the campaign item is conditioned on the version read.

Known limits: the memberships of a campaign share one partition (DynamoDB writes about 1,000 items a second to
one partition: the delivery rate's ceiling on AWS); erasing a customer must delete their memberships too
(``CA#*/MB#{user}``: the data lifecycle's work, not done here).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from ..domain.campaigns import Campaign, Delivery, delivery_doc
from .keys import CAMPAIGN_PREFIX, CAMPAIGNS_PK, MEMBERSHIP_PREFIX, campaign_key, campaign_member_key
from .profiles import jsonable
from .table import LedgerItem, item_meta


class CampaignItem(LedgerItem):
    """A campaign: what it does to whom, its state, the run's position, its counts and its measurement. The
    stream publisher turns its move to ``running`` into ``campaign.started``, to ``completed`` into
    ``campaign.completed``, and a measurement set to ``queued`` into ``campaign.measurement_requested``."""

    Meta = item_meta()
    campaign_id = UnicodeAttribute()
    name = UnicodeAttribute()
    segment = UnicodeAttribute()
    action = MapAttribute(default=dict)
    holdout_percent = NumberAttribute()
    measure_days = NumberAttribute()
    run_at = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    salt = UnicodeAttribute()
    version = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    request_hash = UnicodeAttribute(null=True)
    delivery = MapAttribute(null=True)
    counts = MapAttribute(null=True)
    measurement = MapAttribute(null=True)


class MembershipItem(LedgerItem):
    """One customer in one campaign: the group drawn (frozen here) and, for the treated, what the action did."""

    Meta = item_meta()
    campaign_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    group = UnicodeAttribute()
    bucket = NumberAttribute()
    assigned_at = UnicodeAttribute()
    segment = UnicodeAttribute()
    outcome = UnicodeAttribute(null=True)  # delivered | failed (treated only)
    channel = UnicodeAttribute(null=True)  # how it reached them: coupon | bonus | inbox | email | inbox_only
    reason = UnicodeAttribute(null=True)  # why it failed
    outcome_at = UnicodeAttribute(null=True)
    # a survey's answer, once (the stream publishes survey.answered): the choice, the comment, and the member's
    # frequency class when they answered (the answers' distribution is shown by segment and by class)
    answer_choice = UnicodeAttribute(null=True)
    answer_comment = UnicodeAttribute(null=True)
    answer_class = UnicodeAttribute(null=True)
    answered_at = UnicodeAttribute(null=True)


def _map(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return jsonable(value.as_dict() if hasattr(value, "as_dict") else dict(value))


def as_campaign(item: CampaignItem) -> Campaign:
    d = _map(item.delivery)
    return Campaign(
        campaign_id=item.campaign_id,
        name=item.name,
        segment=item.segment,
        action=_map(item.action),
        holdout_percent=int(item.holdout_percent),
        measure_days=int(item.measure_days),
        run_at=item.run_at,
        status=item.status,
        created_at=item.created_at,
        created_by=item.created_by,
        salt=item.salt,
        version=int(item.version),
        updated_at=item.updated_at,
        started_at=item.started_at,
        completed_at=item.completed_at,
        cancelled_at=item.cancelled_at,
        request_hash=item.request_hash or "",
        delivery=Delivery(state=d.get("state", "not_started"), cursor=d.get("cursor"), pages=int(d.get("pages", 0))),
        counts={k: int(v) for k, v in _map(item.counts).items()},
        measurement=_map(item.measurement),
    )


def _membership(item: MembershipItem) -> dict[str, Any]:
    return {
        "user_id": item.user_id,
        "group": item.group,
        "bucket": int(item.bucket),
        "assigned_at": item.assigned_at,
        "outcome": item.outcome,
        "channel": item.channel,
        "reason": item.reason,
        "segment": item.segment,
        "answer": (
            {"choice": item.answer_choice, "comment": item.answer_comment, "frequency_class": item.answer_class}
            if item.answer_choice is not None
            else None
        ),
    }


def _conditional_failed(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class DynamoCampaignStore:
    """CampaignStore (chalicelib/services/ports/insight.py) on the ledger table, through the table's one connection."""

    def put_campaign(self, c: Campaign) -> bool:
        """Write a new campaign; False if one with its id exists already (a retried creation)."""
        try:
            CampaignItem(
                *campaign_key(c.campaign_id),
                kind="campaign",
                campaign_id=c.campaign_id,
                name=c.name,
                segment=c.segment,
                action=c.action,
                holdout_percent=c.holdout_percent,
                measure_days=c.measure_days,
                run_at=c.run_at,
                status=c.status,
                created_at=c.created_at,
                created_by=c.created_by,
                salt=c.salt,
                version=c.version,
                updated_at=c.created_at,
                request_hash=c.request_hash,
                delivery=delivery_doc(c.delivery),
                counts=c.counts,
                measurement=c.measurement,
            ).save(condition=CampaignItem.pk.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        try:
            return as_campaign(CampaignItem.get(*campaign_key(campaign_id), consistent_read=True))
        except CampaignItem.DoesNotExist:
            return None

    def list_campaigns(self) -> list[Campaign]:
        """Every campaign, oldest first (one Query of the campaigns' partition)."""
        return [
            as_campaign(i)
            for i in CampaignItem.query(CAMPAIGNS_PK, CampaignItem.sk.startswith(CAMPAIGN_PREFIX), consistent_read=True)
        ]

    def update_campaign(self, before: Campaign, after: Campaign) -> bool:
        """Write ``after``'s state conditioned on ``before``'s version; False if it changed meanwhile."""
        actions = [
            CampaignItem.status.set(after.status),
            CampaignItem.version.set(after.version),
            CampaignItem.updated_at.set(after.updated_at or ""),
            CampaignItem.delivery.set(delivery_doc(after.delivery)),
            CampaignItem.counts.set(after.counts),
            CampaignItem.measurement.set(after.measurement),
        ]
        for name in ("started_at", "completed_at", "cancelled_at"):
            value = getattr(after, name)
            if value is not None:
                actions.append(getattr(CampaignItem, name).set(value))
        try:
            CampaignItem(*campaign_key(before.campaign_id)).update(
                actions=actions, condition=CampaignItem.version == before.version
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def assign(self, campaign_id: str, member: dict[str, Any]) -> dict[str, Any]:
        """The customer's membership: written now from ``member`` unless one exists; the stored one either way
        (its group is the one that counts)."""
        item = MembershipItem(
            *campaign_member_key(campaign_id, member["user_id"]),
            kind="campaign_member",
            campaign_id=campaign_id,
            user_id=member["user_id"],
            group=member["group"],
            bucket=member["bucket"],
            assigned_at=member["assigned_at"],
            segment=member["segment"],
        )
        try:
            item.save(condition=MembershipItem.pk.does_not_exist())
            return _membership(item)
        except PutError as exc:
            if not _conditional_failed(exc):
                raise
        return _membership(
            MembershipItem.get(*campaign_member_key(campaign_id, member["user_id"]), consistent_read=True)
        )

    def record_outcome(
        self, campaign_id: str, user_id: str, outcome: str, channel: str | None, reason: str | None, at: str
    ) -> bool:
        """The action's outcome for a treated member, once: False if one was recorded already."""
        try:
            MembershipItem(*campaign_member_key(campaign_id, user_id)).update(
                actions=[
                    MembershipItem.outcome.set(outcome),
                    MembershipItem.channel.set(channel),
                    MembershipItem.reason.set(reason),
                    MembershipItem.outcome_at.set(at),
                ],
                condition=MembershipItem.pk.exists() & MembershipItem.outcome.does_not_exist(),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def answer(
        self, campaign_id: str, user_id: str, choice: str, comment: str | None, frequency_class: str, at: str
    ) -> bool:
        """A treated member's answer to the survey they were delivered, once: False if they are not such a member
        or answered already."""
        try:
            MembershipItem(*campaign_member_key(campaign_id, user_id)).update(
                actions=[
                    MembershipItem.answer_choice.set(choice),
                    MembershipItem.answer_comment.set(comment),
                    MembershipItem.answer_class.set(frequency_class),
                    MembershipItem.answered_at.set(at),
                ],
                condition=(
                    MembershipItem.pk.exists()
                    & (MembershipItem.outcome == "delivered")
                    & MembershipItem.answer_choice.does_not_exist()
                ),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def memberships(self, campaign_id: str) -> list[dict[str, Any]]:
        """Every membership of the campaign (one Query of its partition, paged by PynamoDB)."""
        pk, _ = campaign_member_key(campaign_id, "")
        return [
            _membership(i)
            for i in MembershipItem.query(pk, MembershipItem.sk.startswith(MEMBERSHIP_PREFIX), consistent_read=True)
        ]

    def get_membership(self, campaign_id: str, user_id: str) -> dict[str, Any] | None:
        try:
            return _membership(MembershipItem.get(*campaign_member_key(campaign_id, user_id), consistent_read=True))
        except MembershipItem.DoesNotExist:
            return None
