"""The user pool's side of the service: merchant groups.

A merchant's staff are the users of the Cognito group ``merchant:<merchant_id>``
(chalicelib.domain.model.Principal.merchant_ids). The group is created when an
operator creates the merchant (PUT /v1/admin/merchants/{id}); operators then add
staff to it with Cognito's own AdminAddUserToGroup.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .config import Settings
from .domain.errors import Unavailable
from .domain.model import MERCHANT_GROUP_PREFIX
from .observability import logger


def merchant_group(merchant_id: str) -> str:
    return f"{MERCHANT_GROUP_PREFIX}{merchant_id}"


@lru_cache(maxsize=4)
def _client(endpoint: str | None, region: str) -> Any:
    import boto3

    return boto3.client("cognito-idp", endpoint_url=endpoint, region_name=region)


def ensure_merchant_group(settings: Settings, merchant_id: str) -> str | None:
    """Create the merchant's staff group if it does not exist; None when no user pool is configured."""
    if not settings.user_pool_id:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    group = merchant_group(merchant_id)
    try:
        _client(settings.cognito_endpoint, settings.region).create_group(
            UserPoolId=settings.user_pool_id,
            GroupName=group,
            Description=f"Staff of merchant {merchant_id}: may read and refund its payments",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "GroupExistsException":
            logger.exception("could not create the merchant group", extra={"group": group})
            raise Unavailable("the user directory is unavailable; retry") from exc
    except BotoCoreError as exc:
        logger.exception("could not reach the user directory", extra={"group": group})
        raise Unavailable("the user directory is unavailable; retry") from exc
    return group
