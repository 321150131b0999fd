"""One IAM role per function, each with only what its code does, from its row in infra/functions.py.

Statements, in this order: its own log streams and X-Ray; reading the web client ids' parameter (every function's,
``WebClientIds``); the table actions on the table's ARN (``Ledger``); the index queries; the stream (a
stream-started function's mapping polls with its role); the row's grants (the analytics queries: the workgroup,
the Glue table, the export's and the results' buckets, the key through S3); sending to its trigger's dead-letter
queue; e-mail (only with a sender); in prod, the table's key.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Stack, aws_cognito as cognito, aws_iam as iam, aws_kms as kms, aws_secretsmanager as sm
from constructs import Construct

from ..functions import (
    ANALYTICS_CATALOG_ACTIONS,
    ANALYTICS_KEY_ACTIONS,
    ATHENA_QUERY_ACTIONS,
    EXPORT_BUCKET_ACTIONS,
    EXPORT_OBJECT_ACTIONS,
    PUBLISH_ACTIONS,
    RESULTS_BUCKET_ACTIONS,
    RESULTS_OBJECT_ACTIONS,
    SCHEDULE_ACTIONS,
    SES_ACTIONS,
    USER_POOL_ACTIONS,
    FunctionSpec,
    Grant,
)
from ..stages import SERVICE, Stage
from . import nag
from .analytics import EVENTS_PREFIX, TABLE_NAME, Analytics
from .events import Events
from .ledger import LedgerTable


@dataclass(frozen=True)
class Granted:
    """What the roles may be granted access to."""

    table: LedgerTable
    key: kms.IKey
    webhook_secret: sm.ISecret
    unsubscribe_secret: sm.ISecret
    user_pool: cognito.IUserPool
    events: Events
    analytics: Analytics
    ses_sender: str | None


def function_role(scope: Construct, stage: Stage, spec: FunctionSpec, to: Granted) -> iam.Role:
    name = f"{stage.prefix}-{spec.name}"
    role = iam.Role(
        scope,
        f"{spec.resource_name}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"{SERVICE} {stage.name}: {spec.what}",
    )
    log_group = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/lambda/{name}"
    role.add_to_policy(
        iam.PolicyStatement(
            sid="OwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[f"{log_group}:*"]
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="Tracing", actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]
        )
    )
    # every function is told the web client ids' parameter (infra/concerns/functions.py, with the API client's id):
    # it may read that one parameter, its ARN built from the literal name (the parameter depends on the web client)
    role.add_to_policy(
        iam.PolicyStatement(
            sid="WebClientIds",
            actions=["ssm:GetParameter"],
            resources=[
                Stack.of(role).format_arn(
                    service="ssm", resource="parameter", resource_name=stage.web_client_parameter_name.lstrip("/")
                )
            ],
        )
    )
    nag.suppress(
        role,
        (
            "AwsSolutions-IAM5",
            "X-Ray trace segments have no resource-level permissions (the action only accepts '*').",
            ["Resource::*"],
        ),
        (
            "AwsSolutions-IAM5",
            "Log streams of the function's own log group: stream names are made by Lambda at run time.",
            [f"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/lambda/{name}:*"],
        ),
    )

    if spec.table_actions:
        role.add_to_policy(
            iam.PolicyStatement(sid="Ledger", actions=list(spec.table_actions), resources=[to.table.arn])
        )
    for query in spec.index_actions:
        role.add_to_policy(
            iam.PolicyStatement(
                sid=query.sid, actions=list(query.actions), resources=[to.table.index_arn(i) for i in query.indexes]
            )
        )
    if spec.stream_actions:
        role.add_to_policy(
            iam.PolicyStatement(sid="LedgerStream", actions=list(spec.stream_actions), resources=[to.table.stream_arn])
        )
    for grant in spec.grants:
        _grant(role, stage, grant, to)
    if spec.trigger.dlq is not None:
        role.add_to_policy(
            iam.PolicyStatement(
                sid="DeadLetters", actions=["sqs:SendMessage"], resources=[to.events.dlq(spec).queue_arn]
            )
        )
    if Grant.EMAIL in spec.grants and to.ses_sender:
        # only the operator's verified identity, and only as the sender it names
        identity = f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/{to.ses_sender}"
        from_address = (
            {"StringEquals": {"ses:FromAddress": to.ses_sender}}
            if "@" in to.ses_sender
            else {"StringLike": {"ses:FromAddress": f"*@{to.ses_sender}"}}
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="SendEmail", actions=list(SES_ACTIONS), resources=[identity], conditions=from_address
            )
        )
    if stage.production:
        if spec.table_key_actions:
            via_dynamodb = {"StringEquals": {"kms:ViaService": f"dynamodb.{Aws.REGION}.amazonaws.com"}}
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="LedgerKey",
                    actions=list(spec.table_key_actions),
                    resources=[to.key.key_arn],
                    conditions=via_dynamodb,
                )
            )
        if spec.stream_actions:
            # The stream's records are encrypted with the table's key. No kms:ViaService condition here: the
            # stream is read through DynamoDB Streams, and the role can reach no other data under this key
            # (secrets and the topic need their own service's permission, which it does not have).
            role.add_to_policy(
                iam.PolicyStatement(sid="LedgerStreamKey", actions=["kms:Decrypt"], resources=[to.key.key_arn])
            )
    return role


def _grant(role: iam.Role, stage: Stage, grant: Grant, to: Granted) -> None:
    if grant is Grant.WEBHOOK_SECRET:
        to.webhook_secret.grant_read(role)
    elif grant is Grant.UNSUBSCRIBE_SECRET:
        to.unsubscribe_secret.grant_read(role)
    elif grant is Grant.MERCHANT_GROUPS:
        role.add_to_policy(
            iam.PolicyStatement(
                sid="MerchantGroups", actions=list(USER_POOL_ACTIONS), resources=[to.user_pool.user_pool_arn]
            )
        )
    elif grant is Grant.PROMOTION_SCHEDULES:
        # the API schedules a promotion's start and end in the stage's group, with the scheduler's role
        schedules = f"arn:{Aws.PARTITION}:scheduler:{Aws.REGION}:{Aws.ACCOUNT_ID}:schedule/{stage.prefix}/*"
        role.add_to_policy(
            iam.PolicyStatement(sid="PromotionSchedules", actions=list(SCHEDULE_ACTIONS), resources=[schedules])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PassSchedulerRole",
                actions=["iam:PassRole"],
                resources=[to.events.scheduler_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            )
        )
        nag.suppress(
            role,
            (
                "AwsSolutions-IAM5",
                "Schedules of the stage's own schedule group only; their names "
                "are made by the API per promotion at run time.",
                [f"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/{stage.prefix}/*"],
            ),
        )
    elif grant is Grant.DOMAIN_EVENTS:
        role.add_to_policy(
            iam.PolicyStatement(
                sid="DomainEvents", actions=list(PUBLISH_ACTIONS), resources=[to.events.bus.event_bus_arn]
            )
        )
    elif grant is Grant.EMAIL:
        pass  # after its dead-letter queue, and only when the stage has a sender (function_role)
    elif grant is Grant.ANALYTICS_QUERIES:
        _analytics_queries(role, to.analytics, to.key)
    else:  # pragma: no cover - a new Grant member without its statements
        raise ValueError(f"no statements for {grant}")


def _analytics_queries(role: iam.Role, analytics: Analytics, key: kms.IKey) -> None:
    """The reports' queries (chalicelib/insight/engine.py AthenaEngine): start, poll, stop and read them in the
    stage's workgroup. Athena runs a query with its caller's permissions: the role also reads the Glue table,
    the export's objects under the table's location, writes the results to the workgroup's bucket and reads them
    back, with the stage's key through S3 for those two buckets only."""

    def own(service: str, resource: str) -> str:
        return f"arn:{Aws.PARTITION}:{service}:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"

    database = analytics.database_name
    statements = (
        ("AnalyticsQueries", ATHENA_QUERY_ACTIONS, [own("athena", f"workgroup/{analytics.workgroup_name}")]),
        (
            "AnalyticsCatalog",
            ANALYTICS_CATALOG_ACTIONS,
            [own("glue", name) for name in ("catalog", f"database/{database}", f"table/{database}/{TABLE_NAME}")],
        ),
        ("AnalyticsExport", EXPORT_BUCKET_ACTIONS, [analytics.bucket.bucket_arn]),
        ("AnalyticsExportObjects", EXPORT_OBJECT_ACTIONS, [analytics.bucket.arn_for_objects(f"{EVENTS_PREFIX}*")]),
        ("AnalyticsResults", RESULTS_BUCKET_ACTIONS, [analytics.results.bucket_arn]),
        ("AnalyticsResultObjects", RESULTS_OBJECT_ACTIONS, [analytics.results.arn_for_objects("*")]),
    )
    for sid, actions, resources in statements:
        role.add_to_policy(iam.PolicyStatement(sid=sid, actions=list(actions), resources=resources))
    role.add_to_policy(
        iam.PolicyStatement(
            sid="AnalyticsKey",
            actions=list(ANALYTICS_KEY_ACTIONS),
            resources=[key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"},
                # an object's ARN, or its bucket's when S3 uses the bucket key (both buckets have it on)
                "StringLike": {
                    "kms:EncryptionContext:aws:s3:arn": [
                        analytics.bucket.bucket_arn,
                        analytics.bucket.arn_for_objects(f"{EVENTS_PREFIX}*"),
                        analytics.results.bucket_arn,
                        analytics.results.arn_for_objects("*"),
                    ]
                },
            },
        )
    )
    stack = Stack.of(role)
    export, results = (stack.get_logical_id(b.node.default_child) for b in (analytics.bucket, analytics.results))
    nag.suppress(
        role,
        (
            "AwsSolutions-IAM5",
            "The export's objects under the Glue table's location (export/events/) only, which Athena reads for "
            "the reports' queries: their names hold the day, the detail type and a part Firehose generates.",
            [f"Resource::<{export}.Arn>/{EVENTS_PREFIX}*"],
        ),
        (
            "AwsSolutions-IAM5",
            "The workgroup's own results bucket: Athena names each query's result objects after its execution "
            "id, made at run time.",
            [f"Resource::<{results}.Arn>/*"],
        ),
    )
