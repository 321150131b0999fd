"""`make run`: the whole local stack in one command, seeded, until Ctrl-C or SIGTERM.

The app checks the payment webhook's signature with ``PAYMENT_WEBHOOK_SECRET``
when it is set (else the documented local default); the seeding signs with the
same secret, and `make -s sign` prints a signature with it.
A failure while starting or seeding is reported in one line naming the cause,
and everything started so far is stopped (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from chalicelib.api.signature import sign
from chalicelib.config import LOCAL_WEBHOOK_SECRET
from dev.stack import PASSWORD, ROOT, STATE_FILE, LocalStack, StackInfo, app_environment, issue_token
from dev.web_server import WebServer

POINTS_CUSTOMER = "carol"  # the demo customer whose points have matured
POINTS_TOPUP, POINTS_ORDER = 50000, 30000  # her top-up and the order that earned her points, both in the past
DEMO_REWARD = "demo-gift"
DEMO_REWARD_BODY = {
    "name": "Demo tote bag",
    "kind": "gift",
    "points_cost": 100,
    "stock": 1000,
    "per_customer_limit": 10,
    "active": True,
}


class SeedError(RuntimeError):
    """A seeding call was refused or failed; the message names the call and the answer."""


def refused(method: str, path: str, status: int, text: str) -> SeedError:
    try:
        error = json.loads(text)["error"]
        why = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        why = text[:200]
    return SeedError(f"{method} {path} answered {status} {why}")


def _past_order(info: StackInfo, customer: str, shop: str) -> dict:
    """In this process only (``python -m dev.run --past-order``): the demo customer's top-up and a paid order,
    dated the return window + 1 day ago, through the app itself.

    Points earned by a payment stay pending for POINTS_RETURN_WINDOW_DAYS and nothing but time matures them
    (domain/points.py: whoever reads the account after ``available_at`` sees them available). So the order is
    paid the way every payment is paid (the app's routes, token check, validation, the payment service and
    the store's one transaction) against the running stack's table, with the services' clock
    (services/clock.py, the one the tests set) moved back: its points are then past their window, and matured
    by the ledger's own rule when the server reads them. Nothing is written into the table by hand.
    Chalice's test client dispatches through the same LocalGateway as `chalice local`, without the socket.
    It runs in a process of its own because the clock is set for the whole process, and the app reads its
    settings once per process (the `make run` process has read them without the stack's endpoints).
    """
    os.environ.update(app_environment(info))  # before the app reads its settings
    from chalice.test import Client

    import app
    from chalicelib.config import get_settings
    from chalicelib.services import clock

    moment = clock.now() - timedelta(days=get_settings().points.return_window_days + 1)
    clock.now = lambda: moment

    with Client(app.app, stage_name="local", project_dir=str(ROOT)) as client:

        def call(method: str, path: str, token: str | None, body: dict | bytes, headers: dict | None = None) -> dict:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4()), **(headers or {})}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            r = client.http.request(method, path, headers=headers, body=raw)
            text = r.body.decode() if isinstance(r.body, bytes) else str(r.body)
            if r.status_code >= 300:
                raise refused(method, path, r.status_code, text)
            return json.loads(text)

        user_id = call("GET", "/v1/wallet", customer, b"")["user_id"]
        topup = call("POST", "/v1/topups", customer, {"amount": POINTS_TOPUP, "channel": "alipay"})
        body = json.dumps(
            {
                "topup_id": topup["topup_id"],
                "status": "succeeded",
                "amount": POINTS_TOPUP,
                "provider_ref": f"demo-{POINTS_CUSTOMER}",
            }
        ).encode()
        call("POST", "/v1/webhooks/payments", None, body, {"X-Signature": sign(info.webhook_secret, body)})
        checkout = call(
            "POST",
            "/v1/checkouts",
            shop,
            {
                "merchant_id": "m1",
                "order_id": f"demo-{POINTS_CUSTOMER}-1",
                "user_id": user_id,
                "items": [{"sku": "hamper", "category": "food", "unit_price": POINTS_ORDER, "quantity": 1}],
            },
        )
        paid = call("POST", "/v1/payments", customer, {"checkout_id": checkout["checkout_id"]})
    return {
        "user_id": user_id,
        "payment_id": paid["payment_id"],
        "paid_at": paid["created_at"],
        "points_earned": paid["points_earned"],
    }


def past_order(info: StackInfo, customer: str, shop: str) -> dict:
    """Run ``_past_order`` in a child process (see there); its one-line failure becomes a SeedError."""
    out = subprocess.run(
        [sys.executable, "-m", "dev.run", "--past-order"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        input=json.dumps({"info": asdict(info), "customer": customer, "shop": shop}),
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("past-order: ")]
    if out.returncode != 0 or not lines:
        why = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise SeedError(f"the demo order in the past failed: {why}")
    return json.loads(lines[-1].removeprefix("past-order: "))


def past_order_main() -> int:
    args = json.loads(sys.stdin.read())
    try:
        result = _past_order(StackInfo(**args["info"]), args["customer"], args["shop"])
    except Exception as exc:
        print(one_line(exc), file=sys.stderr)
        return 1
    print("past-order: " + json.dumps(result), flush=True)
    return 0


def seed(info: StackInfo, web_port: int = 8080) -> dict[str, str]:
    """Demo data, written through the API as any client would: a merchant (its hosted checkout may return to the
    local web server on ``web_port``, where the demo shop's return page is), two funded customers, a third whose
    points have matured (an order she paid with balance more than the return window ago), a reward of the points
    catalogue she can redeem, a top-up plan."""
    api = info.api_url

    def send(method: str, path: str, **kw) -> dict:
        try:
            r = requests.request(method, api + path, timeout=10, **kw)
        except requests.RequestException as exc:
            raise SeedError(f"{method} {path} failed: {type(exc).__name__}: {exc}") from exc
        if r.status_code >= 300:
            raise refused(method, path, r.status_code, r.text)
        return r.json()

    def call(method: str, path: str, token: str, body: dict | None = None, key: bool = False) -> dict:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return send(method, path, json=body, headers=headers)

    admin = issue_token(info, "operator", ["admin"])
    origins = [f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"]
    call("PUT", "/v1/admin/merchants/m1", admin, {"name": "Demo Shop", "return_origins": origins})
    issue_token(info, "merchant1", ["merchant:m1"])
    users = {}
    for name, amount in (("alice", 20000), ("bob", 5000)):
        token = issue_token(info, name)
        wallet = call("GET", "/v1/wallet", token)
        users[name] = wallet["user_id"]
        topup = call("POST", "/v1/topups", token, {"amount": amount, "channel": "alipay"}, key=True)
        body = json.dumps(
            {"topup_id": topup["topup_id"], "status": "succeeded", "amount": amount, "provider_ref": f"demo-{name}"}
        ).encode()
        send(
            "POST",
            "/v1/webhooks/payments",
            data=body,
            headers={"Content-Type": "application/json", "X-Signature": sign(info.webhook_secret, body)},
        )
    call(
        "POST",
        f"/v1/admin/wallets/{users['alice']}/adjustments",
        admin,
        {"amount": 1000, "lot": "bonus", "reason": "welcome bonus"},
        key=True,
    )
    # carol: 500.00 topped up and an order of 300.00 paid with balance, the return window + 1 day ago (see
    # _past_order): its 300 points are available now, by the ledger's own rule, as the server reads them
    carol = issue_token(info, POINTS_CUSTOMER)
    users[POINTS_CUSTOMER] = past_order(info, carol, issue_token(info, "merchant1", ["merchant:m1"]))["user_id"]
    points = call("GET", "/v1/points", carol)
    if points["available"] < DEMO_REWARD_BODY["points_cost"]:
        raise SeedError(
            f"GET /v1/points: {POINTS_CUSTOMER} has {points['available']} points available, "
            f"{points['pending']} pending: the demo order's points have not matured"
        )
    call("PUT", f"/v1/admin/rewards/{DEMO_REWARD}", admin, DEMO_REWARD_BODY)
    # from now on, a top-up of 100.00 or more earns 10 % bonus (at most 50.00), spendable for 30 days
    now = datetime.now(timezone.utc)
    call(
        "PUT",
        "/v1/admin/topup-plans/demo-10-percent",
        admin,
        {
            "name": "10 % more, 30 days",
            "min_amount": 10000,
            "bonus_percent": 10,
            "bonus_max": 5000,
            "bonus_valid_days": 30,
            "valid_from": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "valid_to": (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    return users


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, SeedError) else f"{type(exc).__name__}: {text}"


def main() -> int:
    if sys.argv[1:] == ["--past-order"]:  # the seeding's child process (past_order)
        return past_order_main()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--aws-port", type=int, default=5000)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--web-port", type=int, default=8080, help="the web app and the API on one origin")
    parser.add_argument(
        "--state-file", type=Path, default=STATE_FILE, help="where `make token` and `make sign` find the running stack"
    )
    parser.add_argument("--log-dir", type=Path, default=None, help="the services' logs (default .local/logs)")
    args = parser.parse_args()
    stack = LocalStack(aws_port=args.aws_port, api_port=args.api_port, log_dir=args.log_dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    step = "starting the local stack"
    try:
        info = stack.start()
        info.save(args.state_file)
        step = "serving the web app"
        web = WebServer(info, args.web_port).start()
        step = "seeding the demo data"
        users = seed(info, web.httpd.server_port)
        print(
            f"moto (DynamoDB, Cognito, EventBridge, Scheduler, SES, SQS) on {info.aws_endpoint}; "
            f"logs in {stack.log_dir}/",
            flush=True,
        )
        print(
            "the table's stream, the bus's rules and due schedules are served to the app's event functions "
            "by dev/lifecycle.py; see the events with: make events",
            flush=True,
        )
        print(
            f"demo: merchant m1 (user merchant1), customers alice ({users['alice']}), bob ({users['bob']}) "
            f"and {POINTS_CUSTOMER} ({users[POINTS_CUSTOMER]}, points to spend), admin user operator, "
            f"reward {DEMO_REWARD}",
            flush=True,
        )
        secret = "PAYMENT_WEBHOOK_SECRET" if info.webhook_secret != LOCAL_WEBHOOK_SECRET else "the local default"
        print(f"webhooks are checked with {secret}; sign a body with: make -s sign BODY='...'", flush=True)
        print(f"web app: {web.url}/app/  (sign in as alice, merchant1 or operator; password {PASSWORD})", flush=True)
        print(
            f'ready: {info.api_url}  try: curl -H "Authorization: Bearer $(make -s token SUB=alice)" '
            f"{info.api_url}/v1/wallet",
            flush=True,
        )
        while not stop.wait(1):
            if any(p.poll() is not None for p in stack.procs):
                print(f"make run: a local service stopped unexpectedly; see {stack.log_dir}/", file=sys.stderr)
                return 1
        return 0
    except Exception as exc:
        print(f"make run: {step} failed: {one_line(exc)} (logs in {stack.log_dir}/)", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()
        args.state_file.unlink(missing_ok=True)
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
