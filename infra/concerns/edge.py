"""CloudFront in front of the API: HTTPS only, nothing private cached, public GETs cached, the WAF ACL
(infra/stacks.py: EdgeStack, us-east-1) attached, access logs to S3."""

from __future__ import annotations

from typing import Any

from aws_cdk import (
    Aws,
    Duration,
    Fn,
    RemovalPolicy,
    aws_certificatemanager as acm,
    aws_cloudfront as cf,
    aws_cloudfront_origins as origins,
    aws_s3 as s3,
    aws_secretsmanager as sm,
)
from constructs import Construct

from ..stages import SERVICE, Stage
from . import checkov, nag
from .base import Concern, root

PUBLIC_PATHS = ("/v1/openapi.json", "/v1/public/*")  # cacheable: public GETs only (tests/infra checks)


class Edge(Concern):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: Stage,
        rest_api_id: str,
        origin_key: sm.ISecret,
        web_acl_arn: str,
        domain_name: str | None = None,
        certificate_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # S3 server access logs (the web app's bucket, infra/concerns/web.py) are delivered into the log bucket as
        # its policy allows, not by an ACL on it (CDK's feature flag, for this concern's bucket only)
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.log_bucket = log_bucket = s3.Bucket(
            self,
            "EdgeLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,  # CloudFront standard logs need ACLs
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(stage.access_log_days))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.suppress(
            log_bucket,
            (
                "AwsSolutions-S1",
                "This bucket is the access-log destination; logging its own access would log into itself.",
            ),
        )
        checkov.skip(
            log_bucket,
            ("CKV_AWS_18", "This bucket is the access-log destination; logging its own access would log into itself"),
            (
                "CKV_AWS_21",
                "Access logs, written once by CloudFront and expired by the lifecycle rule; "
                "versions would keep what the rule expires",
            ),
        )
        origin = origins.HttpOrigin(
            Fn.join("", [rest_api_id, ".execute-api.", Aws.REGION, ".", Aws.URL_SUFFIX]),
            origin_path=f"/{stage.api_stage}",
            protocol_policy=cf.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cf.OriginSslPolicy.TLS_V1_2],
            read_timeout=Duration.seconds(30),
            custom_headers={"x-api-key": origin_key.secret_value.unsafe_unwrap()},
        )
        private = cf.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cf.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cf.AllowedMethods.ALLOW_ALL,
            cache_policy=cf.CachePolicy.CACHING_DISABLED,
            # with caching disabled, the managed all-viewer policy forwards Authorization too
            origin_request_policy=cf.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=cf.ResponseHeadersPolicy.SECURITY_HEADERS,
            compress=True,
        )
        public_cache = cf.CachePolicy(
            self,
            "PublicCache",
            cache_policy_name=f"{stage.prefix}-public-get",
            comment="Public GET routes: no headers, cookies or query strings in the key",
            default_ttl=Duration.minutes(5),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.hours(1),
            header_behavior=cf.CacheHeaderBehavior.none(),
            cookie_behavior=cf.CacheCookieBehavior.none(),
            query_string_behavior=cf.CacheQueryStringBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        public = cf.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cf.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cf.AllowedMethods.ALLOW_GET_HEAD,
            cached_methods=cf.CachedMethods.CACHE_GET_HEAD,
            cache_policy=public_cache,
            response_headers_policy=cf.ResponseHeadersPolicy.SECURITY_HEADERS,
            compress=True,
        )
        custom_domain: dict[str, Any] = {}
        if domain_name and certificate_arn:
            custom_domain = {
                "domain_names": [domain_name],
                "certificate": acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
                "minimum_protocol_version": cf.SecurityPolicyProtocol.TLS_V1_2_2021,
            }
        # at the stack's root: CloudFront's origin id is made from the distribution's path (infra/concerns/base.py)
        self.distribution = cf.Distribution(
            root(self),
            "Edge",
            comment=f"{SERVICE} {stage.name}",
            default_behavior=private,
            additional_behaviors={path: public for path in PUBLIC_PATHS},
            http_version=cf.HttpVersion.HTTP2_AND_3,
            enable_ipv6=True,
            price_class=getattr(cf.PriceClass, stage.price_class),
            web_acl_id=web_acl_arn,
            enable_logging=True,
            log_bucket=log_bucket,
            log_file_prefix="cloudfront/",
            **custom_domain,
        )
        nag.suppress(
            self.distribution,
            ("AwsSolutions-CFR1", "Shoppers may be anywhere; access is decided per user by Cognito, not per country."),
        )
        if not custom_domain:
            nag.suppress(
                self.distribution,
                (
                    "AwsSolutions-CFR4",
                    "Without a custom domain CloudFront serves its default *.cloudfront.net "
                    "certificate, whose minimum TLS version cannot be set; pass domainName and "
                    "certificateArn to get TLSv1.2_2021.",
                ),
            )
            checkov.skip(
                self.distribution,
                (
                    "CKV_AWS_174",
                    "No custom domain: CloudFront's default *.cloudfront.net certificate, whose minimum TLS "
                    "version cannot be set; with domainName and certificateArn it is TLSv1.2_2021",
                ),
            )
