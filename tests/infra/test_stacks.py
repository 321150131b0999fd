"""What the synthesized templates promise, checked with aws_cdk.assertions on every stage."""

from __future__ import annotations

import fnmatch
import json
import zipfile
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from chalice.utils import to_cfn_resource_name

from chalicelib.events.catalogue import CONSUMERS
from chalicelib.store.models import TTL_ATTRIBUTE, table_definition
from infra.concerns.functions import ROLE_PLACEHOLDER
from infra.functions import BY_ID, FUNCTIONS as SPECS, Http, Schedule
from infra.stages import ROOT, STAGE_SETTINGS

STAGES = ("dev", "prod")
# logical id (chalice package) -> deployed name after the stage's prefix: the rows of infra/functions.py
FUNCTIONS = {spec.logical_id: spec.name for spec in SPECS}
# Said independently of the app's registry: the only routes anyone may call without a Cognito token.
PUBLIC = {
    ("get", "/v1/health"),
    ("get", "/v1/openapi.json"),
    ("post", "/v1/webhooks/payments"),
    # marketing e-mail's unsubscribe link and one-click POST: the signed token is their key (no login)
    ("get", "/v1/unsubscribe"),
    ("post", "/v1/unsubscribe"),
}
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # managed cache policy
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # managed origin request policy
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # managed response headers policy


def template(synth, stack: str) -> Template:
    return Template.from_json(synth.templates[stack])


def swagger(synth, stage: str) -> dict[str, Any]:
    return synth.templates[stage]["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]


# ------------------------------------------------------------------ table
@pytest.mark.parametrize("stage", STAGES)
def test_table_is_the_single_definition(synth, stage):
    definition = table_definition()
    _, table = synth.one(stage, "AWS::DynamoDB::Table")
    p = table["Properties"]
    assert p["TableName"] == f"balance-ledger-{stage}"
    assert p["KeySchema"] == definition["KeySchema"]
    assert sorted(p["AttributeDefinitions"], key=str) == sorted(definition["AttributeDefinitions"], key=str)
    assert p["BillingMode"] == "PAY_PER_REQUEST" == definition["BillingMode"]
    assert p["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert p["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert p.get("GlobalSecondaryIndexes", []) == definition.get("GlobalSecondaryIndexes", [])
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_prod_table_is_protected_and_encrypted_with_its_own_key(synth):
    t = template(synth, "prod")
    key_id, _ = synth.one("prod", "AWS::KMS::Key")
    t.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": Match.object_like(
                {
                    "DeletionProtectionEnabled": True,
                    "SSESpecification": {
                        "SSEEnabled": True,
                        "SSEType": "KMS",
                        "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
                    },
                }
            ),
        },
    )
    template(synth, "dev").has_resource(
        "AWS::DynamoDB::Table",
        {"DeletionPolicy": "Delete", "Properties": Match.object_like({"DeletionProtectionEnabled": False})},
    )


def test_config_names_the_same_table_the_stack_creates(synth):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in STAGES:
        _, table = synth.one(stage, "AWS::DynamoDB::Table")
        assert config["stages"][stage]["environment_variables"]["LEDGER_TABLE"] == table["Properties"]["TableName"]


# ------------------------------------------------------------------ API: authorizer, API key, throttling
@pytest.mark.parametrize("stage", STAGES)
def test_every_private_route_has_the_cognito_authorizer(synth, stage):
    body = swagger(synth, stage)
    pool_id, _ = synth.one(stage, "AWS::Cognito::UserPool")
    cognito = body["securityDefinitions"]["cognito"]
    assert cognito["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert cognito["x-amazon-apigateway-authorizer"]["providerARNs"] == [{"Fn::GetAtt": [pool_id, "Arn"]}]
    seen = set()
    for path, methods in body["paths"].items():
        for method, op in methods.items():
            seen.add((method, path))
            schemes = {name for requirement in op.get("security", []) for name in requirement}
            assert "api_key" in schemes, f"{method} {path} does not require CloudFront's API key"
            if (method, path) in PUBLIC:
                assert "cognito" not in schemes, f"{method} {path} is public"
            else:
                assert "cognito" in schemes, f"{method} {path} has no authorizer"
    assert PUBLIC <= seen
    assert len(seen) >= 16  # every route of the app is in the API


def test_every_route_of_the_app_reaches_the_gateway(synth):
    from infra.api import route_access

    body = swagger(synth, "prod")
    assert {(p, m) for p, ms in body["paths"].items() for m in ms} == set(route_access())


@pytest.mark.parametrize("stage", STAGES)
def test_gateway_refusals_use_the_error_envelope(synth, stage):
    responses = swagger(synth, stage)["x-amazon-apigateway-gateway-responses"]
    for kind in ("UNAUTHORIZED", "ACCESS_DENIED", "INVALID_API_KEY", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"):
        tmpl = responses[kind]["responseTemplates"]["application/json"]
        assert tmpl.startswith('{"error":{"code":"'), (kind, tmpl)
        assert responses[kind]["responseParameters"]["gatewayresponse.header.X-Request-Id"] == "context.requestId"
        # what API Gateway sends once it has substituted its variables is JSON in our envelope
        body = json.loads(tmpl.replace("$context.error.messageString", '"Unauthorized"'))
        assert set(body["error"]) == {"code", "message", "details"}
    assert responses["UNAUTHORIZED"]["statusCode"] == "401"
    assert (
        json.loads(responses["INVALID_API_KEY"]["responseTemplates"]["application/json"])["error"]["code"]
        == "forbidden"
    )


@pytest.mark.parametrize("stage", STAGES)
def test_gateway_responses_are_fixed_envelopes_that_echo_nothing_of_the_request(synth, stage):
    responses = swagger(synth, stage)["x-amazon-apigateway-gateway-responses"]
    expected = {
        "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found"),
        "REQUEST_TOO_LARGE": ("413", "payload_too_large"),
        "DEFAULT_4XX": (None, None),
        "DEFAULT_5XX": (None, None),
    }
    assert set(expected) <= set(responses)
    for kind, (status, code) in expected.items():
        assert responses[kind].get("statusCode") == status, kind
        if code is not None:
            tmpl = responses[kind]["responseTemplates"]["application/json"]
            assert json.loads(tmpl.replace("$context.requestId", "rid"))["error"]["code"] == code, kind
    for kind, response in responses.items():
        tmpl = response["responseTemplates"]["application/json"]
        for echo in ("$context.error", "$input", "$util", "$method", "Authorization", "authorization"):
            assert echo not in tmpl, (kind, tmpl)
        assert tmpl.replace("$context.requestId", "").count("$") == 0, (kind, tmpl)  # no other variable at all
        body = json.loads(tmpl.replace("$context.requestId", "rid-1"))
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, (kind, body)
        assert body["error"]["details"] == {"request_id": "rid-1"}, (kind, body)
        assert isinstance(body["error"]["message"], str) and body["error"]["message"], (kind, body)


@pytest.mark.parametrize("stage", STAGES)
def test_api_is_regional_traced_logged_and_throttled(synth, stage):
    from infra.stages import STAGE_SETTINGS

    s = STAGE_SETTINGS[stage]
    api = synth.templates[stage]["Resources"]["RestAPI"]["Properties"]
    assert api["EndpointConfiguration"] == "REGIONAL"
    assert api["TracingEnabled"] is True
    assert api["Name"] == f"store-balance-{stage}"
    assert "DestinationArn" in api["AccessLogSetting"]
    [settings] = api["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == s.api_rate_limit and settings["ThrottlingBurstLimit"] == s.api_burst_limit
    assert settings["LoggingLevel"] == "ERROR" and settings["DataTraceEnabled"] is False
    t = template(synth, stage)
    key_id, _ = synth.one(stage, "AWS::ApiGateway::ApiKey")
    t.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {
            "ApiStages": [{"ApiId": {"Ref": "RestAPI"}, "Stage": {"Ref": "RestAPI.Stage"}}],
            "Throttle": {"RateLimit": s.api_rate_limit, "BurstLimit": s.api_burst_limit},
        },
    )
    t.has_resource_properties("AWS::ApiGateway::UsagePlanKey", {"KeyId": {"Ref": key_id}, "KeyType": "API_KEY"})


# ------------------------------------------------------------------ functions and bundle
@pytest.mark.parametrize("stage", STAGES)
def test_functions_run_on_arm64_traced_with_their_own_roles(synth, stage):
    functions = synth.resources(stage, "AWS::Serverless::Function")
    assert set(functions) == set(FUNCTIONS)
    roles = set()
    for logical_id, fn in functions.items():
        p = fn["Properties"]
        assert p["Architectures"] == ["arm64"]
        assert p["Tracing"] == "Active"
        assert p["Runtime"] == "python3.11"
        assert p["FunctionName"] == f"store-balance-{stage}-{FUNCTIONS[logical_id]}"
        assert set(p["Role"]) == {"Fn::GetAtt"}
        roles.add(p["Role"]["Fn::GetAtt"][0])
        env = p["Environment"]["Variables"]
        assert env["STAGE"] == stage
        for var in (
            "LEDGER_TABLE",
            "COGNITO_USER_POOL_ID",
            "COGNITO_APP_CLIENT_ID",
            "PAYMENT_WEBHOOK_SECRET_NAME",
            "UNSUBSCRIBE_SECRET_NAME",
            "EVENT_BUS_NAME",
            "SCHEDULE_GROUP",
            "SCHEDULER_ROLE_ARN",
            "PROMOTIONS_FUNCTION_ARN",
            "SCHEDULE_DLQ_ARN",
            "LEDGER_STREAM_ARN",
        ):
            assert env[var], var
        assert env["SES_SENDER"] == ""  # no sender configured: no e-mail
        assert "POWERTOOLS_TRACE_DISABLED" not in env
    assert len(roles) == len(FUNCTIONS)
    assert functions["APIHandler"]["Properties"]["MemorySize"] == 1024
    assert functions["Reconcile"]["Properties"]["Timeout"] == 300
    assert functions["SweepHolds"]["Properties"]["Timeout"] == 120
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][stage]["lambda_functions"]
    for name in (
        "publish_events",
        "lifecycle",
        "promotions",
        "expire_bonus",
        "remind",
        "segment_daily",
        "segmentation",
    ):
        p = functions["".join(part.title() for part in name.split("_"))]["Properties"]
        assert (p["Timeout"], p["MemorySize"]) == (config[name]["lambda_timeout"], config[name]["lambda_memory_size"])
    for spec in SPECS:  # what a row says of the function is what chalice packaged
        p = functions[spec.logical_id]["Properties"]
        assert (p["MemorySize"], p["Timeout"]) == spec.sizing(STAGE_SETTINGS[stage]), spec.logical_id
        assert p["Handler"] == spec.handler, spec.logical_id
        schedules = [e["Properties"]["Schedule"] for e in p.get("Events", {}).values() if e["Type"] == "Schedule"]
        assert schedules == ([spec.trigger.expression] if isinstance(spec.trigger, Schedule) else []), spec.logical_id
    assert [s.logical_id for s in SPECS if isinstance(s.trigger, Http)] == ["APIHandler"]  # chalice's RestAPI
    assert ROLE_PLACEHOLDER not in json.dumps(synth.templates[stage])


@pytest.mark.parametrize("stage", STAGES)
def test_function_log_groups_exist_first_with_retention(synth, stage):
    from infra.stages import STAGE_SETTINGS

    res = synth.templates[stage]["Resources"]
    for fn_id in FUNCTIONS:
        group_id = "ApiHandlerLogGroup" if fn_id == "APIHandler" else f"{fn_id}LogGroup"
        assert group_id == f"{BY_ID[fn_id].resource_name}LogGroup"
        group = res[group_id]["Properties"]
        assert group["LogGroupName"] == f"/aws/lambda/{res[fn_id]['Properties']['FunctionName']}"
        assert group["RetentionInDays"] == STAGE_SETTINGS[stage].log_retention_days
        assert group_id in res[fn_id]["DependsOn"]


def test_deployed_bundle_is_stripped_and_arm64(synth):
    from dev.package import RUNTIME_PROVIDED, native_architectures

    code = synth.templates["prod"]["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    key = json.dumps(code["Key"])
    zips = [p for p in synth.out.glob("asset.*.zip") if p.name.split(".")[1] in key]
    assert len(zips) == 1, key
    with zipfile.ZipFile(zips[0]) as z:
        tops = {name.split("/", 1)[0].split("-", 1)[0].removesuffix(".py").lower() for name in z.namelist()}
    assert "app" in tops and "chalicelib" in tops
    assert not tops & RUNTIME_PROVIDED
    assert set(native_architectures(zips[0])) == {"arm64"}
    assert zips[0].stat().st_size < 12_000_000


# ------------------------------------------------------------------ CloudFront and WAF
def _behaviours(dist: dict[str, Any]) -> list[dict[str, Any]]:
    """The API's behaviours (the web app's /app ones, on its bucket's origin: tests/infra/test_web.py)."""
    config = dist["Properties"]["DistributionConfig"]
    api = config["DefaultCacheBehavior"]["TargetOriginId"]
    behaviours = [{**config["DefaultCacheBehavior"], "PathPattern": "*"}] + config.get("CacheBehaviors", [])
    return [b for b in behaviours if b["TargetOriginId"] == api]


@pytest.mark.parametrize("stage", STAGES)
def test_cloudfront_never_caches_private_routes_and_forwards_authorization(synth, stage):
    _, dist = synth.one(stage, "AWS::CloudFront::Distribution")
    config = dist["Properties"]["DistributionConfig"]
    default = config["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == CACHING_DISABLED
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST  # with caching disabled: Authorization too
    assert config["HttpVersion"] == "http2and3"
    assert config["Logging"]["Bucket"]
    assert config["WebACLId"]
    routes = [(m, p) for p, ms in swagger(synth, stage)["paths"].items() for m in ms]
    cacheable = 0
    for behaviour in _behaviours(dist):
        assert behaviour["ViewerProtocolPolicy"] == "https-only"
        assert behaviour["ResponseHeadersPolicyId"] == SECURITY_HEADERS
        if behaviour["CachePolicyId"] == CACHING_DISABLED:
            continue
        cacheable += 1
        assert set(behaviour.get("AllowedMethods", ["GET", "HEAD"])) <= {"GET", "HEAD"}
        # every route a cacheable behaviour can serve is public; and such a behaviour wins over "*"
        for method, path in routes:
            if fnmatch.fnmatchcase(path, behaviour["PathPattern"]):
                assert (method, path) in PUBLIC, f"{path} would be cached"
    assert cacheable >= 1  # the behaviour ready for public GET routes


@pytest.mark.parametrize("stage", STAGES)
def test_only_cloudfront_knows_the_api_key(synth, stage):
    res = synth.templates[stage]["Resources"]
    _, dist = synth.one(stage, "AWS::CloudFront::Distribution")
    [origin] = [o for o in dist["Properties"]["DistributionConfig"]["Origins"] if "CustomOriginConfig" in o]
    headers = {h["HeaderName"]: h["HeaderValue"] for h in origin["OriginCustomHeaders"]}
    key_id, key = synth.one(stage, "AWS::ApiGateway::ApiKey")
    assert headers["x-api-key"] == key["Properties"]["Value"]
    assert "resolve:secretsmanager:" in json.dumps(key["Properties"]["Value"])  # never in the template in clear
    assert origin["OriginPath"] == "/v1"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert res["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-api-key-source"] == "HEADER"


@pytest.mark.parametrize("stage", STAGES)
def test_waf_has_managed_rules_and_rate_limit_and_guards_the_distribution(synth, stage):
    edge = synth.templates[f"{stage}-edge"]
    [(acl_id, acl)] = [(k, v) for k, v in edge["Resources"].items() if v["Type"] == "AWS::WAFv2::WebACL"]
    p = acl["Properties"]
    assert p["Scope"] == "CLOUDFRONT"
    groups = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in p["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert groups == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    [rate] = [r for r in p["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert rate["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    # blocked requests are logged, without tokens
    [logging] = [v for v in edge["Resources"].values() if v["Type"] == "AWS::WAFv2::LoggingConfiguration"]
    assert logging["Properties"]["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    redacted = {f["SingleHeader"]["Name"] for f in logging["Properties"]["RedactedFields"]}
    assert {"authorization", "cookie"} <= redacted
    assert f"aws-waf-logs-store-balance-{stage}" in json.dumps(logging["Properties"]["LogDestinationConfigs"])
    # the distribution's WebACLId is this ACL's ARN, carried across regions
    _, dist = synth.one(stage, "AWS::CloudFront::Distribution")
    assert acl_id in json.dumps(dist["Properties"]["DistributionConfig"]["WebACLId"])


# ------------------------------------------------------------------ IAM
DATA_SERVICES = (
    "dynamodb",
    "s3",
    "secretsmanager",
    "kms",
    "sqs",
    "sns",
    "events",
    "scheduler",
    "ssm",
    "logs",
    "cognito-idp",
)
RESOURCE_STAR_OK = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    p = resource["Properties"]
    docs = [p["PolicyDocument"]] if "PolicyDocument" in p else [x["PolicyDocument"] for x in p.get("Policies", [])]
    return [s for d in docs for s in d["Statement"]]


def _listify(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


@pytest.mark.parametrize("stack", ("dev", "prod"))  # the edge stacks hold no IAM at all (tests/infra/test_checks)
def test_no_iam_statement_grants_star_on_data(synth, stack):
    checked = 0
    for type_ in ("AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy"):
        for name, resource in synth.resources(stack, type_).items():
            for st in _statements(resource):
                if st["Effect"] != "Allow":
                    continue
                checked += 1
                actions = _listify(st.get("Action", []))
                for action in actions:
                    assert action != "*" and not action.endswith(":*"), (name, action)
                    assert "*" not in action.split(":", 1)[1] or not action.startswith(DATA_SERVICES), (name, action)
                if "*" in _listify(st.get("Resource", [])):
                    assert set(actions) <= RESOURCE_STAR_OK, (name, actions)
    assert checked > 0


@pytest.mark.parametrize("stage", STAGES)
def test_each_function_gets_only_its_table_actions(synth, stage):
    res = synth.templates[stage]["Resources"]
    table_id, _ = synth.one(stage, "AWS::DynamoDB::Table")
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    stream_arn = {"Fn::GetAtt": [table_id, "StreamArn"]}

    def index(name: str) -> dict[str, Any]:
        return {"Fn::Join": ["", [table_arn, f"/index/{name}"]]}

    expected: dict[str, dict[str, set[str]]] = {}  # function -> {resource: actions}, from its row
    for spec in SPECS:
        per = expected.setdefault(spec.logical_id, {})
        if spec.table_actions:
            per[json.dumps(table_arn)] = set(spec.table_actions)
        for query in spec.index_actions:
            arns = [index(i) for i in query.indexes]
            per[json.dumps(arns[0] if len(arns) == 1 else arns)] = set(query.actions)
        if spec.stream_actions:
            per[json.dumps(stream_arn)] = set(spec.stream_actions)
    assert expected["PublishEvents"] == {
        json.dumps(stream_arn): {  # the stream only, never the table
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        }
    }
    assert json.dumps([index("reminders"), index("bonus-due")]) in expected["Remind"]
    # a segment's members (GET /v1/admin/segments/{name}/members; a {segment: name} promotion's audience;
    # a segmentation run reading who an earlier run profiled)
    readers = ("APIHandler", "Promotions", "SegmentDaily", "Segmentation")
    for fn_id in readers:
        assert expected[fn_id][json.dumps(index("segment-members"))] == {"dynamodb:Query"}, fn_id
    assert {fn for fn, per in expected.items() if json.dumps(index("segment-members")) in per} == set(readers)
    indexes = {i["IndexName"] for i in table_definition()["GlobalSecondaryIndexes"]}
    assert {i for s in SPECS for q in s.index_actions for i in q.indexes} <= indexes
    for fn_id, per_resource in expected.items():
        role_id = res[fn_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        granted: dict[str, set[str]] = {}
        for policy in synth.resources(stage, "AWS::IAM::Policy").values():
            if {"Ref": role_id} not in policy["Properties"]["Roles"]:
                continue
            for st in _statements(policy):
                dynamo = {a for a in _listify(st["Action"]) if a.startswith("dynamodb:")}
                if dynamo:
                    granted.setdefault(json.dumps(st["Resource"]), set()).update(dynamo)
        assert granted == per_resource, fn_id
    assert not any("dynamodb:DeleteItem" in s.code_actions for s in SPECS)  # a ledger never deletes


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_api_may_create_groups_and_only_in_its_pool(synth, stage):
    pool_id, _ = synth.one(stage, "AWS::Cognito::UserPool")
    grants = [
        (policy["Properties"]["Roles"], st)
        for policy in synth.resources(stage, "AWS::IAM::Policy").values()
        for st in _statements(policy)
        if any(a.startswith("cognito-idp:") for a in _listify(st["Action"]))
    ]
    assert len(grants) == 1
    roles, st = grants[0]
    api_role = synth.templates[stage]["Resources"]["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert roles == [{"Ref": api_role}]
    assert _listify(st["Action"]) == ["cognito-idp:CreateGroup"]
    assert st["Resource"] == {"Fn::GetAtt": [pool_id, "Arn"]}


# ------------------------------------------------------------------ Cognito, secrets, events
@pytest.mark.parametrize("stage", STAGES)
def test_users_groups_client_secret_bus_and_schedules(synth, stage):
    t = template(synth, stage)
    groups = {g["Properties"]["GroupName"] for g in synth.resources(stage, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == {"admin", "service"}
    t.has_resource_properties("AWS::Cognito::UserPoolClient", {"GenerateSecret": False})
    t.has_resource_properties("AWS::SecretsManager::Secret", {"Name": f"store-balance/{stage}/payment-webhook-secret"})
    t.has_resource_properties("AWS::SecretsManager::Secret", {"Name": f"store-balance/{stage}/unsubscribe-secret"})
    t.has_resource_properties("AWS::Events::EventBus", {"Name": f"store-balance-{stage}-events"})
    t.has_resource_properties("AWS::Scheduler::ScheduleGroup", {"Name": f"store-balance-{stage}"})


# ------------------------------------------------------------------ alarms
ALARMS = {
    "Api5xxRate",
    "Api4xxShare",
    "LedgerThrottles",
    "LedgerTransactionConflicts",
    "ReconciliationMismatches",
    "ReconciliationNotRun",
    "PublishEventsIteratorAge",
    *(
        f"{'Api' if fn == 'APIHandler' else fn}Function{metric}"
        for fn in FUNCTIONS
        for metric in ("Errors", "Throttles")
    ),
    # and whatever else a row asks for (infra/functions.py: alarms)
    *(
        f"{s.alarm_prefix}{'Function' if a.value in ('Errors', 'Throttles') else ''}{a.value}"
        for s in SPECS
        for a in s.alarms
    ),
    # one per dead-letter queue (tests/infra/test_events.py)
    "PublishEventsDlqMessages",
    "SchedulesDlqMessages",
    "ExportDlqMessages",  # the analytics export's rule (tests/infra/test_analytics.py)
    *(f"{to_cfn_resource_name(consumer)}DlqMessages" for consumer in CONSUMERS),
}


@pytest.mark.parametrize("stage", STAGES)
def test_alarms_exist_and_notify_the_topic(synth, stage):
    topic_id, topic = synth.one(stage, "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic["Properties"]
    alarms = {
        a["Properties"]["AlarmName"].removeprefix(f"store-balance-{stage}-"): a["Properties"]
        for a in synth.resources(stage, "AWS::CloudWatch::Alarm").values()
    }
    assert set(alarms) == ALARMS
    for name, a in alarms.items():
        assert a["AlarmActions"] == [{"Ref": topic_id}], name
    mismatches = alarms["ReconciliationMismatches"]
    assert mismatches["Namespace"] == "StoreBalance"
    assert {d["Name"]: d["Value"] for d in mismatches["Dimensions"]} == {"service": "store-balance", "stage": stage}
    assert alarms["ReconciliationNotRun"]["TreatMissingData"] == "breaching"
    conflicts = alarms["LedgerTransactionConflicts"]
    assert conflicts["MetricName"] == "TransactionConflict"
    # everything refused (origin key out of step: all 403; authorizer: all 401) is an outage too
    refused = alarms["Api4xxShare"]
    read = {
        m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]["Metric"]
        for m in refused["Metrics"]
        if "MetricStat" in m
    }
    assert set(read) == {"4XXError", "Count"}
    for metric in read.values():
        assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {
            "ApiName": f"store-balance-{stage}",
            "Stage": STAGE_SETTINGS[stage].api_stage,
        }
    assert refused["Threshold"] == 50 and refused["EvaluationPeriods"] == 3


@pytest.mark.parametrize("stage", STAGES)
def test_waf_blocking_too_much_raises_an_alarm_in_the_acls_region(synth, stage):
    """WAF refuses before the API sees anything: its own alarm, on its own topic in us-east-1."""
    edge = f"{stage}-edge"
    topic_id, _ = synth.one(edge, "AWS::SNS::Topic")
    _, acl = synth.one(edge, "AWS::WAFv2::WebACL")
    _, alarm = synth.one(edge, "AWS::CloudWatch::Alarm")
    a = alarm["Properties"]
    assert a["AlarmName"] == f"store-balance-{stage}-EdgeBlockedShare"
    assert a["AlarmActions"] == a["OKActions"] == [{"Ref": topic_id}]
    assert a["Threshold"] == STAGE_SETTINGS[stage].waf_blocked_alarm_percent
    assert a["EvaluationPeriods"] == a["DatapointsToAlarm"] == 3
    stats = {m["Id"]: m["MetricStat"]["Metric"] for m in a["Metrics"] if "MetricStat" in m}
    assert {m["MetricName"] for m in stats.values()} == {"AllowedRequests", "BlockedRequests"}
    for metric in stats.values():
        assert metric["Namespace"] == "AWS/WAFV2"
        dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        # the WebACL dimension is the ACL's metric name, kept equal to its name
        assert dims == {"WebACL": acl["Properties"]["Name"], "Rule": "ALL"}
        assert acl["Properties"]["VisibilityConfig"]["MetricName"] == acl["Properties"]["Name"]
    [expression] = [m["Expression"] for m in a["Metrics"] if "Expression" in m]
    assert "FILL(blocked, 0)" in expression  # no datapoint in a period without blocks counts as 0


# ------------------------------------------------------------------ suppressions
@pytest.mark.parametrize("stage", STAGES)
def test_every_acknowledged_finding_has_a_reason(synth, stage):
    acknowledged = {}
    for path, entries in synth.metadata[stage].items():
        for entry in entries:
            if "acknowledged" in entry.get("type", ""):
                acknowledged.update({f"{path} {k}": v for k, v in entry["data"].items()})
    assert acknowledged
    for rule, reason in acknowledged.items():
        assert isinstance(reason, str) and len(reason) >= 30, rule
