"""The analytics export as synthesized (infra/concerns/analytics.py): the bus rule hands every event, whole, to
Firehose; Firehose files it by day and detail type under export/events/; the Glue table finds those files by
partition projection; the Athena workgroup enforces its results' place, encryption and a scan limit."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from chalicelib.events.catalogue import BEHAVIOUR_TYPES, DETAIL_TYPES, EXPORT_PATTERN, SOURCE
from infra.functions import (
    ANALYTICS_ACTIONS,
    ANALYTICS_CATALOG_ACTIONS,
    ANALYTICS_KEY_ACTIONS,
    ATHENA_QUERY_ACTIONS,
    EXPORT_BUCKET_ACTIONS,
    EXPORT_OBJECT_ACTIONS,
    FUNCTIONS,
    RESULTS_BUCKET_ACTIONS,
    RESULTS_OBJECT_ACTIONS,
    Grant,
)
from infra.stages import STAGE_SETTINGS

STAGES = ("dev", "prod")
GIB = 1024**3
# the functions that run the analyses (Grant.ANALYTICS_QUERIES): the API's reports, the segmentation job's two,
# the campaign measurement and the backtest
ANALYSTS = ("APIHandler", "SegmentDaily", "Segmentation", "CampaignMeasurement", "Backtest")


def _listify(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _key(resources: Any) -> tuple[str, ...]:
    return tuple(sorted(json.dumps(r, sort_keys=True) for r in _listify(resources)))


def arn(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def under(bucket_id: str, suffix: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [arn(bucket_id), suffix]]}


def statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    return [
        st
        for res in template["Resources"].values()
        if res["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in res["Properties"]["Roles"]
        for st in res["Properties"]["PolicyDocument"]["Statement"]
    ]


def grants(template: dict[str, Any], role_id: str) -> dict[tuple[str, ...], set[str]]:
    """Resources -> actions the role's inline policies allow."""
    out: dict[tuple[str, ...], set[str]] = {}
    for st in statements(template, role_id):
        assert st["Effect"] == "Allow"
        out.setdefault(_key(st["Resource"]), set()).update(_listify(st["Action"]))
    return out


def ids(synth, stage: str) -> dict[str, str]:
    """The export's resources, found from what points at them (the stream's bucket, the workgroup's results)."""
    t = synth.templates[stage]["Resources"]
    stream_id, stream = synth.one(stage, "AWS::KinesisFirehose::DeliveryStream")
    destination = stream["Properties"]["ExtendedS3DestinationConfiguration"]
    bucket_id = destination["BucketARN"]["Fn::GetAtt"][0]
    _, workgroup = synth.one(stage, "AWS::Athena::WorkGroup")
    results_location = workgroup["Properties"]["WorkGroupConfiguration"]["ResultConfiguration"]["OutputLocation"]
    [results_id] = [p["Ref"] for p in results_location["Fn::Join"][1] if isinstance(p, dict)]
    access_logs_id = t[bucket_id]["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    [(rule_id, rule)] = [
        (k, v)
        for k, v in t.items()
        if v["Type"] == "AWS::Events::Rule" and v["Properties"].get("Name") == f"store-balance-{stage}-export"
    ]
    [target] = rule["Properties"]["Targets"]
    return {
        "stream": stream_id,
        "bucket": bucket_id,
        "results": results_id,
        "access_logs": access_logs_id,
        "firehose_role": destination["RoleARN"]["Fn::GetAtt"][0],
        "rule": rule_id,
        "rule_role": target["RoleArn"]["Fn::GetAtt"][0],
        "dlq": target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0],
        "key": synth.one(stage, "AWS::KMS::Key")[0],
        "bus": synth.one(stage, "AWS::Events::EventBus")[0],
    }


def destination(synth, stage: str) -> dict[str, Any]:
    _, stream = synth.one(stage, "AWS::KinesisFirehose::DeliveryStream")
    return stream["Properties"]["ExtendedS3DestinationConfiguration"]


def table_input(synth, stage: str) -> dict[str, Any]:
    _, table = synth.one(stage, "AWS::Glue::Table")
    return table["Properties"]["TableInput"]


# ------------------------------------------------------------------ Firehose
@pytest.mark.parametrize("stage", STAGES)
def test_the_stream_files_every_event_by_its_day_and_detail_type_gzipped(synth, stage):
    i = ids(synth, stage)
    _, stream = synth.one(stage, "AWS::KinesisFirehose::DeliveryStream")
    p = stream["Properties"]
    assert p["DeliveryStreamName"] == f"store-balance-{stage}-export"
    assert p["DeliveryStreamType"] == "DirectPut"
    assert p["DeliveryStreamEncryptionConfigurationInput"] == {
        "KeyType": "CUSTOMER_MANAGED_CMK",
        "KeyARN": arn(i["key"]),
    }
    d = p["ExtendedS3DestinationConfiguration"]
    assert d["BucketARN"] == arn(i["bucket"])
    assert d["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert d["ProcessingConfiguration"] == {
        "Enabled": True,
        "Processors": [
            {
                "Type": "MetadataExtraction",
                "Parameters": [
                    {
                        "ParameterName": "MetadataExtractionQuery",
                        "ParameterValue": '{dt: .time[0:10], type: ."detail-type"}',
                    },
                    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                ],
            },
            {
                "Type": "AppendDelimiterToRecord",
                "Parameters": [{"ParameterName": "Delimiter", "ParameterValue": "\\n"}],
            },
        ],
    }
    assert d["Prefix"] == "export/events/dt=!{partitionKeyFromQuery:dt}/type=!{partitionKeyFromQuery:type}/"
    assert d["ErrorOutputPrefix"] == "export/errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
    assert d["CompressionFormat"] == "GZIP"
    assert d["BufferingHints"]["SizeInMBs"] >= 64  # dynamic partitioning refuses less
    assert 60 <= d["BufferingHints"]["IntervalInSeconds"] <= 900
    assert d["EncryptionConfiguration"] == {"KMSEncryptionConfig": {"AWSKMSKeyARN": arn(i["key"])}}
    assert d.get("S3BackupMode", "Disabled") == "Disabled"


@pytest.mark.parametrize("stage", STAGES)
def test_the_stream_logs_its_delivery_errors_to_its_own_encrypted_group(synth, stage):
    res = synth.templates[stage]["Resources"]
    i = ids(synth, stage)
    logging = destination(synth, stage)["CloudWatchLoggingOptions"]
    assert logging["Enabled"] is True
    group = res[logging["LogGroupName"]["Ref"]]["Properties"]
    assert group["LogGroupName"] == f"/aws/kinesisfirehose/store-balance-{stage}-export"
    assert group["KmsKeyId"] == arn(i["key"])
    assert group["RetentionInDays"] == STAGE_SETTINGS[stage].log_retention_days
    stream = res[logging["LogStreamName"]["Ref"]]
    assert stream["Type"] == "AWS::Logs::LogStream"
    assert stream["Properties"]["LogGroupName"] == {"Ref": logging["LogGroupName"]["Ref"]}
    # the key lets CloudWatch Logs use it for this group only
    [statement] = [
        s
        for s in res[i["key"]]["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "CloudWatchLogsEncryptTheExportsLogGroup"
    ]
    [context] = _listify(statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert context["Fn::Join"][1][-1].endswith(f":log-group:{group['LogGroupName']}")


def envelope(detail_type: str, time: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An event as EventBridge hands it to a target: the envelope with its detail."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": SOURCE,
        "account": "111111111111",
        "time": time,
        "region": "ap-southeast-1",
        "resources": [],
        "detail": detail,
    }


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq (1.6, Firehose's engine) is not installed")
@pytest.mark.parametrize(
    "event,keys",
    [
        (
            envelope("payment.succeeded", "2026-03-01T23:59:59Z", {"amount": 5}),
            {"dt": "2026-03-01", "type": "payment.succeeded"},
        ),
        (
            envelope("behaviour.view_product", "2026-02-27T00:00:00Z", {}),
            {"dt": "2026-02-27", "type": "behaviour.view_product"},
        ),
    ],
    ids=["domain", "behaviour"],
)
def test_the_partition_query_reads_the_day_and_the_detail_type_from_the_whole_event(synth, event, keys):
    """The template's JQ query, run by jq itself on an EventBridge event as the rule hands it over."""
    [extraction] = [
        p
        for p in destination(synth, "prod")["ProcessingConfiguration"]["Processors"]
        if p["Type"] == "MetadataExtraction"
    ]
    query = {q["ParameterName"]: q["ParameterValue"] for q in extraction["Parameters"]}["MetadataExtractionQuery"]
    out = subprocess.run(["jq", "-c", query], input=json.dumps(event), capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == keys


# ------------------------------------------------------------------ the bus rule
@pytest.mark.parametrize("stage", STAGES)
def test_the_rule_puts_every_event_of_the_service_whole_on_the_stream_with_a_dead_letter_queue(synth, stage):
    t = synth.templates[stage]
    i = ids(synth, stage)
    rule = t["Resources"][i["rule"]]["Properties"]
    assert rule["EventBusName"] == {"Ref": i["bus"]}
    assert rule["EventPattern"] == EXPORT_PATTERN == {"source": [SOURCE]}  # no detail-type filter: every event
    assert rule.get("State", "ENABLED") == "ENABLED"
    [target] = rule["Targets"]
    assert target["Arn"] == arn(i["stream"])
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)  # the envelope and its detail are the record
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert 0 < target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400
    assert target["DeadLetterConfig"] == {"Arn": arn(i["dlq"])}
    # EventBridge's role may put records on this stream, nothing else
    role = t["Resources"][i["rule_role"]]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    assert target["RoleArn"] == arn(i["rule_role"])
    assert grants(t, i["rule_role"]) == {_key(arn(i["stream"])): {"firehose:PutRecord", "firehose:PutRecordBatch"}}
    # the dead-letter queue: encrypted, 14 days, EventBridge may send to it for this rule only, and it alarms
    queue = t["Resources"][i["dlq"]]["Properties"]
    assert queue["QueueName"] == f"store-balance-{stage}-export-dlq"
    assert queue["SqsManagedSseEnabled"] is True and queue["MessageRetentionPeriod"] == 14 * 86400
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for p in synth.resources(stage, "AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": i["dlq"]}]
    ]
    [allow] = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": arn(i["rule"])}}
    assert {"Bool": {"aws:SecureTransport": "false"}} in [s.get("Condition") for s in policy["Statement"]]
    [alarm] = [
        a["Properties"]
        for a in synth.resources(stage, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Dimensions") == [{"Name": "QueueName", "Value": arn(i["dlq"], "QueueName")}]
    ]
    assert alarm["Threshold"] == 1 and alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"


# ------------------------------------------------------------------ Glue
COLUMNS = [
    ("version", "string"),
    ("id", "string"),
    ("detail_type", "string"),
    ("source", "string"),
    ("account", "string"),
    ("time", "string"),
    ("region", "string"),
    ("resources", "array<string>"),
    ("detail", "string"),
]


@pytest.mark.parametrize("stage", STAGES)
def test_the_events_table_reads_the_envelope_as_gzipped_json_lines(synth, stage):
    i = ids(synth, stage)
    _, database = synth.one(stage, "AWS::Glue::Database")
    assert database["Properties"]["DatabaseInput"]["Name"] == f"store_balance_{stage}_analytics"
    _, table = synth.one(stage, "AWS::Glue::Table")
    assert table["Properties"]["DatabaseName"] == {"Ref": synth.one(stage, "AWS::Glue::Database")[0]}
    t = table["Properties"]["TableInput"]
    assert t["Name"] == "events" and t["TableType"] == "EXTERNAL_TABLE"
    sd = t["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in sd["Columns"]] == COLUMNS
    assert [(c["Name"], c["Type"]) for c in t["PartitionKeys"]] == [("dt", "string"), ("type", "string")]
    assert sd["SerdeInfo"] == {
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
        "Parameters": {"mapping.detail_type": "detail-type", "ignore.malformed.json": "true"},
    }
    assert sd["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert sd["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    assert sd["Compressed"] is True and t["Parameters"]["compressionType"] == "gzip"
    assert sd["Location"] == {"Fn::Join": ["", ["s3://", {"Ref": i["bucket"]}, "/export/events/"]]}


@pytest.mark.parametrize("stage", STAGES)
def test_the_table_projects_its_partitions_where_the_stream_writes_them(synth, stage):
    """No crawler and no partitions to add: Athena computes every (day, type) location from the parameters."""
    i = ids(synth, stage)
    parameters = table_input(synth, stage)["Parameters"]
    projection = {k: v for k, v in parameters.items() if k.startswith(("projection.", "storage."))}
    template = projection.pop("storage.location.template")
    values = projection.pop("projection.type.values")
    assert projection == {
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "2026-01-01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "projection.type.type": "enum",
    }
    assert values
    # the template is the stream's prefix, its partition keys in Athena's notation
    prefix = destination(synth, stage)["Prefix"]
    athena = re.sub(r"!\{partitionKeyFromQuery:(\w+)\}", r"${\1}", prefix)
    assert athena == "export/events/dt=${dt}/type=${type}/"
    assert template == {"Fn::Join": ["", ["s3://", {"Ref": i["bucket"]}, f"/{athena}"]]}


@pytest.mark.parametrize("stage", STAGES)
def test_the_projected_types_are_every_detail_type_the_service_publishes(synth, stage):
    """A type left out of the enum is a partition Athena never reads: its events would be silently missing."""
    values = table_input(synth, stage)["Parameters"]["projection.type.values"].split(",")
    assert values == sorted(set(DETAIL_TYPES) | set(BEHAVIOUR_TYPES))
    assert len(values) == len(set(values)) and all(v == v.strip() and v for v in values)
    assert {"payment.succeeded", "topup.credited", "behaviour.login"} <= set(values)


# ------------------------------------------------------------------ Athena
@pytest.mark.parametrize("stage", STAGES)
def test_the_workgroup_enforces_its_encrypted_results_and_a_scan_limit(synth, stage):
    i = ids(synth, stage)
    _, workgroup = synth.one(stage, "AWS::Athena::WorkGroup")
    p = workgroup["Properties"]
    assert p["Name"] == f"store-balance-{stage}-analytics"
    c = p["WorkGroupConfiguration"]
    assert c["EnforceWorkGroupConfiguration"] is True  # a client cannot send its results elsewhere, or unencrypted
    assert c["PublishCloudWatchMetricsEnabled"] is True
    assert c["BytesScannedCutoffPerQuery"] == STAGE_SETTINGS[stage].analytics_query_limit_gib * GIB == 10 * GIB
    r = c["ResultConfiguration"]
    assert r["EncryptionConfiguration"] == {"EncryptionOption": "SSE_KMS", "KmsKey": arn(i["key"])}
    assert r["OutputLocation"] == {"Fn::Join": ["", ["s3://", {"Ref": i["results"]}, "/"]]}


# ------------------------------------------------------------------ buckets
def _lifecycle(bucket: dict[str, Any]) -> list[dict[str, Any]]:
    return bucket["Properties"]["LifecycleConfiguration"]["Rules"]


def _bucket_policy(synth, stage: str, bucket_id: str) -> list[dict[str, Any]]:
    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.resources(stage, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    return policy


PUBLIC_ACCESS_BLOCKED = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


@pytest.mark.parametrize("stage", STAGES)
def test_the_buckets_are_private_tls_only_encrypted_logged_and_kept(synth, stage):
    res = synth.templates[stage]["Resources"]
    i = ids(synth, stage)
    for name in ("bucket", "results", "access_logs"):
        bucket = res[i[name]]
        p = bucket["Properties"]
        assert p["PublicAccessBlockConfiguration"] == PUBLIC_ACCESS_BLOCKED, name
        assert bucket["DeletionPolicy"] == "Retain", name  # CloudFormation cannot delete a bucket holding objects
        assert {
            "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": [arn(i[name]), under(i[name], "/*")],
        } in _bucket_policy(synth, stage, i[name]), name
        [sse] = p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        if name == "access_logs":  # S3 delivers server access logs only under SSE-S3
            assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
            assert "LoggingConfiguration" not in p
        else:
            assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn(i["key"])}
            assert p["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": i["access_logs"]}
    # S3 may write the two buckets' access logs, each under its own prefix, and nothing else
    writes = [s for s in _bucket_policy(synth, stage, i["access_logs"]) if s["Effect"] == "Allow"]
    assert {(s["Principal"]["Service"], json.dumps(s["Condition"]["ArnLike"]["aws:SourceArn"])) for s in writes} == {
        ("logging.s3.amazonaws.com", json.dumps(arn(i["bucket"]))),
        ("logging.s3.amazonaws.com", json.dumps(arn(i["results"]))),
    }
    assert [r["ExpirationInDays"] for r in _lifecycle(res[i["access_logs"]])] == [STAGE_SETTINGS[stage].access_log_days]


@pytest.mark.parametrize("stage", STAGES)
def test_the_export_moves_to_colder_storage_and_the_results_expire(synth, stage):
    res = synth.templates[stage]["Resources"]
    i = ids(synth, stage)
    export = res[i["bucket"]]["Properties"]
    assert export["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = _lifecycle(res[i["bucket"]])
    [colder] = [r for r in rules if r.get("Transitions")]
    assert colder["Prefix"] == "export/" and colder["Status"] == "Enabled"
    assert colder["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
        {"StorageClass": "GLACIER_IR", "TransitionInDays": 180},
    ]
    assert "ExpirationInDays" not in colder  # the export is kept
    assert any(r.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation") for r in rules)
    results = _lifecycle(res[i["results"]])
    assert [r["ExpirationInDays"] for r in results] == [30]
    assert results[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1


# ------------------------------------------------------------------ least privilege
@pytest.mark.parametrize("stage", STAGES)
def test_the_firehose_role_may_write_only_the_export_with_the_stage_key_and_its_delivery_log(synth, stage):
    t = synth.templates[stage]
    i = ids(synth, stage)
    role = t["Resources"][i["firehose_role"]]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
            "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    logging = destination(synth, stage)["CloudWatchLoggingOptions"]
    delivery_log = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":logs:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":log-group:/aws/kinesisfirehose/store-balance-{stage}-export:log-stream:",
                {"Ref": logging["LogStreamName"]["Ref"]},
            ],
        ]
    }
    objects = under(i["bucket"], "/export/*")
    assert grants(t, i["firehose_role"]) == {
        _key(arn(i["bucket"])): {"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
        _key(objects): {"s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"},
        _key(arn(i["key"])): {"kms:Decrypt", "kms:GenerateDataKey"},
        _key(delivery_log): {"logs:PutLogEvents"},
    }
    # the key only through S3, and only for this bucket's objects (or the bucket, when S3 uses its bucket key)
    [key_statement] = [s for s in statements(t, i["firehose_role"]) if s["Resource"] == arn(i["key"])]
    assert key_statement["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn(i["bucket"]), objects]},
    }


@pytest.mark.parametrize("stage", STAGES)
def test_no_other_role_may_touch_the_export_or_the_stream(synth, stage):
    """Firehose writes the export; the analysts' roles (the reports' and the segmentation job's queries, below)
    may read it and use the results bucket; no other role reaches either bucket, and only the rule's role the
    stream."""
    t = synth.templates[stage]
    i = ids(synth, stage)
    analysts = [[{"Ref": role_of(t, fn)}] for fn in ANALYSTS]
    for res_id, res in t["Resources"].items():
        if res["Type"] != "AWS::IAM::Policy":
            continue
        roles = res["Properties"]["Roles"]
        text = json.dumps(res["Properties"]["PolicyDocument"])
        if f'"{i["bucket"]}"' in text:
            assert roles in ([{"Ref": i["firehose_role"]}], *analysts), res_id
        if f'"{i["results"]}"' in text:
            assert roles in analysts, res_id
        if f'"{i["stream"]}"' in text:
            assert roles == [{"Ref": i["rule_role"]}], res_id
    for fn in ANALYSTS:
        written = {
            a
            for st in statements(t, role_of(t, fn))
            if f'"{i["bucket"]}"' in json.dumps(st["Resource"])
            for a in _listify(st["Action"])
        }
        assert written == {"s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject"}, fn  # it reads the export only


# ------------------------------------------------------------------ the analyses' queries (the analysts' roles)
def role_of(template: dict[str, Any], function_id: str) -> str:
    return template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]


def own_arn(suffix: str) -> dict[str, Any]:
    """An ARN the stack builds from its partition, region and account (``service:resource``)."""
    service, rest = suffix.split(":", 1)
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":{service}:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":{rest}",
            ],
        ]
    }


def analytics_query_grants(synth, stage: str) -> dict[tuple[str, ...], set[str]]:
    """Resources -> actions of Grant.ANALYTICS_QUERIES, as the role of a function with it must have them
    (tests/infra/test_events.py checks every role against its row with this)."""
    i = ids(synth, stage)
    database = f"store_balance_{stage}_analytics"
    return {
        _key(own_arn(f"athena:workgroup/store-balance-{stage}-analytics")): set(ATHENA_QUERY_ACTIONS),
        _key(
            [
                own_arn("glue:catalog"),
                own_arn(f"glue:database/{database}"),
                own_arn(f"glue:table/{database}/events"),
            ]
        ): set(ANALYTICS_CATALOG_ACTIONS),
        _key(arn(i["bucket"])): set(EXPORT_BUCKET_ACTIONS),
        _key(under(i["bucket"], "/export/events/*")): set(EXPORT_OBJECT_ACTIONS),
        _key(arn(i["results"])): set(RESULTS_BUCKET_ACTIONS),
        _key(under(i["results"], "/*")): set(RESULTS_OBJECT_ACTIONS),
        _key(arn(i["key"])): set(ANALYTICS_KEY_ACTIONS),
    }


def test_the_analytics_grant_is_athena_glue_the_two_buckets_and_the_key():
    assert set(ANALYTICS_ACTIONS) == {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetPartitions",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }
    assert tuple(s.logical_id for s in FUNCTIONS if Grant.ANALYTICS_QUERIES in s.grants) == ANALYSTS
    assert next(s for s in FUNCTIONS if s.logical_id == "APIHandler").handler == "app.app"
    assert {s.handler for s in FUNCTIONS if s.logical_id in ANALYSTS[1:]} == {
        "chalicelib.handlers.segmentation.segment_daily",
        "chalicelib.handlers.segmentation.segmentation_requested",
        "chalicelib.handlers.campaigns.campaign_measurement",
        "chalicelib.handlers.backtests.backtest_requested",
    }


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("function", ANALYSTS)
def test_the_analysts_may_run_queries_on_exactly_the_workgroup_table_buckets_and_key(synth, stage, function):
    t = synth.templates[stage]
    i = ids(synth, stage)
    role = role_of(t, function)
    by_sid = {st["Sid"]: st for st in statements(t, role) if st.get("Sid", "").startswith("Analytics")}
    assert set(by_sid) == {
        "AnalyticsQueries",
        "AnalyticsCatalog",
        "AnalyticsExport",
        "AnalyticsExportObjects",
        "AnalyticsResults",
        "AnalyticsResultObjects",
        "AnalyticsKey",
    }
    found = {_key(st["Resource"]): set(_listify(st["Action"])) for st in by_sid.values()}
    assert found == analytics_query_grants(synth, stage)
    assert set().union(*found.values()) == set(ANALYTICS_ACTIONS)
    # the names in the ARNs are the resources' own
    _, workgroup = synth.one(stage, "AWS::Athena::WorkGroup")
    _, database = synth.one(stage, "AWS::Glue::Database")
    assert workgroup["Properties"]["Name"] == f"store-balance-{stage}-analytics"
    assert database["Properties"]["DatabaseInput"]["Name"] == f"store_balance_{stage}_analytics"
    assert table_input(synth, stage)["Name"] == "events"
    # the key only through S3, and only for the export's objects and the results (or the buckets: bucket keys)
    assert by_sid["AnalyticsKey"]["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}},
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [
                arn(i["bucket"]),
                under(i["bucket"], "/export/events/*"),
                arn(i["results"]),
                under(i["results"], "/*"),
            ]
        },
    }
    assert all("Condition" not in st for sid, st in by_sid.items() if sid != "AnalyticsKey")
    # no other role may query, read the catalogue or use the results
    analysts = [[{"Ref": role_of(t, fn)}] for fn in ANALYSTS]
    for res_id, res in t["Resources"].items():
        if res["Type"] == "AWS::IAM::Policy" and res["Properties"]["Roles"] not in analysts:
            text = json.dumps(res["Properties"]["PolicyDocument"])
            assert '"athena:' not in text and '"glue:' not in text, res_id


@pytest.mark.parametrize("stage", STAGES)
def test_the_analysts_are_told_the_export_bucket_database_and_workgroup_and_no_other_function_is(synth, stage):
    i = ids(synth, stage)
    database_id, _ = synth.one(stage, "AWS::Glue::Database")
    workgroup_id, _ = synth.one(stage, "AWS::Athena::WorkGroup")
    names = {"EXPORT_BUCKET", "ANALYTICS_DATABASE", "ANALYTICS_WORKGROUP"}
    for fn_id, fn in synth.resources(stage, "AWS::Serverless::Function").items():
        env = fn["Properties"]["Environment"]["Variables"]
        if fn_id in ANALYSTS:
            assert {k: env[k] for k in names} == {
                "EXPORT_BUCKET": {"Ref": i["bucket"]},
                "ANALYTICS_DATABASE": {"Ref": database_id},
                "ANALYTICS_WORKGROUP": {"Ref": workgroup_id},
            }
        else:
            assert not names & set(env), fn_id


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("function", ANALYSTS)
def test_the_analysts_roles_wildcards_are_the_export_and_results_objects_acknowledged_with_reasons(
    synth, stage, function
):
    from infra.functions import BY_ID

    i = ids(synth, stage)
    t = synth.templates[stage]
    wildcards = {
        json.dumps(st["Resource"], sort_keys=True)
        for st in statements(t, role_of(t, function))
        if st.get("Sid", "").startswith("Analytics") and "*" in json.dumps(st["Resource"])
    }
    assert wildcards == {
        json.dumps(under(i["bucket"], "/export/events/*"), sort_keys=True),
        json.dumps(under(i["results"], "/*"), sort_keys=True),
    }
    acknowledged = {
        rule.removeprefix("Annotation::"): reason
        for path, entries in synth.metadata[stage].items()
        if path == f"/{stage}/Functions/{BY_ID[function].resource_name}Role"
        for entry in entries
        if "acknowledged" in entry.get("type", "")
        for rule, reason in entry["data"].items()
    }
    for finding in (f"<{i['bucket']}.Arn>/export/events/*", f"<{i['results']}.Arn>/*"):
        assert "Athena" in acknowledged[f"AwsSolutions-IAM5[Resource::{finding}]"], finding


# ------------------------------------------------------------------ outputs
@pytest.mark.parametrize("stage", STAGES)
def test_the_stack_names_the_export_in_its_outputs(synth, stage):
    i = ids(synth, stage)
    outputs = {k: v["Value"] for k, v in synth.templates[stage]["Outputs"].items()}
    assert outputs["ExportBucketName"] == {"Ref": i["bucket"]}
    assert outputs["ExportStreamName"] == {"Ref": i["stream"]}
    assert outputs["AnalyticsDatabase"] == {"Ref": synth.one(stage, "AWS::Glue::Database")[0]}
    assert outputs["AnalyticsWorkGroup"] == {"Ref": synth.one(stage, "AWS::Athena::WorkGroup")[0]}
    assert outputs["ExportDlqUrl"] == {"Ref": i["dlq"]}
