"""In the cloud the webhook secret comes from Secrets Manager through Powertools parameters."""

from __future__ import annotations

import uuid
from dataclasses import replace

import boto3
import pytest

from chalicelib.api.signature import sign, verify_signature, webhook_secret
from chalicelib.config import get_settings
from chalicelib.domain.errors import InvalidSignature


def test_the_secret_named_in_the_settings_is_read_from_secrets_manager(moto_table, monkeypatch):
    name = f"store-balance/test/{uuid.uuid4().hex[:6]}"
    boto3.client("secretsmanager", endpoint_url=moto_table, region_name="us-east-1").create_secret(
        Name=name, SecretString="from-secrets-manager"
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_table)
    settings = replace(get_settings(), stage="prod", webhook_secret=None, webhook_secret_name=name)

    secret = webhook_secret(settings)

    assert secret == "from-secrets-manager"
    body = b'{"topup_id": "t"}'
    verify_signature(secret, body, sign("from-secrets-manager", body))
    with pytest.raises(InvalidSignature):
        verify_signature(secret, body, sign("local-webhook-secret", body))


def test_outside_the_local_stage_a_missing_secret_is_a_configuration_error():
    settings = replace(get_settings(), stage="prod", webhook_secret=None, webhook_secret_name=None)
    with pytest.raises(RuntimeError):
        webhook_secret(settings)
