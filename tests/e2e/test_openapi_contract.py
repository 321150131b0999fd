"""The OpenAPI document the API serves: version, every route, the models behind it.

(test_schemathesis.py sends requests generated from it.)"""

from __future__ import annotations


def test_the_document_is_openapi_3_1_and_lists_every_route(api):
    import app  # noqa: F401  (registers the routes)
    from chalicelib.api.routing import ROUTES

    doc = api.get("/v1/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    listed = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert listed == {(r.method, r.path) for r in ROUTES}
    pay = doc["paths"]["/v1/payments"]["post"]
    assert pay["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaymentRequest"
    }
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in pay["parameters"])
