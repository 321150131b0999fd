"""The OpenAPI 3.1 document, generated from the route table and the pydantic models.

It says what the service accepts, with the limits of its configuration: the models mark the values that come
from the settings (the per-transaction limit, the top-up presets) and the document is built with them. What JSON
Schema cannot state (an integer written 137.0, which JSON Schema counts as the integer 137; a comparison of two
fields or with the clock; the state of the ledger) is said in words.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..config import Settings, get_settings
from .routing import ROUTES, RouteSpec
from .schemas.common import ID_PATTERN, TRANSACTION_LIMIT
from .schemas.meta import ErrorOut
from .schemas.topups import TOPUP_OPTIONS

REF = "#/components/schemas/{model}"

DESCRIPTION = (
    'Amounts are integers in fen (minor units of CNY). Errors are {"error": {"code", "message", '
    '"details"}}. An integer is written as one: 137, never 137.0 or 1.37e2 (refused with 400, as a float; JSON '
    "Schema's integer admits 137.0, so the schemas cannot say it). 400 also refuses what a schema cannot state: a "
    "comparison of two fields (valid_to after valid_from) or with the clock, an order's total above the "
    "per-transaction limit, a cursor this API did not return; 404, 409 and 422 answer with the state of the ledger."
)


def _settle_limits(node: Any, settings: Settings) -> None:
    """Write the configured values in place of the models' marks (see schemas.common.TRANSACTION_LIMIT and
    schemas.topups.TOPUP_OPTIONS)."""
    if isinstance(node, list):
        for item in node:
            _settle_limits(item, settings)
        return
    if not isinstance(node, dict):
        return
    if node.pop(TRANSACTION_LIMIT, False):
        limit = settings.max_transaction_amount
        node["maximum"] = limit
        if node.get("minimum", 0) < 0:  # a signed amount: as far below zero
            node["minimum"] = -limit
    if node.pop(TOPUP_OPTIONS, False):
        _topup_options(node, settings)
    for value in node.values():
        _settle_limits(value, settings)


def _topup_options(schema: dict[str, Any], settings: Settings) -> None:
    """An option id is the id of a configured preset, sent with that preset's amount (services.topups)."""
    from ..services.topups import option_id_of

    presets = sorted({a for a in settings.topup_presets if 0 < a <= settings.max_transaction_amount})
    option = schema["properties"]["option_id"]
    ids = [option_id_of(a) for a in presets]
    option["anyOf"] = [{"type": "string", "enum": ids}, {"type": "null"}] if ids else [{"type": "null"}]
    schema["anyOf"] = [{"properties": {"option_id": {"type": "null"}}}] + [
        {"required": ["option_id"], "properties": {"amount": {"const": a}, "option_id": {"const": option_id_of(a)}}}
        for a in presets
    ]


def _ref(model: type) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _query_parameters(spec: RouteSpec, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    if spec.query is None:
        return []
    model = schemas[spec.query.__name__]
    required = set(model.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in model["properties"].items()
    ]


def _operation(spec: RouteSpec, schemas: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string", "pattern": ID_PATTERN}}
        for p in spec.path_params
    ]
    params += _query_parameters(spec, schemas)
    if spec.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "description": "unique per intended operation; the same key and body replay the first response",
                "schema": {"type": "string", "pattern": r"^[\x21-\x7e]{1,255}$"},
            }
        )
    if spec.access == "signed":
        params.append(
            {
                "name": "X-Signature",
                "in": "header",
                "required": True,
                "description": "sha256=<hex HMAC-SHA256 of the raw body with the shared webhook secret>",
                "schema": {"type": "string"},
            }
        )
    op: dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.summary,
        "tags": [spec.tag],
        "responses": {
            str(spec.status): {
                "description": "success",
                "content": {"application/json": {"schema": _ref(spec.response)}},
            },
            "default": {"description": "error", "content": {"application/json": {"schema": _ref(ErrorOut)}}},
        },
    }
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(spec.body)}}}
    op["security"] = [{"bearer": []}] if spec.access in ("user", "admin") else []
    return op


def build_document(
    title: str = "Store balance API", version: str = "1.0.0", settings: Settings | None = None
) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorOut}
    for spec in ROUTES:
        models.update(m for m in (spec.body, spec.query, spec.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    _, top = models_json_schema(
        [(m, "validation" if m.__name__.endswith(("Request", "Query")) else "serialization") for m in ordered],
        ref_template=REF,
    )
    schemas = top.get("$defs", {})
    _settle_limits(schemas, settings or get_settings())
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito user-pool ID token",
                }
            },
        },
    }
