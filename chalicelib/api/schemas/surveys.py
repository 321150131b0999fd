"""Surveys: a customer's answer to a survey campaign's question (docs/campaigns.md)."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field, StrictStr

from .common import Out, Strict


class AnswerIn(Strict):
    choice: Annotated[StrictStr, Field(min_length=1, max_length=80, description="one of the survey's choices")]
    comment: Optional[Annotated[StrictStr, Field(min_length=1, max_length=1000)]] = Field(
        None, description="only where the survey allows one"
    )


class AnswerOut(Out):
    survey_id: str
    choice: str
    comment: Optional[str]
    answered_at: str
