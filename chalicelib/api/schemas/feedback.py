"""Feedback: a customer rates one of their own transactions; operators list it."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import ConfigDict, Field, StrictInt, StrictStr, model_validator
from pydantic.config import JsonDict

from .common import CURSOR_DESCRIPTION, ID_MAX_LENGTH, IDENT_PATTERN, Ident, Out, PageLimit, Strict, UtcDay


SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Slug = Annotated[
    StrictStr,
    Field(min_length=1, max_length=32, pattern=SLUG_PATTERN, description="a short lowercase slug, e.g. wrong-amount"),
]
Rating = Annotated[StrictInt, Field(ge=1, le=5, description="1 (worst) to 5 (best)")]


SUBJECTS = ("payment_id", "topup_id", "entry_id")
# the validator's rule below, for the document: one subject named, the other two left out or null
_ONE_SUBJECT: JsonDict = {
    "anyOf": [
        {
            "required": [named],
            "properties": {n: {"type": "string"} if n == named else {"type": "null"} for n in SUBJECTS},
        }
        for named in SUBJECTS
    ]
}


class FeedbackRequest(Strict):
    """Exactly one of ``payment_id``, ``topup_id``, ``entry_id``: the caller's own transaction."""

    model_config = ConfigDict(json_schema_extra=_ONE_SUBJECT)

    payment_id: Optional[Ident] = None
    topup_id: Optional[Ident] = None
    entry_id: Optional[Ident] = None
    rating: Rating
    tags: Annotated[
        list[Slug],
        Field(max_length=10, description="at most 10, each named once", json_schema_extra={"uniqueItems": True}),
    ] = []
    comment: Optional[Annotated[StrictStr, Field(min_length=1, max_length=1000)]] = None

    @model_validator(mode="after")
    def _one_subject(self) -> "FeedbackRequest":
        named = [n for n in SUBJECTS if getattr(self, n) is not None]
        if len(named) != 1:
            raise ValueError("name exactly one of payment_id, topup_id, entry_id")
        if len(set(self.tags)) != len(self.tags):
            raise ValueError("a tag is named twice")
        if self.comment is not None:
            try:
                self.comment.encode("utf-8")
            except UnicodeEncodeError as exc:  # a lone UTF-16 surrogate escaped in the JSON
                raise ValueError("comment is not valid text") from exc
        return self

    @property
    def subject(self) -> tuple[str, str]:
        for kind, name in (("payment", "payment_id"), ("topup", "topup_id"), ("entry", "entry_id")):
            value = getattr(self, name)
            if value is not None:
                return kind, value
        raise AssertionError("validated: exactly one subject")


class FeedbackQuery(Strict):
    rating_lte: Optional[Annotated[int, Field(ge=1, le=5)]] = None
    tag: Optional[Annotated[str, Field(min_length=1, max_length=32, pattern=SLUG_PATTERN)]] = None
    merchant_id: Optional[Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=IDENT_PATTERN)]] = None
    from_: Optional[UtcDay] = Field(None, alias="from")
    to: Optional[UtcDay] = None
    limit: PageLimit = 20
    cursor: Optional[Annotated[str, Field(min_length=1, max_length=500, description=CURSOR_DESCRIPTION)]] = None

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True, populate_by_name=False)


class FeedbackSubject(Out):
    kind: Literal["payment", "topup", "entry"]
    id: str


class FeedbackOut(Out):
    feedback_id: str
    subject: FeedbackSubject
    rating: int
    tags: list[str]
    comment: Optional[str]
    merchant_id: Optional[str] = Field(description="the payment's merchant (also an entry's that names one)")
    created_at: str


class FeedbackItemOut(FeedbackOut):
    user_id: str


class FeedbackPage(Out):
    items: list[FeedbackItemOut]
    next_cursor: Optional[str] = Field(
        description="null at the end; a page may be short (even empty) while more months remain to read"
    )
