"""`make run`: the whole local stack in one command, seeded, until Ctrl-C or SIGTERM."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import uuid

import requests

from chalicelib.api.signature import sign
from chalicelib.config import LOCAL_WEBHOOK_SECRET
from dev.stack import LocalStack, StackInfo, issue_token, STATE_FILE


def seed(info: StackInfo) -> dict[str, str]:
    """Demo data, written through the API as any client would: a merchant and two funded customers."""
    api = info.api_url

    def call(method: str, path: str, token: str, body: dict | None = None, key: bool = False) -> dict:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        r = requests.request(method, api + path, json=body, headers=headers, timeout=10)
        r.raise_for_status()
        return r.json()

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
        requests.post(api + "/v1/webhooks/payments", data=body, timeout=10, headers={
            "Content-Type": "application/json", "X-Signature": sign(LOCAL_WEBHOOK_SECRET, body)}).raise_for_status()
    call("POST", f"/v1/admin/wallets/{users['alice']}/adjustments", admin,
         {"amount": 1000, "lot": "bonus", "reason": "welcome bonus"}, key=True)
    return users


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--aws-port", type=int, default=5000)
    parser.add_argument("--api-port", type=int, default=8000)
    args = parser.parse_args()
    stack = LocalStack(aws_port=args.aws_port, api_port=args.api_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        info = stack.start()
        info.save()
        users = seed(info)
        print(f"moto (DynamoDB + Cognito) on {info.aws_endpoint}; logs in .local/logs/", flush=True)
        print(f"demo: merchant m1 (user merchant1), customers alice ({users['alice']}) and bob "
              f"({users['bob']}), admin user operator", flush=True)
        print(f"ready: {info.api_url}  try: curl -H \"Authorization: Bearer $(make -s token SUB=alice)\" "
              f"{info.api_url}/v1/wallet", flush=True)
        while not stop.wait(1):
            if any(p.poll() is not None for p in stack.procs):
                print("a local service stopped unexpectedly; see .local/logs/", file=sys.stderr)
                return 1
        return 0
    finally:
        stack.stop()
        STATE_FILE.unlink(missing_ok=True)
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
