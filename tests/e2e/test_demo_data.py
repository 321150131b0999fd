"""What `make run` seeds lets a newcomer try what the README names, points included.

The stack is started as a user starts it (`python -m dev.run`, see test_run_command.py). The demo customer
carol's points must have matured through the ledger's own path: a payment that earned them, dated more than
the return window ago, and nothing else. The README walk's points step is then run as written (bash, curl),
against this stack, and every answer is checked against the walk's `# -> <status> {...}` comments.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import requests

from chalicelib.domain.points import PointsPolicy
from dev.run import DEMO_REWARD, POINTS_CUSTOMER
from dev.stack import ROOT, StackInfo, issue_token
from tests.e2e.conftest import run_schedule
from tests.e2e.test_run_command import read_until_ready, start_run, stop

TOKEN = (
    "import sys\n"
    "from pathlib import Path\n"
    "from dev.stack import StackInfo, issue_token\n"
    "print(issue_token(StackInfo.load(Path(sys.argv[1])), sys.argv[2], sys.argv[3].split() or None))\n"
)
# `make -s token SUB=.. GROUPS=..` for this test's stack (its own state file); curl also writes each answer's
# status to stderr, one line per call, so the statuses of the calls inside $(...) are seen too
SHIMS = (
    'make() { local sub="" groups=""; for arg; do case $arg in SUB=*) sub=${arg#SUB=};; '
    'GROUPS=*) groups=${arg#GROUPS=};; esac; done; "$STACK_PYTHON" -c "$TOKEN" "$STATE" "$sub" "$groups"; }\n'
    "curl() { command curl -w '%{stderr}%{http_code}\\n' \"$@\"; }\n"
)
LITERAL = re.compile(r'"(\w+)": (-?\d+|null|true|false|"[^"]*")')


def walk_points_step(api_url: str) -> tuple[str, list[str]]:
    """The README walk's opening lines (API, tokens) with this stack's URL, and its points step as written."""
    readme = (ROOT / "README.md").read_text()
    walk = readme.split("## A walk through the API", 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    head = walk.split("\n\n", 1)[0]
    assert head.startswith("API=http://127.0.0.1:8000\n"), head
    step = walk[walk.index("\n# points:") + 1 :]
    return head.replace("http://127.0.0.1:8000", api_url, 1) + "\n" + step, step.splitlines()


def expected_calls(step: list[str]) -> list[tuple[bool, str | None]]:
    """Per curl call, in order: whether its answer is printed (not captured by $(...)), and the comment that
    says what it answers (``# -> 201 {...}``), if any."""
    logical, line = [], ""
    for raw in step:
        line += raw.rstrip("\\").rstrip() + " " if raw.endswith("\\") else raw
        if not raw.endswith("\\"):
            logical.append(line)
            line = ""
    calls: list[list] = []
    for text in logical:
        if text.startswith("# -> "):
            assert calls and calls[-1][0] and calls[-1][1] is None, f"a comment without its call: {text}"
            calls[-1][1] = text.removeprefix("# -> ")
        elif "curl " in text:
            assert text.count("curl ") == 1, f"one call a line: {text}"
            calls.append([text.startswith("curl "), None])
    return [(printed, said) for printed, said in calls]


def scalars(value, out: set | None = None) -> set:
    out = set() if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)):
                scalars(v, out)
            else:
                out.add((k, json.dumps(v)))
    elif isinstance(value, list):
        for v in value:
            scalars(v, out)
    return out


def test_the_demo_customer_has_matured_points_redeems_the_demo_reward_and_the_walk_step_says_true(tmp_path):
    proc, state, _, _ = start_run(tmp_path)
    try:
        lines = read_until_ready(proc)
        assert any(POINTS_CUSTOMER in line and DEMO_REWARD in line for line in lines if line.startswith("demo:"))
        info = StackInfo.load(state)
        api = info.api_url

        def get(path: str, user: str) -> dict:
            r = requests.get(api + path, headers={"Authorization": f"Bearer {issue_token(info, user)}"}, timeout=30)
            assert r.status_code == 200, r.text
            return r.json()

        # the balances the README's demo-data sentence names
        assert get("/v1/wallet", "alice")["balance"] == {"cash": 20000, "bonus": 1000, "total": 21000}
        assert get("/v1/wallet", "bob")["balance"] == {"cash": 5000, "bonus": 0, "total": 5000}
        assert get("/v1/wallet", POINTS_CUSTOMER)["balance"] == {"cash": 20000, "bonus": 0, "total": 20000}
        points = get("/v1/points", POINTS_CUSTOMER)
        assert (points["available"], points["pending"], points["lifetime_earned"]) == (300, 0, 300), points

        # matured by the ledger's own rule: one points entry, the payment that earned them (still pending in
        # the entry, as written then), dated more than the return window ago
        [earned] = get("/v1/points/entries", POINTS_CUSTOMER)["entries"]
        assert (earned["type"], earned["earned"], earned["pending_after"], earned["available_after"]) == (
            "payment",
            300,
            300,
            0,
        ), earned
        window = timedelta(days=PointsPolicy().return_window_days)
        paid_at = datetime.fromisoformat(earned["created_at"].replace("Z", "+00:00"))
        assert paid_at < datetime.now(timezone.utc) - window, earned
        payment = get(f"/v1/payments/{earned['payment_id']}", POINTS_CUSTOMER)
        assert (payment["status"], payment["points_earned"], payment["amount"]) == ("succeeded", 300, 30000)
        # ... and the seeded history is a consistent ledger (the daily reconciliation, now)
        assert not run_schedule(info, "reconcile").get("mismatches")

        # the README walk's points step, as written
        script, step = walk_points_step(api)
        out = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", SHIMS + script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={
                **os.environ,
                "STACK_PYTHON": sys.executable,
                "TOKEN": TOKEN,
                "STATE": str(state),
                "PYTHONPATH": str(ROOT),
            },
        )
        assert out.returncode == 0, out.stderr
        statuses = [int(s) for s in out.stderr.split()]
        decoder, bodies, rest = json.JSONDecoder(), [], out.stdout.strip()
        while rest:
            body, end = decoder.raw_decode(rest)
            bodies.append(body)
            rest = rest[end:].strip()
        calls = expected_calls(step)
        assert len(statuses) == len(calls) and len(bodies) == sum(printed for printed, _ in calls), (statuses, bodies)
        printed = iter(bodies)
        checked = 0
        for status, (was_printed, said) in zip(statuses, calls):
            body = next(printed) if was_printed else None
            if said is None:
                assert 200 <= status < 300, (status, body)
                continue
            assert status == int(said.split()[0]), (said, status, body)
            for key, value in LITERAL.findall(said):
                if "..." not in value:
                    assert (key, value) in scalars(body), (key, value, body)
                    checked += 1
        assert checked >= 20  # the comments' literal values were compared, not skipped

        # what the step's last comment says, and the redemption's 201 again: the same key replays it
        after = get("/v1/points", POINTS_CUSTOMER)
        assert (after["available"], after["pending"]) == (0, 23), after
        carol = issue_token(info, POINTS_CUSTOMER)
        replay = requests.post(
            f"{api}/v1/rewards/{DEMO_REWARD}/redemptions",
            timeout=30,
            headers={"Authorization": f"Bearer {carol}", "Idempotency-Key": "rd-1"},
        )
        assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true", replay.text
        assert replay.json()["points_available"] == 200
    finally:
        out = stop(proc)
    assert proc.returncode == 0 and "stopped" in out
