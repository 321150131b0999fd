"""Use cases on a customer's own wallet: read it (with its run-out forecast), its history, its settings."""

from __future__ import annotations

import base64
import json
from typing import Any

from ..domain.errors import InvalidRequest
from ..domain.forecast import forecast
from ..domain.model import Wallet
from ..observability import capture_method
from .common import wallet_or_empty
from .ports import Points, Wallets
from . import clock

ENTRY_TYPES = ("top_up", "payment", "refund", "adjustment", "authorization", "capture", "release", "expiry")


def wallet_view(wallet: Wallet) -> dict[str, Any]:
    """The wallet as the customer sees it, with the forecast of its balance at the recent pace (UTC today)."""
    from ..domain.moments import format_time
    from . import clock

    now = clock.now()
    return {
        **wallet.as_view(),
        "forecast": forecast(wallet.spend_days, wallet.spendable(format_time(now)).total, now.date()).as_view(),
    }


@capture_method
def get_wallet(store: Wallets, currency: str, user_id: str) -> dict[str, Any]:
    """The wallet as the customer sees it; zeros for one who never topped up."""
    return wallet_view(wallet_or_empty(store.get_wallet(user_id), user_id, currency))


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": seq}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest("cursor is not one this API returned", code="invalid_cursor", field="cursor") from exc
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest("cursor is not one this API returned", code="invalid_cursor", field="cursor")
    return value


@capture_method
def list_entries(
    store: Wallets, user_id: str, limit: int, cursor: str | None, entry_type: str | None
) -> dict[str, Any]:
    """One page of the wallet's entries, newest first, with the cursor of the next page."""
    if entry_type is not None and entry_type not in ENTRY_TYPES:
        raise InvalidRequest(f"type must be one of {', '.join(ENTRY_TYPES)}", code="invalid_type", field="type")
    before = decode_cursor(cursor) if cursor else None
    entries, next_seq = store.list_entries(user_id, limit, before, entry_type)
    return {
        "user_id": user_id,
        "entries": [e.as_view() for e in entries],
        "next_cursor": encode_cursor(next_seq) if next_seq is not None else None,
    }


@capture_method
def get_points(store: Wallets, currency: str, user_id: str, now: Any) -> dict[str, Any]:
    """The points account as the customer sees it: pending points whose return window has passed are available."""
    return {"user_id": user_id, **wallet_or_empty(store.get_wallet(user_id), user_id, currency).points.as_view(now)}


@capture_method
def list_points_entries(store: Points, user_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    before = decode_cursor(cursor) if cursor else None
    entries, next_seq = store.list_points_entries(user_id, limit, before)
    return {
        "user_id": user_id,
        "entries": [e.as_view() for e in entries],
        "next_cursor": encode_cursor(next_seq) if next_seq is not None else None,
    }


@capture_method
def update_settings(
    store: Wallets,
    currency: str,
    user_id: str,
    low_balance_threshold: int | None,
    reminders: dict[str, Any] | None = None,
    marketing_email: bool | None = None,
) -> dict[str, Any]:
    """Change the settings named (a field left out keeps its value; within ``reminders`` likewise; None leaves
    the marketing e-mail consent as it is)."""
    return wallet_view(
        store.update_settings(
            user_id,
            currency,
            clock.stamp(),
            threshold=low_balance_threshold,
            reminders=reminders,
            marketing_email=marketing_email,
        )
    )
