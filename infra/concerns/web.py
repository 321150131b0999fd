"""The web app in production: ``web/src/`` in a private bucket under ``app/``, served by the API's CloudFront
distribution under ``/app`` and ``/app/*`` through Origin Access Control (so the app calls the API on its own
origin, without CORS), with the app's security headers from ``web/headers.json`` (infra/web_headers.py) and its
sign-in settings (``app/config.json``) written at deploy time. docs/web.md: Production hosting."""

from __future__ import annotations

import re

from aws_cdk import (
    Aws,
    Duration,
    RemovalPolicy,
    Stack,
    aws_cloudfront as cf,
    aws_cloudfront_origins as origins,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3 as s3,
    aws_s3_assets as s3_assets,
    aws_s3_deployment as s3deploy,
)
from constructs import Construct

from ..stages import ROOT, SERVICE, Stage
from ..web_headers import load as load_headers
from . import checkov, nag
from .base import RETENTION, Concern, retain
from .users import Users

WEB_SRC = ROOT / "web" / "src"  # the deployable folder; web/src/vendor/ is built by `make web`
KEY_PREFIX = "app/"  # the bucket's layout is the URL's: /app/main.js is app/main.js
APP_PATHS = ("/app", "/app/*")  # "/app/*" does not match "/app" itself
# Files change only by a deploy, which invalidates /app/*: edges keep them a day, browsers revalidate every use
# (ETag, 304), as the names carry no version and a module must never meet another release's.
CACHE_CONTROL = "public, max-age=0, s-maxage=86400, must-revalidate"

# CloudFront Functions (viewer request, cloudfront-js-2.0): a path whose last segment has no dot is a route of
# the single-page app (/app, /app/, /app/pay/chk_1, /app/callback?code=...) and gets its page; a file
# (/app/main.js, /app/config.json) is served as it is. The query string is left as it came.
ROUTES_FUNCTION = """\
function handler(event) {
  var request = event.request;
  var last = request.uri.split("/").pop();
  if (last.indexOf(".") === -1) {
    request.uri = "/app/index.html";
  }
  return request;
}
"""

_FRAME_OPTIONS = {"DENY": cf.HeadersFrameOption.DENY, "SAMEORIGIN": cf.HeadersFrameOption.SAMEORIGIN}


def _referrer_policy(value: str) -> cf.HeadersReferrerPolicy:
    member = getattr(cf.HeadersReferrerPolicy, value.upper().replace("-", "_"), None)
    if not isinstance(member, cf.HeadersReferrerPolicy):
        raise ValueError(f"web/headers.json: CloudFront has no referrer policy {value!r}")
    return member


def response_headers_policy(scope: Construct, stage: Stage, cognito_origin: str) -> cf.ResponseHeadersPolicy:
    """CloudFront's policy for every ``/app`` response, from web/headers.json (the local server reads the same)."""
    policy = load_headers()
    return cf.ResponseHeadersPolicy(
        scope,
        "WebHeaders",
        response_headers_policy_name=f"{stage.prefix}-web",
        comment="The web app: strict CSP (no inline script), HSTS, no framing (web/headers.json)",
        security_headers_behavior=cf.ResponseSecurityHeadersBehavior(
            content_security_policy=cf.ResponseHeadersContentSecurityPolicy(
                content_security_policy=policy.content_security_policy(cognito_origin), override=True
            ),
            strict_transport_security=cf.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=Duration.seconds(policy.hsts_seconds),
                include_subdomains=policy.hsts_include_subdomains,
                preload=policy.hsts_preload,
                override=True,
            ),
            content_type_options=cf.ResponseHeadersContentTypeOptions(override=True),
            frame_options=cf.ResponseHeadersFrameOptions(
                frame_option=_FRAME_OPTIONS[policy.frame_options], override=True
            ),
            referrer_policy=cf.ResponseHeadersReferrerPolicy(
                referrer_policy=_referrer_policy(policy.referrer_policy), override=True
            ),
        ),
        custom_headers_behavior=cf.ResponseCustomHeadersBehavior(
            custom_headers=[
                cf.ResponseCustomHeader(header="Permissions-Policy", value=policy.permissions_policy, override=True)
            ]
        ),
    )


class WebApp(Concern):
    """The app's bucket, its origin (OAC), the ``/app`` behaviours, and the deployment of ``web/src/`` into it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: Stage,
        distribution: cf.Distribution,
        log_bucket: s3.IBucket,
        key: kms.IKey,
        users: Users,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        # Only what the deployment writes: built from the repository on every deploy, so nothing here is kept
        # (deleting the deployment empties it, and the bucket goes with the stack).
        self.bucket = s3.Bucket(
            self,
            "WebBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=log_bucket,  # the edge's log bucket lets S3 deliver by its policy
            server_access_logs_prefix="s3/web/",
            lifecycle_rules=[s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1))],
            removal_policy=RemovalPolicy.DESTROY,
        )
        checkov.skip(
            self.bucket,
            (
                "CKV_AWS_21",
                "Holds only the build of web/src/, replaced whole by each deploy and kept in the repository; "
                "versions would keep pruned files and stop the bucket's deletion",
            ),
        )

        # OAC: CloudFront signs its requests; the bucket policy CDK writes allows s3:GetObject to this
        # distribution only (aws:SourceArn), and no one else reads the bucket
        origin = origins.S3BucketOrigin.with_origin_access_control(
            self.bucket, origin_access_levels=[cf.AccessLevel.READ]
        )
        routes = cf.Function(
            self,
            "WebRoutes",
            function_name=f"{stage.prefix}-web-routes",
            comment="The web app's routes (no file extension) get /app/index.html",
            code=cf.FunctionCode.from_inline(ROUTES_FUNCTION),
            runtime=cf.FunctionRuntime.JS_2_0,
        )
        cache = cf.CachePolicy(
            self,
            "WebCache",
            cache_policy_name=f"{stage.prefix}-web-static",
            comment="The web app's files: nothing of the viewer in the key; a deploy invalidates /app/*",
            default_ttl=Duration.days(1),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.days(365),
            header_behavior=cf.CacheHeaderBehavior.none(),
            cookie_behavior=cf.CacheCookieBehavior.none(),
            query_string_behavior=cf.CacheQueryStringBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        self.headers = response_headers_policy(self, stage, users.domain.base_url())
        for path in APP_PATHS:
            distribution.add_behavior(
                path,
                origin,
                viewer_protocol_policy=cf.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cf.AllowedMethods.ALLOW_GET_HEAD,
                cached_methods=cf.CachedMethods.CACHE_GET_HEAD,
                cache_policy=cache,
                response_headers_policy=self.headers,
                compress=True,
                function_associations=[
                    cf.FunctionAssociation(function=routes, event_type=cf.FunctionEventType.VIEWER_REQUEST)
                ],
            )

        # ---- the deployment: web/src/ and the stage's config.json into app/, then /app/* invalidated.
        # Its function's role is this one, with exactly these grants (CDK's own would be s3:GetObject*, s3:List*,
        # s3:DeleteObject* and cloudfront:CreateInvalidation on *).
        deploy_logs = logs.LogGroup(
            self,
            "WebDeployLogs",
            log_group_name=f"/aws/lambda/{stage.prefix}-web-deploy",
            retention=RETENTION[stage.log_retention_days],
            encryption_key=key,
            removal_policy=retain(stage),
        )
        # a config.json of the local stack never reaches production (the stage's is written below), nor dotfiles
        # (make web's stamp)
        files = s3_assets.Asset(self, "WebFiles", path=str(WEB_SRC), exclude=["config.json", ".*", "**/.*"])
        assets = files.bucket.arn_for_objects("*")  # the bootstrap bucket's objects: web/src/ and config.json
        distribution_arn = (
            f"arn:{Aws.PARTITION}:cloudfront::{Aws.ACCOUNT_ID}:distribution/{distribution.distribution_id}"
        )
        role = iam.Role(
            self,
            "WebDeployRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{SERVICE} {stage.name}: copies web/src/ into the web app's bucket on deploy",
            inline_policies={
                "Deploy": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="OwnLogs",
                            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[deploy_logs.log_group_arn],
                        ),
                        iam.PolicyStatement(sid="ReadTheSources", actions=["s3:GetObject"], resources=[assets]),
                        iam.PolicyStatement(
                            sid="ListTheApp", actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]
                        ),
                        iam.PolicyStatement(
                            sid="WriteTheApp",
                            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                            resources=[self.bucket.arn_for_objects(f"{KEY_PREFIX}*")],
                        ),
                        iam.PolicyStatement(
                            sid="InvalidateTheApp",
                            actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
                            resources=[distribution_arn],
                        ),
                    ]
                )
            },
        )
        cfn_bucket = self.bucket.node.default_child
        if not isinstance(cfn_bucket, s3.CfnBucket):
            raise TypeError("the web app's bucket has no CfnBucket")
        bucket_id = stack.get_logical_id(cfn_bucket)
        nag.suppress(
            role,
            (
                "AwsSolutions-IAM5",
                "The deployment reads the sources CDK uploaded (the bootstrap asset bucket's objects, named by "
                "their hash at synthesis) and replaces the app's files under app/ of its bucket, whose names are "
                "web/src/'s.",
                [
                    f"Resource::<{bucket_id}.Arn>/{KEY_PREFIX}*",
                    f"Resource::{_finding(stack, assets)}",
                ],
            ),
        )
        self.deployment = s3deploy.BucketDeployment(
            self,
            "WebDeploy",
            sources=[
                s3deploy.Source.bucket(files.bucket, files.s3_object_key),
                s3deploy.Source.json_data(
                    "config.json",
                    {
                        "auth": "hosted",
                        "domain": users.domain.base_url(),
                        "clientId": users.web_client.user_pool_client_id,
                        "redirectUri": users.web_redirect_uri,
                        "logoutUri": users.web_logout_uri,
                    },
                ),
            ],
            destination_bucket=self.bucket,
            destination_key_prefix=KEY_PREFIX,
            prune=True,
            retain_on_delete=False,
            cache_control=[s3deploy.CacheControl.from_string(CACHE_CONTROL)],
            distribution=distribution,
            distribution_paths=list(APP_PATHS),
            role=role.without_policy_updates(),
            log_group=deploy_logs,
        )
        handler = _deployment_function(stack)
        cfn_handler = handler.node.default_child
        if not isinstance(cfn_handler, lambda_.CfnFunction):
            raise TypeError("the bucket-deployment function has no CfnFunction")
        cfn_handler.add_deletion_override("DependsOn")  # its Role's GetAtt orders it already (cfn-lint W3005)
        nag.suppress(
            handler,
            (
                "AwsSolutions-L1",
                "CDK's bucket-deployment function: its runtime is the one CDK's aws-s3-deployment ships and "
                "tests with, and it runs only while a deploy copies the app.",
            ),
        )
        checkov.skip(
            cfn_handler,
            ("CKV_AWS_115", "Runs once per deploy, started by CloudFormation; no concurrency to reserve"),
            ("CKV_AWS_116", "A custom-resource handler: CloudFormation sees its failure and fails the deploy"),
            ("CKV_AWS_117", "Talks only to S3 and CloudFront, public AWS endpoints; the stack has no VPC"),
            ("CKV_AWS_173", "Its only environment variable is the CA bundle's path; nothing secret to encrypt"),
        )


def _finding(stack: Stack, value: str) -> str:
    """How cdk-nag names a resource in a finding: ``Fn::Join`` flattened, ``Ref`` and pseudo parameters as
    ``<AWS::Region>``, ``Fn::GetAtt`` as ``<Id.Attr>``."""

    def render(node: object) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, dict) and "Fn::Join" in node:
            sep, parts = node["Fn::Join"]
            return str(sep).join(render(p) for p in parts)
        if isinstance(node, dict) and "Ref" in node:
            return f"<{node['Ref']}>"
        if isinstance(node, dict) and "Fn::Sub" in node:
            return re.sub(r"\$\{([^}]+)\}", r"<\1>", node["Fn::Sub"])
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            return "<" + ".".join(node["Fn::GetAtt"]) + ">"
        raise TypeError(f"cannot name {node!r} as cdk-nag does")

    return render(stack.resolve(value))


def _deployment_function(stack: Stack) -> lambda_.Function:
    """CDK's bucket-deployment handler, a singleton at the stack's root."""
    found = [c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")]
    if len(found) != 1 or not isinstance(found[0], lambda_.Function):
        raise TypeError(f"{stack.node.path}: expected one bucket-deployment function, found {found}")
    return found[0]
