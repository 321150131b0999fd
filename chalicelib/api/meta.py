"""Public routes: health and the OpenAPI document."""

from __future__ import annotations

from functools import lru_cache

from chalice import Blueprint

from ..domain.errors import Unavailable
from .. import bootstrap
from .routing import OTHER_ROUTE_ACCESS, Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/health",
    "GET",
    name="health",
    summary="200 when the service and its table are reachable",
    access="public",
    response="meta.HealthOut",
    tag="meta",
)
def health(call: Call) -> dict:
    if not bootstrap.store().health():
        raise Unavailable("the ledger table is not reachable", table=call.settings.table_name)
    return {"status": "ok", "table": call.settings.table_name}


@lru_cache(maxsize=1)
def _document() -> dict:
    from .openapi import build_document

    return build_document()


OTHER_ROUTE_ACCESS[("/v1/openapi.json", "GET")] = "public"


@bp.route("/v1/openapi.json", methods=["GET"], content_types=["application/json", "*/*"])
def openapi() -> dict:
    return _document()
