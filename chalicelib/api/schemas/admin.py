"""Admin operations: wallet adjustments, merchants, reconciliation."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from .common import JSON_SAFE, TRANSACTION_LIMIT, LotName, Out, SignedFen, Strict, Text
from .wallet import BalanceOut


class AdjustmentRequest(Strict):
    # zero is refused by the view (400 invalid_amount), a magnitude above the per-transaction limit by the use case
    # (400 amount_exceeds_limit): the document says both (openapi.py writes the configured limit)
    amount: Annotated[
        StrictInt,
        Field(
            ge=-JSON_SAFE,
            le=JSON_SAFE,
            description="signed, non-zero amount in fen",
            json_schema_extra={TRANSACTION_LIMIT: True, "not": {"const": 0}},
        ),
    ]
    lot: LotName
    reason: Text


class MerchantRequest(Strict):
    name: Text
    status: Literal["active", "suspended"] = "active"


class AdjustmentOut(Out):
    adjustment_id: str
    user_id: str
    amount: SignedFen
    lot: LotName
    reason: str
    balance: BalanceOut
    created_at: str


class MerchantOut(Out):
    merchant_id: str
    name: str
    status: Literal["active", "suspended"]
    staff_group: str | None = None  # the Cognito group of its staff (None when no user pool is configured)


class Mismatch(Out):
    user_id: str
    stored: BalanceOut
    from_entries: BalanceOut
    difference: BalanceOut
    problems: list[str]


class ReconciliationTotals(Out):
    held: BalanceOut = Field(description="all money in wallets, available and on hold")
    on_hold: BalanceOut
    points: int = Field(description="all points in all accounts (available, pending, held)")
    credited: dict[str, int]
    debited: dict[str, int]
    net_from_entries: int
    conserved: bool


class ReconciliationOut(Out):
    wallets_checked: int
    mismatches: list[Mismatch]
    totals: ReconciliationTotals
