"""The health check, and the error envelope every route answers with on failure."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import Out


class HealthOut(Out):
    status: Literal["ok"]
    table: str


class ErrorDetail(Out):
    code: str = Field(description="machine-readable error code")
    message: str = Field(description="what went wrong, for a person")
    details: dict = Field(default_factory=dict)


class ErrorOut(Out):
    error: ErrorDetail
