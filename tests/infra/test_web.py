"""The web app in production (infra/concerns/web.py, docs/web.md): a private bucket behind the API's distribution
under /app with Origin Access Control, its security headers from web/headers.json, the hosted sign-in's client;
and the headers' reader itself (infra/web_headers.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.stages import ROOT
from infra.web_headers import HEADERS_FILE, load, security_headers

STAGES = ("dev", "prod")
APP_PATHS = {"/app", "/app/*"}
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # CloudFront's managed policy, the API's
SIGN_IN = re.compile(r"https://<SignIn>\.auth\.[a-z0-9-]+\.amazoncognito\.com")  # the pool's domain, rendered


def _render(node: Any) -> str:
    """A template value as text: Fn::Join flattened, a reference to the pool's domain as <SignIn>."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and "Fn::Join" in node:
        sep, parts = node["Fn::Join"]
        return sep.join(_render(p) for p in parts)
    if isinstance(node, dict) and "Ref" in node:
        return "<SignIn>" if node["Ref"].startswith("UsersSignIn") else f"<{node['Ref']}>"
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        return "<{}.{}>".format(*node["Fn::GetAtt"])
    raise TypeError(node)


def _distribution(synth, stage: str) -> tuple[str, dict[str, Any]]:
    dist_id, dist = synth.one(stage, "AWS::CloudFront::Distribution")
    return dist_id, dist["Properties"]["DistributionConfig"]


def _web_origin(synth, stage: str) -> dict[str, Any]:
    _, config = _distribution(synth, stage)
    [origin] = [o for o in config["Origins"] if "S3OriginConfig" in o]
    return origin


def _app_behaviours(synth, stage: str) -> list[dict[str, Any]]:
    _, config = _distribution(synth, stage)
    return [b for b in config["CacheBehaviors"] if b["PathPattern"] in APP_PATHS]


def _sign_in(synth, stage: str) -> str:
    """The hosted sign-in's origin as the stack's outputs name it (the pool's domain as <SignIn>)."""
    origin = _render(synth.templates[stage]["Outputs"]["SignInDomain"]["Value"])
    assert SIGN_IN.fullmatch(origin), origin
    return origin


def _deployed_config(out: Path, deployment: dict[str, Any]) -> dict[str, Any]:
    """config.json as the deployment writes it: the staged file with its deploy-time values (rendered) put in."""
    text = (out / f"asset.{deployment['SourceObjectKeys'][1].removesuffix('.zip')}" / "config.json").read_text()
    for marker, value in deployment["SourceMarkers"][1].items():
        text = text.replace(marker, _render(value))
    return json.loads(text)


def _ref_id(value: Any) -> str:
    return value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]


# ------------------------------------------------------------------ the bucket and its origin
@pytest.mark.parametrize("stage", STAGES)
def test_the_app_bucket_is_private_and_only_the_distribution_reads_it(synth, stage):
    resources = synth.templates[stage]["Resources"]
    bucket_id = _ref_id(_web_origin(synth, stage)["DomainName"])
    bucket = resources[bucket_id]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]  # no ACLs at all
    assert "WebsiteConfiguration" not in bucket and "AccessControl" not in bucket
    # its access logs go to the edge's log bucket, which lets S3 deliver them for this bucket only
    logs_id = bucket["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert resources[logs_id]["Type"] == "AWS::S3::Bucket" and "AccessControl" not in resources[logs_id]["Properties"]
    [logs_policy] = [
        p
        for p in synth.resources(stage, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logs_id}
    ]
    [delivery] = [s for s in logs_policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": [bucket_id, "Arn"]}

    dist_id, _ = _distribution(synth, stage)
    [policy] = [
        p
        for p in synth.resources(stage, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    [allow] = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert {"Ref": dist_id} in source["Fn::Join"][1]  # this distribution, no other
    # the only statement naming everyone refuses plain HTTP
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Principal"] == {"AWS": "*"} and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("stage", STAGES)
def test_the_app_origin_signs_with_origin_access_control_and_no_identity(synth, stage):
    origin = _web_origin(synth, stage)
    oac_id, oac = synth.one(stage, "AWS::CloudFront::OriginAccessControl")
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # OAC, not the legacy identity
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningProtocol"] == "sigv4"
    assert oac["Properties"]["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    assert synth.resources(stage, "AWS::CloudFront::CloudFrontOriginAccessIdentity") == {}


# ------------------------------------------------------------------ the behaviours
@pytest.mark.parametrize("stage", STAGES)
def test_app_paths_have_their_behaviour_with_the_routes_function_and_the_apps_headers(synth, stage):
    resources = synth.templates[stage]["Resources"]
    behaviours = _app_behaviours(synth, stage)
    assert {b["PathPattern"] for b in behaviours} == APP_PATHS
    [function_id] = synth.resources(stage, "AWS::CloudFront::Function")
    [headers_id] = synth.resources(stage, "AWS::CloudFront::ResponseHeadersPolicy")
    for b in behaviours:
        assert b["TargetOriginId"] == _web_origin(synth, stage)["Id"]
        assert b["ViewerProtocolPolicy"] == "redirect-to-https"
        assert b["AllowedMethods"] == ["GET", "HEAD"] and b["CachedMethods"] == ["GET", "HEAD"]
        assert b["Compress"] is True
        assert b["FunctionAssociations"] == [
            {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]}}
        ]
        assert b["ResponseHeadersPolicyId"] == {"Ref": headers_id}
        cache = resources[b["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
        key = cache["ParametersInCacheKeyAndForwardedToOrigin"]
        assert key["CookiesConfig"] == {"CookieBehavior": "none"}
        assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
        assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
        assert key["EnableAcceptEncodingGzip"] and key["EnableAcceptEncodingBrotli"]
        assert cache["DefaultTTL"] > 0
        assert "OriginRequestPolicyId" not in b  # nothing of the viewer (no Authorization) goes to S3


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_behaviours_are_unchanged(synth, stage):
    _, config = _distribution(synth, stage)
    [api] = [o for o in config["Origins"] if "CustomOriginConfig" in o]
    assert config["Origins"][0] is api  # first, so its CloudFront origin id stays the one deployed
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == api["Id"]
    assert default["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert default["ResponseHeadersPolicyId"] == SECURITY_HEADERS
    assert "FunctionAssociations" not in default
    api_paths = [b["PathPattern"] for b in config["CacheBehaviors"] if b["TargetOriginId"] == api["Id"]]
    assert api_paths == ["/v1/openapi.json", "/v1/public/*"]
    for b in config["CacheBehaviors"]:
        if b["TargetOriginId"] == api["Id"]:
            assert b["ViewerProtocolPolicy"] == "https-only" and b["ResponseHeadersPolicyId"] == SECURITY_HEADERS
            assert "FunctionAssociations" not in b
    assert len(config["CacheBehaviors"]) == len(api_paths) + len(APP_PATHS)
    assert "CustomErrorResponses" not in config  # an SPA fallback there would answer the API's 403 and 404 too


def _run_routes_function(code: str, uris: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "node (the CDK's runtime) runs the CloudFront function here"
    script = (
        code
        + "\nconst cases = JSON.parse(process.argv[1]);\n"
        + "console.log(JSON.stringify(cases.map(([uri, q]) => handler({request: {uri, querystring: q}}))));\n"
    )
    p = subprocess.run([node, "-e", script, json.dumps(uris)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("stage", STAGES)
def test_the_routes_function_gives_the_apps_routes_its_page_and_files_as_they_are(synth, stage):
    [(_, fn)] = synth.resources(stage, "AWS::CloudFront::Function").items()
    p = fn["Properties"]
    assert p["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0" and p["AutoPublish"] is True
    callback = {"code": {"value": "abc"}, "state": {"value": "xyz"}}
    cases = [
        ("/app", {}),
        ("/app/", {}),
        ("/app/wallet", {}),
        ("/app/pay/chk_1", {"return_url": {"value": "https://shop.example/done"}}),
        ("/app/callback", callback),
        ("/app/main.js", {}),
        ("/app/vendor/chart.umd.js", {}),
        ("/app/config.json", {}),
        ("/app/icon.svg", {}),
    ]
    got = _run_routes_function(p["FunctionCode"], cases)
    assert [r["uri"] for r in got] == ["/app/index.html"] * 5 + [
        "/app/main.js",
        "/app/vendor/chart.umd.js",
        "/app/config.json",
        "/app/icon.svg",
    ]
    assert got[4]["querystring"] == callback  # the sign-in's code reaches the page


# ------------------------------------------------------------------ the headers
def _headers_policy(synth, stage: str) -> dict[str, Any]:
    [policy] = synth.resources(stage, "AWS::CloudFront::ResponseHeadersPolicy").values()
    return policy["Properties"]["ResponseHeadersPolicyConfig"]


@pytest.mark.parametrize("stage", STAGES)
def test_the_csp_is_strict_and_is_web_headers_json_with_the_hosted_sign_in(synth, stage):
    security = _headers_policy(synth, stage)["SecurityHeadersConfig"]
    csp = _render(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    sign_in = _sign_in(synth, stage)
    assert csp == security_headers(sign_in)["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
    assert directives["connect-src"] == ["'self'", sign_in]  # the token exchange
    assert security["ContentSecurityPolicy"]["Override"] is True


@pytest.mark.parametrize("stage", STAGES)
def test_the_app_sends_hsts_nosniff_deny_and_its_permissions_policy(synth, stage):
    config = _headers_policy(synth, stage)
    security = config["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 63072000,  # two years
        "IncludeSubdomains": True,
        "Preload": True,
        "Override": True,
    }
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ReferrerPolicy"] == {"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": True}
    [custom] = config["CustomHeadersConfig"]["Items"]
    assert custom["Header"] == "Permissions-Policy"
    assert custom["Value"] == security_headers(None)["Permissions-Policy"]


# ------------------------------------------------------------------ sign-in
def _clients(synth, stage: str) -> dict[str, dict[str, Any]]:
    return {
        c["Properties"]["ClientName"]: c["Properties"]
        for c in synth.resources(stage, "AWS::Cognito::UserPoolClient").values()
    }


@pytest.mark.parametrize("stage", STAGES)
def test_the_web_client_runs_the_code_flow_only_back_to_app_callback_without_secret(synth, stage):
    dist_id, _ = _distribution(synth, stage)
    web = _clients(synth, stage)[f"store-balance-{stage}-web"]
    assert web["GenerateSecret"] is False
    assert web["AllowedOAuthFlows"] == ["code"] and web["AllowedOAuthFlowsUserPoolClient"] is True
    assert sorted(web["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert web["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # no password or SRP flow of its own
    assert web["SupportedIdentityProviders"] == ["COGNITO"]
    host = f"<{dist_id}.DomainName>"  # no custom domain in these stages: the distribution's own name
    assert [_render(u) for u in web["CallbackURLs"]] == [f"https://{host}/app/callback"]
    assert [_render(u) for u in web["LogoutURLs"]] == [f"https://{host}/app/"]
    [(domain_id, domain)] = synth.resources(stage, "AWS::Cognito::UserPoolDomain").items()
    assert domain["Properties"]["Domain"] == {"Fn::Join": ["-", [f"store-balance-{stage}", {"Ref": "AWS::AccountId"}]]}
    assert "CustomDomainConfig" not in domain["Properties"]  # a Cognito prefix domain


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_client_keeps_its_flows_and_gets_no_hosted_sign_in(synth, stage):
    api = _clients(synth, stage)[f"store-balance-{stage}-app"]
    assert api["GenerateSecret"] is False
    assert api["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    # no OAuth at all: with the pool's sign-in domain, CDK's default implicit grant would be live
    assert api["AllowedOAuthFlowsUserPoolClient"] is False
    assert not {"AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs"} & api.keys()


def _references(node: Any) -> set[str]:
    """The logical ids a template value refers to (Ref, Fn::GetAtt, Fn::Sub's ${...}), pseudo parameters left out."""
    if isinstance(node, list):
        return set().union(*(_references(n) for n in node))
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            found.add(value)
        elif key == "Fn::GetAtt":
            found.add(value[0] if isinstance(value, list) else value.split(".")[0])
        elif key == "Fn::Sub":
            text = value[0] if isinstance(value, list) else value
            found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
            found |= _references(value[1] if isinstance(value, list) else None)
        else:
            found |= _references(value)
    return {f for f in found if not f.startswith("AWS::")}


def _cycle(resources: dict[str, dict[str, Any]]) -> list[str] | None:
    """A dependency cycle among the template's resources (references and DependsOn), or None."""
    needs = {
        k: (_references(v.get("Properties", {})) | set(_listify(v.get("DependsOn", [])))) & resources.keys()
        for k, v in resources.items()
    }
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for other in sorted(needs[node]):
            if state.get(other) == "open":
                return path[path.index(other) :] + [other]
            if other not in state and (cycle := visit(other)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(needs):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _listify(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


@pytest.mark.parametrize("stage", STAGES)
def test_the_functions_read_the_web_client_ids_from_a_parameter_they_know_only_by_name(synth, stage):
    """The web client's id is in an SSM parameter; every function (the API's among them) is told the parameter's
    literal name next to the API client's id, and its role may read that parameter alone. Neither refers to the
    parameter or the client: functions -> web client -> distribution -> REST API -> functions would be a cycle."""
    resources = synth.templates[stage]["Resources"]
    name = f"/store-balance-{stage}/web-client-ids"
    [web_id] = [
        k
        for k, v in synth.resources(stage, "AWS::Cognito::UserPoolClient").items()
        if v["Properties"]["ClientName"] == f"store-balance-{stage}-web"
    ]
    [(parameter_id, parameter)] = synth.resources(stage, "AWS::SSM::Parameter").items()
    assert parameter["Properties"]["Name"] == name
    assert parameter["Properties"]["Type"] == "String"
    assert parameter["Properties"]["Value"] == {"Ref": web_id}  # the web client's id
    # the stack's region (its own, or the token when it has none), its account
    arn = re.compile(rf"arn:<AWS::Partition>:ssm:([a-z0-9-]+|<AWS::Region>):<AWS::AccountId>:parameter{name}")
    functions = synth.resources(stage, "AWS::Serverless::Function")
    assert "APIHandler" in functions
    roles = set()
    for fn_id, fn in functions.items():
        env = fn["Properties"]["Environment"]["Variables"]
        assert env["COGNITO_APP_CLIENT_ID"] and env["COGNITO_WEB_CLIENT_PARAMETER"] == name, fn_id  # a plain string
        assert not {web_id, parameter_id} & (_references(fn) | set(_listify(fn.get("DependsOn", [])))), fn_id
        role_id = fn["Properties"]["Role"]["Fn::GetAtt"][0]
        roles.add(role_id)
        reads = [
            st
            for policy in synth.resources(stage, "AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for st in policy["Properties"]["PolicyDocument"]["Statement"]
            if any(a.startswith("ssm:") for a in _listify(st["Action"]))
        ]
        assert len(reads) == 1, fn_id
        [read] = reads
        assert read["Sid"] == "WebClientIds" and read["Action"] == "ssm:GetParameter" and "Condition" not in read
        assert arn.fullmatch(_render(read["Resource"])), read["Resource"]  # that parameter, no wildcard
    # no other role reads any parameter
    for policy_id, policy in synth.resources(stage, "AWS::IAM::Policy").items():
        if '"ssm:' in json.dumps(policy["Properties"]["PolicyDocument"]):
            assert {r["Ref"] for r in policy["Properties"]["Roles"]} <= roles, policy_id
    # the template CloudFormation gets has no dependency cycle (synthesis alone does not look inside a stack)
    assert _cycle({"A": {"Properties": {"X": {"Fn::Sub": "${B.Arn}"}}}, "B": {"DependsOn": "A"}}) == ["A", "B", "A"]
    assert _cycle(resources) is None


# ------------------------------------------------------------------ the deployment
@pytest.mark.parametrize("stage", STAGES)
def test_web_src_and_the_stages_config_are_deployed_into_app_and_invalidated(synth, stage):
    resources = synth.templates[stage]["Resources"]
    dist_id, _ = _distribution(synth, stage)
    bucket_id = _ref_id(_web_origin(synth, stage)["DomainName"])
    [deployment] = synth.resources(stage, "Custom::CDKBucketDeployment").values()
    p = deployment["Properties"]
    assert p["DestinationBucketName"] == {"Ref": bucket_id}
    assert p["DestinationBucketKeyPrefix"] == "app/"
    assert p["Prune"] is True and p["RetainOnDelete"] is False
    assert p["DistributionId"] == {"Ref": dist_id} and sorted(p["DistributionPaths"]) == sorted(APP_PATHS)
    assert "max-age=0" in p["SystemMetadata"]["cache-control"]  # browsers revalidate: names carry no version
    files, config = p["SourceObjectKeys"]
    # web/src/ as staged at synthesis: the app without any local config.json or dotfile
    staged = synth.out / f"asset.{files.removesuffix('.zip')}"
    names = {f.relative_to(staged).as_posix() for f in staged.rglob("*") if f.is_file()}
    assert "index.html" in names and "config.json" not in names
    assert not [n for n in names if any(part.startswith(".") for part in n.split("/"))]
    # config.json: the hosted sign-in's settings, filled in at deploy time
    filled = _deployed_config(synth.out, p)
    web_id = next(
        k
        for k, c in synth.resources(stage, "AWS::Cognito::UserPoolClient").items()
        if c["Properties"]["ClientName"].endswith("-web")
    )
    host = f"<{dist_id}.DomainName>"
    assert filled == {
        "auth": "hosted",
        "domain": _sign_in(synth, stage),
        "clientId": f"<{web_id}>",
        "redirectUri": f"https://{host}/app/callback",
        "logoutUri": f"https://{host}/app/",
    }
    handler = resources[p["ServiceToken"]["Fn::GetAtt"][0]]["Properties"]
    role_id = handler["Role"]["Fn::GetAtt"][0]
    [document] = [x["PolicyDocument"] for x in resources[role_id]["Properties"]["Policies"]]
    grants = {
        s["Sid"]: (sorted(s["Action"]) if isinstance(s["Action"], list) else [s["Action"]])
        for s in document["Statement"]
    }
    assert grants == {
        "OwnLogs": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "ReadTheSources": ["s3:GetObject"],
        "ListTheApp": ["s3:ListBucket"],
        "WriteTheApp": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
        "InvalidateTheApp": ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
    }
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert _render(by_sid["WriteTheApp"]["Resource"]) == f"<{bucket_id}.Arn>/app/*"
    assert {"Ref": dist_id} in by_sid["InvalidateTheApp"]["Resource"]["Fn::Join"][1]
    assert not synth.resources(stage, "AWS::IAM::Policy").keys() & {f"{role_id}DefaultPolicy"}
    assert "ManagedPolicyArns" not in resources[role_id]["Properties"]
    # its log: retained as the stage's are, under the stage's key
    group = resources[handler["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    key_id, _ = synth.one(stage, "AWS::KMS::Key")
    assert group["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert group["RetentionInDays"] == {"dev": 14, "prod": 90}[stage]


@pytest.mark.parametrize("stage", STAGES)
def test_the_stack_names_the_app_in_its_outputs(synth, stage):
    outputs = {k: v["Value"] for k, v in synth.templates[stage]["Outputs"].items()}
    dist_id, _ = _distribution(synth, stage)
    assert _render(outputs["AppUrl"]) == f"https://<{dist_id}.DomainName>/app/"
    assert _render(outputs["Url"]) == f"https://<{dist_id}.DomainName>/v1/"
    assert {"WebBucketName", "WebClientId", "SignInDomain"} <= set(outputs)


# ------------------------------------------------------------------ the concern alone (fast, no Chalice)
def _web_alone(out: Path, *, domain: str | None = None, nag: bool = False) -> dict[str, Any]:
    """Keys, users, CloudFront and the web app in one small stack; its template."""
    import aws_cdk as cdk
    from aws_cdk import aws_kms as kms, aws_secretsmanager as sm
    from cdk_nag import AwsSolutionsChecks

    from infra.concerns.edge import Edge
    from infra.concerns.users import Users
    from infra.concerns.web import WebApp
    from infra.stages import STAGE_SETTINGS

    stage = STAGE_SETTINGS["dev"]
    app = cdk.App(outdir=str(out))
    stack = cdk.Stack(app, "web-alone", env=cdk.Environment(account="111111111111", region="ap-southeast-1"))
    users = Users(stack, "Identity", stage=stage)
    edge = Edge(
        stack,
        "Cdn",
        stage=stage,
        rest_api_id="a1b2c3d4e5",
        origin_key=sm.Secret.from_secret_name_v2(stack, "Key", "origin-key"),
        web_acl_arn="arn:aws:wafv2:us-east-1:111111111111:global/webacl/edge/0",
        domain_name=domain,
        certificate_arn="arn:aws:acm:us-east-1:111111111111:certificate/0" if domain else None,
    )
    users.add_web_client(domain or edge.distribution.distribution_domain_name)
    key = kms.Key(stack, "Key2", enable_key_rotation=True)
    WebApp(stack, "Web", stage=stage, distribution=edge.distribution, log_bucket=edge.log_bucket, key=key, users=users)
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return json.loads(Path(app.synth().get_stack_by_name("web-alone").template_full_path).read_text())


def test_with_a_custom_domain_sign_in_returns_to_that_domain(tmp_path):
    template = _web_alone(tmp_path / "cdk.out", domain="pay.example.com")
    clients = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Cognito::UserPoolClient"]
    [web] = [c for c in clients if c["ClientName"].endswith("-web")]
    assert web["CallbackURLs"] == ["https://pay.example.com/app/callback"]
    assert web["LogoutURLs"] == ["https://pay.example.com/app/"]
    [deployment] = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "Custom::CDKBucketDeployment"
    ]
    config = _deployed_config(tmp_path / "cdk.out", deployment)
    assert config["redirectUri"] == "https://pay.example.com/app/callback"
    assert config["logoutUri"] == "https://pay.example.com/app/"


def test_synthesis_works_without_the_built_vendor_folder(tmp_path, monkeypatch):
    """`make web` builds web/src/vendor/; the tests (and a fresh clone's synth) run without it."""
    import infra.concerns.web as web

    src = tmp_path / "src"
    shutil.copytree(ROOT / "web" / "src", src, ignore=shutil.ignore_patterns("vendor"))
    (src / "config.json").write_text('{"auth": "local"}')  # what a local server may leave: never deployed
    monkeypatch.setattr(web, "WEB_SRC", src)
    template = _web_alone(tmp_path / "cdk.out")
    [deployment] = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "Custom::CDKBucketDeployment"
    ]
    staged = tmp_path / "cdk.out" / f"asset.{deployment['SourceObjectKeys'][0].removesuffix('.zip')}"
    assert (staged / "index.html").is_file()
    assert not (staged / "vendor").exists() and not (staged / "config.json").exists()


def test_the_web_apps_cdk_nag_acknowledgements_are_load_bearing(tmp_path, monkeypatch):
    """With them the concern passes AwsSolutions; without them (the web app's only) it does not."""
    import infra.concerns.web as web

    _web_alone(tmp_path / "with", nag=True)  # raises on any unacknowledged finding

    class NoNag:
        @staticmethod
        def suppress(*args: Any, **kwargs: Any) -> None:
            return None

    monkeypatch.setattr(web, "nag", NoNag)
    with pytest.raises(Exception, match="ValidationFailed"):
        _web_alone(tmp_path / "without", nag=True)
    report = json.loads((tmp_path / "without" / "validation-report.json").read_text())
    failed = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert "AwsSolutions-L1" in failed
    assert {f for f in failed if f.startswith("AwsSolutions-IAM5[")}


# ------------------------------------------------------------------ infra/web_headers.py
def _headers_file(tmp_path: Path, **changes: Any) -> Path:
    raw = json.loads(HEADERS_FILE.read_text())
    csp = changes.pop("csp", None)
    if csp is not None:
        raw["csp"] = {**raw["csp"], **csp}
    raw.update(changes)
    path = tmp_path / "headers.json"
    path.write_text(json.dumps(raw))
    return path


def test_the_shipped_headers_are_strict():
    headers = security_headers(None)
    assert set(headers) == {
        "Content-Security-Policy",
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Permissions-Policy",
    }
    csp = headers["Content-Security-Policy"]
    assert "unsafe" not in csp and "*" not in csp
    assert "frame-ancestors 'none'" in csp.split("; ") and "script-src 'self'" in csp.split("; ")
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["Permissions-Policy"]


def test_the_sign_in_origin_is_added_where_the_file_says_and_left_out_locally():
    origin = "https://store-balance-dev-1.auth.ap-southeast-1.amazoncognito.com"
    hosted = dict(d.split(" ", 1) for d in security_headers(origin)["Content-Security-Policy"].split("; "))
    local = dict(d.split(" ", 1) for d in security_headers(None)["Content-Security-Policy"].split("; "))
    assert hosted["connect-src"] == f"'self' {origin}" and hosted["form-action"] == f"'self' {origin}"
    assert local["connect-src"] == "'self'" and local["form-action"] == "'self'"
    assert origin not in hosted["script-src"] and origin not in hosted["default-src"]
    assert "{cognito}" not in json.dumps([hosted, local])


@pytest.mark.parametrize(
    "origin",
    [
        "http://x.auth.ap-southeast-1.amazoncognito.com",  # not https
        "https://x.example.com/path",  # a path
        "https://x.example.com; script-src *",  # a directive smuggled in
        "https://x.example.com 'unsafe-inline'",
        "",
    ],
)
def test_a_sign_in_origin_that_is_not_a_bare_https_origin_is_refused(origin):
    with pytest.raises(ValueError, match="sign-in origin"):
        security_headers(origin)


@pytest.mark.parametrize(
    "changes, says",
    [
        ({"csp": {"script-src": ["'self'", "'unsafe-inline'"]}}, "not allowed"),
        ({"csp": {"script-src": ["'self'", "'unsafe-eval'"]}}, "not allowed"),
        ({"csp": {"style-src": ["'self'", "'unsafe-inline'"]}}, "not allowed"),
        ({"csp": {"img-src": ["*"]}}, "not allowed"),
        ({"csp": {"script-src": ["'self'", "data:"]}}, "script from anywhere"),
        ({"csp": {"default-src": ["https:"]}}, "script from anywhere"),
        ({"csp": {"frame-ancestors": ["'self'"]}}, "frame-ancestors must be 'none'"),
        ({"csp": {"connect-src": ["'self'; script-src *"]}}, "not allowed"),
        ({"csp": {"connect-src": []}}, "non-empty list"),
        ({"csp": {"Script_Src": ["'self'"]}}, "not a directive"),
        ({"hsts_seconds": 3600}, "at least a year"),
        ({"hsts_seconds": True}, "at least a year"),
        ({"frame_options": "ALLOW-FROM https://x"}, "frame_options"),
        ({"referrer_policy": "always"}, "referrer_policy"),
        ({"content_type_options": "sniff"}, "nosniff"),
        ({"permissions_policy": "camera=()\nX-Evil: 1"}, "one-line"),
    ],
)
def test_a_headers_file_that_would_weaken_the_policy_is_refused(tmp_path, changes, says):
    with pytest.raises(ValueError, match=says):
        load(_headers_file(tmp_path, **changes))


def test_a_policy_without_its_required_directives_is_refused(tmp_path):
    raw = json.loads(HEADERS_FILE.read_text())
    del raw["csp"]["object-src"]
    path = tmp_path / "headers.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="object-src"):
        load(path)


def test_the_headers_reader_imports_nothing_of_the_cdk():
    """The local server imports it: it must load where the CDK is not installed."""
    code = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def guard(name, *a, **k):\n"
        "    if name.split('.')[0] in ('aws_cdk', 'constructs', 'jsii', 'cdk_nag'):\n"
        "        raise ImportError(name)\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = guard\n"
        "from infra.web_headers import security_headers\n"
        "print(security_headers(None)['X-Frame-Options'])\n"
    )
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "DENY"
