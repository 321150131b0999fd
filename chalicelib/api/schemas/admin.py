"""Admin operations: wallet adjustments, merchants, reconciliation."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt, StrictStr

from ...domain.origins import MAX_ORIGIN_LENGTH, MAX_RETURN_ORIGINS, ORIGIN_PATTERN
from .common import JSON_SAFE, TRANSACTION_LIMIT, LotName, Out, SignedFen, Strict, Text
from .wallet import BalanceOut

# The model takes the shape; the view refuses (domain/origins.py normalise_origin) a text that is not exactly an
# origin (400 invalid_return_origin). The document says all of it, in the pattern.
ReturnOrigin = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=MAX_ORIGIN_LENGTH,
        json_schema_extra={"pattern": ORIGIN_PATTERN},
        description="an origin: https://host[:port] (http only for localhost and 127.0.0.1), no path; "
        "kept lower-case, without the default port",
    ),
]


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
    return_origins: list[ReturnOrigin] = Field(
        default_factory=list,
        max_length=MAX_RETURN_ORIGINS,
        description="where the hosted checkout may send the merchant's customers back to (its return_url's "
        "origin must be one of them); replaces the ones stored, none when absent",
    )


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
    return_origins: list[str] = Field(default_factory=list, description="normalised: lower-case, no default port")
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
