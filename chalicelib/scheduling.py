"""A promotion's two one-time EventBridge Scheduler schedules: made at its creation, deleted at its cancellation.

Each schedule is ``at(...)`` in UTC, with no flexible window, targets the promotions function with
``{"promotion_id", "action": "start" | "end"}`` as its input, retries delivery (``RetryPolicy``), sends what it
could not deliver to ``SCHEDULE_DLQ_ARN`` when set, and deletes itself once it has fired
(``ActionAfterCompletion: DELETE``). Names derive from the promotion's id (``<id>-start``, ``<id>-end``), so a
retried creation finds the schedules it made, and a cancellation knows what to delete.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Self

from .domain.moments import parse_time
from .domain.promotions import Promotion, schedule_names

RETRY_POLICY = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 20}


def at_expression(moment: datetime) -> str:
    """``at(YYYY-MM-DDThh:mm:ss)`` of ``moment`` (UTC), rounded up to the second: never before it."""
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def schedule_request(
    promotion: Promotion, action: str, group: str, function_arn: str, role_arn: str, dlq_arn: str = ""
) -> dict[str, Any]:
    """The CreateSchedule parameters of a promotion's ``start`` or ``end``."""
    start, end = schedule_names(promotion.promotion_id)
    when = parse_time(promotion.starts_at if action == "start" else promotion.ends_at)
    target: dict[str, Any] = {
        "Arn": function_arn,
        "RoleArn": role_arn,
        "Input": json.dumps({"promotion_id": promotion.promotion_id, "action": action}),
        "RetryPolicy": dict(RETRY_POLICY),
    }
    if dlq_arn:
        target["DeadLetterConfig"] = {"Arn": dlq_arn}
    return {
        "Name": start if action == "start" else end,
        "GroupName": group,
        "ScheduleExpression": at_expression(when),
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": target,
        "ActionAfterCompletion": "DELETE",
        "State": "ENABLED",
        "Description": f"promotion {promotion.promotion_id} {action}",
    }


def _code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


class PromotionSchedules:
    """The scheduler client, bound to the group, the target and the role the settings name."""

    def __init__(self, client: Any, group: str, function_arn: str, role_arn: str, dlq_arn: str = "") -> None:
        self.client = client
        self.group = group
        self.function_arn = function_arn
        self.role_arn = role_arn
        self.dlq_arn = dlq_arn

    @classmethod
    def from_settings(cls, s: Any) -> Self:
        from .aws import client

        return cls(
            client("scheduler"), s.schedule_group, s.promotions_function_arn, s.scheduler_role_arn, s.schedule_dlq_arn
        )

    def create(self, promotion: Promotion) -> None:
        """Both schedules; one that exists already (an earlier attempt made it) is left as it is."""
        for action in ("start", "end"):
            try:
                self.client.create_schedule(
                    **schedule_request(promotion, action, self.group, self.function_arn, self.role_arn, self.dlq_arn)
                )
            except Exception as exc:
                if _code(exc) != "ConflictException":
                    raise

    def delete(self, promotion_id: str) -> None:
        """Both schedules; one already gone (fired, or deleted before) is fine."""
        for name in schedule_names(promotion_id):
            try:
                self.client.delete_schedule(Name=name, GroupName=self.group)
            except Exception as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise


# ---- campaigns: a run and a measurement, on the same function and group --------------------------------


def campaign_schedule_names(campaign_id: str) -> tuple[str, str]:
    return f"{campaign_id}-run", f"{campaign_id}-measure"


class CampaignSchedules(PromotionSchedules):
    """A campaign's two one-time schedules: ``run`` at its run time, ``measure`` when its measurement window
    has closed (and the export settled). They invoke the same function as the promotions' schedules (the one
    the scheduler role may invoke) with ``{"campaign_id", "action": "run" | "measure"}``."""

    def create_campaign(self, campaign_id: str, runs_at: datetime, measures_at: datetime) -> None:
        """Both schedules; one that exists already (an earlier attempt made it) is left as it is."""
        for name, action, when in zip(campaign_schedule_names(campaign_id), ("run", "measure"), (runs_at, measures_at)):
            target: dict[str, Any] = {
                "Arn": self.function_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps({"campaign_id": campaign_id, "action": action}),
                "RetryPolicy": dict(RETRY_POLICY),
            }
            if self.dlq_arn:
                target["DeadLetterConfig"] = {"Arn": self.dlq_arn}
            try:
                self.client.create_schedule(
                    Name=name,
                    GroupName=self.group,
                    ScheduleExpression=at_expression(when),
                    ScheduleExpressionTimezone="UTC",
                    FlexibleTimeWindow={"Mode": "OFF"},
                    Target=target,
                    ActionAfterCompletion="DELETE",
                    State="ENABLED",
                    Description=f"campaign {campaign_id} {action}",
                )
            except Exception as exc:
                if _code(exc) != "ConflictException":
                    raise

    def delete_campaign(self, campaign_id: str) -> None:
        for name in campaign_schedule_names(campaign_id):
            try:
                self.client.delete_schedule(Name=name, GroupName=self.group)
            except Exception as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise
