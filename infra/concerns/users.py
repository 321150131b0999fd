"""Users: a Cognito pool shoppers sign themselves up to; admin and service are groups operators assign."""

from __future__ import annotations

from aws_cdk import Duration, aws_cognito as cognito
from constructs import Construct

from ..stages import Stage
from . import nag
from .base import Concern, retain

GROUPS = (
    ("admin", "Operators: any wallet, adjustments, merchants, reconciliation"),
    ("service", "Order services: pay and refund on behalf of customers"),
)


class Users(Concern):
    """The pool (e-mail sign-in, strong passwords, optional TOTP), its app client and the fixed groups;
    merchant staff groups ``merchant:<id>`` are created by the API (infra/functions.py: MERCHANT_GROUPS)."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage) -> None:
        super().__init__(scope, construct_id)
        self.pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=stage.prefix,
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=stage.production,
            removal_policy=retain(stage),
        )
        nag.suppress(
            self.pool,
            (
                "AwsSolutions-COG2",
                "MFA is offered (TOTP) and left to each shopper; requiring it for every "
                "shopper is a product decision, not an infrastructure default.",
            ),
            (
                "AwsSolutions-COG8",
                "Threat protection (the Plus feature plan) is billed per active user; "
                "switch feature_plan to PLUS when the fraud risk calls for it.",
            ),
        )
        self.client = self.pool.add_client(
            "App",
            user_pool_client_name=f"{stage.prefix}-app",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )
        for precedence, (group, description) in enumerate(GROUPS):
            cognito.CfnUserPoolGroup(
                self,
                f"Group{group.title()}",
                user_pool_id=self.pool.user_pool_id,
                group_name=group,
                description=description,
                precedence=precedence,
            )
