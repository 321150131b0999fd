"""Customer routes: the caller's own wallet, history and settings."""

from __future__ import annotations

from chalice import Blueprint

from ..services import wallets
from .. import bootstrap
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/wallet",
    "GET",
    name="getWallet",
    summary="The caller's balance",
    access="user",
    response="wallet.WalletOut",
)
def get_wallet(call: Call) -> dict:
    return wallets.get_wallet(bootstrap.store(), call.settings.currency, call.caller.user_id)


@route(
    bp,
    "/v1/wallet/entries",
    "GET",
    name="listWalletEntries",
    summary="The caller's ledger entries, newest first",
    access="user",
    query="wallet.EntriesQuery",
    response="wallet.EntriesPage",
)
def list_entries(call: Call) -> dict:
    q = call.query
    return wallets.list_entries(bootstrap.store(), call.caller.user_id, q.limit, q.cursor, q.type)


@route(
    bp,
    "/v1/points",
    "GET",
    name="getPoints",
    summary="The caller's points: available, pending, held",
    access="user",
    response="points.PointsOut",
    tag="points",
)
def get_points(call: Call) -> dict:
    from ..services import clock

    return wallets.get_points(bootstrap.store(), call.settings.currency, call.caller.user_id, clock.now())


@route(
    bp,
    "/v1/points/entries",
    "GET",
    name="listPointsEntries",
    summary="The caller's points entries, newest first",
    access="user",
    query="points.PointsEntriesQuery",
    response="points.PointsEntriesPage",
    tag="points",
)
def list_points_entries(call: Call) -> dict:
    q = call.query
    return wallets.list_points_entries(bootstrap.store(), call.caller.user_id, q.limit, q.cursor)


@route(
    bp,
    "/v1/membership",
    "GET",
    name="getMembership",
    summary="The caller's tier, rolling 12-month balance spend, next tier, and a coming downgrade",
    access="user",
    response="membership.MembershipOut",
    tag="points",
)
def get_membership(call: Call) -> dict:
    from ..services import membership

    return membership.get_membership(bootstrap.store(), call.settings.currency, call.caller.user_id)


@route(
    bp,
    "/v1/admin/tiers",
    "PUT",
    name="putTiers",
    summary="Set the membership tiers: thresholds of 12-month balance spend, points multiplier, discount (admin)",
    access="admin",
    body="membership.TiersRequest",
    response="membership.TiersOut",
    tag="points",
)
def put_tiers(call: Call) -> dict:
    from ..services import membership

    return membership.put_tiers(
        bootstrap.store(), call.caller, [t.model_dump() for t in call.body.tiers], bootstrap.config_cache()
    )


@route(
    bp,
    "/v1/admin/tiers",
    "GET",
    name="getTiers",
    summary="The membership tiers as last set (admin)",
    access="admin",
    response="membership.TiersOut",
    tag="points",
)
def get_tiers(call: Call) -> dict:
    from ..services import membership

    return membership.get_tiers(bootstrap.store(), call.caller)


@route(
    bp,
    "/v1/wallet/settings",
    "PUT",
    name="updateWalletSettings",
    summary="Set the low-balance threshold, the reminders and marketing e-mail consent (fields left out keep "
    "their values)",
    access="user",
    body="wallet.WalletSettingsRequest",
    response="wallet.WalletOut",
)
def update_settings(call: Call) -> dict:
    body = call.body
    threshold = body.low_balance_threshold if "low_balance_threshold" in body.model_fields_set else None
    reminders = (
        body.reminders.model_dump(include=body.reminders.model_fields_set)
        if "reminders" in body.model_fields_set
        else None
    )
    marketing_email = body.marketing.email if "marketing" in body.model_fields_set else None
    return wallets.update_settings(
        bootstrap.store(), call.settings.currency, call.caller.user_id, threshold, reminders, marketing_email
    )
