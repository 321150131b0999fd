"""Survey routes (the customers a survey reached): answer it, once."""

from __future__ import annotations

from chalice import Blueprint

from ..services import surveys
from .. import bootstrap
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/surveys/{survey_id}/answers",
    "POST",
    name="answerSurvey",
    summary="Answer a survey from the inbox, once (the customers it reached; a second answer: 409 survey_answered)",
    access="user",
    body="surveys.AnswerIn",
    response="surveys.AnswerOut",
    status=201,
    tag="campaigns",
)
def answer(call: Call, survey_id: str) -> dict:
    return surveys.answer(
        bootstrap.campaign_store(), bootstrap.profile_store(), call.caller, survey_id, call.body.model_dump()
    )
