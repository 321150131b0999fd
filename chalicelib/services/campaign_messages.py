"""A campaign's messages: the ``notify`` and ``survey`` actions put one notification in the member's inbox (once:
its dedupe key is the campaign's) and e-mail it where the customer allows marketing e-mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.campaigns import Campaign
from ..domain.notifications import Message
from .ports import CampaignActionStore


def message_of(c: Campaign) -> Message:
    a = c.action
    if a["kind"] == "survey":
        return Message(
            type="survey",
            title=a["question"],
            body=" / ".join(a["choices"]),
            data={
                "campaign_id": c.campaign_id,
                "survey_id": c.campaign_id,
                "question": a["question"],
                "choices": list(a["choices"]),
                "allow_comment": bool(a.get("allow_comment", False)),
            },
            email=False,
        )
    return Message(type="campaign", title=a["title"], body=a["body"], data={"campaign_id": c.campaign_id}, email=False)


def dedupe_key(c: Campaign) -> str:
    return f"campaign:{c.campaign_id}"


def notify_member(
    store: CampaignActionStore, c: Campaign, user_id: str, now: datetime, delivery: Any = None
) -> tuple[str, str | None, str | None]:
    """(outcome, channel, reason): the inbox notification, and the e-mail where allowed."""
    from .reminders import Delivery, notify

    result = notify(
        store, delivery or Delivery(sender="", send=_no_mail), user_id, dedupe_key(c), message_of(c), None, now
    )
    if result["notification_id"] is None:
        return "failed", None, "notification_expired"
    return "delivered", "inbox_only", None


def _no_mail(sender: str, to: str, subject: str, text: str) -> str:
    raise RuntimeError("no e-mail is sent without a sender")
