"""The stage's customer managed key and its secrets: the payment webhook's key, the unsubscribe links' key and
CloudFront's origin key."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack, aws_iam as iam, aws_kms as kms, aws_secretsmanager as sm
from constructs import Construct

from ..stages import SERVICE, Stage
from . import nag
from .base import Concern, retain


class KeysAndSecrets(Concern):
    """One key (the alarm topic, the secrets, the log groups and, in prod, the ledger) and the three secrets."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "ServiceKey",
            alias=f"alias/{stage.prefix}",
            enable_key_rotation=True,
            description=f"{SERVICE} {stage.name}: ledger, secrets and alarm topic",
            pending_window=Duration.days(30 if stage.production else 7),
            removal_policy=retain(stage),
        )
        # CloudWatch alarms publish to the encrypted topic only if the key lets CloudWatch use it
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
        # CloudWatch Logs encrypts the stage's log groups (the functions', the API's access logs) with the key,
        # for those groups only: the encryption context names the group (AWS's documented key policy)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsEncryptTheStagesLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{Stack.of(self).region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            self.log_group_arn(f"/aws/lambda/{stage.prefix}-*"),
                            self.log_group_arn(f"/aws/apigateway/{stage.prefix}"),
                        ]
                    }
                },
            )
        )

        self.webhook_secret = sm.Secret(
            self,
            "WebhookSecret",
            secret_name=stage.webhook_secret_name,
            encryption_key=self.key,
            description="HMAC key shared with the payment provider; put the provider's value after deploying",
            generate_secret_string=sm.SecretStringGenerator(exclude_punctuation=True, password_length=48),
            removal_policy=retain(stage),
        )
        nag.suppress(
            self.webhook_secret,
            (
                "AwsSolutions-SMG4",
                "The webhook key is issued by the payment provider; it is rotated when the "
                "provider rotates it (put-secret-value), and the app re-reads it within 5 minutes "
                "(Powertools parameters cache).",
            ),
        )

        # The HMAC key of marketing e-mail's unsubscribe links (chalicelib/services/marketing.py), generated here
        # and never shared. Rotating: put "<new> <old>" (the first signs, each verifies) so links already sent keep
        # working, and "<new>" alone once the old links have expired (365 days, docs/marketing.md).
        self.unsubscribe_secret = sm.Secret(
            self,
            "UnsubscribeSecret",
            secret_name=stage.unsubscribe_secret_name,
            encryption_key=self.key,
            description="HMAC key of marketing e-mail's unsubscribe links; several keys separated by spaces rotate it",
            generate_secret_string=sm.SecretStringGenerator(exclude_punctuation=True, password_length=48),
            removal_policy=retain(stage),
        )
        nag.suppress(
            self.unsubscribe_secret,
            (
                "AwsSolutions-SMG4",
                "A rotation function would invalidate every unsubscribe link already sent; it is rotated "
                "by hand with both keys in the secret (the first signs, each verifies), and the app re-reads "
                "it within 5 minutes (Powertools parameters cache).",
            ),
        )

        # The key is resolved into the API key and CloudFront's origin header at deploy time, so a new value
        # in the same secret would go unnoticed (the template would not change). Rotating is a new generation
        # instead (stage.origin_key_generation + 1, deployed): a new secret with a new value, a new API key added
        # to the usage plan, CloudFront updated; the old key is removed only after, in CloudFormation's
        # cleanup, so edges still sending it are served meanwhile. Nothing to keep: the old secret goes.
        self.origin_key = sm.Secret(
            self,
            f"OriginKey{stage.origin_key_generation}",
            encryption_key=self.key,
            secret_name=f"{SERVICE}/{stage.name}/cloudfront-origin-key-{stage.origin_key_generation}",
            description="API key CloudFront adds to every origin request; the API refuses requests without it",
            generate_secret_string=sm.SecretStringGenerator(exclude_punctuation=True, password_length=40),
            removal_policy=RemovalPolicy.DESTROY,
        )
        nag.suppress(
            self.origin_key,
            (
                "AwsSolutions-SMG4",
                "Rotated by deploying a new generation (infra/stages.py origin_key_generation): "
                "the value lives in the API key and CloudFront's origin header, which a Secrets "
                "Manager rotation function could not update; see README.",
            ),
        )

    @staticmethod
    def log_group_arn(name: str) -> str:
        return f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:{name}"
