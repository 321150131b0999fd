"""Clients of the AWS services other than DynamoDB (EventBridge, Scheduler, SES, SQS).

One cached client per service, built on first use (boto3 stays out of the cold import), pointed at
the moto server locally (``AWS_ENDPOINT``) and at AWS itself otherwise.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .config import get_settings


@lru_cache(maxsize=8)
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    s = get_settings()
    return boto3.client(
        service,
        endpoint_url=s.aws_endpoint,
        region_name=s.region,
        config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3}),
    )
