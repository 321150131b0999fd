"""Sending a notification by e-mail through SES (locally: moto's SES, which keeps what it was sent)."""

from __future__ import annotations

from .aws import client


def send_email(sender: str, to: str, subject: str, text: str) -> str:
    """Send one plain-text e-mail; returns SES's message id (raises on refusal)."""
    response = client("ses").send_email(
        Source=sender,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
        },
    )
    return response["MessageId"]
