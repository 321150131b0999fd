"""What every resource's models share: the two base classes and the field types, each defined once.

Strict (requests): no coercion, no unknown fields. Out (responses): no unknown fields.
"""

from __future__ import annotations

from datetime import datetime

from ...domain import limits
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from ..ids import ID_MAX_LENGTH, ID_PATTERN, IDENT_PATTERN  # noqa: F401 - ID_PATTERN: the models' modules use it

# defer_build: a model's validator is built when it is first used, not at import. A cold Lambda
# then builds only the models of the route it serves (importing the schemas: 134 -> 105 ms).


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


# ---- ids ------------------------------------------------------------------

# the id rule is chalicelib/api/ids.py's (ID_PATTERN, ID_MAX_LENGTH, IDENT_PATTERN), imported above
Ident = Annotated[StrictStr, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=IDENT_PATTERN)]

# ---- amounts --------------------------------------------------------------

JSON_SAFE = 2**53 - 1  # the largest integer every JSON client reads exactly; limits from config are lower
Fen = Annotated[StrictInt, Field(gt=0, le=JSON_SAFE, description="amount in minor units (fen); ¥12.50 is 1250")]
SignedFen = Annotated[StrictInt, Field(description="signed amount in fen")]

# An amount that moves money in one transaction: the use case refuses one above the configured
# MAX_TRANSACTION_AMOUNT (400 amount_exceeds_limit, a code of its own, so the model's own bound stays JSON_SAFE).
# The document states the configured limit: openapi.py writes it in place of this mark (maximum, and for a signed
# amount minimum = -limit too).
TRANSACTION_LIMIT = "x-transaction-limit"
TransactionFen = Annotated[
    StrictInt,
    Field(
        gt=0,
        le=JSON_SAFE,
        json_schema_extra={TRANSACTION_LIMIT: True},
        description="amount in minor units (fen); ¥12.50 is 1250; at most the per-transaction limit",
    ),
]
NonNegativeFen = Annotated[StrictInt, Field(ge=0, le=JSON_SAFE)]
LotName = Literal["cash", "bonus"]
Points = Annotated[StrictInt, Field(ge=0, le=JSON_SAFE, description="points to spend")]
PerCustomerLimit = Annotated[StrictInt, Field(ge=1, le=limits.MAX_PER_CUSTOMER_LIMIT)]

# ---- times and texts ------------------------------------------------------

# Years 0001-9999 (the years a time can be computed in), months 01-12, days 01-31, 00:00:00-23:59:59: the
# pattern's ranges; a day the month lacks (February 30th) is refused after it, as format date-time refuses it.
_YEAR = r"([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_DAY = r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
INSTANT_PATTERN = rf"^{_YEAR}-{_DAY}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{{1,6}})?Z$"


def _a_real_instant(value: str) -> str:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not a time: {exc}") from None
    return value


Instant = Annotated[
    StrictStr,
    Field(
        pattern=INSTANT_PATTERN, json_schema_extra={"format": "date-time"}, description="UTC, e.g. 2026-12-01T00:00:00Z"
    ),
    AfterValidator(_a_real_instant),
]
Text = Annotated[StrictStr, Field(min_length=1, max_length=256)]

# The model takes the shape; a query refuses (domain/moments.py parse_day) a day the calendar lacks or
# outside 2000-2999 (400 invalid_date).
# The document says all of it: format date, and a pattern of those years.
DAY_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
UtcDay = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        json_schema_extra={"pattern": DAY_PATTERN, "format": "date"},
        description="a UTC day, YYYY-MM-DD (inclusive), 2000-01-01 to 2999-12-31",
    ),
]

# ---- pages ----------------------------------------------------------------

PageLimit = Annotated[int, Field(ge=1, le=100)]
CURSOR_DESCRIPTION = (
    "opaque: the next_cursor of the previous page, sent back unchanged (any other is refused, 400 invalid_cursor)"
)
Cursor = Annotated[str, Field(min_length=1, max_length=200, description=CURSOR_DESCRIPTION)]
