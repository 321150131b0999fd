"""The analytics export: every event of the stage's bus, filed on S3 by day and detail type (Amazon Data
Firehose, dynamic partitioning), read through a Glue table with partition projection by an Athena workgroup.

Nothing of ours runs: a bus rule hands each whole event (the envelope with its ``detail``) to Firehose, which
reads the partition keys from the record itself (a JQ query), appends a newline and writes gzipped JSON lines
to ``export/events/dt=<yyyy-MM-dd>/type=<detail-type>/``. The Glue table finds those partitions from the
projection parameters (no crawler, no partitions to add); Athena's workgroup enforces where its results go,
their encryption and a per-query scan limit.
"""

from __future__ import annotations

from aws_cdk import (
    Aws,
    Duration,
    RemovalPolicy,
    Stack,
    aws_athena as athena,
    aws_events as events,
    aws_glue as glue,
    aws_iam as iam,
    aws_kinesisfirehose as firehose,
    aws_kms as kms,
    aws_logs as logs,
    aws_s3 as s3,
    aws_sqs as sqs,
)
from constructs import Construct

from chalicelib.events.catalogue import BEHAVIOUR_TYPES, DETAIL_TYPES, EXPORT_PATTERN

from ..stages import SERVICE, Stage
from . import checkov, nag
from .base import RETENTION, Concern, retain

EVENTS_PREFIX = "export/events/"
# Firehose's dynamic partitioning: the keys the JQ query reads from each event, then where they go
PARTITION_QUERY = '{dt: .time[0:10], type: ."detail-type"}'
OBJECT_PREFIX = f"{EVENTS_PREFIX}dt=!{{partitionKeyFromQuery:dt}}/type=!{{partitionKeyFromQuery:type}}/"
ERROR_PREFIX = "export/errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
BUFFER_MB = 64  # the least dynamic partitioning accepts
BUFFER_SECONDS = 300  # a file per partition every 5 minutes at most: fresh enough, and few small files
RESULTS_DAYS = 30
PROJECTION_START = "2026-01-01"
TABLE_NAME = "events"  # the Glue table over the export (the analyses' FROM events)

# The table over the export: the EventBridge envelope, one JSON line per event (the OpenX SerDe). ``detail`` is a
# string: the SerDe hands a nested object over as its JSON text, which the analyses read with json_extract_scalar.
COLUMNS = (
    ("version", "string"),
    ("id", "string"),
    ("detail_type", "string"),  # "detail-type" in the event (SerDe mapping below)
    ("source", "string"),
    ("account", "string"),
    ("time", "string"),
    ("region", "string"),
    ("resources", "array<string>"),
    ("detail", "string"),
)
PARTITION_KEYS = (("dt", "string"), ("type", "string"))
SERDE = "org.openx.data.jsonserde.JsonSerDe"
SERDE_PARAMETERS = {"mapping.detail_type": "detail-type", "ignore.malformed.json": "true"}
INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

SSE_SQS = (
    "CKV_AWS_27",
    "Encrypted at rest with SSE-SQS (SqsManagedSseEnabled), which checkov does not read: it looks for a KMS key "
    "(KmsMasterKeyId) only",
)


def exported_detail_types() -> list[str]:
    """Every detail type the service puts on its bus, sorted: the values of the table's ``type`` partition."""
    return sorted({*DETAIL_TYPES, *BEHAVIOUR_TYPES})


def database_name(stage: Stage) -> str:
    """Glue and Athena names take no dashes: store_balance_<stage>_analytics."""
    return f"{stage.prefix.replace('-', '_')}_analytics"


class Analytics(Concern):
    """The export bucket, the Firehose stream into it and its role, the bus rule (with its role and dead-letter
    queue), the Glue database and table, the Athena workgroup and its results bucket, and the access-log bucket
    of both buckets."""

    def __init__(
        self, scope: Construct, construct_id: str, *, stage: Stage, key: kms.IKey, bus: events.IEventBus
    ) -> None:
        super().__init__(scope, construct_id)
        # S3 delivers the access logs as the log bucket's policy allows (ACLs stay disabled): CDK's feature flag,
        # for this concern's buckets only
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        stream_name = f"{stage.prefix}-export"
        rule_name = f"{stage.prefix}-export"

        # ---- buckets: the export, Athena's results, and the server access logs of both
        # Buckets are kept in every stage, as the CloudFront log bucket is: CloudFormation cannot delete a bucket
        # that holds objects (emptying it on delete takes a custom-resource function this stack does not have).
        self.access_logs = s3.Bucket(
            self,
            "AnalyticsAccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # server access logs can only be delivered under SSE-S3
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(stage.access_log_days))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.suppress(
            self.access_logs,
            (
                "AwsSolutions-S1",
                "This bucket is the access-log destination of the export and results buckets; logging its own "
                "access would log into itself.",
            ),
        )
        checkov.skip(
            self.access_logs,
            ("CKV_AWS_18", "This bucket is the access-log destination; logging its own access would log into itself"),
            (
                "CKV_AWS_21",
                "Access logs, written once by S3 and expired by the lifecycle rule; versions would keep what the "
                "rule expires",
            ),
        )

        # both data buckets: the stage's key, no public access, SSL only, owned by this account
        private: dict = dict(
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        )
        self.bucket = s3.Bucket(
            self,
            "ExportBucket",
            **private,
            # a deleted or overwritten object can be restored for 30 days (behaviour events are kept nowhere else
            # past the prod bus archive's year)
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="export/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExportToColderStorage",
                    prefix="export/",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=Duration.days(30)
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(180),
                        ),
                    ],
                ),
                s3.LifecycleRule(
                    id="Housekeeping",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                    noncurrent_version_expiration=Duration.days(30),
                    expired_object_delete_marker=True,
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.results = s3.Bucket(
            self,
            "AnalyticsResults",
            **private,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="athena-results/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireResults",
                    expiration=Duration.days(RESULTS_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        checkov.skip(
            self.results,
            (
                "CKV_AWS_21",
                "Athena query results, written once per query and expired after 30 days by the lifecycle rule; "
                "the query itself is kept by Athena and can be run again",
            ),
        )

        # ---- the stream's delivery log: its own group, encrypted with the stage's key (which must let
        # CloudWatch Logs use it for this group: the encryption context names the group)
        log_group_name = f"/aws/kinesisfirehose/{stream_name}"
        log_group_arn = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:{log_group_name}"
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsEncryptTheExportsLogGroup",
                principals=[iam.ServicePrincipal(f"logs.{Stack.of(self).region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
            )
        )
        log_group = logs.LogGroup(
            self,
            "ExportLogs",
            log_group_name=log_group_name,
            encryption_key=key,
            retention=RETENTION[stage.log_retention_days],
            removal_policy=retain(stage),
        )
        log_stream = logs.LogStream(
            self,
            "ExportDeliveryLog",
            log_group=log_group,
            log_stream_name="DestinationDelivery",
            removal_policy=retain(stage),
        )

        # ---- Firehose's role: write objects under export/ of this bucket, with this key, and its delivery log
        self.firehose_role = iam.Role(
            self,
            "ExportRole",
            description=f"{SERVICE} {stage.name}: Data Firehose writing the analytics export",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com", conditions={"StringEquals": {"sts:ExternalId": Aws.ACCOUNT_ID}}
            ),
        )
        objects = self.bucket.arn_for_objects("export/*")
        self.firehose_role.add_to_policy(
            iam.PolicyStatement(
                sid="ExportBucket",
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[self.bucket.bucket_arn],
            )
        )
        self.firehose_role.add_to_policy(
            iam.PolicyStatement(
                sid="ExportObjects",
                actions=["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                resources=[objects],
            )
        )
        self.firehose_role.add_to_policy(
            iam.PolicyStatement(
                sid="ExportKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[key.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"},
                    # the object's ARN, or the bucket's when S3 uses the bucket key
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [self.bucket.bucket_arn, objects]},
                },
            )
        )
        self.firehose_role.add_to_policy(
            iam.PolicyStatement(
                sid="DeliveryLog",
                actions=["logs:PutLogEvents"],
                resources=[f"{log_group_arn}:log-stream:{log_stream.log_stream_name}"],
            )
        )
        nag.suppress(
            self.firehose_role,
            (
                "AwsSolutions-IAM5",
                "The objects Firehose writes, under export/ of the export bucket only: their names hold the day, "
                "the detail type and a generated part, known only when written.",
                [f"Resource::<{Stack.of(self).get_logical_id(self.bucket.node.default_child)}.Arn>/export/*"],
            ),
        )

        # ---- the delivery stream: dynamic partitioning by the event's day and detail type
        self.stream = firehose.CfnDeliveryStream(
            self,
            "ExportStream",
            delivery_stream_name=stream_name,
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="CUSTOMER_MANAGED_CMK", key_arn=key.key_arn
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=self.bucket.bucket_arn,
                role_arn=self.firehose_role.role_arn,
                prefix=OBJECT_PREFIX,
                error_output_prefix=ERROR_PREFIX,
                compression_format="GZIP",
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    size_in_m_bs=BUFFER_MB, interval_in_seconds=BUFFER_SECONDS
                ),
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=key.key_arn
                    )
                ),
                cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                    enabled=True, log_group_name=log_group.log_group_name, log_stream_name=log_stream.log_stream_name
                ),
                dynamic_partitioning_configuration=firehose.CfnDeliveryStream.DynamicPartitioningConfigurationProperty(
                    enabled=True,
                    retry_options=firehose.CfnDeliveryStream.RetryOptionsProperty(duration_in_seconds=300),
                ),
                processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                    enabled=True,
                    processors=[
                        firehose.CfnDeliveryStream.ProcessorProperty(
                            type="MetadataExtraction",
                            parameters=[
                                firehose.CfnDeliveryStream.ProcessorParameterProperty(
                                    parameter_name="MetadataExtractionQuery", parameter_value=PARTITION_QUERY
                                ),
                                firehose.CfnDeliveryStream.ProcessorParameterProperty(
                                    parameter_name="JsonParsingEngine", parameter_value="JQ-1.6"
                                ),
                            ],
                        ),
                        firehose.CfnDeliveryStream.ProcessorProperty(
                            type="AppendDelimiterToRecord",
                            parameters=[
                                firehose.CfnDeliveryStream.ProcessorParameterProperty(
                                    parameter_name="Delimiter", parameter_value="\\n"
                                )
                            ],
                        ),
                    ],
                ),
                s3_backup_mode="Disabled",
            ),
        )
        # the role's policy is in place before Firehose first writes
        self.stream.node.add_dependency(self.firehose_role.node.find_child("DefaultPolicy"))

        # ---- the bus rule: every event of the service, whole, to the stream
        self.dead_letter_queue = sqs.Queue(
            self,
            "ExportDlq",
            queue_name=f"{stage.prefix}-export-dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        nag.suppress(
            self.dead_letter_queue,
            (
                "AwsSolutions-SQS3",
                "This queue is itself a dead-letter queue (events the export rule could not hand to Firehose); "
                "what lands here is kept 14 days for an operator and alarms on arrival.",
            ),
        )
        checkov.skip(self.dead_letter_queue, SSE_SQS)
        rule_role = iam.Role(
            self,
            "ExportRuleRole",
            description=f"{SERVICE} {stage.name}: EventBridge putting the bus's events on the export stream",
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
            ),
        )
        rule_role.add_to_policy(
            iam.PolicyStatement(
                sid="ExportStream",
                actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                resources=[self.stream.attr_arn],
            )
        )
        self.rule = events.CfnRule(
            self,
            "ExportRule",
            name=rule_name,
            event_bus_name=bus.event_bus_name,
            description=f"Every event of the bus to {stream_name} (chalicelib.events.catalogue.EXPORT_PATTERN)",
            event_pattern=EXPORT_PATTERN,
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="ExportStream",
                    arn=self.stream.attr_arn,
                    role_arn=rule_role.role_arn,
                    # a Firehose outage is outlasted rather than filling the queue: EventBridge's longest retry
                    retry_policy=events.CfnRule.RetryPolicyProperty(
                        maximum_retry_attempts=185, maximum_event_age_in_seconds=24 * 3600
                    ),
                    dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self.dead_letter_queue.queue_arn),
                )
            ],
        )
        self.rule.node.add_dependency(rule_role.node.find_child("DefaultPolicy"))
        self.dead_letter_queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ExportRuleDeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letter_queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": self.rule.attr_arn}},
            )
        )
        self.dead_letter_queues = {"ExportDlq": self.dead_letter_queue}

        # ---- the Glue database and the table over the export (partition projection: no crawler)
        self.database_name = database_name(stage)
        self.database = glue.CfnDatabase(
            self,
            "AnalyticsDatabase",
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description=f"{SERVICE} {stage.name}: the analytics export (infra/concerns/analytics.py)",
            ),
        )
        location = f"s3://{self.bucket.bucket_name}/{EVENTS_PREFIX}"
        self.table = glue.CfnTable(
            self,
            "AnalyticsEventsTable",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=self.database.ref,
            table_input=glue.CfnTable.TableInputProperty(
                name=TABLE_NAME,
                description="Every event of the bus, one JSON line each, by day (of its time) and detail type",
                table_type="EXTERNAL_TABLE",
                parameters={
                    "EXTERNAL": "TRUE",
                    "classification": "json",
                    "compressionType": "gzip",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": f"{PROJECTION_START},NOW",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "projection.type.type": "enum",
                    "projection.type.values": ",".join(exported_detail_types()),
                    "storage.location.template": f"{location}dt=${{dt}}/type=${{type}}/",
                },
                partition_keys=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in PARTITION_KEYS],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in COLUMNS],
                    location=location,
                    input_format=INPUT_FORMAT,
                    output_format=OUTPUT_FORMAT,
                    compressed=True,
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=SERDE, parameters=SERDE_PARAMETERS
                    ),
                ),
            ),
        )

        # ---- the Athena workgroup: results in their own bucket under the key, a scan limit per query
        self.workgroup_name = f"{stage.prefix}-analytics"
        self.workgroup = athena.CfnWorkGroup(
            self,
            "AnalyticsWorkGroup",
            name=self.workgroup_name,
            description=f"{SERVICE} {stage.name}: queries over {self.database_name}",
            state="ENABLED",
            recursive_delete_option=True,  # its saved queries go with it
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=stage.analytics_query_limit_gib * 1024**3,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.results.bucket_name}/",
                    expected_bucket_owner=Aws.ACCOUNT_ID,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                ),
            ),
        )
