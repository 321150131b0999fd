"""Campaigns: create (with its two schedules), list, read, cancel; the run that delivers the action to the
treated members of the segment; and the request for a measurement.

Creation: the campaign's id derives from the caller and the request's Idempotency-Key, so a retry finds it.
Its two schedules (``run`` at ``run_at``, or at once; ``measure`` when the window of ``measure_days`` after the
run has closed) are created first, then the campaign is written ``scheduled``; a schedule that fires before its
campaign exists (or after its creation failed) finds nothing and does nothing.

The run (``fire(..., "run")``): ``scheduled`` -> ``running`` (conditioned on the version read; publishes
``campaign.started``), then page by page of the segment's members (index ``segment-members``, as the last
segmentation run left them): each member's group is drawn from the campaign's salt (domain.campaigns) and
frozen in a membership item written once; a treated member without an outcome gets the action, then its outcome
is recorded. The listing's position is recorded after each page. A second firing, a retry, or a firing at the
same moment resumes from the recorded position, and every action is idempotent by its own id (the coupon's id,
the bonus's idempotency key, the notification's dedupe key), so nobody gets it twice. When the listing ends,
the memberships are counted, and the campaign is ``completed`` (``campaign.completed``).

A measurement (``fire(..., "measure")`` from its schedule, or ``POST .../measurements``) marks the campaign's
measurement ``queued``; the stream publishes ``campaign.measurement_requested`` and the measuring job
(handlers/campaigns.py, with numpy and scipy) runs the one SQL analysis over the export and the statistics.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable, cast

from ..domain.bonus import BonusGrant, add
from ..domain.campaigns import (
    MEASURE_LAG_HOURS,
    TREATED,
    Campaign,
    Delivery,
    bucket,
    campaign_id_for,
    group_of,
    salt_for,
    tally,
    with_status,
)
from ..domain.errors import (
    AmountExceedsLimit,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    PaymentStateConflict,
)
from ..domain.model import Movement, Principal, Snapshot
from ..domain.money import Lots
from ..domain.moments import format_time, parse_time
from ..insight.segments import SEGMENTS
from ..observability import capture_method, logger
from . import clock
from .common import IdempotentRequest, LedgerPolicy, Outcome, adjustment_entry, run_movement, wallet_or_empty
from .coupons import coupon_id_for, grant_each
from .ports import CampaignActionStore, Campaigns, SegmentMembers

ACTION_SCOPE = "campaign"  # the scope of a campaign's coupon ids and bonus keys (a caller's id never has this form)


class RunIncomplete(Exception):
    """The invocation is running out of time with members left: the position is recorded and the invocation
    fails, so the scheduler's retry (or the next firing) resumes it."""


MAX_DAYS_AHEAD = 90  # how far ahead a campaign's run may be set
CLOCK_SKEW_SECONDS = 60  # a run_at this much in the past is still "now"


def _visible(c: Campaign | None, principal: Principal, campaign_id: str) -> Campaign:
    if c is None or not principal.is_admin:
        raise NotFound("campaign", campaign_id)
    return c


def _admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("campaigns are an operator's (admin): a merchant's staff use promotions")


# ---- create ----------------------------------------------------------------------------------------


def _check_action(store: CampaignActionStore, action: dict[str, Any], runs_at: datetime, max_amount: int) -> None:
    kind = action["kind"]
    if kind == "grant_coupon":
        d = store.get_coupon_definition(action["definition_id"])
        if d is None:
            raise InvalidRequest(
                f"coupon definition {action['definition_id']!r} does not exist",
                code="unknown_coupon_definition",
                field="action.definition_id",
            )
        if parse_time(d.terms.valid_to) <= runs_at:
            raise InvalidRequest(
                "the coupon definition is no longer valid when the campaign runs",
                code="coupon_definition_expired",
                field="action.definition_id",
            )
    elif kind == "grant_bonus" and action["amount"] > max_amount:
        raise AmountExceedsLimit(action["amount"], max_amount)
    elif kind == "survey" and len(set(action["choices"])) != len(action["choices"]):
        raise InvalidRequest("a survey's choices are distinct", code="duplicate_choices", field="action.choices")


@capture_method
def create(
    store: CampaignActionStore,
    campaigns: Campaigns,
    schedules: Any,
    policy: LedgerPolicy,
    principal: Principal,
    request: IdempotentRequest,
    body: dict[str, Any],
) -> Outcome:
    """Create a campaign and its two schedules (see the module's docstring); the key finds it again."""
    _admin(principal)
    now = clock.now()
    segment = body["segment"]
    if segment not in SEGMENTS:  # the document's enum says it; a hand-made request may not
        raise InvalidRequest(f"a segment is one of {', '.join(SEGMENTS)}", code="unknown_segment", field="segment")
    if body.get("run_at") is None:
        runs_at = now
    else:
        try:
            runs_at = parse_time(body["run_at"])
        except ValueError as exc:
            raise InvalidRequest(f"not a time: {exc}", code="invalid_request", field="run_at") from exc
        if runs_at < now - timedelta(seconds=CLOCK_SKEW_SECONDS):
            raise InvalidRequest("run_at is in the past", code="run_at_in_past", field="run_at")
        if runs_at > now + timedelta(days=MAX_DAYS_AHEAD):
            raise InvalidRequest(
                f"run_at is at most {MAX_DAYS_AHEAD} days ahead", code="run_at_too_far", field="run_at"
            )
    _check_action(store, body["action"], runs_at, policy.max_amount)
    campaign_id = campaign_id_for(request.scope, request.key)
    existing = campaigns.get_campaign(campaign_id)
    if existing is not None:  # an earlier attempt of this request (its schedules exist: made before it)
        if existing.request_hash != request.request_hash:
            raise IdempotencyKeyReused()
        return Outcome(201, existing.as_view(), replayed=True)
    measure_days = int(body.get("measure_days", 14))
    c = Campaign(
        campaign_id=campaign_id,
        name=body["name"],
        segment=segment,
        action=dict(body["action"]),
        holdout_percent=int(body.get("holdout_percent", 10)),
        measure_days=measure_days,
        run_at=format_time(runs_at),
        status="scheduled",
        created_at=format_time(now),
        created_by=principal.user_id,
        salt=salt_for(campaign_id),
        request_hash=request.request_hash,
        measurement={"state": "not_requested"},
    )
    schedules.create_campaign(campaign_id, runs_at, runs_at + timedelta(days=measure_days, hours=MEASURE_LAG_HOURS))
    if not campaigns.put_campaign(c):  # a twin of this request wrote it meanwhile
        twin = campaigns.get_campaign(campaign_id)
        if twin is None or twin.request_hash != request.request_hash:
            raise IdempotencyKeyReused()
        return Outcome(201, twin.as_view(), replayed=True)
    logger.info("campaign created", extra={"campaign_id": campaign_id, "segment": segment})
    return Outcome(201, c.as_view())


# ---- read, cancel, measure ---------------------------------------------------------------------------


@capture_method
def list_campaigns(campaigns: Campaigns, principal: Principal) -> dict[str, Any]:
    _admin(principal)
    found = sorted(campaigns.list_campaigns(), key=lambda c: (c.created_at, c.campaign_id), reverse=True)
    return {"campaigns": [c.as_view() for c in found]}


@capture_method
def get_campaign(campaigns: Campaigns, principal: Principal, campaign_id: str) -> dict[str, Any]:
    """The campaign; a survey's with its answers so far (a Query of its memberships: docs/campaigns.md)."""
    c = _visible(campaigns.get_campaign(campaign_id), principal, campaign_id)
    view = c.as_view()
    if c.action["kind"] == "survey" and c.status in ("running", "completed"):
        from .surveys import distribution

        view["survey"] = distribution(c, campaigns.memberships(campaign_id))
    return view


@capture_method
def cancel(campaigns: Campaigns, schedules: Any, principal: Principal, campaign_id: str, attempts: int = 5) -> dict:
    """A campaign that has not run is ``cancelled`` and its schedules deleted; cancelling again answers the same
    (and deletes again); one that has started is 409 ``campaign_started``."""
    for _ in range(attempts):
        c = _visible(campaigns.get_campaign(campaign_id), principal, campaign_id)
        if c.status == "cancelled":
            after = c
            break
        if c.status != "scheduled":
            raise PaymentStateConflict(
                "campaign_started", f"campaign {campaign_id!r} has run or is running", status=c.status
            )
        at = clock.now()
        after = with_status(c, "cancelled", at, cancelled_at=format_time(at))
        if campaigns.update_campaign(c, after):
            break
    else:
        raise PaymentStateConflict("campaign_busy", "the campaign kept changing; try again")
    schedules.delete_campaign(campaign_id)
    return after.as_view()


def request_measurement(campaigns: Campaigns, campaign_id: str, at: datetime, attempts: int = 5) -> Campaign | None:
    """Mark the campaign's measurement ``queued`` (once: one queued or running stays as it is). None if there is
    no such campaign; a campaign that has not run is returned as it is (nothing to measure yet)."""
    for _ in range(attempts):
        c = campaigns.get_campaign(campaign_id)
        if c is None or c.status not in ("running", "completed"):
            return c
        if c.measurement.get("state") in ("queued", "running"):
            return c
        after = replace(
            c,
            version=c.version + 1,
            updated_at=format_time(at),
            measurement={**c.measurement, "state": "queued", "requested_at": format_time(at)},
        )
        if campaigns.update_campaign(c, after):
            return after
    return campaigns.get_campaign(campaign_id)


@capture_method
def measure_now(campaigns: Campaigns, principal: Principal, campaign_id: str) -> Outcome:
    c = _visible(campaigns.get_campaign(campaign_id), principal, campaign_id)
    if c.status not in ("running", "completed"):
        raise PaymentStateConflict(
            "campaign_not_run", "a campaign is measured once it has run", status=c.status, run_at=c.run_at
        )
    after = cast(Campaign, request_measurement(campaigns, campaign_id, clock.now()))
    return Outcome(202, after.as_view())


# ---- the run ---------------------------------------------------------------------------------------------


def fire(
    store: CampaignActionStore,
    campaigns: Campaigns,
    members: SegmentMembers,
    policy: LedgerPolicy,
    campaign_id: str,
    action: str,
    time_left: Callable[[], float] | None = None,
    page: int = 200,
    margin_seconds: float = 10.0,
) -> dict[str, Any]:
    """What a schedule does: ``run`` or ``measure`` (the module's docstring). Safe to run any number of times."""
    result: dict[str, Any] = {"campaign_id": campaign_id, "action": action}
    c = campaigns.get_campaign(campaign_id)
    if c is None or action not in ("run", "measure"):
        return {**result, "result": "ignored", "status": None if c is None else c.status}
    if action == "measure":
        after = request_measurement(campaigns, campaign_id, clock.now())
        state = (after.measurement if after is not None else {}).get("state")
        return {**result, "result": "measurement_" + str(state), "status": c.status}
    while c.status == "scheduled":
        now = clock.now()
        after = with_status(c, "running", now, started_at=format_time(now), delivery=Delivery(state="running"))
        if campaigns.update_campaign(c, after):
            c = after
            break
        c = cast(Campaign, campaigns.get_campaign(campaign_id))  # a campaign is never deleted
    if c.status != "running":
        return {**result, "result": "ignored", "status": c.status}
    c = _run(store, campaigns, members, policy, c, time_left, page, margin_seconds)
    return {
        **result,
        "result": c.status,
        "status": c.status,
        **{k: c.counts.get(k, 0) for k in ("targeted", "treated", "holdout", "delivered", "failed")},
    }


def _run(
    store: CampaignActionStore,
    campaigns: Campaigns,
    members: SegmentMembers,
    policy: LedgerPolicy,
    c: Campaign,
    time_left: Callable[[], float] | None,
    page: int,
    margin_seconds: float,
) -> Campaign:
    while c.delivery.state == "running":
        if time_left is not None and time_left() < margin_seconds:
            raise RunIncomplete(c.campaign_id)
        listed, after_page = members.members(c.segment, c.delivery.cursor, page)
        for m in listed:
            deliver_to(store, campaigns, policy, c, m["user_id"])
        d = Delivery(state="running" if after_page else "done", cursor=after_page, pages=c.delivery.pages + 1)
        after = replace(c, delivery=d, version=c.version + 1, updated_at=format_time(clock.now()))
        if campaigns.update_campaign(c, after):
            c = after
        else:
            c = cast(Campaign, campaigns.get_campaign(c.campaign_id))
    if c.status == "running":
        counts = tally(campaigns.memberships(c.campaign_id))
        now = clock.now()
        done = with_status(c, "completed", now, completed_at=format_time(now), counts=counts)
        if campaigns.update_campaign(c, done):
            logger.info("campaign delivered", extra={"campaign_id": c.campaign_id, **counts})
            return done
        return cast(Campaign, campaigns.get_campaign(c.campaign_id))
    return c


def deliver_to(
    store: CampaignActionStore, campaigns: Campaigns, policy: LedgerPolicy, c: Campaign, user_id: str
) -> dict[str, Any]:
    """One member: the group drawn and frozen, and for a treated member without an outcome, the action."""
    now = clock.now()
    membership = campaigns.assign(
        c.campaign_id,
        {
            "user_id": user_id,
            "group": group_of(c.salt, user_id, c.holdout_percent),
            "bucket": bucket(c.salt, user_id),
            "assigned_at": format_time(now),
            "segment": c.segment,
        },
    )
    if membership["group"] != TREATED or membership.get("outcome") is not None:
        return membership
    outcome, channel, reason = act(store, policy, c, user_id, now)
    campaigns.record_outcome(c.campaign_id, user_id, outcome, channel, reason, format_time(clock.now()))
    return {**membership, "outcome": outcome, "channel": channel, "reason": reason}


def act(
    store: CampaignActionStore, policy: LedgerPolicy, c: Campaign, user_id: str, now: datetime
) -> tuple[str, str | None, str | None]:
    """The campaign's action for one customer: (outcome, channel, reason). Idempotent by the action's own id."""
    a = c.action
    key = IdempotentRequest(scope=ACTION_SCOPE, key=f"{c.campaign_id}#{user_id}", request_hash=c.campaign_id)
    if a["kind"] == "grant_coupon":
        d = store.get_coupon_definition(a["definition_id"])
        if d is None:
            return "failed", None, "definition_missing"
        scope = IdempotentRequest(scope=ACTION_SCOPE, key=c.campaign_id, request_hash="")
        granted, skipped = grant_each(
            store, d, lambda u: coupon_id_for(d.terms.definition_id, scope, u), [user_id], now
        )
        return ("delivered", "coupon", None) if granted else ("failed", None, skipped[0]["code"])
    if a["kind"] == "grant_bonus":
        grant_bonus(store, policy, key, c, user_id, int(a["amount"]), int(a["valid_days"]))
        return "delivered", "bonus", None
    from .campaign_messages import notify_member

    return notify_member(store, c, user_id, now)


def grant_bonus(
    store: CampaignActionStore,
    policy: LedgerPolicy,
    request: IdempotentRequest,
    c: Campaign,
    user_id: str,
    amount: int,
    valid_days: int,
) -> Outcome:
    """A promotional bonus through the ledger: one entry (type ``adjustment``, reason the campaign), its bonus
    grant expiring after ``valid_days`` (the expiry job takes what is left then), under the member's own key."""

    def read() -> Snapshot:
        return store.snapshot(wallet=user_id, idempotency=(request.scope, request.key))

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        wallet = wallet_or_empty(snap.wallet, user_id, policy.currency)
        now = clock.now()
        refs = {
            "reason": f"campaign {c.campaign_id}",
            "actor": f"campaign:{c.campaign_id}",
            "campaign_id": c.campaign_id,
        }
        entry = adjustment_entry(wallet, Lots(cash=0, bonus=amount), refs)
        expires = format_time(now + timedelta(days=valid_days))
        grants = add(wallet.grants, BonusGrant(entry.entry_id, amount, expires, f"campaign:{c.campaign_id}"))
        body = {"entry_id": entry.entry_id, "user_id": user_id, "amount": amount, "expires_at": expires}
        return Movement(wallet=wallet, entry=entry, bonus_grants=grants), Outcome(201, body)

    return run_movement(store, policy.max_attempts, request, read, plan)
