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
    """(outcome, channel, reason): the inbox notification (its id derived from the campaign's start, so a retry
    writes nothing twice), and the e-mail where the customer allows marketing e-mail (services/marketing.py).
    ``channel``: ``email`` when it was e-mailed, ``inbox_only`` when not (opted out, no address, no sender)."""
    from ..config import get_settings
    from ..domain.notifications import notification_id
    from ..domain.moments import parse_time
    from .marketing import MarketingDelivery, deliver_marketing

    m = message_of(c)
    started = parse_time(c.started_at or c.run_at)
    result = deliver_marketing(
        store,
        delivery or MarketingDelivery.from_settings(get_settings()),
        user_id,
        notification_id(dedupe_key(c), started),
        m.title,
        m.body,
        m.data,
        now,
        kind=m.type,
    )
    if result["email"] == "notification_expired":
        return "failed", None, "notification_expired"
    return "delivered", ("email" if result["email"] in ("email", "already_sent") else "inbox_only"), None
