"""What differs between the deployed stages, in one place."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "store-balance"
STAGES = ("dev", "prod")
EDGE_REGION = "us-east-1"  # CloudFront-scoped WAF web ACLs (and certificates) live only here
DEFAULT_REGION = "ap-southeast-1"


@dataclass(frozen=True)
class Stage:
    name: str
    production: bool
    log_retention_days: int  # Lambda, API access logs
    access_log_days: int  # CloudFront access logs in S3
    api_rate_limit: int  # API Gateway stage: steady requests per second...
    api_burst_limit: int  # ...and burst, so a flood cannot take the account's Lambda concurrency
    waf_rate_limit: int  # requests per client IP per 5 minutes before WAF blocks it
    waf_blocked_alarm_percent: int  # share of requests WAF blocks (15 minutes) that raises the edge alarm
    price_class: str  # CloudFront price class (aws_cloudfront.PriceClass member)
    # CloudFront's origin key: raise by one and deploy to rotate it (README: Deployment). Only ever up.
    origin_key_generation: int = 1
    # the SES identity (an address or a domain) the operator verified for reminder e-mail; None: no e-mail.
    # The CDK context sesSender (make deploy SES_SENDER=...) overrides it.
    ses_sender: str | None = None
    # Athena cancels a query of the analytics workgroup once it has scanned this many GiB (a runaway query's bill)
    analytics_query_limit_gib: int = 10

    @property
    def prefix(self) -> str:
        return f"{SERVICE}-{self.name}"

    @property
    def chalice(self) -> dict:
        """The stage's block of .chalice/config.json (table name, secret name, sizes)."""
        config = json.loads((ROOT / ".chalice" / "config.json").read_text())
        return config["stages"][self.name]

    @property
    def table_name(self) -> str:
        return self.chalice["environment_variables"]["LEDGER_TABLE"]

    @property
    def webhook_secret_name(self) -> str:
        return self.chalice["environment_variables"]["PAYMENT_WEBHOOK_SECRET_NAME"]

    @property
    def unsubscribe_secret_name(self) -> str:
        return self.chalice["environment_variables"]["UNSUBSCRIBE_SECRET_NAME"]

    @property
    def web_client_parameter_name(self) -> str:
        """The SSM String parameter holding the web app's sign-in client id(s), comma-separated: the API reads it
        at run time (COGNITO_WEB_CLIENT_PARAMETER) to accept their tokens too. A literal name, so that the functions
        need no reference to the web client, whose callback names the distribution in front of them."""
        return f"/{self.prefix}/web-client-ids"

    @property
    def api_stage(self) -> str:
        return self.chalice["api_gateway_stage"]


STAGE_SETTINGS = {
    "dev": Stage(
        "dev",
        production=False,
        log_retention_days=14,
        access_log_days=30,
        api_rate_limit=50,
        api_burst_limit=100,
        waf_rate_limit=1000,
        waf_blocked_alarm_percent=20,
        price_class="PRICE_CLASS_100",
    ),
    "prod": Stage(
        "prod",
        production=True,
        log_retention_days=90,
        access_log_days=365,
        api_rate_limit=500,
        api_burst_limit=1000,
        waf_rate_limit=3000,
        waf_blocked_alarm_percent=5,
        price_class="PRICE_CLASS_ALL",
    ),
}
