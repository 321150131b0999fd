"""Marketing e-mail: the customer's consent in the wallet's settings, and the unsubscribe link's request and answer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictStr

from .common import Out, Strict

UNSUBSCRIBE_TOKEN_MAX_LENGTH = 512  # a token the app signs is about 145 characters (docs/marketing.md)


class MarketingIn(Strict):
    email: StrictBool = Field(
        description="marketing e-mail (campaigns) wanted; false: none is sent. Reminders are not marketing: "
        "they follow `reminders` alone"
    )


class MarketingOut(Out):
    email: bool = Field(
        description="consent to marketing e-mail: true until the customer turns it off (opt-out), here or by an "
        "e-mail's unsubscribe link; e-mail goes only to `reminders.email`, so none is sent without one"
    )


class UnsubscribeQuery(Strict):
    token: Annotated[StrictStr, Field(min_length=1, max_length=UNSUBSCRIBE_TOKEN_MAX_LENGTH)] = Field(
        description="the signed token of a marketing e-mail's unsubscribe link (only a token this service "
        "signed is one: any other is refused 400 `invalid_unsubscribe_token`, an expired one "
        "`unsubscribe_token_expired`)"
    )


class UnsubscribeOut(Out):
    status: Literal["unsubscribed", "already_unsubscribed"] = Field(
        description="unsubscribed: marketing e-mail was on and is now off; already_unsubscribed: it was off "
        "already (a second use of a link, or a click after turning it off), nothing changed"
    )
    marketing: MarketingOut
    message: str = Field(description="what happened, in words a person reading the page understands")
