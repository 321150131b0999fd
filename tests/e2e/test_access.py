"""Who may do what: every route against every kind of caller, and a refusal changes nothing."""
from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import app  # noqa: F401  (registers every route; imports no storage module)
from chalicelib.api.routing import ROUTES

from .conftest import table_item_count

CALLERS = ["owner", "other_customer", "merchant", "other_merchant", "admin", "service",
           "no_token", "garbage_token", "expired_token", "forged_token"]
UNAUTHENTICATED = {"no_token", "garbage_token", "expired_token", "forged_token"}
AUTHENTICATED = [c for c in CALLERS if c not in UNAUTHENTICATED]
ANY_USER = {c: {200, 201} for c in AUTHENTICATED}

# (method, path) -> {caller: acceptable statuses}; callers not named are refused as in REFUSED below
MATRIX: dict[tuple[str, str], dict[str, set[int]]] = {
    ("GET", "/v1/health"): {c: {200} for c in CALLERS},
    ("POST", "/v1/webhooks/payments"): {c: {401} for c in CALLERS},  # needs the HMAC signature, not a token
    ("GET", "/v1/wallet"): ANY_USER,
    ("GET", "/v1/wallet/entries"): ANY_USER,
    ("PUT", "/v1/wallet/settings"): ANY_USER,
    ("POST", "/v1/topups"): ANY_USER,
    ("POST", "/v1/payments"): {c: {201, 422} for c in AUTHENTICATED},  # 422: a caller without funds
    ("GET", "/v1/topups/{topup_id}"): {"owner": {200}, "admin": {200}, "other_customer": {404}, "merchant": {404},
                                        "other_merchant": {404}, "service": {404}},
    ("GET", "/v1/payments/{payment_id}"): {"owner": {200}, "merchant": {200}, "admin": {200}, "service": {200},
                                            "other_customer": {404}, "other_merchant": {404}},
    ("POST", "/v1/payments/{payment_id}/refunds"): {"merchant": {201}, "admin": {201}, "service": {201},
                                                     "owner": {403}, "other_customer": {404},
                                                     "other_merchant": {404}},
    ("GET", "/v1/admin/wallets/{user_id}"): {"admin": {200}},
    ("GET", "/v1/admin/wallets/{user_id}/entries"): {"admin": {200}},
    ("POST", "/v1/admin/wallets/{user_id}/adjustments"): {"admin": {201}},
    ("PUT", "/v1/admin/merchants/{merchant_id}"): {"admin": {200}},
    ("POST", "/v1/admin/reconciliations"): {"admin": {200}},
}
BODIES = {
    "/v1/wallet/settings": {"low_balance_threshold": 100},
    "/v1/topups": {"amount": 100, "channel": "card"},
    "/v1/payments": None,  # built per call: a fresh order
    "/v1/payments/{payment_id}/refunds": {"amount": 1, "reason": "authz"},
    "/v1/admin/wallets/{user_id}/adjustments": {"amount": 1, "lot": "bonus", "reason": "authz"},
    "/v1/admin/merchants/{merchant_id}": {"name": "Authz shop"},
    "/v1/webhooks/payments": {"topup_id": "top_x", "status": "succeeded", "amount": 1, "provider_ref": "x"},
}
CODES = {401: "unauthenticated", 403: "forbidden"}


def expected(method: str, path: str, caller: str) -> set[int]:
    row = MATRIX[(method, path)]
    if caller in row:
        return row[caller]
    return {401} if caller in UNAUTHENTICATED else {403}


def test_the_matrix_covers_every_route():
    declared = {(r.method, r.path) for r in ROUTES}
    assert declared == set(MATRIX), f"routes without a row: {declared - set(MATRIX)}"


def _moto_signing_key():
    """The private key moto's user pools sign with (shipped inside moto)."""
    from moto.utilities.utils import load_resource

    jwk = load_resource("cognitoidp/resources/jwks-private.json")
    jwk = jwk["keys"][0] if "keys" in jwk else jwk
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))


@pytest.fixture(scope="module")
def world(api):
    """An owner with a payment to merchant m-authz and a pending top-up; the callers' headers."""
    api.ensure_merchant("m-authz")
    owner = api.unique_user("authz-owner")
    api.fund(owner, 100000)
    payment = api.pay(owner, 50000, merchant_id="m-authz").json()
    topup = api.post("/v1/topups", owner, {"amount": 100, "channel": "card"}, key=str(uuid.uuid4())).json()
    users = {
        "owner": owner,
        "other_customer": api.unique_user("authz-other"),
        "merchant": api.unique_user("authz-merchant", "merchant:m-authz"),
        "other_merchant": api.unique_user("authz-merchant2", "merchant:m-else"),
        "admin": api.unique_user("authz-admin", "admin"),
        "service": api.unique_user("authz-service", "service"),
    }
    claims = jwt.decode(owner.token, options={"verify_signature": False})
    header = jwt.get_unverified_header(owner.token)
    expired = jwt.encode({**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
                         _moto_signing_key(), algorithm="RS256", headers={"kid": header["kid"]})
    forged = jwt.encode({**claims, "cognito:groups": ["admin"]},
                        rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256",
                        headers={"kid": header["kid"]})
    auth = {name: {"Authorization": f"Bearer {u.token}"} for name, u in users.items()}
    auth.update({"no_token": {}, "garbage_token": {"Authorization": "Bearer not.a.token"},
                 "expired_token": {"Authorization": f"Bearer {expired}"},
                 "forged_token": {"Authorization": f"Bearer {forged}"}})
    params = {"payment_id": payment["payment_id"], "topup_id": topup["topup_id"], "user_id": owner.user_id,
              "merchant_id": "m-authz"}
    return {"owner": owner, "auth": auth, "params": params}


def test_an_expired_token_is_really_signed_by_the_pool_so_only_its_expiry_refuses_it(api, world):
    # the same key signs a fresh token that is accepted: the expiry alone makes the difference
    claims = jwt.decode(world["owner"].token, options={"verify_signature": False})
    header = jwt.get_unverified_header(world["owner"].token)
    fresh = jwt.encode({**claims, "iat": int(time.time()), "exp": int(time.time()) + 600}, _moto_signing_key(),
                       algorithm="RS256", headers={"kid": header["kid"]})
    assert api.http.get(f"{api.url}/v1/wallet", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    r = api.http.get(f"{api.url}/v1/wallet", headers=world["auth"]["expired_token"])
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_access(api, ddb, local_stack, world, route, caller):
    method, template = route
    path = template.format(**world["params"])
    body = BODIES.get(template)
    if template == "/v1/payments":
        body = {"order_id": f"o-{uuid.uuid4().hex[:10]}", "merchant_id": "m-authz",
                "items": [{"sku": "s", "category": "c", "unit_price": 1, "quantity": 1}]}
    headers = {**world["auth"][caller], "Idempotency-Key": str(uuid.uuid4())}
    kwargs = {}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        headers["Content-Type"] = "application/json"
    if template == "/v1/webhooks/payments":
        headers["X-Signature"] = "sha256=" + "0" * 64
    owner = world["owner"]
    before = (table_item_count(ddb, local_stack.table), api.balance(owner))
    r = api.http.request(method, api.url + path, headers=headers, timeout=30, **kwargs)
    want = expected(method, template, caller)
    assert r.status_code in want, f"{caller} {method} {path}: {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        error = r.json()["error"]
        assert error["message"]
        if template == "/v1/webhooks/payments":
            assert error["code"] == "invalid_signature"
        elif r.status_code == 404:
            assert error["code"].endswith("_not_found")
        else:
            assert error["code"] == CODES.get(r.status_code, error["code"])
        if r.status_code != 422:  # a refusal writes nothing and moves nothing
            assert (table_item_count(ddb, local_stack.table), api.balance(owner)) == before
