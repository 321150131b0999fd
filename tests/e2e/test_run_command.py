"""`make run` as a user starts it: `python -m dev.run` in its own process, with the environment it is given.

Each test starts the whole stack (moto, table, pool, chalice local, seeding) on free ports, with its own
state file and log folder, and checks what a user of the command sees.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from chalicelib.api.signature import sign
from chalicelib.config import LOCAL_WEBHOOK_SECRET
from dev.run import SeedError, one_line, seed
from dev.stack import ROOT, StackInfo, free_port, issue_token

STARTUP_SECONDS = 120


def start_run(tmp_path: Path, **env: str) -> tuple[subprocess.Popen, Path, int, int]:
    aws_port, api_port = free_port(), free_port()
    state = tmp_path / "stack.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dev.run",
            "--aws-port",
            str(aws_port),
            "--api-port",
            str(api_port),
            "--web-port",
            str(free_port()),
            "--state-file",
            str(state),
            "--log-dir",
            str(tmp_path / "logs"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return proc, state, aws_port, api_port


def read_until_ready(proc: subprocess.Popen) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + STARTUP_SECONDS
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break  # the process ended
        lines.append(line.rstrip("\n"))
        if line.startswith("ready: "):
            return lines
    raise AssertionError(f"no 'ready' line; stdout {lines}; stderr {proc.stderr.read() if proc.stderr else ''}")


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    return out


def test_a_stack_started_with_a_provider_secret_checks_webhooks_with_that_secret(tmp_path):
    secret = f"provider-test-secret-{uuid.uuid4().hex[:8]}"
    proc, state, aws_port, api_port = start_run(tmp_path, PAYMENT_WEBHOOK_SECRET=secret)
    try:
        lines = read_until_ready(proc)  # the seeding signed its webhooks with the configured secret
        assert any("PAYMENT_WEBHOOK_SECRET" in line for line in lines), lines
        # the web app is served on its own port, the API behind it on the same origin
        [web_line] = [line for line in lines if line.startswith("web app: ")]
        web_url = web_line.split()[2]
        shell = requests.get(web_url + "wallet", timeout=30)
        assert shell.status_code == 200 and '<script type="module" src="/app/main.js">' in shell.text
        assert "frame-ancestors 'none'" in shell.headers["Content-Security-Policy"]
        assert requests.get(web_url.removesuffix("/app/") + "/v1/health", timeout=30).status_code == 200
        info = StackInfo.load(state)
        assert info.webhook_secret == secret
        assert oct(state.stat().st_mode & 0o777) == "0o600"
        token = issue_token(info, "run-user")
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        topup = requests.post(
            f"{info.api_url}/v1/topups", json={"amount": 1234, "channel": "alipay"}, headers=headers, timeout=30
        ).json()
        raw = json.dumps(
            {"topup_id": topup["topup_id"], "status": "succeeded", "amount": 1234, "provider_ref": "sandbox-1"}
        ).encode()

        def deliver(signature: str) -> requests.Response:
            return requests.post(
                f"{info.api_url}/v1/webhooks/payments",
                data=raw,
                timeout=30,
                headers={"Content-Type": "application/json", "X-Signature": signature},
            )

        old_default = deliver(sign(LOCAL_WEBHOOK_SECRET, raw))
        assert old_default.status_code == 401, old_default.text
        assert old_default.json()["error"]["code"] == "invalid_signature"
        wallet = requests.get(
            f"{info.api_url}/v1/wallet", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()
        assert wallet["balance"]["total"] == 0  # the refused delivery credited nothing

        # `make -s sign` prints the signature the running stack accepts
        signed = subprocess.run(
            [sys.executable, "-m", "dev.sign_webhook", raw.decode(), "--state-file", str(state)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert signed.returncode == 0, signed.stderr
        assert signed.stdout.strip() == sign(secret, raw)
        assert deliver(signed.stdout.strip()).json() == {
            "topup_id": topup["topup_id"],
            "status": "succeeded",
            "credited": True,
            "bonus": 0,
            "plan_id": None,
        }
        wallet = requests.get(
            f"{info.api_url}/v1/wallet", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()
        assert wallet["balance"]["total"] == 1234
    finally:
        out = stop(proc)
    assert proc.returncode == 0 and "stopped" in out
    assert not listening(aws_port) and not listening(api_port)
    assert not state.exists()


def test_a_start_failure_is_one_line_naming_the_cause_and_leaves_nothing_running(tmp_path):
    # a setting the app cannot read: provisioning the table fails after moto is already up
    proc, state, aws_port, api_port = start_run(tmp_path, IDEMPOTENCY_TTL_SECONDS="two days")
    out, err = proc.communicate(timeout=STARTUP_SECONDS)
    assert proc.returncode == 1
    assert "ready" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("make run: starting the local stack failed: ValueError: "), lines
    assert "'two days'" in lines[0]  # the cause
    assert "Traceback" not in err
    assert not listening(aws_port) and not listening(api_port)
    assert not state.exists()


def test_a_refused_seeding_call_is_reported_in_one_line_naming_the_call_and_the_answer(local_stack):
    """The seeding against a real stack, with the wrong secret: the webhook's 401 is the reported cause."""
    wrong = replace(local_stack, webhook_secret="not-the-configured-secret")
    with pytest.raises(SeedError) as refused:
        seed(wrong)
    line = one_line(refused.value)
    assert line.startswith("POST /v1/webhooks/payments answered 401 invalid_signature: "), line
    assert "\n" not in line
