"""Alarms: to an encrypted SNS topic, on the API, every function (its row's alarms), every dead-letter queue,
the ledger table and the daily reconciliation."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import (
    Duration,
    aws_cloudwatch as cw,
    aws_cloudwatch_actions as cw_actions,
    aws_kms as kms,
    aws_sns as sns,
    aws_sns_subscriptions as subs,
    aws_sqs as sqs,
)
from constructs import Construct

from ..functions import Alarm, FunctionSpec
from ..stages import SERVICE, Stage
from . import checkov
from .base import Concern

FIVE_MINUTES = Duration.minutes(5)


def alarm_topic(scope: Construct, stage: Stage, name: str, email: str | None, key: kms.IKey | None = None) -> sns.Topic:
    """The SNS topic a stack's alarms notify (alarms can only notify a topic of their own region)."""
    topic = sns.Topic(scope, "Alarms", topic_name=f"{stage.prefix}-{name}", master_key=key, enforce_ssl=True)
    if key is None:
        checkov.skip(
            topic,
            (
                "CKV_AWS_26",
                "Alarm state changes only, no customer data; its stack has no customer "
                "managed key (a monthly fee), and CloudWatch cannot publish to a topic "
                "under the AWS managed key",
            ),
        )
    if email:
        topic.add_subscription(subs.EmailSubscription(email))
    return topic


def add_alarm(
    scope: Construct,
    stage: Stage,
    topic: sns.ITopic,
    construct_id: str,
    metric: cw.IMetric,
    threshold: float,
    description: str,
    *,
    comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluation_periods: int = 1,
    missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
) -> cw.Alarm:
    """An alarm named <prefix>-<construct_id> that tells the topic when it fires and when it clears."""
    alarm = cw.Alarm(
        scope,
        construct_id,
        alarm_name=f"{stage.prefix}-{construct_id}",
        metric=metric,
        threshold=threshold,
        comparison_operator=comparison,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=evaluation_periods,
        treat_missing_data=missing,
        alarm_description=description,
    )
    action = cw_actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm


def lambda_metric(function_name: str, metric_name: str, statistic: str, period: Duration) -> cw.Metric:
    return cw.Metric(
        namespace="AWS/Lambda",
        metric_name=metric_name,
        dimensions_map={"FunctionName": function_name},
        statistic=statistic,
        period=period,
    )


# per Alarm of a function row: construct id suffix, (metric, statistic, period), threshold, description, options
FUNCTION_ALARMS: dict[Alarm, tuple[str, tuple[str, str, Duration], float, str, dict[str, Any]]] = {
    Alarm.ERRORS: ("FunctionErrors", ("Errors", "Sum", FIVE_MINUTES), 1, "{fn} raised an unhandled error", {}),
    Alarm.THROTTLES: (
        "FunctionThrottles",
        ("Throttles", "Sum", FIVE_MINUTES),
        1,
        "{fn} was throttled (concurrency exhausted)",
        {},
    ),
    Alarm.ITERATOR_AGE: (
        "IteratorAge",
        ("IteratorAge", "Maximum", Duration.minutes(1)),
        60_000,
        "{fn} is more than a minute behind the ledger's stream for 5 minutes: events are late "
        "(records older than 24 hours are lost from the stream)",
        {"comparison": cw.ComparisonOperator.GREATER_THAN_THRESHOLD, "evaluation_periods": 5},
    ),
}


class Alarms(Concern):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: Stage,
        key: kms.IKey,
        email: str | None,
        functions: Mapping[str, tuple[FunctionSpec, str]],
        dead_letter_queues: Mapping[str, sqs.Queue],
    ) -> None:
        """``functions``: logical id -> (row, deployed name); ``dead_letter_queues``: construct id -> queue."""
        super().__init__(scope, construct_id)
        self.topic = topic = alarm_topic(self, stage, "alarms", email, key)
        five = FIVE_MINUTES

        def alarm(
            construct_id: str, metric: cw.IMetric, threshold: float, description: str, **options: Any
        ) -> cw.Alarm:
            return add_alarm(self, stage, topic, construct_id, metric, threshold, description, **options)

        api = {"ApiName": stage.prefix, "Stage": stage.api_stage}

        def api_share(metric_name: str, min_requests: int, label: str) -> cw.MathExpression:
            """% of the API's requests answered with `metric_name`; 0 in a period under `min_requests`."""
            return cw.MathExpression(
                expression=f"IF(requests >= {min_requests}, 100 * errors / requests, 0)",
                label=label,
                period=five,
                using_metrics={
                    name: cw.Metric(
                        namespace="AWS/ApiGateway", metric_name=metric, dimensions_map=api, statistic="Sum", period=five
                    )
                    for name, metric in (("errors", metric_name), ("requests", "Count"))
                },
            )

        alarm(
            "Api5xxRate",
            api_share("5XXError", 20, "5xx % of requests"),
            1,
            "More than 1% of API requests answered 5xx for 10 minutes (at least 20 requests per 5 minutes)",
            evaluation_periods=2,
        )
        alarm(
            "Api4xxShare",
            api_share("4XXError", 50, "4xx % of requests"),
            50,
            "Half the API's requests refused (4xx) for 15 minutes (at least 50 requests per 5 minutes): "
            "CloudFront's origin key out of step with the API key (all 403), the authorizer refusing good "
            "tokens (all 401), or a client release sending bad requests",
            evaluation_periods=3,
        )
        for spec, fn in functions.values():
            for kind in spec.alarms:
                suffix, (metric, statistic, period), threshold, description, options = FUNCTION_ALARMS[kind]
                alarm(
                    f"{spec.alarm_prefix}{suffix}",
                    lambda_metric(fn, metric, statistic, period),
                    threshold,
                    description.format(fn=fn),
                    **options,
                )
        for construct_id_, queue in dead_letter_queues.items():
            alarm(
                f"{construct_id_}Messages",
                queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=five),
                1,
                f"{queue.node.default_child.queue_name} holds a message: something was not delivered, or not "
                "handled, after its retries",
            )
        table = {"TableName": stage.table_name}
        alarm(
            "LedgerThrottles",
            cw.MathExpression(
                expression="reads + writes",
                label="throttled events",
                period=five,
                using_metrics={
                    "reads": cw.Metric(
                        namespace="AWS/DynamoDB",
                        metric_name="ReadThrottleEvents",
                        dimensions_map=table,
                        statistic="Sum",
                        period=five,
                    ),
                    "writes": cw.Metric(
                        namespace="AWS/DynamoDB",
                        metric_name="WriteThrottleEvents",
                        dimensions_map=table,
                        statistic="Sum",
                        period=five,
                    ),
                },
            ),
            1,
            "The ledger table throttled reads or writes",
        )
        alarm(
            "LedgerTransactionConflicts",
            cw.Metric(
                namespace="AWS/DynamoDB",
                metric_name="TransactionConflict",
                dimensions_map=table,
                statistic="Sum",
                period=five,
            ),
            50 if stage.production else 20,
            "Many transactions on the ledger conflicted (hot wallets); the app retries, customers may see 409",
        )
        service = {"service": SERVICE, "stage": stage.name}
        day = Duration.days(1)
        alarm(
            "ReconciliationMismatches",
            cw.Metric(
                namespace="StoreBalance",
                metric_name="ReconciliationMismatches",
                dimensions_map=service,
                statistic="Maximum",
                period=day,
            ),
            1,
            "The daily reconciliation found wallets whose balance differs from their entries",
        )
        alarm(
            "ReconciliationNotRun",
            cw.Metric(
                namespace="StoreBalance",
                metric_name="WalletsReconciled",
                dimensions_map=service,
                statistic="SampleCount",
                period=day,
            ),
            1,
            "The daily reconciliation did not report in the last day",
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cw.TreatMissingData.BREACHING,
        )
