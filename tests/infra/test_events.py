"""The event-driven side as synthesized: the stream publisher's mapping, the bus's rules, the scheduler's role,
the dead-letter queues and their alarms, each function's exact permissions, and the optional SES sender."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from chalice.utils import to_cfn_resource_name

from chalicelib.events.catalogue import CONSUMERS
from infra.functions import (
    BONUS_INDEX,
    BY_ID,
    FUNCTIONS,
    PUBLISH_ACTIONS,
    REMIND_INDEX,
    SEGMENTS_INDEX,
    SCHEDULE_ACTIONS,
    SES_ACTIONS,
    STREAM_READ_ACTIONS,
    TABLE_KEY_ACTIONS,
    USER_POOL_ACTIONS,
    Grant,
)

from .test_analytics import analytics_query_grants

STAGES = ("dev", "prod")
# every function role's own log streams and X-Ray (tests/infra/test_stacks), and the web client ids' parameter
# (tests/infra/test_web)
COMMON_SIDS = {"OwnLogs", "Tracing", "WebClientIds"}
FOURTEEN_DAYS = 14 * 24 * 3600


def _listify(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _key(resources: Any) -> tuple[str, ...]:
    return tuple(sorted(json.dumps(r, sort_keys=True) for r in _listify(resources)))


def grants(template: dict[str, Any], role_id: str) -> dict[tuple[str, ...], set[str]]:
    """Resources -> actions the role's inline policies allow (its own logs and tracing left out)."""
    out: dict[tuple[str, ...], set[str]] = {}
    for res in template["Resources"].values():
        if res["Type"] != "AWS::IAM::Policy" or {"Ref": role_id} not in res["Properties"]["Roles"]:
            continue
        for st in res["Properties"]["PolicyDocument"]["Statement"]:
            assert st["Effect"] == "Allow"
            if st.get("Sid") in COMMON_SIDS:
                continue
            out.setdefault(_key(st["Resource"]), set()).update(_listify(st["Action"]))
    return out


def statement(template: dict[str, Any], role_id: str, sid: str) -> dict[str, Any]:
    found = [
        st
        for res in template["Resources"].values()
        if res["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in res["Properties"]["Roles"]
        for st in res["Properties"]["PolicyDocument"]["Statement"]
        if st.get("Sid") == sid
    ]
    assert len(found) == 1, (role_id, sid, found)
    return found[0]


def role_of(template: dict[str, Any], function_id: str) -> str:
    return template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]


def queue_id(template: dict[str, Any], name: str) -> str:
    [found] = [
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::SQS::Queue" and v["Properties"]["QueueName"] == name
    ]
    return found


def arn(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def own_arn(suffix: str) -> dict[str, Any]:
    """An ARN the stack builds from its partition, region and account."""
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


def ids(synth, stage: str) -> dict[str, str]:
    t = synth.templates[stage]
    table_id, _ = synth.one(stage, "AWS::DynamoDB::Table")
    bus_id, _ = synth.one(stage, "AWS::Events::EventBus")
    key_id, _ = synth.one(stage, "AWS::KMS::Key")
    [scheduler_role] = [
        k
        for k, v in t["Resources"].items()
        if v["Type"] == "AWS::IAM::Role"
        and v["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "scheduler.amazonaws.com"}
    ]
    prefix = f"store-balance-{stage}"
    return {
        "table": table_id,
        "bus": bus_id,
        "key": key_id,
        "scheduler_role": scheduler_role,
        "publish_dlq": queue_id(t, f"{prefix}-publish-events-dlq"),
        "schedules_dlq": queue_id(t, f"{prefix}-schedules-dlq"),
        **{f"{c}_dlq": queue_id(t, f"{prefix}-{c.replace('_', '-')}-dlq") for c in CONSUMERS},
    }


# ------------------------------------------------------------------ the stream publisher
@pytest.mark.parametrize("stage", STAGES)
def test_the_publisher_reads_the_real_stream_with_partial_failures_and_a_dead_letter_queue(synth, stage):
    t = synth.templates[stage]
    i = ids(synth, stage)
    fn = t["Resources"]["PublishEvents"]["Properties"]
    [(name, source)] = [(k, e) for k, e in fn["Events"].items() if e["Type"] == "DynamoDB"]
    assert name == "PublishEventsDynamodbEventSource"  # SAM makes it PublishEventsPublishEventsDynamodbEventSource
    p = source["Properties"]
    assert p["Stream"] == arn(i["table"], "StreamArn")  # not chalice's placeholder ARN
    assert p["StartingPosition"] == "TRIM_HORIZON"
    assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert p["BisectBatchOnFunctionError"] is True
    assert p["MaximumRetryAttempts"] == 10
    assert p["MaximumRecordAgeInSeconds"] == 86400
    assert p["DestinationConfig"] == {"OnFailure": {"Destination": arn(i["publish_dlq"])}}
    assert fn["Environment"]["Variables"]["LEDGER_STREAM_ARN"] == arn(i["table"], "StreamArn")
    assert "000000000000" not in json.dumps(fn)


@pytest.mark.parametrize("stage", STAGES)
def test_the_publisher_alarms_when_it_falls_behind_the_stream(synth, stage):
    [alarm] = [
        a["Properties"]
        for a in synth.resources(stage, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "IteratorAge"
    ]
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": f"store-balance-{stage}-publish-events"}]
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] == 60_000 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 300 == alarm["Period"] * alarm["DatapointsToAlarm"]


# ------------------------------------------------------------------ the bus's consumers
@pytest.mark.parametrize("stage", STAGES)
def test_one_rule_per_consumer_with_the_catalogues_pattern_retries_and_a_dead_letter_queue(synth, stage):
    t = synth.templates[stage]
    i = ids(synth, stage)
    rules = {
        r["Properties"]["Name"]: (k, r["Properties"])
        for k, r in t["Resources"].items()
        if r["Type"] == "AWS::Events::Rule" and "EventBusName" in r["Properties"]
    }
    rules.pop(f"store-balance-{stage}-export")  # the analytics export's rule (tests/infra/test_analytics.py)
    assert set(rules) == {f"store-balance-{stage}-{c.replace('_', '-')}" for c in CONSUMERS}
    permissions = [p["Properties"] for p in synth.resources(stage, "AWS::Lambda::Permission").values()]
    policies = synth.resources(stage, "AWS::SQS::QueuePolicy").values()
    for consumer, pattern in CONSUMERS.items():
        rule_id, rule = rules[f"store-balance-{stage}-{consumer.replace('_', '-')}"]
        function_id = to_cfn_resource_name(consumer)
        assert rule["EventBusName"] == {"Ref": i["bus"]}
        assert rule["EventPattern"] == pattern
        [target] = rule["Targets"]
        assert target["Arn"] == arn(function_id)
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        assert 0 < target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400
        dlq = i[f"{consumer}_dlq"]
        assert target["DeadLetterConfig"] == {"Arn": arn(dlq)}
        # EventBridge may invoke the function for this rule only ...
        assert {
            "Action": "lambda:InvokeFunction",
            "FunctionName": arn(function_id),
            "Principal": "events.amazonaws.com",
            "SourceArn": arn(rule_id),
        } in permissions
        # ... and send to its queue for this rule only
        [policy] = [p for p in policies if p["Properties"]["Queues"] == [{"Ref": dlq}]]
        allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
        assert allows == [
            {
                "Action": "sqs:SendMessage",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Resource": arn(dlq),
                "Condition": {"ArnEquals": {"aws:SourceArn": arn(rule_id)}},
                "Sid": allows[0]["Sid"],
            }
        ]


@pytest.mark.parametrize("stage", STAGES)
def test_asynchronous_failures_of_consumers_and_promotions_reach_their_queues(synth, stage):
    """Past EventBridge or Scheduler, an error in the function itself would otherwise be dropped by Lambda."""
    t = synth.templates[stage]
    i = ids(synth, stage)
    for function_id, dlq in [
        *((to_cfn_resource_name(c), i[f"{c}_dlq"]) for c in CONSUMERS),
        ("Promotions", i["schedules_dlq"]),
    ]:
        config = t["Resources"][function_id]["Properties"]["EventInvokeConfig"]
        assert config["DestinationConfig"] == {"OnFailure": {"Type": "SQS", "Destination": arn(dlq)}}
        assert config["MaximumRetryAttempts"] == 2


# ------------------------------------------------------------------ EventBridge Scheduler
@pytest.mark.parametrize("stage", STAGES)
def test_the_scheduler_role_is_trusted_by_scheduler_in_this_account_and_invokes_promotions_only(synth, stage):
    t = synth.templates[stage]
    i = ids(synth, stage)
    role = t["Resources"][i["scheduler_role"]]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    promotions = own_arn(f"lambda:function:store-balance-{stage}-promotions")
    qualified = own_arn(f"lambda:function:store-balance-{stage}-promotions:*")
    assert grants(t, i["scheduler_role"]) == {
        _key([promotions, qualified]): {"lambda:InvokeFunction"},
        _key(arn(i["schedules_dlq"])): {"sqs:SendMessage"},
    }
    # the ARN it may invoke is the promotions function's, which every function is told
    assert t["Resources"]["Promotions"]["Properties"]["FunctionName"] == f"store-balance-{stage}-promotions"
    for fn in synth.resources(stage, "AWS::Serverless::Function").values():
        env = fn["Properties"]["Environment"]["Variables"]
        assert env["PROMOTIONS_FUNCTION_ARN"] == promotions
        assert env["SCHEDULER_ROLE_ARN"] == arn(i["scheduler_role"])
        assert env["SCHEDULE_DLQ_ARN"] == arn(i["schedules_dlq"])
        assert env["SCHEDULE_GROUP"] == f"store-balance-{stage}"


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_manages_schedules_of_its_group_and_passes_only_the_scheduler_role_to_scheduler(synth, stage):
    t = synth.templates[stage]
    i = ids(synth, stage)
    api_role = role_of(t, "APIHandler")
    schedules = statement(t, api_role, "PromotionSchedules")
    assert sorted(_listify(schedules["Action"])) == sorted(SCHEDULE_ACTIONS)
    assert schedules["Resource"] == own_arn(f"scheduler:schedule/store-balance-{stage}/*")
    pass_role = statement(t, api_role, "PassSchedulerRole")
    assert pass_role["Action"] == "iam:PassRole"
    assert pass_role["Resource"] == arn(i["scheduler_role"])
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    passers = [
        res
        for res in synth.resources(stage, "AWS::IAM::Policy").values()
        for st in res["Properties"]["PolicyDocument"]["Statement"]
        if "iam:PassRole" in _listify(st["Action"])
    ]
    assert len(passers) == 1 and passers[0]["Properties"]["Roles"] == [{"Ref": api_role}]


# ------------------------------------------------------------------ every new role, exactly
def unsubscribe_secret(synth, stage: str) -> str:
    [found] = [
        k
        for k, v in synth.resources(stage, "AWS::SecretsManager::Secret").items()
        if v["Properties"]["Name"].endswith("unsubscribe-secret")
    ]
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_each_event_function_role_grants_exactly_what_its_code_does(synth, stage):
    t = synth.templates[stage]
    i = ids(synth, stage)
    table, stream, key = arn(i["table"]), arn(i["table"], "StreamArn"), arn(i["key"])

    def index(name: str) -> dict[str, Any]:
        return {"Fn::Join": ["", [table, f"/index/{name}"]]}

    def table_actions(fn: str) -> set[str]:
        return set(BY_ID[fn].table_actions)

    expected = {
        "PublishEvents": {
            _key(stream): set(STREAM_READ_ACTIONS),
            _key(arn(i["bus"])): set(PUBLISH_ACTIONS),
            _key(arn(i["publish_dlq"])): {"sqs:SendMessage"},
        },
        "Lifecycle": {_key(table): table_actions("Lifecycle"), _key(arn(i["lifecycle_dlq"])): {"sqs:SendMessage"}},
        "Promotions": {
            _key(table): table_actions("Promotions"),
            _key(index(SEGMENTS_INDEX)): {"dynamodb:Query"},  # a named segment's members
            _key(arn(i["schedules_dlq"])): {"sqs:SendMessage"},
            # a campaign's e-mail carries a signed unsubscribe link (no SES grant: these stages have no sender)
            _key({"Ref": unsubscribe_secret(synth, stage)}): {
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
            },
        },
        "ExpireBonus": {_key(table): table_actions("ExpireBonus"), _key(index(BONUS_INDEX)): {"dynamodb:Query"}},
        "Remind": {
            _key(table): table_actions("Remind"),
            _key([index(REMIND_INDEX), index(BONUS_INDEX)]): {"dynamodb:Query"},
        },
        # the export's analyses (tests/infra/test_analytics.py), the wallets scanned, the profiles batch-written
        # and who an earlier run profiled (the segment-members index)
        "SegmentDaily": {
            **analytics_query_grants(synth, stage),
            _key(table): table_actions("SegmentDaily"),
            _key(index(SEGMENTS_INDEX)): {"dynamodb:Query"},
        },
        "Segmentation": {
            **analytics_query_grants(synth, stage),
            _key(table): table_actions("Segmentation"),
            _key(index(SEGMENTS_INDEX)): {"dynamodb:Query"},
            _key(arn(i["segmentation_dlq"])): {"sqs:SendMessage"},
        },
    }
    assert table_actions("SegmentDaily") == {"dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Scan"}
    assert table_actions("Segmentation") == table_actions("SegmentDaily") | {"dynamodb:UpdateItem"}  # its claim
    table_readers = ("Lifecycle", "Promotions", "ExpireBonus", "Remind", "SegmentDaily", "Segmentation")
    if stage == "prod":  # the table (and so its stream) is encrypted with the stage's key
        expected["PublishEvents"][_key(key)] = {"kms:Decrypt"}
        for fn in table_readers:  # with the analyses' use of the key through S3 (their own statement)
            expected[fn][_key(key)] = set(TABLE_KEY_ACTIONS) | expected[fn].get(_key(key), set())
    for fn, per_resource in expected.items():
        assert grants(t, role_of(t, fn)) == per_resource, fn
    if stage == "prod":
        for fn in table_readers:
            assert statement(t, role_of(t, fn), "LedgerKey")["Condition"] == {
                "StringEquals": {
                    "kms:ViaService": {"Fn::Join": ["", ["dynamodb.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
                }
            }
    # the publisher never touches the table's items; nothing here may Scan but the jobs that are meant to
    assert not any(a.startswith("dynamodb:") and "Item" in a for a in set().union(*expected["PublishEvents"].values()))
    scanners = {fn for fn in expected if "dynamodb:Scan" in set().union(*grants(t, role_of(t, fn)).values())}
    assert scanners == {"Promotions", "SegmentDaily", "Segmentation"}


@pytest.mark.parametrize("stage", STAGES)
def test_every_role_grants_exactly_what_its_row_says(synth, stage):
    """Each function's role, read back from the template, is its row of infra/functions.py and nothing else."""
    t = synth.templates[stage]
    i = ids(synth, stage)
    table, stream, key = arn(i["table"]), arn(i["table"], "StreamArn"), arn(i["key"])
    [secret_id] = [
        k
        for k, v in synth.resources(stage, "AWS::SecretsManager::Secret").items()
        if v["Properties"]["Name"].endswith("payment-webhook-secret")
    ]
    [unsubscribe_secret_id] = [
        k
        for k, v in synth.resources(stage, "AWS::SecretsManager::Secret").items()
        if v["Properties"]["Name"].endswith("unsubscribe-secret")
    ]
    pool_id, _ = synth.one(stage, "AWS::Cognito::UserPool")
    queues = {q["Properties"]["QueueName"]: k for k, q in synth.resources(stage, "AWS::SQS::Queue").items()}
    per_grant = {
        Grant.WEBHOOK_SECRET: {
            _key({"Ref": secret_id}): {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
        },
        Grant.UNSUBSCRIBE_SECRET: {
            _key({"Ref": unsubscribe_secret_id}): {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
        },
        Grant.MERCHANT_GROUPS: {_key(arn(pool_id)): set(USER_POOL_ACTIONS)},
        Grant.PROMOTION_SCHEDULES: {
            _key(own_arn(f"scheduler:schedule/store-balance-{stage}/*")): set(SCHEDULE_ACTIONS),
            _key(arn(i["scheduler_role"])): {"iam:PassRole"},
        },
        Grant.DOMAIN_EVENTS: {_key(arn(i["bus"])): set(PUBLISH_ACTIONS)},
        Grant.EMAIL: {},  # no sender configured
        Grant.ANALYTICS_QUERIES: analytics_query_grants(synth, stage),  # tests/infra/test_analytics.py
    }
    for spec in FUNCTIONS:
        expected: dict[tuple[str, ...], set[str]] = {}
        if spec.table_actions:
            expected[_key(table)] = set(spec.table_actions)
        for query in spec.index_actions:
            expected[_key([{"Fn::Join": ["", [table, f"/index/{name}"]]} for name in query.indexes])] = set(
                query.actions
            )
        if spec.stream_actions:
            expected[_key(stream)] = set(spec.stream_actions)
        for grant in spec.grants:
            expected.update({resources: set(actions) for resources, actions in per_grant[grant].items()})
        if spec.trigger.dlq is not None:
            expected[_key(arn(queues[f"store-balance-{stage}-{spec.trigger.dlq.name}"]))] = {"sqs:SendMessage"}
        if stage == "prod" and (spec.table_key_actions or spec.stream_actions):
            # with the key's actions a grant may have (the analytics queries': through S3)
            expected.setdefault(_key(key), set()).update(
                set(spec.table_key_actions) | ({"kms:Decrypt"} if spec.stream_actions else set())
            )
        assert grants(t, role_of(t, spec.logical_id)) == expected, spec.logical_id
    assert BY_ID["Reconcile"].table_key_actions == ("kms:Decrypt", "kms:DescribeKey")  # it only reads


@pytest.mark.parametrize("stage", STAGES)
def test_without_a_sender_no_role_may_send_email(synth, stage):
    assert "ses:" not in json.dumps(synth.templates[stage])


# ------------------------------------------------------------------ dead-letter queues
@pytest.mark.parametrize("stage", STAGES)
def test_every_queue_is_an_encrypted_tls_only_dead_letter_queue_that_alarms_on_its_first_message(synth, stage):
    t = synth.templates[stage]
    i = ids(synth, stage)
    topic_id, _ = synth.one(stage, "AWS::SNS::Topic")
    queues = synth.resources(stage, "AWS::SQS::Queue")
    export_dlq = queue_id(t, f"store-balance-{stage}-export-dlq")  # the analytics export's (tests/infra/test_analytics)
    assert set(queues) == {i["publish_dlq"], i["schedules_dlq"], export_dlq, *(i[f"{c}_dlq"] for c in CONSUMERS)}
    alarms = [a["Properties"] for a in synth.resources(stage, "AWS::CloudWatch::Alarm").values()]
    for qid, queue in queues.items():
        p = queue["Properties"]
        assert p.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in p, qid
        assert p["MessageRetentionPeriod"] == FOURTEEN_DAYS
        [policy] = [
            v["Properties"]["PolicyDocument"]
            for v in synth.resources(stage, "AWS::SQS::QueuePolicy").values()
            if v["Properties"]["Queues"] == [{"Ref": qid}]
        ]
        assert {
            "Action": "sqs:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": arn(qid),
        } in policy["Statement"]
        [alarm] = [
            a
            for a in alarms
            if a.get("Namespace") == "AWS/SQS"
            and a["Dimensions"] == [{"Name": "QueueName", "Value": arn(qid, "QueueName")}]
        ]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": topic_id}]
    outputs = t["Outputs"]
    assert {"PublishEventsDlqUrl", "SchedulesDlqUrl", "SchedulerRoleArn"} <= set(outputs)


# ------------------------------------------------------------------ SES, when the stage has a sender
@pytest.fixture(scope="module")
def with_sender(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """Both stages built once more, dev with a sender address and prod with a sender domain (stage settings)."""
    import infra.app
    from infra.app import build

    settings = dict(infra.app.STAGE_SETTINGS)
    patched = {
        "dev": dataclasses.replace(settings["dev"], ses_sender="noreply@shop.example.com"),
        "prod": dataclasses.replace(settings["prod"], ses_sender="shop.example.com"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, stage in patched.items():
            mp.setitem(infra.app.STAGE_SETTINGS, name, stage)
        app, _ = build(tmp_path_factory.mktemp("ses") / "cdk.out", nag=False)
        assembly = app.synth()
    return {s.id: json.loads(Path(s.template_full_path).read_text()) for s in assembly.stacks}


@pytest.mark.parametrize(
    "stage,identity,condition",
    [
        ("dev", "noreply@shop.example.com", {"StringEquals": {"ses:FromAddress": "noreply@shop.example.com"}}),
        ("prod", "shop.example.com", {"StringLike": {"ses:FromAddress": "*@shop.example.com"}}),
    ],
)
def test_with_a_sender_only_lifecycle_remind_and_campaigns_may_send_and_only_from_that_identity(
    with_sender, stage, identity, condition
):
    t = with_sender[stage]
    senders = {}
    for res in t["Resources"].values():
        if res["Type"] != "AWS::IAM::Policy":
            continue
        for st in res["Properties"]["PolicyDocument"]["Statement"]:
            if any(a.startswith("ses:") for a in _listify(st["Action"])):
                [role] = res["Properties"]["Roles"]
                senders[role["Ref"]] = st
    assert set(senders) == {role_of(t, "Lifecycle"), role_of(t, "Remind"), role_of(t, "Promotions")}  # campaigns
    for st in senders.values():
        assert sorted(_listify(st["Action"])) == sorted(SES_ACTIONS)
        assert st["Resource"] == own_arn(f"ses:identity/{identity}")
        assert st["Condition"] == condition
    for fn in synth_functions(t):
        assert fn["Properties"]["Environment"]["Variables"]["SES_SENDER"] == identity


def synth_functions(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]


@pytest.mark.parametrize("value", ["not an address", "*@shop.example.com", "noreply@", "arn:aws:ses:x", "a@b@c.com"])
def test_a_bad_sender_is_refused_before_anything_is_built(tmp_path, value):
    from infra.app import build

    with pytest.raises(SystemExit, match="sesSender"):
        build(tmp_path / "cdk.out", stages=("dev",), context={"sesSender": value})
