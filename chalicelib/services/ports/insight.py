"""Profiles and segment members, campaigns and their memberships, backtests: each store as a whole too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Protocol

if TYPE_CHECKING:
    from ...domain.campaigns import Campaign
    from ...domain.coupons import Coupon


class SegmentMembers(Protocol):
    """A segment's members, page by page (index ``segment-members``): listings and segment-targeted grants."""

    def members(
        self, segment: str, cursor: dict[str, Any] | None, limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]: ...


class Profiles(SegmentMembers, Protocol):
    """chalicelib/store/profiles.py: each customer's profile, each segmentation run."""

    def put_profiles(self, profiles: Iterable[dict[str, Any]], run_id: str, at: str) -> int: ...

    def get_profile(self, user_id: str) -> dict[str, Any] | None: ...

    def put_run(self, run: dict[str, Any]) -> None: ...

    def add_run(self, run: dict[str, Any]) -> bool: ...

    def claim_run(self, run_id: str, at: str) -> bool: ...

    def get_run(self, run_id: str) -> dict[str, Any] | None: ...

    def latest_runs(self, limit: int) -> list[dict[str, Any]]: ...


class ProfileStore(Profiles, Protocol):
    """What ``DynamoProfileStore`` (and ``tests/unit/fakes.FakeProfileStore``) is."""


class Campaigns(Protocol):
    """``campaigns``: campaigns (every change conditioned on the version read) and their frozen memberships."""

    def put_campaign(self, c: Campaign) -> bool: ...

    def get_campaign(self, campaign_id: str) -> Campaign | None: ...

    def list_campaigns(self) -> list[Campaign]: ...

    def update_campaign(self, before: Campaign, after: Campaign) -> bool: ...

    def assign(self, campaign_id: str, member: dict[str, Any]) -> dict[str, Any]: ...

    def record_outcome(
        self, campaign_id: str, user_id: str, outcome: str, channel: str | None, reason: str | None, at: str
    ) -> bool: ...

    def answer(
        self, campaign_id: str, user_id: str, choice: str, comment: str | None, frequency_class: str, at: str
    ) -> bool: ...

    def memberships(self, campaign_id: str) -> list[dict[str, Any]]: ...

    def get_membership(self, campaign_id: str, user_id: str) -> dict[str, Any] | None: ...


class CampaignStore(Campaigns, Protocol):
    """What ``DynamoCampaignStore`` is."""


class Backtests(Protocol):
    """``backtests``: the backtest items (each change of state conditioned on the one before) and the customers'
    coupons the replayed quotes named."""

    def add_backtest(self, b: dict[str, Any]) -> bool: ...

    def get_backtest(self, merchant_id: str, backtest_id: str) -> dict[str, Any] | None: ...

    def latest_backtests(self, merchant_id: str, limit: int) -> list[dict[str, Any]]: ...

    def claim_backtest(self, merchant_id: str, backtest_id: str, at: str, period: tuple[str, str]) -> bool: ...

    def finish_backtest(
        self,
        merchant_id: str,
        backtest_id: str,
        state: str,
        at: str,
        report: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool: ...

    def coupons(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Coupon]: ...


class BacktestStore(Backtests, Protocol):
    """What ``DynamoBacktestStore`` is."""
