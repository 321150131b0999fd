"""Users: a Cognito pool shoppers sign themselves up to; admin and service are groups operators assign."""

from __future__ import annotations

from aws_cdk import Aws, Duration, Fn, aws_cognito as cognito, aws_ssm as ssm
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
    merchant staff groups ``merchant:<id>`` are created by the API (infra/functions.py: MERCHANT_GROUPS). The web
    app's sign-in (the hosted sign-in on a Cognito prefix domain, and its own client) is added by ``add_web_client``
    once the app's host is known (infra/stacks.py)."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
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
            # no OAuth flow (CDK's default would allow implicit and code grants to https://example.com, live once
            # the pool has a sign-in domain): the hosted sign-in is the web client's alone
            disable_o_auth=True,
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

    def add_web_client(self, host: str) -> None:
        """The hosted sign-in for the web app at ``https://<host>/app/``: a Cognito prefix domain and a public client
        (no secret) that may only run the authorization-code flow (the app sends a PKCE challenge, docs/web.md),
        back to ``/app/callback`` and, after signing out, to ``/app/``. ``host`` may be a token (the distribution's
        domain name): the client then depends on the distribution, which depends on nothing of the pool's. Its id is
        also put in an SSM parameter of a literal name, where the API's functions read it (infra/concerns/roles.py)."""
        stage = self.stage
        # prefix domains are unique per region across all accounts: the account id makes the stage's one free
        self.domain = self.pool.add_domain(
            "SignIn",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=Fn.join("-", [stage.prefix, Aws.ACCOUNT_ID])),
        )
        self.web_origin = f"https://{host}"
        self.web_redirect_uri = f"{self.web_origin}/app/callback"
        self.web_logout_uri = f"{self.web_origin}/app/"
        self.web_client = self.pool.add_client(
            "Web",
            user_pool_client_name=f"{stage.prefix}-web",
            generate_secret=False,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[self.web_redirect_uri],
                logout_urls=[self.web_logout_uri],
                default_redirect_uri=self.web_redirect_uri,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )
        # no password, SRP or custom flow of the client's own: only the hosted sign-in's code, and refreshing
        client = self.web_client.node.default_child
        if not isinstance(client, cognito.CfnUserPoolClient):
            raise TypeError("the web client has no CfnUserPoolClient")
        client.explicit_auth_flows = ["ALLOW_REFRESH_TOKEN_AUTH"]
        # the API takes this client's tokens too: it reads the id from this parameter at run time, by its name alone
        # (stage.web_client_parameter_name): its environment cannot name the client, which depends on the
        # distribution, which depends on the API's functions
        self.web_client_ids = ssm.StringParameter(
            self,
            "WebClientIds",
            parameter_name=stage.web_client_parameter_name,
            string_value=self.web_client.user_pool_client_id,
            description=f"{stage.prefix}: the web app's sign-in client ids (comma-separated) the API accepts tokens of",
            tier=ssm.ParameterTier.STANDARD,
        )
