"""The Chalice app as CDK sees it: the stripped bundle and the REST API's security.

``chalice.cdk.Chalice`` packages the app (``chalice package``) and includes the
SAM template it writes. Two things are added here:

* the bundle is stripped of what the Lambda runtime already provides, exactly
  as ``make package`` does (``dev.package.strip_bundle``): 9 MB instead of 26;
* the OpenAPI (swagger) body of the REST API is given its security: every
  method needs the API key that only CloudFront sends (so the API answers
  CloudFront alone), every route that is not public needs a Cognito ID token
  (API Gateway's COGNITO_USER_POOLS authorizer, in front of the app's own
  verification), and API Gateway's own refusals get the service's error
  envelope, with fixed messages that echo nothing of the request (the table
  is ``chalicelib/api/gateway.py``, which the local server answers from too).
  Which route is public is read from the app's route registry; a route the
  registry does not know is treated as private (fail closed).

Chalice's own ``CognitoUserPoolAuthorizer`` would need the pool's ARN when the
app is imported, before the pool exists; the swagger is rewritten here instead,
with the ARN as a CloudFormation reference.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from chalice.cdk import Chalice

from chalicelib.api.gateway import GATEWAY_RESPONSES, envelope
from dev.package import strip_bundle

COGNITO = "cognito"
API_KEY = "api_key"
PUBLIC_ACCESS = ("public", "signed")  # signed: the payment webhook, HMAC-verified by the app
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class PackagedChalice(Chalice):
    """``chalice.cdk.Chalice`` whose bundle leaves out the runtime-provided packages, for a named stage.

    ``Chalice`` takes the stage from its scope's path, which is the stage only for a direct child of the
    stack; ``stage_name`` says it (the app is packaged inside the stack's functions construct).
    """

    def __init__(self, scope: Any, construct_id: str, *, stage_name: str, **kwargs: Any) -> None:
        self._stage = stage_name
        super().__init__(scope, construct_id, **kwargs)

    def _package_app(self) -> None:
        self.stage_name = self._stage
        super()._package_app()
        strip_bundle(Path(self._sam_package_dir) / "deployment.zip")
        fix_log_group_names(Path(self._sam_package_dir) / "sam.json")


def fix_log_group_names(sam_path: Path) -> None:
    """chalice 1.34 names the API's log group ``/aws/lambda/${ApiHandler}``, a resource that does not
    exist (the function is ``APIHandler``), which CloudFormation (and CfnInclude) reject: point each
    log group at the function whose logical ID matches case-insensitively."""
    sam = json.loads(sam_path.read_text())
    resources = sam["Resources"]
    by_lower = {name.lower(): name for name in resources}
    for resource in resources.values():
        if resource["Type"] != "AWS::Logs::LogGroup":
            continue
        name = resource["Properties"].get("LogGroupName")
        if isinstance(name, dict) and "Fn::Sub" in name and isinstance(name["Fn::Sub"], str):
            ref = name["Fn::Sub"].split("${", 1)[1].split("}", 1)[0]
            if ref not in resources and ref.lower() in by_lower:
                name["Fn::Sub"] = name["Fn::Sub"].replace(f"${{{ref}}}", f"${{{by_lower[ref.lower()]}}}")
    sam_path.write_text(json.dumps(sam, indent=2))


def route_access() -> dict[tuple[str, str], str]:
    """(path, method) -> access level, from the app's own route registry."""
    import app  # noqa: F401  (registers every blueprint's routes)
    from chalicelib.api.routing import OTHER_ROUTE_ACCESS, ROUTES

    access = {(path, method.lower()): level for (path, method), level in OTHER_ROUTE_ACCESS.items()}
    access.update({(r.path, r.method.lower()): r.access for r in ROUTES})
    return access


def gateway_responses() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, row in GATEWAY_RESPONSES.items():
        # fixed text from chalicelib/api/gateway.py: the only variable is $context.requestId
        entry: dict[str, Any] = {
            "responseParameters": {
                "gatewayresponse.header.Content-Type": "'application/json'",
                "gatewayresponse.header.X-Request-Id": "context.requestId",
            },
            "responseTemplates": {"application/json": json.dumps(envelope(kind), separators=(",", ":"))},
        }
        if row.status is not None:
            entry["statusCode"] = str(row.status)
        out[kind] = entry
    return out


def secure_swagger(swagger: dict[str, Any], user_pool_arn: Any, access: dict[tuple[str, str], str]) -> dict[str, Any]:
    """A copy of Chalice's swagger with API key, Cognito authorizer and gateway responses."""
    body = copy.deepcopy(swagger)
    body.setdefault("securityDefinitions", {}).update(
        {
            API_KEY: {"type": "apiKey", "name": "x-api-key", "in": "header"},
            COGNITO: {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [user_pool_arn]},
            },
        }
    )
    body["x-amazon-apigateway-api-key-source"] = "HEADER"
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            if method not in HTTP_METHODS:
                continue
            # Chalice's form: one requirement object per scheme, all of them required
            security: list[dict[str, list[str]]] = [{API_KEY: []}]
            if access.get((path, method)) not in PUBLIC_ACCESS:
                security.append({COGNITO: []})
            operation["security"] = security
    body["x-amazon-apigateway-gateway-responses"] = gateway_responses()
    return body
