"""The service on AWS, per stage: an edge stack (WAF, us-east-1) and a service stack (everything else).

CloudFront-scoped WAF web ACLs can only be created in us-east-1, so they live in
their own small stack there; the service stack (any region) reads the ACL's ARN
with CloudFormation's Fn::GetStackOutput (a weak cross-stack reference, infra/app.py).
The service stack is composed of one construct per concern (infra/concerns/); its
functions are the rows of infra/functions.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from aws_cdk import (
    ArnFormat,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
    aws_cloudwatch as cw,
    aws_logs as logs,
    aws_wafv2 as wafv2,
)
from constructs import Construct

from .concerns import checkov
from .concerns.alarms import Alarms, add_alarm, alarm_topic
from .concerns.analytics import Analytics
from .concerns.base import RETENTION, ConcernStack
from .concerns.edge import Edge
from .concerns.events import Events
from .concerns.functions import Functions
from .concerns.keys import KeysAndSecrets
from .concerns.ledger import LedgerTable
from .concerns.rest_api import RestApi
from .concerns.roles import Granted
from .concerns.users import Users
from .concerns.web import WebApp
from .functions import BY_ID, FUNCTIONS, FunctionSpec
from .stages import SERVICE, Stage

# tests/integration/test_feedback_store.py reads the API's table actions from here
API_TABLE_ACTIONS = BY_ID["APIHandler"].table_actions


class EdgeStack(Stack):
    """us-east-1: the WAF web ACL that guards the CloudFront distribution."""

    def __init__(
        self, scope: Construct, construct_id: str, *, stage: Stage, alarm_email: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        acl_name = f"{stage.prefix}-edge"

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=f"{stage.prefix}-{name}", sampled_requests_enabled=True
            )

        def managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                visibility_config=visibility(name),
            )

        rate_limited = json.dumps(
            {
                "error": {
                    "code": "rate_limited",
                    "message": "too many requests from this address; retry later",
                    "details": {},
                }
            }
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=acl_name,
            scope="CLOUDFRONT",
            description=f"{SERVICE} {stage.name}: AWS managed common and known-bad-inputs rules, per-IP rate limit",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("edge"),  # the ACL's metric name is its name (the alarm's WebACL)
            custom_response_bodies={
                "rate_limited": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=rate_limited
                )
            },
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimitPerIp",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(
                        block=wafv2.CfnWebACL.BlockActionProperty(
                            custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                                response_code=429, custom_response_body_key="rate_limited"
                            )
                        )
                    ),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=stage.waf_rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                        )
                    ),
                    visibility_config=visibility("rate"),
                ),
                managed("AWSManagedRulesCommonRuleSet", 1),
                managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
            ],
        )
        self.web_acl_arn = self.web_acl.attr_arn

        # What WAF blocked and why, for "why was my customer refused?"; tokens are redacted.
        waf_logs_name = f"aws-waf-logs-{stage.prefix}"  # WAF only delivers to groups named aws-waf-logs-*
        waf_logs = logs.LogGroup(
            self,
            "WafLogs",
            log_group_name=waf_logs_name,
            retention=RETENTION[stage.log_retention_days],
            removal_policy=RemovalPolicy.RETAIN if stage.production else RemovalPolicy.DESTROY,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[
                self.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=waf_logs_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": name})
                for name in ("authorization", "cookie")
            ],
        )
        logging.node.add_dependency(waf_logs)
        checkov.skip(
            waf_logs,
            (
                "CKV_AWS_158",
                "Encrypted at rest by CloudWatch Logs with its own key; this stack has "
                "no customer managed key (a monthly fee), and tokens and cookies are "
                "redacted before WAF logs a request",
            ),
        )

        # WAF decides before anything of ours sees the request: a false positive of a managed rule, or a
        # rate limit too tight for a busy order service, is an outage no service-side alarm would notice.
        # WAF's CloudFront metrics live in us-east-1, and an alarm can only notify a topic of its region.
        # Alarm state changes only, no customer data: SSL enforced, no customer managed key (a monthly fee).
        topic = alarm_topic(self, stage, "edge-alarms", alarm_email)
        five = Duration.minutes(5)
        waf = {"WebACL": acl_name, "Rule": "ALL"}
        add_alarm(
            self,
            stage,
            topic,
            "EdgeBlockedShare",
            cw.MathExpression(
                # WAF publishes no BlockedRequests datapoint in a period without blocks: FILL makes that 0
                expression="IF(FILL(allowed, 0) + FILL(blocked, 0) >= 100, "
                "100 * FILL(blocked, 0) / (FILL(allowed, 0) + FILL(blocked, 0)), 0)",
                label="% of requests blocked by WAF",
                period=five,
                using_metrics={
                    name: cw.Metric(
                        namespace="AWS/WAFV2", metric_name=metric, dimensions_map=waf, statistic="Sum", period=five
                    )
                    for name, metric in (("allowed", "AllowedRequests"), ("blocked", "BlockedRequests"))
                },
            ),
            stage.waf_blocked_alarm_percent,
            f"WAF blocked at least {stage.waf_blocked_alarm_percent}% of requests for 15 minutes (at least 100 "
            f"requests per 5 minutes): an attack, or legitimate clients refused; {waf_logs_name} says which rule",
            evaluation_periods=3,
        )


class ServiceStack(ConcernStack):
    """The regional service: keys and secrets, table, users, events, the analytics export, functions, API,
    CloudFront and the web app on it, alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: Stage,
        web_acl_arn: str,
        work_dir: Path,
        domain_name: str | None = None,
        certificate_arn: str | None = None,
        alarm_email: str | None = None,
        reserved_concurrency: Mapping[str, int] | None = None,
        ses_sender: str | None = None,
        functions: tuple[FunctionSpec, ...] = FUNCTIONS,
        **kwargs: Any,
    ) -> None:
        """``reserved_concurrency``: function logical id -> concurrent executions reserved for it."""
        super().__init__(scope, construct_id, **kwargs)
        self.stage = stage
        self.keys = KeysAndSecrets(self, "Keys", stage=stage)
        self.table = LedgerTable(self, "Table", stage=stage, key=self.keys.key)
        self.users = Users(self, "Identity", stage=stage)
        self.events = Events(self, "Events", stage=stage, functions=functions)
        self.analytics = Analytics(self, "Analytics", stage=stage, key=self.keys.key, bus=self.events.bus)
        dead_letter_queues = {**self.events.dead_letter_queues, **self.analytics.dead_letter_queues}
        self.functions = Functions(
            self,
            "Functions",
            stage=stage,
            functions=functions,
            client=self.users.client,
            work_dir=work_dir,
            reserved_concurrency=reserved_concurrency,
            public_api_url=f"https://{domain_name}" if domain_name else "",
            granted=Granted(
                table=self.table,
                key=self.keys.key,
                webhook_secret=self.keys.webhook_secret,
                unsubscribe_secret=self.keys.unsubscribe_secret,
                user_pool=self.users.pool,
                events=self.events,
                analytics=self.analytics,
                ses_sender=ses_sender,
            ),
        )
        self.rest_api = RestApi(
            self,
            "Api",
            stage=stage,
            app=self.functions.app,
            user_pool=self.users.pool,
            origin_key=self.keys.origin_key,
            key=self.keys.key,
        )
        self.edge = Edge(
            self,
            "Cdn",
            stage=stage,
            rest_api_id=self.rest_api.ref,
            origin_key=self.keys.origin_key,
            web_acl_arn=web_acl_arn,
            domain_name=domain_name,
            certificate_arn=certificate_arn,
        )
        # the web app on the same distribution (/app/*); its sign-in returns to the stage's host
        host = domain_name or self.edge.distribution.distribution_domain_name
        self.users.add_web_client(host)
        self.web = WebApp(
            self,
            "Web",
            stage=stage,
            distribution=self.edge.distribution,
            log_bucket=self.edge.log_bucket,
            key=self.keys.key,
            users=self.users,
        )
        self.alarms = Alarms(
            self,
            "Monitoring",
            stage=stage,
            key=self.keys.key,
            email=alarm_email,
            functions={s.logical_id: (s, self.functions.names[s.logical_id]) for s in functions},
            dead_letter_queues=dead_letter_queues,
        )

        distribution = self.edge.distribution
        for name, value in {
            "Url": f"https://{host}/v1/",
            "AppUrl": f"https://{host}/app/",
            "WebBucketName": self.web.bucket.bucket_name,
            "WebClientId": self.users.web_client.user_pool_client_id,
            "SignInDomain": self.users.domain.base_url(),
            "DistributionId": distribution.distribution_id,
            "RestApiId": self.rest_api.ref,
            "UserPoolId": self.users.pool.user_pool_id,
            "UserPoolClientId": self.users.client.user_pool_client_id,
            "LedgerTable": self.table.table.ref,
            "WebhookSecretName": stage.webhook_secret_name,
            "UnsubscribeSecretName": stage.unsubscribe_secret_name,
            "EventBusName": self.events.bus.event_bus_name,
            "ScheduleGroup": self.events.schedule_group.ref,
            "AlarmTopicArn": self.alarms.topic.topic_arn,
            "SchedulerRoleArn": self.events.scheduler_role.role_arn,
            "ExportBucketName": self.analytics.bucket.bucket_name,
            "ExportStreamName": self.analytics.stream.ref,
            "AnalyticsDatabase": self.analytics.database.ref,
            "AnalyticsWorkGroup": self.analytics.workgroup.ref,
            **{f"{construct_id}Url": queue.queue_url for construct_id, queue in dead_letter_queues.items()},
        }.items():
            CfnOutput(self, name, value=value)
