"""HMAC signatures of the payment provider's webhooks."""

from __future__ import annotations

import hashlib
import hmac

from ..config import LOCAL_WEBHOOK_SECRET, Settings
from ..domain.errors import InvalidSignature


def webhook_secret(settings: Settings) -> str:
    """The shared secret: from Secrets Manager (cached 5 min) in the cloud, the environment locally."""
    if settings.webhook_secret_name:
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_secret(settings.webhook_secret_name, max_age=300))
    if settings.webhook_secret:
        return settings.webhook_secret
    if settings.stage == "local":
        return LOCAL_WEBHOOK_SECRET
    raise RuntimeError("no webhook secret is configured")


def sign(secret: str, raw_body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, raw_body: bytes, header: str | None) -> None:
    """Raise InvalidSignature unless ``header`` is the HMAC-SHA256 of exactly ``raw_body``."""
    if not header or not header.startswith("sha256="):
        raise InvalidSignature("X-Signature must be 'sha256=<hex HMAC-SHA256 of the body>'")
    if not hmac.compare_digest(sign(secret, raw_body), "sha256=" + header[7:].strip().lower()):
        raise InvalidSignature("the signature does not match the body")
