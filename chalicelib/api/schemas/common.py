"""What every resource's models share: the two base classes and the field types, each defined once.

Strict (requests): no coercion, no unknown fields. Out (responses): no unknown fields.
"""
from __future__ import annotations

from ...domain import limits
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

# defer_build: a model's validator is built when it is first used, not at import. A cold Lambda
# then builds only the models of the route it serves (importing the schemas: 134 -> 105 ms).


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


# ---- ids ------------------------------------------------------------------

_ID_CHAR = r"[A-Za-z0-9_.:-]"
ID_MAX_LENGTH = 64
ID_PATTERN = rf"^{_ID_CHAR}{{1,{ID_MAX_LENGTH}}}$"  # a path parameter's whole rule, in one pattern
IDENT_PATTERN = rf"^{_ID_CHAR}+$"  # the same rule, its length given apart
Ident = Annotated[StrictStr, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=IDENT_PATTERN)]

# ---- amounts --------------------------------------------------------------

JSON_SAFE = 2**53 - 1  # the largest integer every JSON client reads exactly; limits from config are lower
Fen = Annotated[StrictInt, Field(gt=0, le=JSON_SAFE, description="amount in minor units (fen); ¥12.50 is 1250")]
SignedFen = Annotated[StrictInt, Field(description="signed amount in fen")]
NonNegativeFen = Annotated[StrictInt, Field(ge=0, le=JSON_SAFE)]
LotName = Literal["cash", "bonus"]
Points = Annotated[StrictInt, Field(ge=0, le=JSON_SAFE, description="points to spend")]
PerCustomerLimit = Annotated[StrictInt, Field(ge=1, le=limits.MAX_PER_CUSTOMER_LIMIT)]

# ---- times and texts ------------------------------------------------------

Instant = Annotated[StrictStr, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$",
                                      description="UTC, e.g. 2026-12-01T00:00:00Z")]
Text = Annotated[StrictStr, Field(min_length=1, max_length=256)]

# ---- pages ----------------------------------------------------------------

PageLimit = Annotated[int, Field(ge=1, le=100)]
Cursor = Annotated[str, Field(min_length=1, max_length=200)]
