"""One frozen Settings object read from the environment.

Everything that differs between the local stack, the tests and the cloud is
read here once; nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from .domain.points import PointsPolicy

LOCAL_WEBHOOK_SECRET = "local-webhook-secret"  # nosec B105 - the documented default of the local stack only
LOCAL_UNSUBSCRIBE_SECRET = "local-unsubscribe-secret"  # nosec B105 - the documented default of the local stack only


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    region: str
    dynamodb_endpoint: str | None
    currency: str
    max_transaction_amount: int
    max_balance: int
    spend_order: tuple[str, ...]
    max_attempts: int
    idempotency_ttl_seconds: int
    cognito_issuer: str
    cognito_audience: str
    # the SSM parameter naming the web app's sign-in client(s), whose tokens the API takes too (infra: users)
    cognito_web_client_parameter: str | None
    user_pool_id: str
    cognito_endpoint: str | None
    jwks_url: str
    webhook_secret: str | None
    webhook_secret_name: str | None
    fault_injection: bool
    rules_cache_seconds: float = 30.0
    checkout_ttl_seconds: int = 1800
    hold_ttl_seconds: int = 1800
    points: PointsPolicy = field(default_factory=PointsPolicy)
    # the event-driven side (locally all of these live in the moto server at aws_endpoint)
    aws_endpoint: str | None = None  # every AWS service's endpoint locally; None on AWS
    event_bus_name: str = "default"
    schedule_group: str = "default"
    scheduler_role_arn: str = ""  # the role EventBridge Scheduler assumes to invoke the promotions function
    promotions_function_arn: str = ""
    schedule_dlq_arn: str = ""  # where the scheduler puts an invocation it could not deliver
    promotion_max_days: int = 90  # the longest a promotion may run (also bounds the live-promotions read)
    promotion_clock_skew_seconds: int = 60  # how far in the past a promotion's start may be when it is created
    promotion_grant_page: int = 200  # table items read per page of a grant_coupon start's wallet scan
    # the analytics export (chalicelib/insight): its bucket, and on AWS the Glue database and Athena workgroup
    export_bucket: str = ""
    analytics_database: str = ""
    analytics_workgroup: str = ""
    # the table's stream; the deployed event source mapping is set by the infrastructure, so this is a
    # placeholder unless set (chalice needs an ARN when the app is imported)
    ledger_stream_arn: str = "arn:aws:dynamodb:us-east-1:000000000000:table/balance-ledger/stream/latest"
    ses_sender: str = ""  # the verified SES identity reminders are sent from ("" = no e-mail)
    topup_presets: tuple[int, ...] = (5000, 10000, 20000, 50000)
    max_body_bytes: int = 262144  # a larger request body is refused 413 before it is parsed (256 KiB)
    # marketing e-mail's unsubscribe links (chalicelib/services/marketing.py): their HMAC key, given directly or
    # by the name of its Secrets Manager secret, and the API's public URL the links point at
    unsubscribe_secret: str | None = None
    unsubscribe_secret_name: str | None = None
    public_api_url: str = ""

    @property
    def is_local(self) -> bool:
        return self.dynamodb_endpoint is not None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    pool_id = os.environ.get("COGNITO_USER_POOL_ID", "")
    issuer = os.environ.get("COGNITO_ISSUER") or f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
    spend_order = tuple(lot.strip() for lot in os.environ.get("SPEND_ORDER", "bonus,cash").split(",") if lot.strip())
    if sorted(spend_order) != ["bonus", "cash"]:
        raise ValueError("SPEND_ORDER must name the lots 'bonus' and 'cash' once each")
    return Settings(
        stage=os.environ.get("STAGE", "local"),
        table_name=os.environ.get("LEDGER_TABLE", "balance-ledger"),
        region=region,
        dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
        currency=os.environ.get("CURRENCY", "CNY"),
        max_transaction_amount=int(os.environ.get("MAX_TRANSACTION_AMOUNT", "5000000")),
        max_balance=int(os.environ.get("MAX_BALANCE", "100000000")),
        spend_order=spend_order,
        max_attempts=int(os.environ.get("MAX_TRANSACTION_ATTEMPTS", "40")),
        idempotency_ttl_seconds=int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", str(48 * 3600))),
        cognito_issuer=issuer,
        cognito_audience=os.environ.get("COGNITO_APP_CLIENT_ID", ""),
        cognito_web_client_parameter=os.environ.get("COGNITO_WEB_CLIENT_PARAMETER") or None,
        user_pool_id=pool_id,
        cognito_endpoint=os.environ.get("COGNITO_ENDPOINT") or None,
        jwks_url=os.environ.get("COGNITO_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
        webhook_secret=os.environ.get("PAYMENT_WEBHOOK_SECRET") or None,
        webhook_secret_name=os.environ.get("PAYMENT_WEBHOOK_SECRET_NAME") or None,
        fault_injection=_bool("FAULT_INJECTION"),
        rules_cache_seconds=float(os.environ.get("RULES_CACHE_SECONDS", "30")),
        checkout_ttl_seconds=int(os.environ.get("CHECKOUT_TTL_SECONDS", "1800")),
        hold_ttl_seconds=int(os.environ.get("HOLD_TTL_SECONDS", "1800")),
        aws_endpoint=os.environ.get("AWS_ENDPOINT") or os.environ.get("DYNAMODB_ENDPOINT") or None,
        event_bus_name=os.environ.get("EVENT_BUS_NAME", "default"),
        schedule_group=os.environ.get("SCHEDULE_GROUP", "default"),
        scheduler_role_arn=os.environ.get("SCHEDULER_ROLE_ARN", ""),
        promotions_function_arn=os.environ.get("PROMOTIONS_FUNCTION_ARN", ""),
        schedule_dlq_arn=os.environ.get("SCHEDULE_DLQ_ARN", ""),
        promotion_max_days=int(os.environ.get("PROMOTION_MAX_DAYS", "90")),
        promotion_clock_skew_seconds=int(os.environ.get("PROMOTION_CLOCK_SKEW_SECONDS", "60")),
        promotion_grant_page=int(os.environ.get("PROMOTION_GRANT_PAGE", "200")),
        export_bucket=os.environ.get("EXPORT_BUCKET", ""),
        analytics_database=os.environ.get("ANALYTICS_DATABASE", ""),
        analytics_workgroup=os.environ.get("ANALYTICS_WORKGROUP", ""),
        ses_sender=os.environ.get("SES_SENDER", ""),
        ledger_stream_arn=os.environ.get(
            "LEDGER_STREAM_ARN", "arn:aws:dynamodb:us-east-1:000000000000:table/balance-ledger/stream/latest"
        ),
        topup_presets=tuple(
            int(a) for a in os.environ.get("TOPUP_PRESETS", "5000,10000,20000,50000").split(",") if a.strip()
        ),
        max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", "262144")),
        unsubscribe_secret=os.environ.get("UNSUBSCRIBE_SECRET") or None,
        unsubscribe_secret_name=os.environ.get("UNSUBSCRIBE_SECRET_NAME") or None,
        public_api_url=os.environ.get("PUBLIC_API_URL", "").rstrip("/"),
        points=PointsPolicy(
            earn_per_yuan=int(os.environ.get("POINTS_PER_YUAN", "1")),
            point_value=int(os.environ.get("POINT_VALUE_FEN", "1")),
            max_share_percent=int(os.environ.get("POINTS_MAX_SHARE_PERCENT", "50")),
            return_window_days=int(os.environ.get("POINTS_RETURN_WINDOW_DAYS", "7")),
        ),
    )
