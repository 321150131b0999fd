"""Surveys: a ``survey`` campaign's question in the treated members' inboxes, and their answers.

A customer answers a survey they were delivered, once: the answer is written on their campaign membership,
conditioned on the survey having reached them and on no answer being there (a second answer is 409
``survey_answered``). The stream publishes ``survey.answered`` (so answers reach the export beside the
ratings of payments), and the campaign shows the answers by segment and by frequency class.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..domain import access
from ..domain.campaigns import Campaign
from ..domain.errors import Forbidden, InvalidRequest, NotFound, PaymentStateConflict
from ..domain.model import Principal
from ..domain.moments import format_time
from ..observability import capture_method
from . import clock
from .ports import Campaigns, Profiles


def _survey(campaigns: Campaigns, survey_id: str, user_id: str) -> tuple[Campaign, dict[str, Any]]:
    c = campaigns.get_campaign(survey_id)
    m = campaigns.get_membership(survey_id, user_id) if c is not None and c.action["kind"] == "survey" else None
    if c is None or m is None or m.get("outcome") != "delivered":  # a survey is visible to those it reached
        raise NotFound("survey", survey_id)
    return c, m


@capture_method
def answer(
    campaigns: Campaigns, profiles: Profiles, principal: Principal, survey_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    if not access.is_customer(principal):
        raise Forbidden("surveys are answered by the customers they were sent to")
    c, m = _survey(campaigns, survey_id, principal.user_id)
    if m.get("answer") is not None:
        raise PaymentStateConflict("survey_answered", "this survey was answered already", answer=m["answer"])
    choice, comment = body["choice"], body.get("comment")
    if choice not in c.action["choices"]:
        raise InvalidRequest(
            "the choice is not one of the survey's", code="invalid_choice", field="choice", choices=c.action["choices"]
        )
    if comment is not None and not c.action.get("allow_comment"):
        raise InvalidRequest("this survey takes no comment", code="comment_not_allowed", field="comment")
    profile = profiles.get_profile(principal.user_id) or {}
    frequency_class = str(profile.get("frequency_class") or "unknown")
    at = format_time(clock.now())
    if not campaigns.answer(survey_id, principal.user_id, choice, comment, frequency_class, at):
        raise PaymentStateConflict("survey_answered", "this survey was answered already")
    return {
        "survey_id": survey_id,
        "choice": choice,
        "comment": comment,
        "answered_at": at,
    }


def distribution(c: Campaign, memberships: list[dict[str, Any]]) -> dict[str, Any]:
    """A survey's answers: how many of the delivered answered, each choice's count overall, by segment (the one
    the member was targeted in) and by frequency class (when they answered)."""
    answered = [m for m in memberships if m.get("answer")]
    by_segment: dict[str, Counter[str]] = {}
    by_class: dict[str, Counter[str]] = {}
    for m in answered:
        choice = m["answer"]["choice"]
        by_segment.setdefault(m.get("segment") or c.segment, Counter())[choice] += 1
        by_class.setdefault(m["answer"].get("frequency_class") or "unknown", Counter())[choice] += 1
    choices = list(c.action["choices"])

    def counts(counter: Counter[str]) -> dict[str, int]:
        return {choice: counter.get(choice, 0) for choice in choices}

    return {
        "delivered": sum(1 for m in memberships if m.get("outcome") == "delivered"),
        "answered": len(answered),
        "choices": counts(Counter(m["answer"]["choice"] for m in answered)),
        "by_segment": {k: counts(v) for k, v in sorted(by_segment.items())},
        "by_frequency_class": {k: counts(v) for k, v in sorted(by_class.items())},
        "comments": sum(1 for m in answered if m["answer"].get("comment")),
    }
