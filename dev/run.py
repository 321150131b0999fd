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
import signal
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from chalicelib.api.signature import sign
from chalicelib.config import LOCAL_WEBHOOK_SECRET
from dev.stack import STATE_FILE, LocalStack, StackInfo, issue_token


class SeedError(RuntimeError):
    """A seeding call was refused or failed; the message names the call and the answer."""


def seed(info: StackInfo) -> dict[str, str]:
    """Demo data, written through the API as any client would: a merchant and two funded customers."""
    api = info.api_url

    def send(method: str, path: str, **kw) -> dict:
        try:
            r = requests.request(method, api + path, timeout=10, **kw)
        except requests.RequestException as exc:
            raise SeedError(f"{method} {path} failed: {type(exc).__name__}: {exc}") from exc
        if r.status_code >= 300:
            try:
                error = r.json()["error"]
                why = f"{error['code']}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                why = r.text[:200]
            raise SeedError(f"{method} {path} answered {r.status_code} {why}")
        return r.json()

    def call(method: str, path: str, token: str, body: dict | None = None, key: bool = False) -> dict:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return send(method, path, json=body, headers=headers)

    admin = issue_token(info, "operator", ["admin"])
    call("PUT", "/v1/admin/merchants/m1", admin, {"name": "Demo Shop"})
    issue_token(info, "merchant1", ["merchant:m1"])
    users = {}
    for name, amount in (("alice", 20000), ("bob", 5000)):
        token = issue_token(info, name)
        wallet = call("GET", "/v1/wallet", token)
        users[name] = wallet["user_id"]
        topup = call("POST", "/v1/topups", token, {"amount": amount, "channel": "alipay"}, key=True)
        body = json.dumps({"topup_id": topup["topup_id"], "status": "succeeded", "amount": amount,
                           "provider_ref": f"demo-{name}"}).encode()
        send("POST", "/v1/webhooks/payments", data=body, headers={
            "Content-Type": "application/json", "X-Signature": sign(info.webhook_secret, body)})
    call("POST", f"/v1/admin/wallets/{users['alice']}/adjustments", admin,
         {"amount": 1000, "lot": "bonus", "reason": "welcome bonus"}, key=True)
    # from now on, a top-up of 100.00 or more earns 10 % bonus (at most 50.00), spendable for 30 days
    now = datetime.now(timezone.utc)
    call("PUT", "/v1/admin/topup-plans/demo-10-percent", admin, {
        "name": "10 % more, 30 days", "min_amount": 10000, "bonus_percent": 10, "bonus_max": 5000,
        "bonus_valid_days": 30, "valid_from": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "valid_to": (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    return users


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, SeedError) else f"{type(exc).__name__}: {text}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--aws-port", type=int, default=5000)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--state-file", type=Path, default=STATE_FILE,
                        help="where `make token` and `make sign` find the running stack")
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
        step = "seeding the demo data"
        users = seed(info)
        print(f"moto (DynamoDB, Cognito, EventBridge, Scheduler, SES, SQS) on {info.aws_endpoint}; "
              f"logs in {stack.log_dir}/", flush=True)
        print("the table's stream, the bus's rules and due schedules are served to the app's event functions "
              "by dev/lifecycle.py; see the events with: make events", flush=True)
        print(f"demo: merchant m1 (user merchant1), customers alice ({users['alice']}) and bob "
              f"({users['bob']}), admin user operator", flush=True)
        secret = "PAYMENT_WEBHOOK_SECRET" if info.webhook_secret != LOCAL_WEBHOOK_SECRET else "the local default"
        print(f"webhooks are checked with {secret}; sign a body with: make -s sign BODY='...'", flush=True)
        print(f"ready: {info.api_url}  try: curl -H \"Authorization: Bearer $(make -s token SUB=alice)\" "
              f"{info.api_url}/v1/wallet", flush=True)
        while not stop.wait(1):
            if any(p.poll() is not None for p in stack.procs):
                print(f"make run: a local service stopped unexpectedly; see {stack.log_dir}/", file=sys.stderr)
                return 1
        return 0
    except Exception as exc:  # noqa: BLE001 - one line for the user, the detail is in the logs
        print(f"make run: {step} failed: {one_line(exc)} (logs in {stack.log_dir}/)", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()
        args.state_file.unlink(missing_ok=True)
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
