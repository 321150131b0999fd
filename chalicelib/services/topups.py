"""Top-ups: a customer asks to add money; the payment provider's webhook credits it once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Callable

from ..domain.errors import present
from ..domain import access
from ..domain.bonus import TopupPlan, add, best_plan, plan_grant
from ..domain.moments import format_time, parse_time
from ..domain.errors import (
    AmountMismatch,
    BalanceLimitExceeded,
    InvalidRequest,
    NotFound,
    VersionTaken,
    TopupNotPending,
)
from ..domain.ledger import apply_delta
from ..domain.model import Entry, Movement, Principal, Snapshot, Topup, new_id
from ..domain.money import Lots
from ..observability import capture_method
from . import clock
from .common import IdempotentRequest, Outcome, record_once, replay, run_movement, wallet_or_empty
from .ports import Snapshots, TopupOpenStore, TopupOptionsStore, TopupPlans, TopupConfirmStore


@capture_method
def create_topup(
    store: TopupOpenStore,
    *,
    currency: str,
    max_balance: int,
    principal: Principal,
    request: IdempotentRequest,
    amount: int,
    channel: str,
    option_id: str | None = None,
    presets: tuple[int, ...] = (),
) -> Outcome:
    """Record a pending top-up under the caller's Idempotency-Key (no money moves yet). ``option_id`` names
    the option of GET /v1/topups/options it came from; it must be one of them and of the same amount."""
    if option_id is not None and option_id != option_id_of(amount) or (option_id and amount not in presets):
        raise InvalidRequest(
            f"option {option_id!r} is not a top-up option of {amount} fen",
            code="invalid_topup_option",
            field="option_id",
        )
    snap = store.snapshot(wallet=principal.user_id, idempotency=(request.scope, request.key))
    previous = replay(snap.idempotency, request)
    if previous is not None:
        return previous
    wallet = wallet_or_empty(snap.wallet, principal.user_id, currency)
    if wallet.lots.total + amount > max_balance:
        raise BalanceLimitExceeded(wallet.lots.total + amount, max_balance)
    topup = Topup(
        topup_id=new_id("top"),
        user_id=principal.user_id,
        amount=amount,
        channel=channel,
        status="pending",
        created_at=clock.stamp(),
        option_id=option_id,
    )
    return record_once(store, request, Outcome(201, topup.as_view()), lambda rec: store.create_topup(topup, rec))


@capture_method
def get_topup(store: Snapshots, principal: Principal, topup_id: str) -> dict[str, Any]:
    topup = store.snapshot(topup=topup_id).topup
    if topup is None or not access.sees_own(principal, topup.user_id):
        raise NotFound("topup", topup_id)
    return topup.as_view()


@capture_method
def confirm_topup(
    store: TopupConfirmStore,
    *,
    currency: str,
    max_attempts: int,
    topup_id: str,
    status: str,
    amount: int,
    provider_ref: str,
    after_commit: Callable[[], None] | None = None,
) -> Outcome:
    """Apply the provider's verdict on a top-up: credit the cash lot once, or mark it failed.

    Invariant: however often the provider delivers the same verdict, the wallet
    is credited at most once (the top-up's ``pending -> succeeded`` transition
    is a condition of the crediting transaction).
    """

    def read() -> Snapshot:
        topup = store.snapshot(topup=topup_id).topup
        if topup is None:
            raise NotFound("topup", topup_id)
        if topup.status == "pending" and status == "succeeded":
            return Snapshot(topup=topup, wallet=store.get_wallet(topup.user_id))
        return Snapshot(topup=topup)

    def plan(snap: Snapshot) -> tuple[Movement | None, Outcome]:
        topup = present(snap.topup, "the top-up read")
        if amount != topup.amount:
            raise AmountMismatch(expected=topup.amount, received=amount)
        if topup.status != "pending":
            if topup.status != status:
                raise TopupNotPending(topup.topup_id, topup.status)
            return None, Outcome(
                200,
                {
                    "topup_id": topup.topup_id,
                    "status": topup.status,
                    "credited": False,
                    "bonus": topup.bonus,
                    "plan_id": topup.plan_id,
                },
            )  # as the first answer
        if status == "failed":
            try:
                store.fail_topup(topup, provider_ref, clock.stamp())
            except TopupNotPending:
                return plan(Snapshot(topup=store.snapshot(topup=topup_id).topup))
            return None, Outcome(200, {"topup_id": topup.topup_id, "status": "failed", "credited": False})
        wallet = wallet_or_empty(snap.wallet, topup.user_id, currency)
        moment = clock.now()
        now = format_time(moment)
        # the plan is chosen when the money arrives (the plans live then, the customer's uses then)
        chosen, bonus = best_plan(plans(), topup.amount, now, wallet.plan_uses)
        delta = Lots(cash=topup.amount, bonus=bonus)
        refs = {"topup_id": topup.topup_id, "reason": f"top-up via {topup.channel}"}
        grants = uses = None
        if chosen is not None:
            grant = plan_grant(chosen, bonus, f"bg_{topup.topup_id}", moment)
            grants = add(wallet.grants, grant)
            uses = {**wallet.plan_uses, chosen.plan_id: wallet.plan_uses.get(chosen.plan_id, 0) + 1}
            refs.update(plan_id=chosen.plan_id, bonus_expires_at=grant.expires_at or "never")
        if topup.option_id:
            refs["option"] = topup.option_id
        entry = Entry(
            user_id=wallet.user_id,
            seq=wallet.version + 1,
            entry_id=new_id("ent"),
            type="top_up",
            delta=delta,
            balance_after=apply_delta(wallet.lots, delta),
            held_after=wallet.held,
            created_at=now,
            refs=refs,
        )
        settled = replace(
            topup,
            status="succeeded",
            provider_ref=provider_ref,
            bonus=bonus,
            plan_id=chosen.plan_id if chosen else None,
        )
        return (
            Movement(wallet=wallet, entry=entry, topup=settled, bonus_grants=grants, plan_uses=uses),
            Outcome(
                200,
                {
                    "topup_id": topup.topup_id,
                    "status": "succeeded",
                    "credited": True,
                    "bonus": bonus,
                    "plan_id": chosen.plan_id if chosen else None,
                },
            ),
        )

    def plans() -> list[TopupPlan]:
        if not loaded:
            loaded.append(store.list_topup_plans())
        return loaded[0]

    loaded: list[list[TopupPlan]] = []  # read once per request, only when a credit is planned

    return run_movement(store, max_attempts, None, read, plan, after_commit)


# ---- top-up bonus plans and the options offered to a customer ---------------------------------------


def option_id_of(amount: int) -> str:
    return f"preset-{amount}"


@capture_method
def put_plan(store: TopupPlans, plan_id: str, terms: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Create or replace a plan (201 when new). Validated here beyond the schema: one kind of bonus, a
    percent bonus with its cap, a window that ends after it starts."""
    if (terms.get("bonus_amount") is None) == (terms.get("bonus_percent") is None):
        raise InvalidRequest(
            "give exactly one of bonus_amount and bonus_percent", code="invalid_topup_plan", field="bonus_amount"
        )
    if terms.get("bonus_percent") is not None and terms.get("bonus_max") is None:
        raise InvalidRequest("a percent bonus needs its bonus_max", code="invalid_topup_plan", field="bonus_max")
    if terms.get("bonus_amount") is not None and terms.get("bonus_max") is not None:
        raise InvalidRequest("bonus_max goes with bonus_percent", code="invalid_topup_plan", field="bonus_max")
    if terms["valid_to"] <= terms["valid_from"]:
        raise InvalidRequest("valid_to must be after valid_from", code="invalid_topup_plan", field="valid_to")
    # one format for every stored time, so that plans compare with now as strings
    terms = {
        **terms,
        "valid_from": format_time(parse_time(terms["valid_from"])),
        "valid_to": format_time(parse_time(terms["valid_to"])),
    }
    for _ in range(5):
        current = {p.plan_id: p for p in store.list_topup_plans()}.get(plan_id)
        plan = TopupPlan.from_doc(plan_id, terms, (current.version if current else 0) + 1)
        try:
            store.put_topup_plan(plan, clock.stamp())
        except VersionTaken:
            continue
        return (201 if current is None else 200), plan.as_view()
    raise VersionTaken()


def list_plans(store: TopupPlans) -> dict[str, Any]:
    return {"plans": [p.as_view() for p in sorted(store.list_topup_plans(), key=lambda p: p.plan_id)]}


@capture_method
def topup_options(
    store: TopupOptionsStore,
    principal: Principal,
    currency: str,
    presets: tuple[int, ...],
    now: datetime,
    suggest: Callable[[Any, int], int],
) -> dict[str, Any]:
    """The preset amounts with the bonus each would earn now (the plan the credit would choose, if the money
    arrived now), and a suggested amount from the customer's recent balance spending (``suggest``)."""
    wallet = wallet_or_empty(store.snapshot(wallet=principal.user_id).wallet, principal.user_id, currency)
    plans, at = store.list_topup_plans(), format_time(now)
    options = []
    for amount in presets:
        plan, bonus = best_plan(plans, amount, at, wallet.plan_uses)
        options.append(
            {
                "option_id": option_id_of(amount),
                "amount": amount,
                "bonus": bonus,
                "plan_id": plan.plan_id if plan else None,
                "bonus_valid_days": plan.bonus_valid_days if plan else None,
            }
        )
    return {"currency": currency, "options": options, "suggested_amount": suggest(wallet, wallet.lots.total)}
