"""The OpenAPI 3.1 document, generated from the route table and the pydantic models."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .routing import ROUTES, RouteSpec
from .schemas.common import ID_PATTERN
from .schemas.meta import ErrorOut

REF = "#/components/schemas/{model}"


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
        params.append({
            "name": "Idempotency-Key", "in": "header", "required": True,
            "description": "unique per intended operation; the same key and body replay the first response",
            "schema": {"type": "string", "pattern": r"^[\x21-\x7e]{1,255}$"},
        })
    if spec.access == "signed":
        params.append({
            "name": "X-Signature", "in": "header", "required": True,
            "description": "sha256=<hex HMAC-SHA256 of the raw body with the shared webhook secret>",
            "schema": {"type": "string"},
        })
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


def build_document(title: str = "Store balance API", version: str = "1.0.0") -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorOut}
    for spec in ROUTES:
        models.update(m for m in (spec.body, spec.query, spec.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    _, top = models_json_schema([(m, "validation" if m.__name__.endswith(("Request", "Query")) else "serialization")
                                 for m in ordered], ref_template=REF)
    schemas = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Amounts are integers in fen (minor units of CNY). Errors are "
                                "{\"error\": {\"code\", \"message\", \"details\"}}."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                           "description": "Cognito user-pool ID token"}},
        },
    }
