"""The wallet: its balance, settings and reminders, and its ledger entries."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from .common import Cursor, NonNegativeFen, Out, PageLimit, SignedFen, Strict
from .marketing import MarketingIn, MarketingOut


ReminderDays = Annotated[StrictInt, Field(ge=1, le=30)]
Email = Annotated[StrictStr, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class RemindersIn(Strict):
    """Only the fields sent change; null turns a reminder (or the e-mail) off."""

    low_balance: StrictBool = Field(
        True, description="remind when the balance falls below the threshold (default true)"
    )
    run_out_days: Optional[ReminderDays] = Field(
        None,
        description="remind (at most weekly) when the forecast says the balance runs out within this many "
        "days; null: off (the default)",
    )
    bonus_expiry_days: Optional[ReminderDays] = Field(
        3, description="remind this many days before bonus balance expires; null: off (default 3)"
    )
    email: Optional[Email] = Field(None, description="also e-mail reminders here; null: inbox only (the default)")


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # "left out" is not a value a client may send: null is refused


class WalletSettingsRequest(Strict):
    """A partial update: each field left out keeps its value, so at least one must be sent. The fields of
    ``reminders`` likewise."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    low_balance_threshold: NonNegativeFen = Field(
        None, description="fen; the wallet shows low_balance below it (default 0: never)", json_schema_extra=_no_default
    )
    reminders: RemindersIn = Field(
        None,
        description="the reminders wanted (defaults: low_balance true, "
        "run_out_days null, bonus_expiry_days 3, email null)",
        json_schema_extra=_no_default,
    )
    marketing: MarketingIn = Field(
        None,
        description="marketing e-mail consent (default: email true, opt-out); reminders are not marketing",
        json_schema_extra=_no_default,
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> "WalletSettingsRequest":
        if not self.model_fields_set & {"low_balance_threshold", "reminders", "marketing"}:
            raise ValueError("send low_balance_threshold, reminders, marketing or several")
        return self


class EntriesQuery(Strict):
    limit: PageLimit = 20
    cursor: Optional[Cursor] = None
    type: Optional[
        Literal["top_up", "payment", "refund", "adjustment", "authorization", "capture", "release", "expiry"]
    ] = None


class LotsOut(Out):
    cash: SignedFen
    bonus: SignedFen


class BalanceOut(LotsOut):
    total: SignedFen


class RemindersOut(Out):
    low_balance: bool
    run_out_days: Optional[int]
    bonus_expiry_days: Optional[int]
    email: Optional[str]


class ForecastOut(Out):
    daily_spend: int = Field(
        description="fen a day, averaged over the last 30 days (or since the first spend in them), rounded up"
    )
    runs_out_on: Optional[str] = Field(
        description="the UTC day the balance no longer covers a day's spending; null when nothing was spent"
    )


class WalletOut(Out):
    user_id: str
    currency: str
    balance: BalanceOut
    held: BalanceOut = Field(description="on hold for authorized payments: not spendable, not yet spent")
    low_balance_threshold: int
    low_balance: bool = Field(description="the balance is below the customer's threshold")
    bonus_expiring: list["BonusExpiringOut"] = Field(
        description="bonus that expires, per expiry time, soonest first (bonus that never expires is not listed)"
    )
    reminders: RemindersOut
    marketing: MarketingOut
    forecast: ForecastOut
    updated_at: Optional[str]


class BonusExpiringOut(Out):
    amount: int
    expires_at: str


class EntryOut(Out):
    id: str
    type: str
    amount: SignedFen
    lots: LotsOut
    balance_after: BalanceOut
    held: Optional[LotsOut] = Field(None, description="what the entry put on hold (+) or took off hold (-)")
    held_after: Optional[BalanceOut] = None
    order_id: Optional[str] = None
    payment_id: Optional[str] = None
    checkout_id: Optional[str] = None
    topup_id: Optional[str] = None
    refund_id: Optional[str] = None
    merchant_id: Optional[str] = None
    reason: Optional[str] = None
    actor: Optional[str] = None
    plan_id: Optional[str] = Field(None, description="a top-up's bonus plan")
    bonus_expires_at: Optional[str] = Field(None, description="when a top-up's bonus expires ('never')")
    option: Optional[str] = Field(None, description="the top-up option it came from")
    grant_ids: Optional[str] = Field(None, description="an expiry's bonus grants, comma-separated")
    created_at: str


class EntriesPage(Out):
    user_id: str
    entries: list[EntryOut]
    next_cursor: Optional[str]
