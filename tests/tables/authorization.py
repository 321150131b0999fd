"""The authorization matrix: one row per route of the route table, one column per kind of caller.

A cell sends one well-formed request (valid body, Idempotency-Key, ids that exist) so the caller is the
only reason it could be refused, checks the status and the error code, and then checks what changed:
a refused request changes nothing (``table``: the whole table compared item by item over HTTP,
tests/e2e/conftest.py TableScan; every write call of the process in process, tests/inprocess/harness.py
WriteLog; and the owner's balance and the payment's refundable amount with it); an allowed one acts on the
caller's own data only.

Every cell runs in process (tests/inprocess/test_authorization.py); one refused and one allowed cell per
route run over HTTP on the local stack (tests/e2e/test_authorization.py).
"""

from __future__ import annotations

import importlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from chalicelib.api.routing import ROUTES
from chalicelib.api.signature import sign
from tests.e2e.conftest import assert_nothing_written, backtest_settled, is_new_inbox_item, segmentation_settled

importlib.import_module("app")  # registers every blueprint, so ROUTES is the whole route table


# ---- callers -----------------------------------------------------------------

OWNER, OTHER_CUSTOMER, MERCHANT, OTHER_MERCHANT, ADMIN, SERVICE = (
    "owner",
    "other_customer",
    "merchant",
    "other_merchant",
    "admin",
    "service",
)
NO_TOKEN, GARBAGE_TOKEN, EXPIRED_TOKEN, FORGED_TOKEN = "no_token", "garbage_token", "expired_token", "forged_token"
AUTHENTICATED = (OWNER, OTHER_CUSTOMER, MERCHANT, OTHER_MERCHANT, ADMIN, SERVICE)
UNAUTHENTICATED = (NO_TOKEN, GARBAGE_TOKEN, EXPIRED_TOKEN, FORGED_TOKEN)
CALLERS = AUTHENTICATED + UNAUTHENTICATED


@dataclass(frozen=True)
class Expect:
    status: int
    code: str | None = None  # the error code, for a refusal

    @property
    def refused(self) -> bool:
        return self.status >= 400


OK, CREATED, ACCEPTED = Expect(200), Expect(201), Expect(202)
UNAUTH = Expect(401, "unauthenticated")
FORBIDDEN = Expect(403, "forbidden")
NO_PAYMENT = Expect(404, "payment_not_found")
NO_TOPUP = Expect(404, "topup_not_found")
NO_DEFINITION = Expect(404, "coupon_definition_not_found")
NO_PROMOTION = Expect(404, "promotion_not_found")  # another merchant's promotion: its existence is private
NO_CHECKOUT = Expect(404, "checkout_not_found")  # only its customer pays or quotes it; its existence is private
NO_SURVEY = Expect(404, "survey_not_found")  # a survey is visible to the customers it reached only
NOT_RUN = Expect(409, "campaign_not_run")  # the world's campaign runs tomorrow: an admin passes, to be told so
NO_NOTIFICATION = Expect(404, "notification_not_found")  # an inbox is its customer's alone, admins' included


def row(
    owner: Expect,
    other_customer: Expect,
    merchant: Expect,
    other_merchant: Expect,
    admin: Expect,
    service: Expect,
    unauthenticated: Expect = UNAUTH,
) -> dict[str, Expect]:
    return {
        OWNER: owner,
        OTHER_CUSTOMER: other_customer,
        MERCHANT: merchant,
        OTHER_MERCHANT: other_merchant,
        ADMIN: admin,
        SERVICE: service,
        **{c: unauthenticated for c in UNAUTHENTICATED},
    }


def everyone(expect: Expect) -> dict[str, Expect]:
    return {c: expect for c in CALLERS}


def admin_only(success: Expect) -> dict[str, Expect]:
    return row(FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, success, FORBIDDEN)


def any_signed_in(success: Expect) -> dict[str, Expect]:
    return row(success, success, success, success, success, success)


# The owner is a funded customer who paid the merchant; ids in the paths are the owner's,
# the payment's and the top-up's that funded it.
MATRIX: dict[tuple[str, str], dict[str, Expect]] = {
    ("GET", "/v1/health"): everyone(OK),
    # signed by the provider (HMAC), not by a token: any Authorization header is irrelevant
    ("POST", "/v1/webhooks/payments"): everyone(OK),
    # the owner's signed unsubscribe token is the only key (HMAC, no login): whoever follows the link, it works
    ("GET", "/v1/unsubscribe"): everyone(OK),
    ("POST", "/v1/unsubscribe"): everyone(OK),
    ("GET", "/v1/wallet"): any_signed_in(OK),
    ("GET", "/v1/wallet/entries"): any_signed_in(OK),
    ("GET", "/v1/points"): any_signed_in(OK),
    ("GET", "/v1/membership"): any_signed_in(OK),
    ("PUT", "/v1/admin/tiers"): admin_only(OK),
    ("GET", "/v1/admin/tiers"): admin_only(OK),
    ("GET", "/v1/coupons"): any_signed_in(OK),
    ("GET", "/v1/rewards"): any_signed_in(OK),
    ("PUT", "/v1/admin/rewards/{reward_id}"): admin_only(OK),
    # a gift of 1 point; every caller who may redeem it has points (the owner's and everyone's own)
    ("POST", "/v1/rewards/{reward_id}/redemptions"): any_signed_in(CREATED),
    # a definition of the merchant's (merchant_id set): its staff and admins manage it
    ("PUT", "/v1/coupon-definitions/{definition_id}"): row(FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN),
    ("GET", "/v1/coupon-definitions/{definition_id}"): row(NO_DEFINITION, NO_DEFINITION, OK, NO_DEFINITION, OK, OK),
    ("POST", "/v1/coupon-definitions/{definition_id}/grants"): row(
        NO_DEFINITION, NO_DEFINITION, CREATED, NO_DEFINITION, CREATED, NO_DEFINITION
    ),
    ("GET", "/v1/points/entries"): any_signed_in(OK),
    ("PUT", "/v1/wallet/settings"): any_signed_in(OK),
    ("GET", "/v1/notifications"): any_signed_in(OK),
    # the owner's notification (the prompt to rate the world's payment)
    ("POST", "/v1/notifications/{notification_id}/read"): row(
        OK, NO_NOTIFICATION, NO_NOTIFICATION, NO_NOTIFICATION, NO_NOTIFICATION, NO_NOTIFICATION
    ),
    ("POST", "/v1/topups"): any_signed_in(CREATED),
    ("GET", "/v1/topups/{topup_id}"): row(OK, NO_TOPUP, NO_TOPUP, NO_TOPUP, OK, NO_TOPUP),
    ("POST", "/v1/checkouts"): row(FORBIDDEN, FORBIDDEN, CREATED, FORBIDDEN, FORBIDDEN, CREATED),
    ("GET", "/v1/checkouts/{checkout_id}"): row(OK, NO_CHECKOUT, OK, NO_CHECKOUT, OK, OK),
    # on a fresh open checkout of the owner's in every cell: its customer sees it but may not close it
    ("POST", "/v1/checkouts/{checkout_id}/cancel"): row(FORBIDDEN, NO_CHECKOUT, OK, NO_CHECKOUT, OK, OK),
    ("POST", "/v1/checkouts/{checkout_id}/quote"): row(
        OK, NO_CHECKOUT, NO_CHECKOUT, NO_CHECKOUT, NO_CHECKOUT, NO_CHECKOUT
    ),
    ("PUT", "/v1/merchants/{merchant_id}/balance-rules"): row(FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN),
    ("GET", "/v1/merchants/{merchant_id}/balance-rules"): row(FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, OK),
    # the merchant's backtests: its staff and admins (a queued item, no money; the same proposal joins the one queued)
    ("POST", "/v1/merchants/{merchant_id}/backtests"): row(
        FORBIDDEN, FORBIDDEN, ACCEPTED, FORBIDDEN, ACCEPTED, FORBIDDEN
    ),
    # one queued by an admin before the cell
    ("GET", "/v1/merchants/{merchant_id}/backtests/{backtest_id}"): row(
        FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN
    ),
    ("POST", "/v1/payments"): row(CREATED, NO_CHECKOUT, NO_CHECKOUT, NO_CHECKOUT, NO_CHECKOUT, NO_CHECKOUT),
    ("GET", "/v1/payments/{payment_id}"): row(OK, NO_PAYMENT, OK, NO_PAYMENT, OK, OK),
    # on a fresh authorization of the owner's in every cell
    ("POST", "/v1/payments/{payment_id}/capture"): row(FORBIDDEN, NO_PAYMENT, OK, NO_PAYMENT, OK, OK),
    ("POST", "/v1/payments/{payment_id}/void"): row(OK, NO_PAYMENT, OK, NO_PAYMENT, OK, OK),
    ("POST", "/v1/payments/{payment_id}/refunds"): row(FORBIDDEN, NO_PAYMENT, CREATED, NO_PAYMENT, CREATED, CREATED),
    ("GET", "/v1/admin/wallets/{user_id}"): admin_only(OK),
    ("GET", "/v1/admin/wallets/{user_id}/entries"): admin_only(OK),
    ("POST", "/v1/admin/wallets/{user_id}/adjustments"): admin_only(CREATED),
    ("PUT", "/v1/admin/merchants/{merchant_id}"): admin_only(OK),
    ("POST", "/v1/admin/reconciliations"): admin_only(OK),
    ("GET", "/v1/topups/options"): any_signed_in(OK),
    ("PUT", "/v1/admin/topup-plans/{plan_id}"): admin_only(OK),
    ("GET", "/v1/admin/topup-plans"): admin_only(OK),
    # customers only, about their own transaction (the owner's payment here); staff, services and admins
    # are refused whatever the transaction, before it is looked for
    ("POST", "/v1/feedback"): row(CREATED, NO_PAYMENT, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("GET", "/v1/admin/feedback"): admin_only(OK),
    # a customer's own behaviour: staff, services and admins are no customers and send none
    ("GET", "/v1/admin/reports/liability"): admin_only(OK),
    ("GET", "/v1/admin/segments"): admin_only(OK),
    ("GET", "/v1/admin/segments/history"): admin_only(OK),
    # a customer no segmentation run has seen (the runs' profiles are tests/e2e/test_segments.py's)
    ("GET", "/v1/admin/customers/{user_id}/profile"): admin_only(Expect(404, "profile_not_found")),
    ("GET", "/v1/admin/segments/{name}/members"): admin_only(OK),
    # queues a run (or joins the one queued for today): a table item, no money
    ("POST", "/v1/admin/segmentations"): admin_only(ACCEPTED),
    # a run queued by an admin before the cell
    ("GET", "/v1/admin/segmentations/{run_id}"): admin_only(OK),
    # the merchant's own (merchant_id named): its staff and admins read it
    ("GET", "/v1/admin/reports/obstacles"): row(FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN),
    ("GET", "/v1/admin/reports/balance-share"): row(FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN),
    ("GET", "/v1/admin/reports/breakage"): admin_only(OK),
    ("GET", "/v1/admin/reports/segments"): admin_only(OK),
    ("GET", "/v1/admin/reports/feedback"): admin_only(OK),
    ("POST", "/v1/events"): row(ACCEPTED, ACCEPTED, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    # a promotion of the merchant's (merchant_id set): its staff and admins manage it
    ("POST", "/v1/admin/promotions"): row(FORBIDDEN, FORBIDDEN, CREATED, FORBIDDEN, CREATED, FORBIDDEN),
    ("GET", "/v1/admin/promotions"): row(FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN),
    ("GET", "/v1/admin/promotions/{promotion_id}"): row(NO_PROMOTION, NO_PROMOTION, OK, NO_PROMOTION, OK, NO_PROMOTION),
    # on a fresh promotion of the merchant's in every cell
    ("DELETE", "/v1/admin/promotions/{promotion_id}"): row(
        NO_PROMOTION, NO_PROMOTION, OK, NO_PROMOTION, OK, NO_PROMOTION
    ),
    # campaigns are an operator's; the world's runs tomorrow (a cell's new one too: no cell delivers anything)
    ("POST", "/v1/admin/campaigns"): admin_only(CREATED),
    ("GET", "/v1/admin/campaigns"): admin_only(OK),
    ("GET", "/v1/admin/campaigns/{campaign_id}"): admin_only(OK),
    ("DELETE", "/v1/admin/campaigns/{campaign_id}"): admin_only(OK),  # a fresh campaign in every cell
    ("POST", "/v1/admin/campaigns/{campaign_id}/measurements"): admin_only(NOT_RUN),
    # customers answer the surveys that reached them: the world's campaign reached nobody yet (an answer that
    # is accepted is tests/integration/test_campaigns.py's and tests/e2e/test_campaigns.py's)
    ("POST", "/v1/surveys/{survey_id}/answers"): row(NO_SURVEY, NO_SURVEY, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
}

CELLS = [(route, caller) for route, columns in MATRIX.items() for caller in columns]


def cell_id(route: tuple[str, str], caller: str) -> str:
    return f"{route[0]} {route[1]} | {caller}"


def check_the_matrix_has_a_row_for_every_route_and_a_cell_for_every_caller() -> None:
    routes = {(r.method, r.path) for r in ROUTES}
    assert len(routes) == len(ROUTES), "a route is declared twice"
    assert routes - MATRIX.keys() == set(), "routes without a row in the authorization matrix"
    assert MATRIX.keys() - routes == set(), "rows for routes that no longer exist"
    for route, columns in MATRIX.items():
        assert set(columns) == set(CALLERS), route
    # and the table agrees with what each route declares
    for r in ROUTES:
        columns = MATRIX[(r.method, r.path)]
        if r.access in ("public", "signed"):
            assert all(not columns[c].refused for c in UNAUTHENTICATED), r.path
        else:
            assert all(columns[c] == UNAUTH for c in UNAUTHENTICATED), r.path
        if r.access == "admin":
            assert all(columns[c] == FORBIDDEN for c in AUTHENTICATED if c != ADMIN), r.path


# ---- tokens that must not work -------------------------------------------------


def _moto_signing_key() -> dict[str, Any]:
    from moto.utilities.utils import load_resource

    return load_resource("cognitoidp/resources/jwks-private.json")


def _sign(claims: dict[str, Any], jwk: dict[str, Any] | None = None, private_key: Any = None) -> str:
    key = private_key if private_key is not None else RSAAlgorithm.from_jwk(json.dumps(jwk))
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


def real_claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def expired_token(real_token: str) -> str:
    """The pool's own key, the real token's claims (an admin's), but it expired ten minutes ago."""
    now = int(time.time())
    claims = {**real_claims(real_token), "iat": now - 4200, "auth_time": now - 4200, "exp": now - 600}
    return _sign(claims, jwk=_moto_signing_key())


def forged_token(real_token: str) -> str:
    """Valid-looking, unexpired claims (an admin's) under the pool's kid, signed by a key the pool never had."""
    now = int(time.time())
    claims = {**real_claims(real_token), "iat": now, "auth_time": now, "exp": now + 3600}
    return _sign(claims, private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048))


# ---- the world every cell acts on --------------------------------------------------


@dataclass
class World:
    owner: Any
    users: dict[str, Any]  # the authenticated callers
    headers: dict[str, dict[str, str]]  # Authorization header (or none) per caller
    merchant_id: str
    spare_merchant_id: str
    payment_id: str
    topup_id: str
    topup_amount: int
    webhook_secret: str  # the one the running app checks
    unsubscribe_secret: str  # the key of the unsubscribe links the running app checks
    checkout_id: str  # an open checkout of the owner's
    definition_id: str  # a coupon definition of the merchant's
    reward_id: str  # a gift of 1 point, in ample stock
    notification_id: str  # in the owner's inbox
    promotion_id: str  # a promotion of the merchant's, tomorrow
    campaign_id: str  # a campaign that runs tomorrow


def make_world(api) -> World:
    """The owner, the callers and the targets every cell acts on (a module fixture where the matrix runs)."""
    tag = uuid.uuid4().hex[:8]
    merchant_id, other_merchant_id, spare = f"m-authz-{tag}", f"m-authz-other-{tag}", f"m-authz-spare-{tag}"
    for m in (merchant_id, other_merchant_id, spare):
        api.ensure_merchant(m)
    owner = api.unique_user("authz-owner")
    topup = api.fund(owner, 100_000)
    paid = api.pay(owner, 5_000, merchant_id=merchant_id)
    assert paid.status_code == 201, paid.text
    users = {
        OWNER: owner,
        OTHER_CUSTOMER: api.unique_user("authz-other"),
        MERCHANT: api.unique_user("authz-merchant", f"merchant:{merchant_id}"),
        OTHER_MERCHANT: api.unique_user("authz-other-merchant", f"merchant:{other_merchant_id}"),
        ADMIN: api.unique_user("authz-admin", "admin"),
        SERVICE: api.unique_user("authz-service", "service"),
    }
    headers = {name: {"Authorization": f"Bearer {u.token}"} for name, u in users.items()}
    admin_token = users[ADMIN].token
    headers.update(
        {
            NO_TOKEN: {},
            GARBAGE_TOKEN: {"Authorization": "Bearer not.a-real.token"},
            EXPIRED_TOKEN: {"Authorization": f"Bearer {expired_token(admin_token)}"},
            FORGED_TOKEN: {"Authorization": f"Bearer {forged_token(admin_token)}"},
        }
    )
    return World(
        owner=owner,
        users=users,
        headers=headers,
        merchant_id=merchant_id,
        spare_merchant_id=spare,
        payment_id=paid.json()["payment_id"],
        topup_id=topup["topup_id"],
        topup_amount=100_000,
        webhook_secret=api.info.webhook_secret,
        unsubscribe_secret=api.info.unsubscribe_secret,
        checkout_id=api.open_checkout(owner, 10, merchant_id=merchant_id)["checkout_id"],
        definition_id=_define(api, merchant_id),
        reward_id=_reward(api),
        notification_id=_inbox_item(api, owner),
        promotion_id=_promote(api, merchant_id),
        campaign_id=_campaign(api),
    )


def _inbox_item(api, owner) -> str:
    """The prompt to rate the owner's payment, which the bus's consumer puts in the inbox (asynchronously)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        api.run_consumers()
        items = api.get("/v1/notifications", owner).json()["items"]
        if items:
            return items[0]["notification_id"]
        time.sleep(0.2)
    raise AssertionError("the payment's feedback prompt never reached the owner's inbox")


def coupon_terms(merchant_id: str, name: str = "10 off") -> dict[str, Any]:
    return {
        "name": name,
        "kind": "amount_off",
        "value": 10,
        "min_spend": 0,
        "merchant_id": merchant_id,
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_to": "2099-01-01T00:00:00Z",
        "per_customer_limit": 1000,
    }


def campaign_body(name: str = "authz campaign") -> dict[str, Any]:
    tomorrow = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))
    return {
        "name": name,
        "segment": "champions",
        "action": {"kind": "notify", "title": "thanks", "body": "for paying by balance"},
        "run_at": tomorrow,
    }


def _campaign(api) -> str:
    r = api.post("/v1/admin/campaigns", api.admin(), campaign_body(), key=str(uuid.uuid4()))
    assert r.status_code == 201, r.text
    return r.json()["campaign_id"]


def _define(api, merchant_id: str) -> str:
    definition_id = f"cd-authz-{uuid.uuid4().hex[:8]}"
    r = api.request("PUT", f"/v1/coupon-definitions/{definition_id}", api.admin(), coupon_terms(merchant_id))
    assert r.status_code == 200, r.text
    return definition_id


def promotion_body(merchant_id: str, name: str = "authz promotion") -> dict[str, Any]:
    from datetime import datetime, timedelta, timezone

    starts = datetime.now(timezone.utc) + timedelta(days=1)
    return {
        "name": name,
        "merchant_id": merchant_id,
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ends_at": (starts + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "effect": {"kind": "extra_balance_discount", "percent": 5},
    }


def _promote(api, merchant_id: str) -> str:
    r = api.post("/v1/admin/promotions", api.admin(), promotion_body(merchant_id), key=str(uuid.uuid4()))
    assert r.status_code == 201, r.text
    return r.json()["promotion_id"]


GIFT = {"name": "sticker", "kind": "gift", "points_cost": 1, "stock": 10_000, "per_customer_limit": 1000}


def _reward(api) -> str:
    reward_id = f"rw-authz-{uuid.uuid4().hex[:8]}"
    r = api.request("PUT", f"/v1/admin/rewards/{reward_id}", api.admin(), GIFT)
    assert r.status_code == 200, r.text
    return reward_id


def check_the_bad_tokens_fail_only_for_the_reason_they_are_meant_to(api, world: World) -> None:
    """Control: the same admin claims re-signed, unexpired, with the pool's key are accepted, so the
    expired token is refused for its expiry and the forged one for its key, not for a malformed claim."""
    now = int(time.time())
    claims = {**real_claims(world.users[ADMIN].token), "iat": now, "auth_time": now, "exp": now + 3600}
    resigned = _sign(claims, jwk=_moto_signing_key())
    r = api.http.get(
        f"{api.url}/v1/admin/wallets/{world.owner.user_id}", headers={"Authorization": f"Bearer {resigned}"}, timeout=30
    )
    assert r.status_code == 200, r.text
    expired = api.http.get(f"{api.url}/v1/wallet", headers=world.headers[EXPIRED_TOKEN], timeout=30)
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"], expired.text
    assert jwt.get_unverified_header(world.headers[FORGED_TOKEN]["Authorization"][7:])["kid"] == "dummy"


# ---- the requests ----------------------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    body: Any = None
    idempotent: bool = False
    headers: dict[str, str] | None = None
    raw: bytes | None = None  # a body that is not JSON (with its Content-Type in ``headers``)


def build_call(api, route: tuple[str, str], w: World, caller: str) -> Call:
    method, path = route
    key_of = {
        "user_id": w.owner.user_id,
        "payment_id": w.payment_id,
        "topup_id": w.topup_id,
        "merchant_id": w.merchant_id if "balance-rules" in path or "backtests" in path else w.spare_merchant_id,
        "backtest_id": "bt_000000000000aaaaaaaaaaaaaaaa",  # replaced below by one queued for the cell
        "checkout_id": w.checkout_id,
        "definition_id": w.definition_id,
        "reward_id": w.reward_id,
        "notification_id": w.notification_id,
        "promotion_id": _promote(api, w.merchant_id) if method == "DELETE" else w.promotion_id,
        "campaign_id": _campaign(api) if method == "DELETE" else w.campaign_id,
        "survey_id": w.campaign_id,
        "plan_id": "plan-authz",
        "name": "champions",
        "run_id": "seg_000000000000aaaaaaaaaaaaaaaa",  # replaced below by a run queued for the cell
    }
    concrete = path.format(**{k: v for k, v in key_of.items() if "{" + k + "}" in path})
    tag = uuid.uuid4().hex[:8]
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/v1/webhooks/payments"): {
            "topup_id": w.topup_id,
            "status": "succeeded",
            "amount": w.topup_amount,
            "provider_ref": f"ref-{w.topup_id}",
        },
        ("PUT", "/v1/wallet/settings"): {"low_balance_threshold": 1234},
        ("POST", "/v1/topups"): {"amount": 700, "channel": "card"},
        ("POST", "/v1/checkouts"): {
            "order_id": f"o-authz-{tag}",
            "merchant_id": w.merchant_id,
            "user_id": w.owner.user_id,
            "items": [{"sku": "s", "category": "c", "unit_price": 10, "quantity": 1}],
        },
        ("POST", "/v1/checkouts/{checkout_id}/quote"): {},
        ("POST", "/v1/checkouts/{checkout_id}/cancel"): {"reason": f"by {caller}"},
        ("PUT", "/v1/merchants/{merchant_id}/balance-rules"): {"min_order_amount": 0},
        ("PUT", "/v1/coupon-definitions/{definition_id}"): coupon_terms(w.merchant_id, f"renamed by {caller}"),
        ("POST", "/v1/coupon-definitions/{definition_id}/grants"): {"user_ids": [w.owner.user_id]},
        ("PUT", "/v1/admin/rewards/{reward_id}"): {**GIFT, "name": f"renamed by {caller}"},
        ("PUT", "/v1/admin/tiers"): {"tiers": [{"name": f"base-{caller}", "threshold": 0, "points_multiplier": 1}]},
        ("POST", "/v1/payments/{payment_id}/refunds"): {"amount": 1, "reason": f"authz by {caller}"},
        ("POST", "/v1/admin/wallets/{user_id}/adjustments"): {
            "amount": 1,
            "lot": "bonus",
            "reason": f"authz by {caller}",
        },
        ("PUT", "/v1/admin/merchants/{merchant_id}"): {"name": f"renamed by {caller}", "status": "active"},
        # switched off, and for amounts nobody here tops up: it changes no other cell's top-up
        ("PUT", "/v1/admin/topup-plans/{plan_id}"): {
            "name": f"by {caller}",
            "min_amount": 4_999_999,
            "bonus_amount": 100,
            "active": False,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2099-01-01T00:00:00Z",
        },
        ("POST", "/v1/feedback"): {
            "payment_id": w.payment_id,
            "rating": 4,
            "tags": ["authz"],
            "comment": f"by {caller}",
        },
        ("POST", "/v1/admin/promotions"): promotion_body(w.merchant_id, f"by {caller}"),
        ("POST", "/v1/admin/campaigns"): campaign_body(f"by {caller}"),
        ("POST", "/v1/surveys/{survey_id}/answers"): {"choice": "yes"},
        ("POST", "/v1/events"): {
            "events": [{"type": "view_wallet"}, {"type": "search", "props": {"query": f"by {caller}"}}]
        },
    }
    if route in (("POST", "/v1/payments/{payment_id}/capture"), ("POST", "/v1/payments/{payment_id}/void")):
        checkout = api.open_checkout(w.owner, 10, merchant_id=w.merchant_id, order_id=f"o-authz-hold-{tag}")
        held = api.post(
            "/v1/payments", w.owner, {"checkout_id": checkout["checkout_id"], "capture": False}, key=str(uuid.uuid4())
        )
        assert held.status_code == 201, held.text
        concrete = path.format(payment_id=held.json()["payment_id"])
        if route[1].endswith("capture"):
            bodies[route] = {}
    if route == ("POST", "/v1/rewards/{reward_id}/redemptions") and caller in AUTHENTICATED:
        _points_for(api, w.users[caller])  # before the state is taken: earning is not the cell's doing
    if route == ("POST", "/v1/checkouts/{checkout_id}/cancel"):
        concrete = path.format(
            checkout_id=api.open_checkout(w.owner, 10, merchant_id=w.merchant_id, order_id=f"o-authz-cancel-{tag}")[
                "checkout_id"
            ]
        )
    if route == ("POST", "/v1/payments"):  # a fresh checkout of the owner's for every cell
        bodies[route] = {
            "checkout_id": api.open_checkout(w.owner, 10, merchant_id=w.merchant_id, order_id=f"o-authz-pay-{tag}")[
                "checkout_id"
            ]
        }
    if route == ("GET", "/v1/admin/customers/{user_id}/profile"):
        concrete = f"/v1/admin/customers/u-unseen-{tag}/profile"
    if route == ("GET", "/v1/admin/segments/{name}/members"):
        concrete += "?limit=5"
    if route == ("POST", "/v1/admin/segmentations"):
        bodies[route] = {}
    if route == ("GET", "/v1/admin/segmentations/{run_id}"):
        queued = api.post("/v1/admin/segmentations", w.users[ADMIN], {})
        assert queued.status_code == 202, queued.text
        concrete = path.format(run_id=queued.json()["run_id"])
        segmentation_settled(api, queued.json()["run_id"], w.users[ADMIN])  # it rewrites profiles: not mid-cell
    if route == ("POST", "/v1/merchants/{merchant_id}/backtests"):
        bodies[route] = {"days": 7}
    if route == ("GET", "/v1/merchants/{merchant_id}/backtests/{backtest_id}"):
        queued = api.post(f"/v1/merchants/{w.merchant_id}/backtests", w.users[ADMIN], {"days": 7})
        assert queued.status_code == 202, queued.text
        concrete = path.format(merchant_id=w.merchant_id, backtest_id=queued.json()["backtest_id"])
        backtest_settled(api, concrete, w.users[ADMIN])
    if route in (("GET", "/v1/admin/reports/obstacles"), ("GET", "/v1/admin/reports/balance-share")):
        concrete += f"?merchant_id={w.merchant_id}"
    if route == ("GET", "/v1/admin/feedback"):  # the world's merchant's: other tests' feedback may share the table
        concrete += f"?merchant_id={w.merchant_id}"
    idempotent = {(r.method, r.path) for r in ROUTES if r.idempotent}
    extra = {}
    if route == ("POST", "/v1/webhooks/payments"):
        extra["X-Signature"] = sign(w.webhook_secret, json.dumps(bodies[route]).encode())
    raw = None
    if path == "/v1/unsubscribe":  # the owner's link, with marketing e-mail on again before every cell
        from datetime import datetime, timezone

        from chalicelib.services.marketing import sign_token

        on = api.request("PUT", "/v1/wallet/settings", w.owner, {"marketing": {"email": True}})
        assert on.status_code == 200, on.text
        concrete += "?token=" + sign_token(w.unsubscribe_secret, w.owner.user_id, datetime.now(timezone.utc))
        if method == "POST":  # RFC 8058's one-click body
            raw, extra["Content-Type"] = b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"
    return Call(method, concrete, bodies.get(route), route in idempotent, extra, raw)


def send(api, w: World, caller: str, call: Call):
    headers = {**w.headers[caller], **(call.headers or {})}
    kw: dict[str, Any] = {}
    if call.body is not None:
        kw["data"] = json.dumps(call.body).encode()
        headers["Content-Type"] = "application/json"
    elif call.raw is not None:
        kw["data"] = call.raw
    if call.idempotent:
        headers["Idempotency-Key"] = f"authz-{uuid.uuid4()}"
    return api.http.request(call.method, api.url + call.path, headers=headers, timeout=30, **kw)


# ---- what "nothing changed" means ------------------------------------------------------


def state(api, w: World) -> dict[str, Any]:
    admin = w.users[ADMIN]
    wallet = api.get("/v1/wallet", w.owner).json()
    payment = api.get(f"/v1/payments/{w.payment_id}", admin).json()
    return {
        "owner_wallet": wallet,
        "owner_balance": wallet["balance"],
        "refundable": payment["refundable"],
        "refunds": len(payment["refunds"]),
    }


def assert_envelope(r, expect: Expect) -> None:
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == expect.code, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], dict), error


# ---- the matrix ------------------------------------------------------------------------


def check_cell(api, table, world: World, route: tuple[str, str], caller: str) -> None:
    """One cell: the status (and error code) the matrix says; a refusal changed nothing, an allowed request
    did what its row's check says (CHECKS)."""
    expect = MATRIX[route][caller]
    call = build_call(api, route, world, caller)
    items = not expect.refused and getattr(CHECKS[route], "reads_items", False)
    before = table.unless_written(state, api, world)
    before_items = table.snapshot(items=items)

    r = send(api, world, caller, call)

    assert r.status_code == expect.status, f"{call.method} {call.path} as {caller}: {r.status_code} {r.text}"
    after_items = table.snapshot(items=items)
    if expect.refused:
        assert_envelope(r, expect)
        if expect.status == 401:
            assert "Bearer" in r.headers.get("WWW-Authenticate", "")
        if table.may_have_changed(before_items, after_items):
            after = state(api, world)
            assert after["owner_balance"] == before["owner_balance"]
            assert after["refundable"] == before["refundable"]
            assert after == before
        assert_nothing_written(before_items, after_items, "a refused request wrote to the table")
        return
    after = state(api, world)
    CHECKS[route](api, world, caller, r.json(), before, after, before_items, after_items)


# ---- what an allowed request did, per route ---------------------------------------------


def reads_items(check: Callable[..., None]) -> Callable[..., None]:
    """A check that reads the table's items themselves (``bi``, ``ai``), not only whether anything was written:
    in process its cells take the whole table too."""
    check.reads_items = True  # type: ignore[attr-defined]
    return check


def only_the_bus_written(bi, ai) -> None:
    """Nothing written to the table; in process (every call the process made) the one write is one PutEvents."""
    if hasattr(ai, "log"):
        writes = [str(c) for c in ai.log.calls[bi.at : ai.at] if c.writes]
        assert writes == ["events:PutEvents"], writes
    else:
        assert_nothing_written(bi, ai, "wrote to the table")


def unchanged(before_items, after_items, before, after) -> None:
    assert after == before
    assert_nothing_written(before_items, after_items, "a read wrote to the table")


def check_health(api, w, caller, body, before, after, bi, ai):
    assert body["status"] == "ok"
    unchanged(bi, ai, before, after)


def check_webhook(api, w, caller, body, before, after, bi, ai):
    # the same verdict again: answered, nothing credited twice
    assert body == {"topup_id": w.topup_id, "status": "succeeded", "credited": False, "bonus": 0, "plan_id": None}
    unchanged(bi, ai, before, after)


def check_unsubscribe(api, w, caller, body, before, after, bi, ai):
    # the owner's marketing e-mail, on before the cell, is off: whoever sent the token, it acts for its customer
    assert body["status"] == "unsubscribed" and body["marketing"] == {"email": False}
    assert before["owner_wallet"]["marketing"] == {"email": True}
    assert after["owner_wallet"]["marketing"] == {"email": False}
    assert after["owner_balance"] == before["owner_balance"] and after["refundable"] == before["refundable"]
    assert after["owner_wallet"]["reminders"] == before["owner_wallet"]["reminders"]


def check_own_wallet(api, w, caller, body, before, after, bi, ai):
    assert body["user_id"] == w.users[caller].user_id
    unchanged(bi, ai, before, after)


def check_settings(api, w, caller, body, before, after, bi, ai):
    assert body["user_id"] == w.users[caller].user_id and body["low_balance_threshold"] == 1234
    assert after["owner_balance"] == before["owner_balance"] and after["refundable"] == before["refundable"]
    if caller != OWNER:
        assert after["owner_wallet"] == before["owner_wallet"]


def check_inbox(api, w, caller, body, before, after, bi, ai):
    assert body["user_id"] == w.users[caller].user_id and isinstance(body["items"], list)
    if caller == OWNER:
        assert w.notification_id in {i["notification_id"] for i in body["items"]}
    else:
        assert w.notification_id not in {i["notification_id"] for i in body["items"]}
    unchanged(bi, ai, before, after)


@reads_items
def check_mark_read(api, w, caller, body, before, after, bi, ai):
    assert caller == OWNER and body["notification_id"] == w.notification_id and body["read_at"]
    assert after == before  # a read mark moves no money
    before_keys = {(i["pk"]["S"], i["sk"]["S"]) for i in bi}
    changed = [i for i in ai if i not in bi and not is_new_inbox_item(i, before_keys)]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in changed] == [(f"W#{w.owner.user_id}", f"N#{w.notification_id}")]
    assert "read_at" in changed[0] and len(ai) >= len(bi)


def check_topup(api, w, caller, body, before, after, bi, ai):
    assert body["status"] == "pending" and body["amount"] == 700
    assert after == before  # pending: no money moved
    mine = api.get(f"/v1/topups/{body['topup_id']}", w.users[caller])
    assert mine.status_code == 200, mine.text
    if caller != OWNER:
        theirs = api.get(f"/v1/topups/{body['topup_id']}", w.owner)
        assert theirs.status_code == 404 and theirs.json()["error"]["code"] == "topup_not_found"


def check_get_topup(api, w, caller, body, before, after, bi, ai):
    assert body["topup_id"] == w.topup_id
    unchanged(bi, ai, before, after)


def check_pay(api, w, caller, body, before, after, bi, ai):
    assert caller == OWNER and body["amount"] == 10
    assert after["owner_balance"]["total"] == before["owner_balance"]["total"] - 10
    assert after["refundable"] == before["refundable"]


def check_checkout(api, w, caller, body, before, after, bi, ai):
    assert body["merchant_id"] == w.merchant_id and body["user_id"] == w.owner.user_id and body["status"] == "open"
    assert after == before  # a checkout moves no money
    seen = api.get(f"/v1/checkouts/{body['checkout_id']}", w.owner)
    assert seen.status_code == 200 and seen.json()["amount"] == 10


def check_get_checkout(api, w, caller, body, before, after, bi, ai):
    assert body["checkout_id"] == w.checkout_id and body["user_id"] == w.owner.user_id
    unchanged(bi, ai, before, after)


def check_cancel_checkout(api, w, caller, body, before, after, bi, ai):
    assert (body["status"], body["cancel_reason"], body["user_id"]) == ("cancelled", f"by {caller}", w.owner.user_id)
    assert after == before  # closing a checkout moves no money
    seen = api.get(f"/v1/checkouts/{body['checkout_id']}", w.owner).json()
    assert seen["status"] == "cancelled"
    reopened = api.open_checkout(w.owner, 10, merchant_id=w.merchant_id, order_id=body["order_id"])
    assert reopened["checkout_id"] != body["checkout_id"]  # its order may get a new checkout


def check_quote(api, w, caller, body, before, after, bi, ai):
    assert caller == OWNER and body["checkout_id"] == w.checkout_id and body["balance"] == 10 and body["payable"]
    assert after == before
    only_the_bus_written(bi, ai)  # the quote's trace, checkout.quoted


def check_put_rules(api, w, caller, body, before, after, bi, ai):
    assert body["merchant_id"] == w.merchant_id and body["version"] >= 1 and body["min_order_amount"] == 0
    assert after == before


def check_get_rules(api, w, caller, body, before, after, bi, ai):
    assert body["merchant_id"] == w.merchant_id and body["partial_pay"]["allowed"] == "always"
    unchanged(bi, ai, before, after)


def check_capture(api, w, caller, body, before, after, bi, ai):
    assert body["status"] == "succeeded" and body["captured"] == 10 and body["released"] == 0
    assert after["owner_wallet"]["held"]["total"] == before["owner_wallet"]["held"]["total"] - 10
    assert after["owner_balance"] == before["owner_balance"]


def check_void(api, w, caller, body, before, after, bi, ai):
    assert body["status"] == "voided" and body["released"] == 10
    assert after["owner_balance"]["total"] == before["owner_balance"]["total"] + 10
    assert after["owner_wallet"]["held"]["total"] == before["owner_wallet"]["held"]["total"] - 10


def _points_for(api, user) -> None:
    """At least one available point (a ¥1 payment; the local stack's return window is 0)."""
    if api.get("/v1/points", user).json()["available"] >= 1:
        return
    api.fund(user, 100)
    assert api.pay(user, 100).status_code == 201


def check_membership(api, w, caller, body, before, after, bi, ai):
    assert body["user_id"] == w.users[caller].user_id and body["rolling_spend"] >= 0
    unchanged(bi, ai, before, after)


def check_tiers(api, w, caller, body, before, after, bi, ai):
    assert [t["name"] for t in body["tiers"]] == [f"base-{caller}"] and body["version"] >= 1
    assert after == before


def check_get_tiers(api, w, caller, body, before, after, bi, ai):
    # what the last PUT of the tiers set (the PUT row runs before this one, or nothing was set yet)
    put = api.request(
        "PUT",
        "/v1/admin/tiers",
        w.users[ADMIN],
        {"tiers": [{"name": "read-back", "threshold": 0, "points_multiplier": 1.5}]},
    )
    assert put.status_code == 200, put.text
    read = api.get("/v1/admin/tiers", w.users[ADMIN]).json()
    assert read == put.json() and read["tiers"][0]["points_multiplier"] == 1.5
    assert isinstance(body["version"], int) and isinstance(body["tiers"], list)
    unchanged(bi, ai, before, after)


def check_rewards(api, w, caller, body, before, after, bi, ai):
    assert w.reward_id in {r["reward_id"] for r in body["rewards"]}
    unchanged(bi, ai, before, after)


def check_put_reward(api, w, caller, body, before, after, bi, ai):
    assert body["reward_id"] == w.reward_id and body["name"] == f"renamed by {caller}"
    assert after == before


def check_redeem(api, w, caller, body, before, after, bi, ai):
    assert body["reward_id"] == w.reward_id and body["points_spent"] == 1 and body["coupon_id"] is None
    assert after["owner_balance"] == before["owner_balance"]  # points, not money


def check_coupons(api, w, caller, body, before, after, bi, ai):
    assert body["user_id"] == w.users[caller].user_id and isinstance(body["coupons"], list)
    unchanged(bi, ai, before, after)


def check_put_definition(api, w, caller, body, before, after, bi, ai):
    assert body["definition_id"] == w.definition_id and body["name"] == f"renamed by {caller}"
    assert after == before


def check_get_definition(api, w, caller, body, before, after, bi, ai):
    assert body["definition_id"] == w.definition_id and body["merchant_id"] == w.merchant_id
    unchanged(bi, ai, before, after)


def check_grant(api, w, caller, body, before, after, bi, ai):
    assert body["definition_id"] == w.definition_id and body["granted"] == 1 and body["skipped"] == []
    assert after == before  # a coupon moves no money
    mine = [c for c in api.get("/v1/coupons", w.owner).json()["coupons"] if c["definition_id"] == w.definition_id]
    assert len(mine) >= 1


def check_get_payment(api, w, caller, body, before, after, bi, ai):
    assert body["payment_id"] == w.payment_id and body["user_id"] == w.owner.user_id
    unchanged(bi, ai, before, after)


def check_refund(api, w, caller, body, before, after, bi, ai):
    assert body["payment_id"] == w.payment_id and body["amount"] == 1
    assert after["refundable"] == before["refundable"] - 1 == body["refundable"]
    assert after["owner_balance"]["total"] == before["owner_balance"]["total"] + 1


def check_admin_wallet(api, w, caller, body, before, after, bi, ai):
    assert body["user_id"] == w.owner.user_id
    unchanged(bi, ai, before, after)


def check_adjustment(api, w, caller, body, before, after, bi, ai):
    assert body["user_id"] == w.owner.user_id and body["amount"] == 1
    assert after["owner_balance"]["bonus"] == before["owner_balance"]["bonus"] + 1
    assert after["refundable"] == before["refundable"]


def check_merchant(api, w, caller, body, before, after, bi, ai):
    assert body == {
        "merchant_id": w.spare_merchant_id,
        "name": f"renamed by {caller}",
        "status": "active",
        "return_origins": [],
        "staff_group": f"merchant:{w.spare_merchant_id}",
    }
    assert after == before


def check_reconcile(api, w, caller, body, before, after, bi, ai):
    assert body["wallets_checked"] >= 1
    unchanged(bi, ai, before, after)


def check_topup_options(api, w, caller, body, before, after, bi, ai):
    assert [o["amount"] for o in body["options"]] == [5000, 10000, 20000, 50000]
    unchanged(bi, ai, before, after)


def check_put_plan(api, w, caller, body, before, after, bi, ai):
    assert body["plan_id"] == "plan-authz" and body["name"] == f"by {caller}" and body["active"] is False
    assert after == before  # no money moves


def check_list_plans(api, w, caller, body, before, after, bi, ai):
    assert isinstance(body["plans"], list)
    unchanged(bi, ai, before, after)


@reads_items
def check_feedback(api, w, caller, body, before, after, bi, ai):
    assert caller == OWNER and body["subject"] == {"kind": "payment", "id": w.payment_id}
    assert body["merchant_id"] == w.merchant_id and body["comment"] == f"by {caller}"
    assert after == before  # feedback moves no money
    before_keys = {(i["pk"]["S"], i["sk"]["S"]) for i in bi}
    # (not counting notifications the bus's consumer wrote meanwhile for earlier requests)
    added = [i for i in ai if i not in bi and not is_new_inbox_item(i, before_keys)]
    assert len(added) == 3, added  # the record, its guard, the idempotency record
    assert [i for i in bi if i not in ai] == []
    assert {i["pk"]["S"].split("#")[0] for i in added} == {"FB", "FS", "I"}
    record = next(i for i in added if i["pk"]["S"].startswith("FB#"))
    assert record["user_id"] == {"S": w.owner.user_id} and record["kind"] == {"S": "feedback"}


@reads_items
def check_list_feedback(api, w, caller, body, before, after, bi, ai):
    stored = [i for i in bi if i["pk"]["S"].startswith("FB#") and i.get("merchant_id") == {"S": w.merchant_id}]
    assert len(body["items"]) == len(stored) and body["next_cursor"] is None
    assert {f["feedback_id"] for f in body["items"]} == {i["feedback_id"]["S"] for i in stored}
    assert all(a["created_at"] >= b["created_at"] for a, b in zip(body["items"], body["items"][1:]))
    unchanged(bi, ai, before, after)


def check_events(api, w, caller, body, before, after, bi, ai):
    assert body == {"accepted": 2} and after == before
    only_the_bus_written(bi, ai)  # behaviour goes to the bus, never to the ledger


def check_liability(api, w, caller, body, before, after, bi, ai):
    total = body["total"]["total"]
    assert body["wallets"] >= 1 and total >= before["owner_balance"]["total"]
    assert sum(r["total"] for r in body["by_age"]) == total == sum(r["total"] for r in body["by_expiry"])
    unchanged(bi, ai, before, after)


def check_segments(api, w, caller, body, before, after, bi, ai):
    from chalicelib.insight.segments import SEGMENTS

    assert [s["name"] for s in body["segments"]] == list(SEGMENTS)
    unchanged(bi, ai, before, after)


def check_segment_history(api, w, caller, body, before, after, bi, ai):
    assert all(r["sizes"] for r in body["runs"])
    unchanged(bi, ai, before, after)


def check_members(api, w, caller, body, before, after, bi, ai):
    assert body["segment"] == "champions" and len(body["members"]) <= 5
    unchanged(bi, ai, before, after)


def check_segmentation_queued(api, w, caller, body, before, after, bi, ai):
    assert body["state"] in ("queued", "running") and body["run_id"].startswith("seg_")
    assert after == before  # a run moves no money
    seen = api.get(f"/v1/admin/segmentations/{body['run_id']}", w.users[ADMIN])
    assert seen.status_code == 200 and seen.json()["as_of"] == body["as_of"], seen.text
    segmentation_settled(api, body["run_id"], w.users[ADMIN])  # it recomputes every profile: none left running


def check_backtest_queued(api, w, caller, body, before, after, bi, ai):
    assert body["state"] in ("queued", "running") and body["backtest_id"].startswith("bt_")
    assert body["merchant_id"] == w.merchant_id and body["days"] == 7
    assert after == before  # a backtest moves no money
    seen = api.get(f"/v1/merchants/{w.merchant_id}/backtests/{body['backtest_id']}", w.users[ADMIN])
    assert seen.status_code == 200 and seen.json()["days"] == 7, seen.text


def check_backtest(api, w, caller, body, before, after, bi, ai):
    assert body["backtest_id"].startswith("bt_") and body["merchant_id"] == w.merchant_id
    assert body["state"] in ("queued", "running", "succeeded", "failed")
    unchanged(bi, ai, before, after)


def check_segmentation_run(api, w, caller, body, before, after, bi, ai):
    assert body["run_id"].startswith("seg_") and body["state"] in ("queued", "running", "succeeded", "failed")
    unchanged(bi, ai, before, after)


def check_no_profile(api, w, caller, body, before, after, bi, ai):
    raise AssertionError("a customer no run has seen has no profile: the row expects 404")


def check_obstacles(api, w, caller, body, before, after, bi, ai):
    assert body["to"] >= body["from"] and all(r["merchant_id"] == w.merchant_id for r in body["rows"])
    unchanged(bi, ai, before, after)


def check_balance_share(api, w, caller, body, before, after, bi, ai):
    assert all(r["merchant_id"] == w.merchant_id for r in body["rows"])
    assert body["total"]["sales"] == sum(r["sales"] for r in body["rows"])
    unchanged(bi, ai, before, after)


def check_breakage(api, w, caller, body, before, after, bi, ai):
    assert body["total"]["expired"] == sum(m["expired"] for m in body["months"]) and body["months"]
    unchanged(bi, ai, before, after)


def check_segment_sizes(api, w, caller, body, before, after, bi, ai):
    assert len(body["days"]) == 30 and body["days"][-1]["day"] == body["to"]
    unchanged(bi, ai, before, after)


def check_feedback_report(api, w, caller, body, before, after, bi, ai):
    assert body["total"]["ratings"] == sum(s["ratings"] for s in body["by_segment"])
    unchanged(bi, ai, before, after)


def check_create_promotion(api, w, caller, body, before, after, bi, ai):
    assert body["merchant_id"] == w.merchant_id and body["status"] == "scheduled" and body["name"] == f"by {caller}"
    assert after == before  # a promotion moves no money
    seen = api.get(f"/v1/admin/promotions/{body['promotion_id']}", w.users[caller])
    assert seen.status_code == 200 and seen.json()["promotion_id"] == body["promotion_id"]


def check_list_promotions(api, w, caller, body, before, after, bi, ai):
    ids = {p["promotion_id"] for p in body["promotions"]}
    assert (w.promotion_id in ids) is (caller in (MERCHANT, ADMIN))
    if caller == OTHER_MERCHANT:
        assert all(p["merchant_id"] != w.merchant_id for p in body["promotions"])
    unchanged(bi, ai, before, after)


def check_get_promotion(api, w, caller, body, before, after, bi, ai):
    assert body["promotion_id"] == w.promotion_id and body["merchant_id"] == w.merchant_id
    unchanged(bi, ai, before, after)


def check_cancel_promotion(api, w, caller, body, before, after, bi, ai):
    assert body["status"] == "cancelled" and body["merchant_id"] == w.merchant_id
    assert after == before


def check_create_campaign(api, w, caller, body, before, after, bi, ai):
    assert body["status"] == "scheduled" and body["name"] == f"by {caller}" and body["targeted"] == 0
    assert after == before  # a campaign moves no money until it runs
    seen = api.get(f"/v1/admin/campaigns/{body['campaign_id']}", w.users[caller])
    assert seen.status_code == 200 and seen.json()["campaign_id"] == body["campaign_id"]


def check_list_campaigns(api, w, caller, body, before, after, bi, ai):
    assert w.campaign_id in {c["campaign_id"] for c in body["campaigns"]}
    unchanged(bi, ai, before, after)


def check_get_campaign(api, w, caller, body, before, after, bi, ai):
    assert body["campaign_id"] == w.campaign_id and body["status"] == "scheduled"
    unchanged(bi, ai, before, after)


def check_cancel_campaign(api, w, caller, body, before, after, bi, ai):
    assert body["status"] == "cancelled" and body["cancelled_at"]
    assert after == before


CHECKS: dict[tuple[str, str], Callable[..., None]] = {
    ("POST", "/v1/admin/campaigns"): check_create_campaign,
    ("GET", "/v1/admin/campaigns"): check_list_campaigns,
    ("GET", "/v1/admin/campaigns/{campaign_id}"): check_get_campaign,
    ("DELETE", "/v1/admin/campaigns/{campaign_id}"): check_cancel_campaign,
    ("POST", "/v1/admin/campaigns/{campaign_id}/measurements"): check_get_campaign,  # never reached: 409
    ("POST", "/v1/surveys/{survey_id}/answers"): check_get_campaign,  # never reached: 404 or 403
    ("GET", "/v1/topups/options"): check_topup_options,
    ("PUT", "/v1/admin/topup-plans/{plan_id}"): check_put_plan,
    ("GET", "/v1/admin/topup-plans"): check_list_plans,
    ("POST", "/v1/admin/promotions"): check_create_promotion,
    ("GET", "/v1/admin/promotions"): check_list_promotions,
    ("GET", "/v1/admin/promotions/{promotion_id}"): check_get_promotion,
    ("DELETE", "/v1/admin/promotions/{promotion_id}"): check_cancel_promotion,
    ("GET", "/v1/health"): check_health,
    ("POST", "/v1/webhooks/payments"): check_webhook,
    ("GET", "/v1/unsubscribe"): check_unsubscribe,
    ("POST", "/v1/unsubscribe"): check_unsubscribe,
    ("GET", "/v1/wallet"): check_own_wallet,
    ("GET", "/v1/wallet/entries"): check_own_wallet,
    ("GET", "/v1/points"): check_own_wallet,
    ("GET", "/v1/coupons"): check_coupons,
    ("GET", "/v1/rewards"): check_rewards,
    ("GET", "/v1/membership"): check_membership,
    ("PUT", "/v1/admin/tiers"): check_tiers,
    ("GET", "/v1/admin/tiers"): check_get_tiers,
    ("PUT", "/v1/admin/rewards/{reward_id}"): check_put_reward,
    ("POST", "/v1/rewards/{reward_id}/redemptions"): check_redeem,
    ("PUT", "/v1/coupon-definitions/{definition_id}"): check_put_definition,
    ("GET", "/v1/coupon-definitions/{definition_id}"): check_get_definition,
    ("POST", "/v1/coupon-definitions/{definition_id}/grants"): check_grant,
    ("GET", "/v1/points/entries"): check_own_wallet,
    ("PUT", "/v1/wallet/settings"): check_settings,
    ("GET", "/v1/notifications"): check_inbox,
    ("POST", "/v1/notifications/{notification_id}/read"): check_mark_read,
    ("POST", "/v1/topups"): check_topup,
    ("GET", "/v1/topups/{topup_id}"): check_get_topup,
    ("POST", "/v1/checkouts"): check_checkout,
    ("GET", "/v1/checkouts/{checkout_id}"): check_get_checkout,
    ("POST", "/v1/checkouts/{checkout_id}/quote"): check_quote,
    ("POST", "/v1/checkouts/{checkout_id}/cancel"): check_cancel_checkout,
    ("PUT", "/v1/merchants/{merchant_id}/balance-rules"): check_put_rules,
    ("GET", "/v1/merchants/{merchant_id}/balance-rules"): check_get_rules,
    ("POST", "/v1/payments"): check_pay,
    ("GET", "/v1/payments/{payment_id}"): check_get_payment,
    ("POST", "/v1/payments/{payment_id}/capture"): check_capture,
    ("POST", "/v1/payments/{payment_id}/void"): check_void,
    ("POST", "/v1/payments/{payment_id}/refunds"): check_refund,
    ("GET", "/v1/admin/wallets/{user_id}"): check_admin_wallet,
    ("GET", "/v1/admin/wallets/{user_id}/entries"): check_admin_wallet,
    ("POST", "/v1/admin/wallets/{user_id}/adjustments"): check_adjustment,
    ("PUT", "/v1/admin/merchants/{merchant_id}"): check_merchant,
    ("POST", "/v1/admin/reconciliations"): check_reconcile,
    ("POST", "/v1/feedback"): check_feedback,
    ("GET", "/v1/admin/feedback"): check_list_feedback,
    ("POST", "/v1/events"): check_events,
    ("GET", "/v1/admin/reports/liability"): check_liability,
    ("GET", "/v1/admin/segments"): check_segments,
    ("GET", "/v1/admin/segments/history"): check_segment_history,
    ("GET", "/v1/admin/customers/{user_id}/profile"): check_no_profile,
    ("GET", "/v1/admin/segments/{name}/members"): check_members,
    ("POST", "/v1/admin/segmentations"): check_segmentation_queued,
    ("GET", "/v1/admin/segmentations/{run_id}"): check_segmentation_run,
    ("POST", "/v1/merchants/{merchant_id}/backtests"): check_backtest_queued,
    ("GET", "/v1/merchants/{merchant_id}/backtests/{backtest_id}"): check_backtest,
    ("GET", "/v1/admin/reports/obstacles"): check_obstacles,
    ("GET", "/v1/admin/reports/balance-share"): check_balance_share,
    ("GET", "/v1/admin/reports/breakage"): check_breakage,
    ("GET", "/v1/admin/reports/segments"): check_segment_sizes,
    ("GET", "/v1/admin/reports/feedback"): check_feedback_report,
}


def check_every_row_says_what_success_means() -> None:
    assert CHECKS.keys() == MATRIX.keys()


def check_the_webhook_wants_its_signature_whatever_token_comes_with_it(api, table, world: World) -> None:
    """The token columns of the webhook row are open; the HMAC is its lock, and an admin token is no key."""
    body = {"topup_id": world.topup_id, "status": "failed", "amount": world.topup_amount, "provider_ref": "x"}
    before = table.snapshot()
    r = api.http.post(
        f"{api.url}/v1/webhooks/payments",
        data=json.dumps(body).encode(),
        timeout=30,
        headers={**world.headers[ADMIN], "Content-Type": "application/json"},
    )
    assert r.status_code == 401, r.text
    assert_envelope(r, Expect(401, "invalid_signature"))
    assert_nothing_written(before, table.snapshot())
