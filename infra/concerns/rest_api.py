"""The REST API chalice packages, secured: API key (CloudFront only), Cognito authorizer on private routes,
gateway responses in the error envelope, throttling, tracing and access logs."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import (
    Fn,
    aws_apigateway as apigw,
    aws_cognito as cognito,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_secretsmanager as sm,
)
from chalice.cdk import Chalice
from constructs import Construct

from ..api import route_access, secure_swagger
from ..stages import Stage
from . import checkov, nag
from .base import RETENTION, Concern, retain

API_ACCESS_LOG = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "time": "$context.requestTime",
    "method": "$context.httpMethod",
    "path": "$context.resourcePath",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",
    "integrationMs": "$context.integration.latency",
    "error": "$context.error.message",
    "authorizerError": "$context.authorizer.error",
    "user": "$context.authorizer.claims.sub",
    "xrayTraceId": "$context.xrayTraceId",
}


class RestApi(Concern):
    """Chalice's ``RestAPI`` told its security, and what API Gateway needs around it: the account's logging
    role, the API key only CloudFront knows (from the origin key secret) and the usage plan that requires it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: Stage,
        app: Chalice,
        user_pool: cognito.IUserPool,
        origin_key: sm.ISecret,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rest = rest = app.get_resource("RestAPI")
        sam = json.loads((Path(app._sam_package_dir) / "sam.json").read_text())
        swagger = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
        rest.add_property_override("DefinitionBody", secure_swagger(swagger, user_pool.user_pool_arn, route_access()))
        rest.add_property_override("Name", stage.prefix)
        checkov.skip(
            rest,
            (
                "CKV_AWS_120",
                "No API Gateway cache (billed per hour): CloudFront caches the public GETs "
                "(infra/concerns/edge.py PUBLIC_PATHS); every other answer is per user",
            ),
        )

        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            log_group_name=f"/aws/apigateway/{stage.prefix}",
            retention=RETENTION[stage.log_retention_days],
            removal_policy=retain(stage),
            encryption_key=key,
        )  # the key lets CloudWatch Logs use it (infra/concerns/keys.py)
        rest.add_property_override(
            "AccessLogSetting", {"DestinationArn": access_logs.log_group_arn, "Format": json.dumps(API_ACCESS_LOG)}
        )
        rest.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "LoggingLevel": "ERROR",
                    "MetricsEnabled": True,
                    "DataTraceEnabled": False,
                    "ThrottlingRateLimit": stage.api_rate_limit,
                    "ThrottlingBurstLimit": stage.api_burst_limit,
                }
            ],
        )
        rest.add_property_override("TracingEnabled", True)

        # API Gateway writes execution and access logs only with an account-level CloudWatch role.
        logs_role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        nag.suppress(
            logs_role,
            (
                "AwsSolutions-IAM4",
                "AWS's own policy for API Gateway's account-level logging "
                "role; it is the documented way to let API Gateway log.",
                ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"],
            ),
        )
        account = apigw.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=logs_role.role_arn)
        rest.node.add_dependency(account)

        # Only CloudFront knows the key: the API refuses any request that does not come through it.
        # Name and value are create-only: a new generation replaces the key (and its usage plan key).
        api_key = apigw.CfnApiKey(
            self,
            "CloudFrontApiKey",
            enabled=True,
            name=f"{stage.prefix}-cloudfront-{stage.origin_key_generation}",
            description="Sent by CloudFront as x-api-key on every origin request",
            value=origin_key.secret_value.unsafe_unwrap(),
        )
        plan = apigw.CfnUsagePlan(
            self,
            "CloudFrontUsagePlan",
            usage_plan_name=f"{stage.prefix}-cloudfront",
            api_stages=[apigw.CfnUsagePlan.ApiStageProperty(api_id=rest.ref, stage=Fn.ref("RestAPI.Stage"))],
            throttle=apigw.CfnUsagePlan.ThrottleSettingsProperty(
                rate_limit=stage.api_rate_limit, burst_limit=stage.api_burst_limit
            ),
        )
        nag.suppress(
            plan,
            (
                "CloudFormation-Validate::F1020",
                "'RestAPI.Stage' is the stage AWS::Serverless::Api "
                "creates; the SAM transform resolves it at deploy (and "
                "cfn-lint, which applies the transform, accepts it).",
            ),
        )
        apigw.CfnUsagePlanKey(
            self, "CloudFrontUsagePlanKey", key_id=api_key.ref, key_type="API_KEY", usage_plan_id=plan.ref
        )

    @property
    def ref(self) -> str:
        return self.rest.ref
