"""The composition root: everything a view, job or consumer works with, built from ``Settings`` once per
process and only when first asked for (a cold function builds what it serves, nothing more).

Views, scheduled jobs and stream/bus consumers take their dependencies from here and pass them to one
use case; the use cases never build a dependency themselves. Tests set the clock through
``chalicelib.services.clock`` and pass their own stores to the use cases directly.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .config import Settings, get_settings

if TYPE_CHECKING:
    from datetime import date

    from .services.reports import Engine
    from .services.publishing import Bus
    from .scheduling import PromotionSchedules
    from .services.common import LedgerPolicy
    from .services.merchant_rules import ConfigCache
    from .store.dynamo import DynamoLedgerStore
    from .store.feedback import DynamoFeedbackStore
    from .store.profiles import DynamoProfileStore
    from .store.campaigns import DynamoCampaignStore
    from .scheduling import CampaignSchedules


def settings() -> Settings:
    return get_settings()


def store() -> "DynamoLedgerStore":
    """The process's one ledger store (PynamoDB keeps one connection per model class)."""
    from .store import get_store

    return get_store()


def feedback_store() -> "DynamoFeedbackStore":
    from .store import get_feedback_store

    return get_feedback_store()


@lru_cache(maxsize=1)
def profile_store() -> "DynamoProfileStore":
    """Profiles and segmentation runs, on the same table (its one connection)."""
    from .store.profiles import DynamoProfileStore

    store()  # connects the table's base model first (chalicelib/store/base.py)
    return DynamoProfileStore()


@lru_cache(maxsize=1)
def campaign_store() -> "DynamoCampaignStore":
    """Campaigns and their memberships, on the same table (its one connection)."""
    from .store.campaigns import DynamoCampaignStore

    store()  # connects the table's base model first (chalicelib/store/base.py)
    return DynamoCampaignStore()


@lru_cache(maxsize=1)
def campaign_schedules() -> "CampaignSchedules":
    """EventBridge Scheduler, as the campaigns use it (the promotions' group, function and role)."""
    from .scheduling import CampaignSchedules

    return CampaignSchedules.from_settings(get_settings())


def policy() -> "LedgerPolicy":
    """The ledger's limits and pricing policy, from the settings."""
    from .services.common import LedgerPolicy

    return LedgerPolicy.from_settings(get_settings())


@lru_cache(maxsize=1)
def config_cache() -> "ConfigCache":
    """The process's cache of merchants' configuration (RULES_CACHE_SECONDS), shared by quotes and payments."""
    from .services.merchant_rules import ConfigCache

    s = get_settings()
    return ConfigCache(s.rules_cache_seconds, promotion_days=s.promotion_max_days)


@lru_cache(maxsize=1)
def schedules() -> "PromotionSchedules":
    """EventBridge Scheduler, as the promotions use it."""
    from .scheduling import PromotionSchedules

    return PromotionSchedules.from_settings(get_settings())


@lru_cache(maxsize=1)
def bus() -> "Bus":
    """The stage's bus, as the use cases put events on it themselves (behaviour events, quotes' traces)."""
    from .bus import BusSink
    from .events.catalogue import SOURCE
    from .services.publishing import Bus

    return Bus(BusSink(aws("events")), SOURCE, get_settings().event_bus_name)


def analytics(start: "date", end: "date", timeout: float = 25.0) -> "Engine":
    """What runs the export's analyses over ``start``..``end``: Athena on AWS; locally DuckDB over the export's
    objects in moto's S3 for those days (moto's Athena runs no query). ``timeout``: how long one Athena query may
    take (a request's answer waits for it; a job may wait longer)."""
    s = get_settings()
    if s.aws_endpoint:
        from .insight import export
        from .insight.engine import DuckEngine

        return DuckEngine(export.read(aws("s3"), s.export_bucket, start, end))
    from .insight.engine import AthenaEngine

    return AthenaEngine(aws("athena"), s.analytics_database, s.analytics_workgroup, timeout=timeout)


def aws(service: str) -> Any:
    """The process's client of another AWS service (EventBridge, SES, SQS, Scheduler)."""
    from .aws import client

    return client(service)
