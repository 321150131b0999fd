"""The service on AWS, per stage: an edge stack (WAF, us-east-1) and a service stack (everything else).

CloudFront-scoped WAF web ACLs can only be created in us-east-1, so they live in
their own small stack there; the service stack (any region) reads the ACL's ARN
with CloudFormation's Fn::GetStackOutput (a weak cross-stack reference, infra/app.py).
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from aws_cdk import (
    Acknowledgment,
    ArnFormat,
    Aws,
    CfnOutput,
    Duration,
    Fn,
    RemovalPolicy,
    Stack,
    Validations,
    aws_apigateway as apigw,
    aws_certificatemanager as acm,
    aws_cloudfront as cf,
    aws_cloudfront_origins as origins,
    aws_cloudwatch as cw,
    aws_cloudwatch_actions as cw_actions,
    aws_cognito as cognito,
    aws_dynamodb as dynamodb,
    aws_events as events,
    aws_events_targets as targets,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3 as s3,
    aws_scheduler as scheduler,
    aws_secretsmanager as sm,
    aws_sns as sns,
    aws_sns_subscriptions as subs,
    aws_sqs as sqs,
    aws_wafv2 as wafv2,
)
from chalice.utils import to_cfn_resource_name
from constructs import Construct

from chalicelib.events.catalogue import CONSUMERS

from .api import PackagedChalice, route_access, secure_swagger
from .stages import ROOT, SERVICE, Stage
from .table import cfn_table_properties

# Chalice must be told a role when it does not manage one; the real role replaces this placeholder.
ROLE_PLACEHOLDER = "arn:aws:iam::000000000000:role/replaced-by-cdk"

# DynamoDB actions each function's code performs on the ledger (TransactWriteItems is authorised
# per item as PutItem/UpdateItem, TransactGetItems as GetItem). tests/infra checks the code makes
# no call outside these lists.
API_TABLE_ACTIONS = ("dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
                     "dynamodb:Scan", "dynamodb:UpdateItem")
RECONCILE_TABLE_ACTIONS = ("dynamodb:Scan",)
# The hold sweeper: its work list from the open-holds index, then one conditional release per hold.
SWEEP_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
SWEEP_INDEX_ACTIONS = ("dynamodb:Query",)
HOLDS_INDEX = "open-holds"
# PUT /v1/admin/merchants/{id} creates the merchant's staff group (chalicelib/identity.py).
USER_POOL_ACTIONS = ("cognito-idp:CreateGroup",)
# The API creates (and removes) a promotion's one-time schedules in the stage's group, passing the scheduler's role.
SCHEDULE_ACTIONS = ("scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule")
# The stream publisher: what the event source mapping needs on the table's stream (it polls with the function's
# role), then one PutEvents per slice of the batch on the stage's bus.
STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                       "dynamodb:ListStreams")
PUBLISH_ACTIONS = ("events:PutEvents",)
# The bus's consumer: the wallet's reminder settings read, a notification and its dedupe guard put (one
# transaction; a redelivery reads them back), the e-mail's claim and sent mark updated on the notification.
LIFECYCLE_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
# Promotions: the promotion and its grants read and written, the audience found by a Scan.
PROMOTIONS_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem")
# Bonus expiry, like the sweeper: its work list from the bonus-due index, then one conditional transaction per wallet.
EXPIRE_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
EXPIRE_INDEX_ACTIONS = ("dynamodb:Query",)
BONUS_INDEX = "bonus-due"
# Reminders: the wallets from the reminders and bonus-due indexes, each wallet read, a notification and its guard
# put, the e-mail's claim and sent mark updated.
REMIND_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
REMIND_INDEX_ACTIONS = ("dynamodb:Query",)
REMIND_INDEX = "reminders"
# E-mail from the operator's verified SES identity (only when the stage has one: sesSender).
SES_ACTIONS = ("ses:SendEmail", "ses:SendRawEmail")
# What DynamoDB needs from the caller when the table is encrypted with a customer managed key.
TABLE_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")

RETENTION = {14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
             90: logs.RetentionDays.THREE_MONTHS, 365: logs.RetentionDays.ONE_YEAR}

API_ACCESS_LOG = {
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "time": "$context.requestTime",
    "method": "$context.httpMethod", "path": "$context.resourcePath", "status": "$context.status",
    "latencyMs": "$context.responseLatency", "integrationMs": "$context.integration.latency",
    "error": "$context.error.message", "authorizerError": "$context.authorizer.error",
    "user": "$context.authorizer.claims.sub", "xrayTraceId": "$context.xrayTraceId",
}


def suppress(construct: Construct, *reasons: tuple[str, str] | tuple[str, str, list[str]]) -> None:
    """Acknowledge cdk-nag findings on a construct and its children, each with its reason.

    (rule, reason) or (rule, reason, [finding, ...]) for rules that report per finding (IAM4, IAM5).
    """
    validations = Validations.of(construct)
    for rule, reason, *applies in reasons:
        ids = [f"{rule}[{finding}]" for finding in applies[0]] if applies else [rule]
        for rule_id in ids:
            validations.acknowledge(Acknowledgment(id=rule_id, reason=reason))


def event_pattern(pattern: dict[str, Any]) -> events.EventPattern:
    """The catalogue's EventBridge pattern (JSON keys) as the CDK's EventPattern; an unknown key is refused."""
    fields = {"detail-type": "detail_type", "source": "source", "detail": "detail", "account": "account",
              "region": "region", "resources": "resources", "id": "id", "time": "time", "version": "version"}
    unknown = set(pattern) - set(fields)
    if unknown:
        raise ValueError(f"event pattern keys not supported here: {sorted(unknown)}")
    return events.EventPattern(**{fields[k]: v for k, v in pattern.items()})


def alarm_topic(scope: Construct, stage: Stage, name: str, email: str | None,
                key: kms.IKey | None = None) -> sns.Topic:
    """The SNS topic a stack's alarms notify (alarms can only notify a topic of their own region)."""
    topic = sns.Topic(scope, "Alarms", topic_name=f"{stage.prefix}-{name}", master_key=key, enforce_ssl=True)
    if email:
        topic.add_subscription(subs.EmailSubscription(email))
    return topic


def add_alarm(scope: Construct, stage: Stage, topic: sns.ITopic, construct_id: str, metric: cw.IMetric,
              threshold: float, description: str, *,
              comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
              evaluation_periods: int = 1,
              missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING) -> cw.Alarm:
    """An alarm named <prefix>-<construct_id> that tells the topic when it fires and when it clears."""
    alarm = cw.Alarm(scope, construct_id, alarm_name=f"{stage.prefix}-{construct_id}", metric=metric,
                     threshold=threshold, comparison_operator=comparison, evaluation_periods=evaluation_periods,
                     datapoints_to_alarm=evaluation_periods, treat_missing_data=missing,
                     alarm_description=description)
    action = cw_actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm


class EdgeStack(Stack):
    """us-east-1: the WAF web ACL that guards the CloudFront distribution."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage, alarm_email: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        acl_name = f"{stage.prefix}-edge"

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=f"{stage.prefix}-{name}", sampled_requests_enabled=True)

        def managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name, priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name)),
                visibility_config=visibility(name))

        rate_limited = json.dumps({"error": {"code": "rate_limited",
                                             "message": "too many requests from this address; retry later",
                                             "details": {}}})
        self.web_acl = wafv2.CfnWebACL(
            self, "WebAcl", name=acl_name, scope="CLOUDFRONT",
            description=f"{SERVICE} {stage.name}: AWS managed common and known-bad-inputs rules, per-IP rate limit",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("edge"),  # the ACL's metric name is its name (the alarm's WebACL)
            custom_response_bodies={"rate_limited": wafv2.CfnWebACL.CustomResponseBodyProperty(
                content_type="APPLICATION_JSON", content=rate_limited)},
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimitPerIp", priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block=wafv2.CfnWebACL.BlockActionProperty(
                        custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                            response_code=429, custom_response_body_key="rate_limited"))),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=stage.waf_rate_limit, aggregate_key_type="IP", evaluation_window_sec=300)),
                    visibility_config=visibility("rate")),
                managed("AWSManagedRulesCommonRuleSet", 1),
                managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
            ])
        self.web_acl_arn = self.web_acl.attr_arn

        # What WAF blocked and why, for "why was my customer refused?"; tokens are redacted.
        waf_logs_name = f"aws-waf-logs-{stage.prefix}"  # WAF only delivers to groups named aws-waf-logs-*
        waf_logs = logs.LogGroup(self, "WafLogs", log_group_name=waf_logs_name,
                                 retention=RETENTION[stage.log_retention_days],
                                 removal_policy=RemovalPolicy.RETAIN if stage.production else RemovalPolicy.DESTROY)
        logging = wafv2.CfnLoggingConfiguration(
            self, "WafLogging", resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[self.format_arn(service="logs", resource="log-group",
                                                     resource_name=waf_logs_name,
                                                     arn_format=ArnFormat.COLON_RESOURCE_NAME)],
            redacted_fields=[wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": name})
                             for name in ("authorization", "cookie")])
        logging.node.add_dependency(waf_logs)

        # WAF decides before anything of ours sees the request: a false positive of a managed rule, or a
        # rate limit too tight for a busy order service, is an outage no service-side alarm would notice.
        # WAF's CloudFront metrics live in us-east-1, and an alarm can only notify a topic of its region.
        # Alarm state changes only, no customer data: SSL enforced, no customer managed key (a monthly fee).
        topic = alarm_topic(self, stage, "edge-alarms", alarm_email)
        five = Duration.minutes(5)
        waf = {"WebACL": acl_name, "Rule": "ALL"}
        add_alarm(self, stage, topic, "EdgeBlockedShare", cw.MathExpression(
            # WAF publishes no BlockedRequests datapoint in a period without blocks: FILL makes that 0
            expression="IF(FILL(allowed, 0) + FILL(blocked, 0) >= 100, "
                       "100 * FILL(blocked, 0) / (FILL(allowed, 0) + FILL(blocked, 0)), 0)",
            label="% of requests blocked by WAF", period=five,
            using_metrics={name: cw.Metric(namespace="AWS/WAFV2", metric_name=metric, dimensions_map=waf,
                                           statistic="Sum", period=five)
                           for name, metric in (("allowed", "AllowedRequests"), ("blocked", "BlockedRequests"))}),
            stage.waf_blocked_alarm_percent,
            f"WAF blocked at least {stage.waf_blocked_alarm_percent}% of requests for 15 minutes (at least 100 "
            f"requests per 5 minutes): an attack, or legitimate clients refused; {waf_logs_name} says which rule",
            evaluation_periods=3)


class ServiceStack(Stack):
    """The regional service: table, users, secrets, functions, API, CloudFront, events, alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage, web_acl_arn: str,
                 work_dir: Path, domain_name: str | None = None, certificate_arn: str | None = None,
                 alarm_email: str | None = None, api_concurrency: int | None = None, ses_sender: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.stage = stage
        retain = RemovalPolicy.RETAIN if stage.production else RemovalPolicy.DESTROY
        api_fn, reconcile_fn = f"{stage.prefix}-api", f"{stage.prefix}-reconcile"
        sweep_fn = f"{stage.prefix}-sweep-holds"
        publish_fn, lifecycle_fn = f"{stage.prefix}-publish-events", f"{stage.prefix}-lifecycle"
        promotions_fn, expire_fn = f"{stage.prefix}-promotions", f"{stage.prefix}-expire-bonus"
        remind_fn = f"{stage.prefix}-remind"
        # built from the name, not read from the function: every function (promotions too) is told this ARN
        promotions_arn = f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{promotions_fn}"

        # ---- one customer managed key: alarms topic, secrets, and (prod) the table
        key = kms.Key(self, "ServiceKey", alias=f"alias/{stage.prefix}", enable_key_rotation=True,
                      description=f"{SERVICE} {stage.name}: ledger, secrets and alarm topic",
                      pending_window=Duration.days(30 if stage.production else 7), removal_policy=retain)
        # CloudWatch alarms publish to the encrypted topic only if the key lets CloudWatch use it
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchAlarmsPublishToEncryptedTopic",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=["*"]))

        # ---- the ledger table, from the single definition the code and the local stack use
        self.table = self._table(stage, key)

        # ---- users: shoppers sign themselves up; admin and service are groups operators assign
        self.user_pool, self.client = self._users(stage, retain)

        # ---- secrets
        webhook_secret = sm.Secret(
            self, "WebhookSecret", secret_name=stage.webhook_secret_name, encryption_key=key,
            description="HMAC key shared with the payment provider; put the provider's value after deploying",
            generate_secret_string=sm.SecretStringGenerator(exclude_punctuation=True, password_length=48),
            removal_policy=retain)
        # The key is resolved into the API key and CloudFront's origin header at deploy time, so a new value
        # in the same secret would go unnoticed (the template would not change). Rotating is a new generation
        # instead (stage.origin_key_generation + 1, deployed): a new secret with a new value, a new API key added
        # to the usage plan, CloudFront updated; the old key is removed only after, in CloudFormation's
        # cleanup, so edges still sending it are served meanwhile. Nothing to keep: the old secret goes.
        origin_key = sm.Secret(
            self, f"OriginKey{stage.origin_key_generation}", encryption_key=key,
            secret_name=f"{SERVICE}/{stage.name}/cloudfront-origin-key-{stage.origin_key_generation}",
            description="API key CloudFront adds to every origin request; the API refuses requests without it",
            generate_secret_string=sm.SecretStringGenerator(exclude_punctuation=True, password_length=40),
            removal_policy=RemovalPolicy.DESTROY)
        suppress(webhook_secret, ("AwsSolutions-SMG4", "The webhook key is issued by the payment provider; it is "
                                  "rotated when the provider rotates it (put-secret-value), and the app re-reads "
                                  "it within 5 minutes (Powertools parameters cache)."))
        suppress(origin_key, ("AwsSolutions-SMG4", "Rotated by deploying a new generation (infra/stages.py "
                              "origin_key_generation): the value lives in the API key and CloudFront's origin "
                              "header, which a Secrets Manager rotation function could not update; see README."))

        # ---- domain events and schedules, ready for promotions and analytics
        self.bus = events.EventBus(self, "DomainEvents", event_bus_name=f"{stage.prefix}-events",
                                   description=f"{SERVICE} {stage.name} domain events")
        if stage.production:
            self.bus.archive("DomainEventsArchive", archive_name=f"{stage.prefix}-events",
                             description="Replayable copy of every domain event",
                             event_pattern=events.EventPattern(account=[Aws.ACCOUNT_ID]),
                             retention=Duration.days(365))
        self.schedule_group = scheduler.CfnScheduleGroup(self, "Schedules", name=stage.prefix)

        # ---- dead-letter queues: what the stream, a bus rule or a schedule could not deliver stays 14 days
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        publish_dlq = self._dead_letter_queue(
            "PublishEventsDlq", f"{stage.prefix}-publish-events-dlq",
            "where stream batches the publisher failed on after its retries are recorded by shard and sequence "
            "numbers; the records stay readable on the stream for 24 hours")
        schedule_dlq = self._dead_letter_queue(
            "SchedulesDlq", f"{stage.prefix}-schedules-dlq",
            "promotion schedules EventBridge Scheduler could not deliver to the promotions function")
        consumer_dlqs = {consumer: self._dead_letter_queue(
            f"{to_cfn_resource_name(consumer)}Dlq", f"{stage.prefix}-{consumer.replace('_', '-')}-dlq",
            f"domain events the bus rule {consumer} could not deliver, or its function failed on")
            for consumer in CONSUMERS}

        # ---- the role EventBridge Scheduler assumes for the promotion schedules the API creates
        self.scheduler_role = iam.Role(
            self, "SchedulerRole", description=f"{SERVICE} {stage.name}: EventBridge Scheduler invoking promotions",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com",
                                            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}))
        self.scheduler_role.add_to_policy(iam.PolicyStatement(
            sid="InvokePromotions", actions=["lambda:InvokeFunction"],
            resources=[promotions_arn, f"{promotions_arn}:*"]))
        self.scheduler_role.add_to_policy(iam.PolicyStatement(
            sid="DeadLetters", actions=["sqs:SendMessage"], resources=[schedule_dlq.queue_arn]))
        suppress(self.scheduler_role, (
            "AwsSolutions-IAM5", "The promotions function and its versions and aliases (ARN:qualifier): "
                                 "invoking one named function, whichever version a schedule names.",
            ["Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:"
             f"{promotions_fn}:*"]))

        # ---- one role per function, each with only what its code does
        api_role = self._function_role("ApiHandlerRole", api_fn, "HTTP API handler")
        api_role.add_to_policy(iam.PolicyStatement(sid="Ledger", actions=list(API_TABLE_ACTIONS),
                                                   resources=[self.table.attr_arn]))
        webhook_secret.grant_read(api_role)
        api_role.add_to_policy(iam.PolicyStatement(sid="MerchantGroups", actions=list(USER_POOL_ACTIONS),
                                                   resources=[self.user_pool.user_pool_arn]))
        reconcile_role = self._function_role("ReconcileRole", reconcile_fn, "daily reconciliation job")
        reconcile_role.add_to_policy(iam.PolicyStatement(sid="Ledger", actions=list(RECONCILE_TABLE_ACTIONS),
                                                         resources=[self.table.attr_arn]))
        sweep_role = self._function_role("SweepHoldsRole", sweep_fn, "hold sweeper (releases ended authorizations)")
        sweep_role.add_to_policy(iam.PolicyStatement(sid="Ledger", actions=list(SWEEP_TABLE_ACTIONS),
                                                     resources=[self.table.attr_arn]))
        sweep_role.add_to_policy(iam.PolicyStatement(sid="OpenHolds", actions=list(SWEEP_INDEX_ACTIONS),
                                                     resources=[f"{self.table.attr_arn}/index/{HOLDS_INDEX}"]))
        # the API schedules a promotion's start and end in the stage's group, with the scheduler's role
        schedules = f"arn:{Aws.PARTITION}:scheduler:{Aws.REGION}:{Aws.ACCOUNT_ID}:schedule/{stage.prefix}/*"
        api_role.add_to_policy(iam.PolicyStatement(sid="PromotionSchedules", actions=list(SCHEDULE_ACTIONS),
                                                   resources=[schedules]))
        api_role.add_to_policy(iam.PolicyStatement(
            sid="PassSchedulerRole", actions=["iam:PassRole"], resources=[self.scheduler_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}))
        suppress(api_role, ("AwsSolutions-IAM5", "Schedules of the stage's own schedule group only; their names "
                                                 "are made by the API per promotion at run time.",
                            ["Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/"
                             f"{stage.prefix}/*"]))

        stream_arn = self.table.attr_stream_arn
        publish_role = self._function_role("PublishEventsRole", publish_fn, "stream publisher (table stream to bus)")
        publish_role.add_to_policy(iam.PolicyStatement(sid="LedgerStream", actions=list(STREAM_READ_ACTIONS),
                                                       resources=[stream_arn]))
        publish_role.add_to_policy(iam.PolicyStatement(sid="DomainEvents", actions=list(PUBLISH_ACTIONS),
                                                       resources=[self.bus.event_bus_arn]))
        publish_role.add_to_policy(iam.PolicyStatement(sid="DeadLetters", actions=["sqs:SendMessage"],
                                                       resources=[publish_dlq.queue_arn]))
        lifecycle_role = self._function_role("LifecycleRole", lifecycle_fn, "bus consumer (reminders after events)")
        lifecycle_role.add_to_policy(iam.PolicyStatement(sid="Ledger", actions=list(LIFECYCLE_TABLE_ACTIONS),
                                                         resources=[self.table.attr_arn]))
        promotions_role = self._function_role("PromotionsRole", promotions_fn, "promotions (scheduled start and end)")
        promotions_role.add_to_policy(iam.PolicyStatement(sid="Ledger", actions=list(PROMOTIONS_TABLE_ACTIONS),
                                                          resources=[self.table.attr_arn]))
        promotions_role.add_to_policy(iam.PolicyStatement(sid="DeadLetters", actions=["sqs:SendMessage"],
                                                          resources=[schedule_dlq.queue_arn]))
        expire_role = self._function_role("ExpireBonusRole", expire_fn, "daily bonus expiry")
        expire_role.add_to_policy(iam.PolicyStatement(sid="Ledger", actions=list(EXPIRE_TABLE_ACTIONS),
                                                      resources=[self.table.attr_arn]))
        expire_role.add_to_policy(iam.PolicyStatement(sid="BonusDue", actions=list(EXPIRE_INDEX_ACTIONS),
                                                      resources=[f"{self.table.attr_arn}/index/{BONUS_INDEX}"]))
        remind_role = self._function_role("RemindRole", remind_fn, "daily reminders")
        remind_role.add_to_policy(iam.PolicyStatement(sid="Ledger", actions=list(REMIND_TABLE_ACTIONS),
                                                      resources=[self.table.attr_arn]))
        remind_role.add_to_policy(iam.PolicyStatement(
            sid="RemindLists", actions=list(REMIND_INDEX_ACTIONS),
            resources=[f"{self.table.attr_arn}/index/{index}" for index in (REMIND_INDEX, BONUS_INDEX)]))
        roles = {"APIHandler": api_role, "Reconcile": reconcile_role, "SweepHolds": sweep_role,
                 "PublishEvents": publish_role, "Lifecycle": lifecycle_role, "Promotions": promotions_role,
                 "ExpireBonus": expire_role, "Remind": remind_role}
        for consumer, dlq in consumer_dlqs.items():  # a consumer records what it failed on (_on_async_failure)
            if to_cfn_resource_name(consumer) not in roles:
                raise ValueError(f"bus consumer {consumer!r} has no function {to_cfn_resource_name(consumer)}")
            roles[to_cfn_resource_name(consumer)].add_to_policy(iam.PolicyStatement(
                sid="DeadLetters", actions=["sqs:SendMessage"], resources=[dlq.queue_arn]))
        if ses_sender:
            # only the operator's verified identity, and only as the sender it names
            identity = f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/{ses_sender}"
            from_address = ({"StringEquals": {"ses:FromAddress": ses_sender}} if "@" in ses_sender
                            else {"StringLike": {"ses:FromAddress": f"*@{ses_sender}"}})
            for role in (lifecycle_role, remind_role):
                role.add_to_policy(iam.PolicyStatement(sid="SendEmail", actions=list(SES_ACTIONS),
                                                       resources=[identity], conditions=from_address))
        if stage.production:
            via_dynamodb = {"StringEquals": {"kms:ViaService": f"dynamodb.{Aws.REGION}.amazonaws.com"}}
            for role, actions in ((api_role, TABLE_KEY_ACTIONS), (reconcile_role, ("kms:Decrypt", "kms:DescribeKey")),
                                  (sweep_role, TABLE_KEY_ACTIONS), (lifecycle_role, TABLE_KEY_ACTIONS),
                                  (promotions_role, TABLE_KEY_ACTIONS), (expire_role, TABLE_KEY_ACTIONS),
                                  (remind_role, TABLE_KEY_ACTIONS)):
                role.add_to_policy(iam.PolicyStatement(sid="LedgerKey", actions=list(actions),
                                                       resources=[key.key_arn], conditions=via_dynamodb))
            # The stream's records are encrypted with the table's key. No kms:ViaService condition here: the
            # stream is read through DynamoDB Streams, and the role can reach no other data under this key
            # (secrets and the topic need their own service's permission, which it does not have).
            publish_role.add_to_policy(iam.PolicyStatement(sid="LedgerStreamKey", actions=["kms:Decrypt"],
                                                           resources=[key.key_arn]))

        # ---- the Chalice app: REST API + functions (packaged by `chalice package`, bundle stripped)
        with contextlib.chdir(work_dir):  # the construct writes its chalice.out/ into the working directory
            self.app = PackagedChalice(self, "App", source_dir=str(ROOT), stage_config={
                "manage_iam_role": False, "iam_role_arn": ROLE_PLACEHOLDER,
                "log_retention_in_days": stage.log_retention_days,
            })
        environment = {
            "LEDGER_TABLE": self.table.ref,
            "COGNITO_USER_POOL_ID": self.user_pool.user_pool_id,
            "COGNITO_APP_CLIENT_ID": self.client.user_pool_client_id,
            "PAYMENT_WEBHOOK_SECRET_NAME": stage.webhook_secret_name,
            "EVENT_BUS_NAME": self.bus.event_bus_name,
            "SCHEDULE_GROUP": stage.prefix,
            "SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
            "PROMOTIONS_FUNCTION_ARN": promotions_arn,
            "SCHEDULE_DLQ_ARN": schedule_dlq.queue_arn,
            "SES_SENDER": ses_sender or "",
            "LEDGER_STREAM_ARN": stream_arn,
        }
        # logical id (chalice package) -> deployed name; the log group's id is chalice's <Name>LogGroup
        self.functions: dict[str, str] = {}
        for logical_id, log_group_id, name in (("APIHandler", "ApiHandlerLogGroup", api_fn),
                                                ("Reconcile", "ReconcileLogGroup", reconcile_fn),
                                                ("SweepHolds", "SweepHoldsLogGroup", sweep_fn),
                                                ("PublishEvents", "PublishEventsLogGroup", publish_fn),
                                                ("Lifecycle", "LifecycleLogGroup", lifecycle_fn),
                                                ("Promotions", "PromotionsLogGroup", promotions_fn),
                                                ("ExpireBonus", "ExpireBonusLogGroup", expire_fn),
                                                ("Remind", "RemindLogGroup", remind_fn)):
            role = roles[logical_id]
            self.functions[logical_id] = name
            fn = self.app.get_resource(logical_id)
            fn.add_property_override("FunctionName", name)
            fn.add_property_override("Role", role.role_arn)
            for var, value in environment.items():
                fn.add_property_override(f"Environment.Variables.{var}", value)
            log_group = self.app.get_resource(log_group_id)
            # chalice package names this group after a resource that does not exist (${ApiHandler})
            log_group.add_property_override("LogGroupName", f"/aws/lambda/{name}")
            log_group.apply_removal_policy(retain)
            fn.node.add_dependency(role.node.find_child("DefaultPolicy"))  # policy attached before it runs
            fn.node.add_dependency(log_group)  # logs never land in a group without retention
        self._stream_publisher(publish_dlq)
        self._consumer_rules(stage, consumer_dlqs)
        # EventBridge and Scheduler invoke asynchronously: their dead-letter queues catch what was not delivered,
        # and Lambda's own on-failure destination (same queue) what the function failed on after its retries.
        for logical_id, dlq in ((to_cfn_resource_name(consumer), q) for consumer, q in consumer_dlqs.items()):
            self._on_async_failure(logical_id, dlq)
        self._on_async_failure("Promotions", schedule_dlq)
        if api_concurrency:
            # A hard cap on the API's share of the account's Lambda concurrency (on top of the stage
            # throttling). Opt-in: an account whose quota is still 10 cannot reserve any.
            self.app.get_resource("APIHandler").add_property_override("ReservedConcurrentExecutions",
                                                                      api_concurrency)

        # ---- REST API: API key (CloudFront only), Cognito authorizer on private routes, throttling, logs
        self.rest_api = self._secure_api(stage, origin_key)

        # ---- CloudFront in front, WAF attached
        self.distribution = self._edge(stage, origin_key, web_acl_arn, domain_name, certificate_arn)

        # ---- alarms
        self.topic = self._alarms(stage, key, alarm_email, publish_fn)

        for name, value in {
            "Url": f"https://{domain_name or self.distribution.distribution_domain_name}/v1/",
            "DistributionId": self.distribution.distribution_id,
            "RestApiId": self.rest_api.ref,
            "UserPoolId": self.user_pool.user_pool_id,
            "UserPoolClientId": self.client.user_pool_client_id,
            "LedgerTable": self.table.ref,
            "WebhookSecretName": stage.webhook_secret_name,
            "EventBusName": self.bus.event_bus_name,
            "ScheduleGroup": self.schedule_group.ref,
            "AlarmTopicArn": self.topic.topic_arn,
            "SchedulerRoleArn": self.scheduler_role.role_arn,
            **{f"{construct_id}Url": queue.queue_url for construct_id, queue in self.dead_letter_queues.items()},
        }.items():
            CfnOutput(self, name, value=value)

    # ------------------------------------------------------------------ pieces
    def _table(self, stage: Stage, key: kms.Key) -> dynamodb.CfnTable:
        p = cfn_table_properties(stage.table_name)

        def keys(schema: list[dict[str, str]]) -> list[dynamodb.CfnTable.KeySchemaProperty]:
            return [dynamodb.CfnTable.KeySchemaProperty(attribute_name=k["AttributeName"], key_type=k["KeyType"])
                    for k in schema]

        def projection(i: dict[str, Any]) -> dynamodb.CfnTable.ProjectionProperty:
            pr = i.get("Projection", {})
            return dynamodb.CfnTable.ProjectionProperty(projection_type=pr.get("ProjectionType"),
                                                        non_key_attributes=pr.get("NonKeyAttributes"))

        table = dynamodb.CfnTable(
            self, "Ledger", table_name=p["TableName"], key_schema=keys(p["KeySchema"]),
            attribute_definitions=[dynamodb.CfnTable.AttributeDefinitionProperty(
                attribute_name=a["AttributeName"], attribute_type=a["AttributeType"])
                for a in p["AttributeDefinitions"]],
            billing_mode=p["BillingMode"],
            stream_specification=dynamodb.CfnTable.StreamSpecificationProperty(
                stream_view_type=p["StreamSpecification"]["StreamViewType"]) if "StreamSpecification" in p else None,
            time_to_live_specification=dynamodb.CfnTable.TimeToLiveSpecificationProperty(
                attribute_name=p["TimeToLiveSpecification"]["AttributeName"], enabled=True)
            if "TimeToLiveSpecification" in p else None,
            global_secondary_indexes=[dynamodb.CfnTable.GlobalSecondaryIndexProperty(
                index_name=i["IndexName"], key_schema=keys(i["KeySchema"]), projection=projection(i))
                for i in p.get("GlobalSecondaryIndexes", [])] or None,
            local_secondary_indexes=[dynamodb.CfnTable.LocalSecondaryIndexProperty(
                index_name=i["IndexName"], key_schema=keys(i["KeySchema"]), projection=projection(i))
                for i in p.get("LocalSecondaryIndexes", [])] or None,
            point_in_time_recovery_specification=dynamodb.CfnTable.PointInTimeRecoverySpecificationProperty(
                point_in_time_recovery_enabled=True),
            sse_specification=dynamodb.CfnTable.SSESpecificationProperty(
                sse_enabled=True, sse_type="KMS", kms_master_key_id=key.key_arn) if stage.production
            else dynamodb.CfnTable.SSESpecificationProperty(sse_enabled=False),  # AWS owned key
            deletion_protection_enabled=stage.production,
        )
        table.apply_removal_policy(RemovalPolicy.RETAIN if stage.production else RemovalPolicy.DESTROY)
        return table

    def _users(self, stage: Stage, retain: RemovalPolicy) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self, "Users", user_pool_name=stage.prefix, self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True), auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(min_length=12, require_lowercase=True, require_uppercase=True,
                                                   require_digits=True, require_symbols=True,
                                                   temp_password_validity=Duration.days(3)),
            mfa=cognito.Mfa.OPTIONAL, mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=stage.production, removal_policy=retain)
        suppress(pool,
                 ("AwsSolutions-COG2", "MFA is offered (TOTP) and left to each shopper; requiring it for every "
                                       "shopper is a product decision, not an infrastructure default."),
                 ("AwsSolutions-COG8", "Threat protection (the Plus feature plan) is billed per active user; "
                                       "switch feature_plan to PLUS when the fraud risk calls for it."))
        client = pool.add_client(
            "App", user_pool_client_name=f"{stage.prefix}-app", generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True), prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1), access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30), enable_token_revocation=True)
        for precedence, (group, description) in enumerate((
                ("admin", "Operators: any wallet, adjustments, merchants, reconciliation"),
                ("service", "Order services: pay and refund on behalf of customers"))):
            cognito.CfnUserPoolGroup(self, f"Group{group.title()}", user_pool_id=pool.user_pool_id,
                                     group_name=group, description=description, precedence=precedence)
        return pool, client

    def _function_role(self, construct_id: str, function_name: str, what: str) -> iam.Role:
        role = iam.Role(self, construct_id, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"{SERVICE} {self.stage.name}: {what}")
        log_group = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/lambda/{function_name}"
        role.add_to_policy(iam.PolicyStatement(sid="OwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                               resources=[f"{log_group}:*"]))
        role.add_to_policy(iam.PolicyStatement(sid="Tracing", actions=["xray:PutTraceSegments",
                                                                       "xray:PutTelemetryRecords"],
                                               resources=["*"]))
        suppress(role, ("AwsSolutions-IAM5", "X-Ray trace segments have no resource-level permissions "
                                             "(the action only accepts '*').", ["Resource::*"]),
                 ("AwsSolutions-IAM5", "Log streams of the function's own log group: stream names are made "
                                       "by Lambda at run time.",
                  [f"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
                   f"/aws/lambda/{function_name}:*"]))
        return role

    def _dead_letter_queue(self, construct_id: str, name: str, what: str) -> sqs.Queue:
        """A dead-letter queue (SSE, TLS only, 14 days) whose first message raises an alarm (``_alarms``)."""
        queue = sqs.Queue(self, construct_id, queue_name=name, encryption=sqs.QueueEncryption.SQS_MANAGED,
                          enforce_ssl=True, retention_period=Duration.days(14))
        suppress(queue, ("AwsSolutions-SQS3", f"This queue is itself a dead-letter queue ({what}); what lands "
                                              "here is kept 14 days for an operator and alarms on arrival."))
        self.dead_letter_queues[construct_id] = queue
        return queue

    def _sam(self) -> dict[str, Any]:
        return json.loads((Path(self.app._sam_package_dir) / "sam.json").read_text())

    def _stream_publisher(self, dlq: sqs.Queue) -> None:
        """The publisher's event source mapping (SAM event of `chalice package`) on the real stream: partial batch
        failures, a poisoned record isolated by bisecting, bounded retries, then a note in the dead-letter queue."""
        events_ = self._sam()["Resources"]["PublishEvents"]["Properties"]["Events"]
        [source] = [name for name, e in events_.items() if e["Type"] == "DynamoDB"]
        fn = self.app.get_resource("PublishEvents")
        for prop, value in {
            "Stream": self.table.attr_stream_arn,
            "StartingPosition": "TRIM_HORIZON",
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 10,
            "MaximumRecordAgeInSeconds": 86400,  # the stream keeps records 24 hours anyway
            "DestinationConfig": {"OnFailure": {"Destination": dlq.queue_arn}},
        }.items():
            fn.add_property_override(f"Events.{source}.Properties.{prop}", value)

    def _on_async_failure(self, logical_id: str, dlq: sqs.Queue) -> None:
        """Lambda retries a failed asynchronous invocation twice, then records it in the queue (with the
        function's role, which may send there) instead of dropping it."""
        self.app.get_resource(logical_id).add_property_override("EventInvokeConfig", {
            "MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 6 * 3600,
            "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": dlq.queue_arn}}})

    def _consumer_rules(self, stage: Stage, dlqs: dict[str, sqs.Queue]) -> None:
        """One rule on the stage's bus per consumer of the catalogue, its function of the same name as target."""
        for consumer, pattern in CONSUMERS.items():
            logical_id = to_cfn_resource_name(consumer)  # a consumer without a function failed with its role
            function = lambda_.Function.from_function_attributes(
                self, f"{logical_id}Function", same_environment=True,
                function_arn=self.app.get_resource(logical_id).get_att("Arn").to_string())
            events.Rule(self, f"{logical_id}Rule", rule_name=f"{stage.prefix}-{consumer.replace('_', '-')}",
                        event_bus=self.bus, event_pattern=event_pattern(pattern),
                        description=f"Domain events for {self.functions[logical_id]} "
                                    "(chalicelib.events.catalogue.CONSUMERS)",
                        targets=[targets.LambdaFunction(function, dead_letter_queue=dlqs[consumer],
                                                        retry_attempts=10, max_event_age=Duration.hours(6))])

    def _secure_api(self, stage: Stage, origin_key: sm.Secret) -> Any:
        rest = self.app.get_resource("RestAPI")
        sam = json.loads((Path(self.app._sam_package_dir) / "sam.json").read_text())
        swagger = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
        rest.add_property_override("DefinitionBody", secure_swagger(swagger, self.user_pool.user_pool_arn,
                                                                    route_access()))
        rest.add_property_override("Name", stage.prefix)

        access_logs = logs.LogGroup(self, "ApiAccessLogs", log_group_name=f"/aws/apigateway/{stage.prefix}",
                                    retention=RETENTION[stage.log_retention_days],
                                    removal_policy=RemovalPolicy.RETAIN if stage.production else RemovalPolicy.DESTROY)
        rest.add_property_override("AccessLogSetting", {"DestinationArn": access_logs.log_group_arn,
                                                        "Format": json.dumps(API_ACCESS_LOG)})
        rest.add_property_override("MethodSettings", [{
            "ResourcePath": "/*", "HttpMethod": "*", "LoggingLevel": "ERROR", "MetricsEnabled": True,
            "DataTraceEnabled": False,
            "ThrottlingRateLimit": stage.api_rate_limit, "ThrottlingBurstLimit": stage.api_burst_limit}])
        rest.add_property_override("TracingEnabled", True)

        # API Gateway writes execution and access logs only with an account-level CloudWatch role.
        logs_role = iam.Role(self, "ApiGatewayLogsRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                             managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                                 "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
        suppress(logs_role, ("AwsSolutions-IAM4", "AWS's own policy for API Gateway's account-level logging "
                                                  "role; it is the documented way to let API Gateway log.",
                             ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                              "AmazonAPIGatewayPushToCloudWatchLogs"]))
        account = apigw.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=logs_role.role_arn)
        rest.node.add_dependency(account)

        # Only CloudFront knows the key: the API refuses any request that does not come through it.
        # Name and value are create-only: a new generation replaces the key (and its usage plan key).
        api_key = apigw.CfnApiKey(self, "CloudFrontApiKey", enabled=True,
                                  name=f"{stage.prefix}-cloudfront-{stage.origin_key_generation}",
                                  description="Sent by CloudFront as x-api-key on every origin request",
                                  value=origin_key.secret_value.unsafe_unwrap())
        plan = apigw.CfnUsagePlan(
            self, "CloudFrontUsagePlan", usage_plan_name=f"{stage.prefix}-cloudfront",
            api_stages=[apigw.CfnUsagePlan.ApiStageProperty(api_id=rest.ref, stage=Fn.ref("RestAPI.Stage"))],
            throttle=apigw.CfnUsagePlan.ThrottleSettingsProperty(rate_limit=stage.api_rate_limit,
                                                                 burst_limit=stage.api_burst_limit))
        suppress(plan, ("CloudFormation-Validate::F1020", "'RestAPI.Stage' is the stage AWS::Serverless::Api "
                                                          "creates; the SAM transform resolves it at deploy (and "
                                                          "cfn-lint, which applies the transform, accepts it)."))
        apigw.CfnUsagePlanKey(self, "CloudFrontUsagePlanKey", key_id=api_key.ref, key_type="API_KEY",
                              usage_plan_id=plan.ref)
        return rest

    def _edge(self, stage: Stage, origin_key: sm.Secret, web_acl_arn: str, domain_name: str | None,
              certificate_arn: str | None) -> cf.Distribution:
        log_bucket = s3.Bucket(
            self, "EdgeLogs", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,  # CloudFront standard logs need ACLs
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(stage.access_log_days))],
            removal_policy=RemovalPolicy.RETAIN)
        suppress(log_bucket, ("AwsSolutions-S1", "This bucket is the access-log destination; logging its own "
                                                 "access would log into itself."))
        origin = origins.HttpOrigin(
            Fn.join("", [self.rest_api.ref, ".execute-api.", Aws.REGION, ".", Aws.URL_SUFFIX]),
            origin_path=f"/{stage.api_stage}", protocol_policy=cf.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cf.OriginSslPolicy.TLS_V1_2], read_timeout=Duration.seconds(30),
            custom_headers={"x-api-key": origin_key.secret_value.unsafe_unwrap()})
        private = cf.BehaviorOptions(
            origin=origin, viewer_protocol_policy=cf.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cf.AllowedMethods.ALLOW_ALL, cache_policy=cf.CachePolicy.CACHING_DISABLED,
            # with caching disabled, the managed all-viewer policy forwards Authorization too
            origin_request_policy=cf.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=cf.ResponseHeadersPolicy.SECURITY_HEADERS, compress=True)
        public_cache = cf.CachePolicy(
            self, "PublicCache", cache_policy_name=f"{stage.prefix}-public-get",
            comment="Public GET routes: no headers, cookies or query strings in the key",
            default_ttl=Duration.minutes(5), min_ttl=Duration.seconds(0), max_ttl=Duration.hours(1),
            header_behavior=cf.CacheHeaderBehavior.none(), cookie_behavior=cf.CacheCookieBehavior.none(),
            query_string_behavior=cf.CacheQueryStringBehavior.none(),
            enable_accept_encoding_gzip=True, enable_accept_encoding_brotli=True)
        public = cf.BehaviorOptions(
            origin=origin, viewer_protocol_policy=cf.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cf.AllowedMethods.ALLOW_GET_HEAD, cached_methods=cf.CachedMethods.CACHE_GET_HEAD,
            cache_policy=public_cache, response_headers_policy=cf.ResponseHeadersPolicy.SECURITY_HEADERS,
            compress=True)
        custom_domain: dict[str, Any] = {}
        if domain_name and certificate_arn:
            custom_domain = {
                "domain_names": [domain_name],
                "certificate": acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
                "minimum_protocol_version": cf.SecurityPolicyProtocol.TLS_V1_2_2021,
            }
        distribution = cf.Distribution(
            self, "Edge", comment=f"{SERVICE} {stage.name}", default_behavior=private,
            additional_behaviors={"/v1/openapi.json": public, "/v1/public/*": public},
            http_version=cf.HttpVersion.HTTP2_AND_3, enable_ipv6=True,
            price_class=getattr(cf.PriceClass, stage.price_class), web_acl_id=web_acl_arn,
            enable_logging=True, log_bucket=log_bucket, log_file_prefix="cloudfront/", **custom_domain)
        suppress(distribution, ("AwsSolutions-CFR1", "Shoppers may be anywhere; access is decided per user by "
                                                     "Cognito, not per country."))
        if not custom_domain:
            suppress(distribution, ("AwsSolutions-CFR4", "Without a custom domain CloudFront serves its default "
                                                         "*.cloudfront.net certificate, whose minimum TLS version "
                                                         "cannot be set; pass domainName and certificateArn to get "
                                                         "TLSv1.2_2021."))
        return distribution

    def _alarms(self, stage: Stage, key: kms.Key, email: str | None, publish_fn: str) -> sns.Topic:
        topic = alarm_topic(self, stage, "alarms", email, key)
        five = Duration.minutes(5)

        def alarm(construct_id: str, metric: cw.IMetric, threshold: float, description: str,
                  **options: Any) -> cw.Alarm:
            return add_alarm(self, stage, topic, construct_id, metric, threshold, description, **options)

        api = {"ApiName": stage.prefix, "Stage": stage.api_stage}

        def api_share(metric_name: str, min_requests: int, label: str) -> cw.MathExpression:
            """% of the API's requests answered with `metric_name`; 0 in a period under `min_requests`."""
            return cw.MathExpression(
                expression=f"IF(requests >= {min_requests}, 100 * errors / requests, 0)", label=label, period=five,
                using_metrics={name: cw.Metric(namespace="AWS/ApiGateway", metric_name=metric, dimensions_map=api,
                                               statistic="Sum", period=five)
                               for name, metric in (("errors", metric_name), ("requests", "Count"))})

        alarm("Api5xxRate", api_share("5XXError", 20, "5xx % of requests"),
              1, "More than 1% of API requests answered 5xx for 10 minutes (at least 20 requests per 5 minutes)",
              evaluation_periods=2)
        alarm("Api4xxShare", api_share("4XXError", 50, "4xx % of requests"),
              50, "Half the API's requests refused (4xx) for 15 minutes (at least 50 requests per 5 minutes): "
                  "CloudFront's origin key out of step with the API key (all 403), the authorizer refusing good "
                  "tokens (all 401), or a client release sending bad requests", evaluation_periods=3)
        for logical_id, fn in self.functions.items():
            name = "Api" if logical_id == "APIHandler" else logical_id
            dims = {"FunctionName": fn}
            alarm(f"{name}FunctionErrors", cw.Metric(namespace="AWS/Lambda", metric_name="Errors",
                                                     dimensions_map=dims, statistic="Sum", period=five),
                  1, f"{fn} raised an unhandled error")
            alarm(f"{name}FunctionThrottles", cw.Metric(namespace="AWS/Lambda", metric_name="Throttles",
                                                        dimensions_map=dims, statistic="Sum", period=five),
                  1, f"{fn} was throttled (concurrency exhausted)")
        alarm("PublishEventsIteratorAge", cw.Metric(
            namespace="AWS/Lambda", metric_name="IteratorAge", dimensions_map={"FunctionName": publish_fn},
            statistic="Maximum", period=Duration.minutes(1)), 60_000,
            f"{publish_fn} is more than a minute behind the ledger's stream for 5 minutes: events are late "
            "(records older than 24 hours are lost from the stream)",
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD, evaluation_periods=5)
        for construct_id, queue in self.dead_letter_queues.items():
            alarm(f"{construct_id}Messages", queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=five), 1,
                f"{queue.node.default_child.queue_name} holds a message: something was not delivered, or not "
                "handled, after its retries")
        table = {"TableName": stage.table_name}
        alarm("LedgerThrottles", cw.MathExpression(
            expression="reads + writes", label="throttled events", period=five,
            using_metrics={
                "reads": cw.Metric(namespace="AWS/DynamoDB", metric_name="ReadThrottleEvents",
                                   dimensions_map=table, statistic="Sum", period=five),
                "writes": cw.Metric(namespace="AWS/DynamoDB", metric_name="WriteThrottleEvents",
                                    dimensions_map=table, statistic="Sum", period=five)}),
            1, "The ledger table throttled reads or writes")
        alarm("LedgerTransactionConflicts", cw.Metric(
            namespace="AWS/DynamoDB", metric_name="TransactionConflict", dimensions_map=table, statistic="Sum",
            period=five), 50 if stage.production else 20,
            "Many transactions on the ledger conflicted (hot wallets); the app retries, customers may see 409")
        service = {"service": SERVICE, "stage": stage.name}
        day = Duration.days(1)
        alarm("ReconciliationMismatches", cw.Metric(
            namespace="StoreBalance", metric_name="ReconciliationMismatches", dimensions_map=service,
            statistic="Maximum", period=day), 1,
            "The daily reconciliation found wallets whose balance differs from their entries")
        alarm("ReconciliationNotRun", cw.Metric(
            namespace="StoreBalance", metric_name="WalletsReconciled", dimensions_map=service,
            statistic="SampleCount", period=day), 1,
            "The daily reconciliation did not report in the last day",
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD, missing=cw.TreatMissingData.BREACHING)
        return topic
