"""The one decorator every HTTP view goes through.

It declares the route for Chalice *and* for the OpenAPI document, then does
the work each view would otherwise repeat: verify the caller, check the role,
parse and validate the JSON body and query with the route's pydantic model,
require the Idempotency-Key, shape the response through the response model.

A route names its models as ``"<resource>.<Model>"`` (a module of ``chalicelib/api/schemas``), resolved when a
request first needs them (``RouteSpec.body``, ``.query``, ``.response``): importing the app loads neither
pydantic nor a model, and a cold function builds only the models of the routes it serves.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Callable

from chalice import Blueprint, Response

from ..config import Settings, get_settings
from ..domain.errors import (
    DomainError,
    InvariantBroken,
    Forbidden,
    InvalidRequest,
    MissingIdempotencyKey,
    NotFound,
    UnsupportedMediaType,
)
from ..domain.model import Principal
from ..services.common import IdempotentRequest, Outcome
from ..observability import logger, metrics
from .auth import principal_from_header
from .errors import error_response, from_domain
from .signature import verify_signature, webhook_secret
from .ids import ID_PATTERN

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_ID = re.compile(ID_PATTERN)
AMOUNT_FIELDS = {
    "amount",
    "unit_price",
    "quantity",
    "low_balance_threshold",
    "min_order_amount",
    "daily_limit",
    "max_amount",
    "value",
    "max_discount",
    "min_spend",
    "budget_amount",
    "min_amount",
    "bonus_amount",
    "bonus_max",
}


SCHEMAS = "chalicelib.api.schemas"


@cache
def model(ref: str) -> type[BaseModel]:
    """The model ``"<resource>.<Model>"`` names, its module imported on first use."""
    resource, _, name = ref.rpartition(".")
    found = getattr(importlib.import_module(f"{SCHEMAS}.{resource}"), name, None)
    if not isinstance(found, type):
        raise LookupError(f"no model {name} in {SCHEMAS}.{resource}")
    return found


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    name: str
    summary: str
    access: str  # public | signed | user | admin
    body_ref: str | None
    query_ref: str | None
    response_ref: str
    status: int
    idempotent: bool
    tag: str
    path_params: tuple[str, ...] = ()

    @property
    def body(self) -> type[BaseModel] | None:
        return model(self.body_ref) if self.body_ref else None

    @property
    def query(self) -> type[BaseModel] | None:
        return model(self.query_ref) if self.query_ref else None

    @property
    def response(self) -> type[BaseModel]:
        return model(self.response_ref)


ROUTES: list[RouteSpec] = []
# Routes declared with Chalice directly (outside ROUTES), by (path, METHOD): their access level.
# The deployment reads ROUTES and this to decide which routes the gateway lets through without a token.
OTHER_ROUTE_ACCESS: dict[tuple[str, str], str] = {}


@dataclass
class Call:
    """What a view receives: the parsed request, ready to hand to one service."""

    settings: Settings
    principal: Principal | None
    body: Any = None
    query: Any = None
    idempotency: IdempotentRequest | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def caller(self) -> Principal:
        """The verified caller (a route with access user or admin always has one: the decorator refused the
        request otherwise)."""
        if self.principal is None:
            raise InvariantBroken("a view for signed-in callers ran without a caller")
        return self.principal

    @property
    def key(self) -> IdempotentRequest:
        """The request under its Idempotency-Key (an idempotent route always has one, as ``caller``)."""
        if self.idempotency is None:
            raise InvariantBroken("an idempotent route's view ran without its key")
        return self.idempotency


def _validation_error(exc: "ValidationError") -> InvalidRequest:
    errors = [
        {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "type": err["type"], "message": err["msg"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
    # an unknown field is an unknown field whatever its name (an "amount" where the route takes none included)
    fields = {str(err["loc"][-1]) for err in exc.errors() if err["loc"] and err["type"] != "extra_forbidden"}
    code = "invalid_amount" if fields & AMOUNT_FIELDS else "invalid_request"
    first = errors[0]
    return InvalidRequest(f"{first['field']}: {first['message']}", code=code, errors=errors)


def _parse_body(request: Any, schema: type[BaseModel]) -> Any:
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType("the body must be application/json", content_type=content_type or None)
    raw = request.raw_body or b""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise InvalidRequest("the body is not valid JSON", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object", code="invalid_json")
    from pydantic import ValidationError  # loaded with the first model already

    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc) from exc


def _parse_query(request: Any, schema: type[BaseModel]) -> Any:
    params = dict(request.query_params or {})
    from pydantic import ValidationError

    try:
        # query strings are text: let pydantic convert them (lax mode), still refusing unknown names
        return schema.model_validate(params, strict=False)
    except ValidationError as exc:
        raise _validation_error(exc) from exc


def request_hash(method: str, path: str, body: BaseModel | None) -> str:
    """Same request = same method, path and body. The body is the validated model dumped in its
    field order (unknown fields are refused), so key order and spacing in the JSON do not matter."""
    canonical = body.model_dump_json() if body is not None else ""
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


# botocore's errors for a store that did not answer (by name: botocore stays out of the cold import)
UNREACHABLE = frozenset({"ReadTimeoutError", "ConnectTimeoutError", "EndpointConnectionError", "ConnectionClosedError"})


def storage_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` is, or wraps (PynamoDB's ``cause``, Python's chaining), a connection failure or a timeout of
    an AWS call: the request may be retried, unlike a bug."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if type(e).__name__ in UNREACHABLE and type(e).__module__.startswith("botocore"):
            return True
        stack += [getattr(e, "cause", None), e.__cause__, e.__context__]
    return False


def route(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    name: str,
    summary: str,
    access: str,
    response: str,
    status: int = 200,
    body: str | None = None,
    query: str | None = None,
    idempotent: bool = False,
    tag: str = "wallet",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    path_params = tuple(re.findall(r"{(\w+)}", path))
    spec = RouteSpec(path, method, name, summary, access, body, query, response, status, idempotent, tag, path_params)
    ROUTES.append(spec)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        def handler(**params: str) -> Response:
            try:
                return respond(**params)
            except DomainError as exc:
                response = from_domain(exc)
                if response.status_code == 409:
                    metrics.add_metric(name="Conflicts", unit="Count", value=1)
                logger.info("request refused", extra={"status": response.status_code, "error": type(exc).__name__})
                return response
            except Exception as exc:
                request_id = logger.thread_safe_get_current_keys().get("correlation_id")
                if storage_unreachable(exc):
                    # the table did not answer in time: a retry may succeed, and with the same Idempotency-Key
                    # it cannot move money twice (a write that did commit is replayed)
                    logger.warning("storage unreachable", extra={"error": type(exc).__name__})
                    metrics.add_metric(name="StorageUnavailable", unit="Count", value=1)
                    return error_response(
                        503,
                        "unavailable",
                        "the ledger did not answer in time; retry (money requests with the same Idempotency-Key)",
                        {"request_id": request_id},
                        headers={"Retry-After": "1"},
                    )
                logger.exception("unhandled error")
                return error_response(
                    500, "internal_error", "internal error; quote the request id", {"request_id": request_id}
                )

        def respond(**params: str) -> Response:
            settings = get_settings()
            request = bp.current_request
            for pname, value in params.items():
                if not _ID.match(value or ""):
                    raise NotFound(pname.removesuffix("_id"), value)
            principal = None
            if access in ("user", "admin"):
                principal = principal_from_header(request.headers.get("authorization"), settings)
                if access == "admin" and not principal.is_admin:
                    raise Forbidden("this operation needs the admin group")
            call = Call(settings=settings, principal=principal, headers=dict(request.headers))
            if access == "signed":  # the signature covers the raw bytes: check it before reading them
                raw = request.raw_body or b""
                verify_signature(
                    webhook_secret(settings),
                    raw if isinstance(raw, bytes) else raw.encode(),
                    request.headers.get("x-signature"),
                )
            if body is not None:
                call.body = _parse_body(request, model(body))
            if query is not None:
                call.query = _parse_query(request, model(query))
            if idempotent:
                key = request.headers.get("idempotency-key")
                if key is None:
                    raise MissingIdempotencyKey("this request moves money: send an Idempotency-Key header")
                if not IDEMPOTENCY_KEY.match(key):
                    raise InvalidRequest(
                        "Idempotency-Key must be 1-255 visible ASCII characters", code="invalid_idempotency_key"
                    )
                call.idempotency = IdempotentRequest(
                    scope=call.caller.user_id,
                    key=key,  # keys are scoped to the verified caller
                    request_hash=request_hash(method, path.format(**params), call.body),
                )
            result = view(call, **params)
            headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
            if isinstance(result, Outcome):
                status_code, payload = result.status_code, result.body
                if result.replayed:
                    headers["Idempotent-Replayed"] = "true"
            else:
                status_code, payload = status, result
            shaped = (
                payload
                if status_code >= 400
                else model(response).model_validate(payload).model_dump(mode="json", exclude_none=False)
            )
            return Response(body=json.dumps(shaped), status_code=status_code, headers=headers)

        handler.__name__ = name
        bp.route(path, methods=[method], content_types=["application/json", "*/*"])(handler)
        return view

    return decorate
