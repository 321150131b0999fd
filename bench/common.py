"""What every benchmark shares: statistics, result rows, plain-text tables and a small HTTP client.

Nothing here imports ``chalicelib`` at module level: the orchestrating process
must not freeze the app's settings (``chalicelib.config.get_settings`` is
cached and the PynamoDB models read it at import time).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
PYTHON = ROOT / ".venv" / "bin" / "python"
CHALICE = ROOT / ".venv" / "bin" / "chalice"

MERCHANT = "m-bench"  # the merchant every benchmark payment goes to
PAY_AMOUNT = 100  # minor units per benchmark payment


# ---- statistics -------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); NaN for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """n, p50/p90/p99, mean, min, max of durations given in seconds, reported in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 3),
        "p90": round(percentile(ms, 90), 3),
        "p99": round(percentile(ms, 99), 3),
        "mean": round(sum(ms) / len(ms), 3),
        "min": round(min(ms), 3),
        "max": round(max(ms), 3),
    }


def fmt_ms(v: Any) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f} ms"


# ---- result rows and tables -------------------------------------------------


@dataclass
class Row:
    """One line of a benchmark's table: what, how much, against which target, met or not (None: no target)."""

    metric: str
    value: str
    target: str = "-"
    met: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": self.value, "target": self.target, "met": self.met}


def met_text(met: bool | None) -> str:
    return "-" if met is None else ("yes" if met else "NO")


def render_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    body = [[str(c) for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in body:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    line = "+".join("-" * (w + 2) for w in widths)
    out = [title, "=" * len(title), " | ".join(h.ljust(w) for h, w in zip(headers, widths)), line]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in body]
    return "\n".join(out)


def render_rows(title: str, rows: Sequence[Row]) -> str:
    return render_table(
        title, ("metric", "value", "target", "met"), [(r.metric, r.value, r.target, met_text(r.met)) for r in rows]
    )


# ---- the API over HTTP --------------------------------------------------------


@dataclass
class User:
    name: str
    token: str
    user_id: str

    def headers(self, key: str | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if key is not None:
            h["Idempotency-Key"] = key
        return h


def pay_body(checkout_id: str) -> str:
    return json.dumps({"checkout_id": checkout_id})


def checkout_body(user_id: str, amount: int = PAY_AMOUNT, merchant_id: str = MERCHANT) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id,
        "order_id": new_order_id(),
        "user_id": user_id,
        "items": [{"sku": "sku-1", "category": "books", "unit_price": amount, "quantity": 1}],
    }


class Api:
    """A thin client of the running chalice local, with the set-up steps the benchmarks need."""

    def __init__(self, info: Any) -> None:
        self.info = info
        self.url = info.api_url
        self.http = requests.Session()
        self._admin: User | None = None
        self._service: User | None = None

    def user(self, name: str, groups: Sequence[str] = ()) -> User:
        from dev.stack import issue_token

        token = issue_token(self.info, name, list(groups))
        r = self.http.get(f"{self.url}/v1/wallet", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        r.raise_for_status()
        return User(name, token, r.json()["user_id"])

    def admin(self) -> User:
        if self._admin is None:
            self._admin = self.user("bench-admin", ["admin"])
        return self._admin

    def service(self) -> User:
        if self._service is None:
            self._service = self.user("bench-order-service", ["service"])
        return self._service

    def open_checkout(
        self, user: User, amount: int = PAY_AMOUNT, merchant_id: str = MERCHANT, http: requests.Session | None = None
    ) -> str:
        """The order service opens a checkout of one line for ``user`` (untimed set-up of a payment)."""
        r = (http or self.http).post(
            f"{self.url}/v1/checkouts",
            headers=self.service().headers(str(uuid.uuid4())),
            data=json.dumps(checkout_body(user.user_id, amount, merchant_id)),
            timeout=30,
        )
        if r.status_code != 201:
            raise RuntimeError(f"checkout: {r.status_code} {r.text[:300]}")
        return r.json()["checkout_id"]

    def open_checkouts(
        self, user: User, n: int, amount: int = PAY_AMOUNT, merchant_id: str = MERCHANT, workers: int = 8
    ) -> list[str]:
        """``n`` checkouts for ``user``, opened by a few clients at once."""
        from concurrent.futures import ThreadPoolExecutor

        self.service()  # sign the order service in once, before the threads would race to create it
        sessions = [requests.Session() for _ in range(workers)]
        with ThreadPoolExecutor(workers) as pool:
            ids = list(
                pool.map(lambda i: self.open_checkout(user, amount, merchant_id, sessions[i % workers]), range(n))
            )
        for s in sessions:
            s.close()
        return ids

    def ensure_merchant(self, merchant_id: str = MERCHANT) -> None:
        r = self.http.put(
            f"{self.url}/v1/admin/merchants/{merchant_id}",
            headers=self.admin().headers(),
            data=json.dumps({"name": merchant_id}),
            timeout=30,
        )
        if r.status_code != 200:
            raise RuntimeError(f"merchant {merchant_id}: {r.status_code} {r.text}")

    def fund(self, user: User, amount: int) -> None:
        """Top up and settle through the signed webhook, as the provider would."""
        from chalicelib.api.signature import sign  # pure functions: no settings are read

        r = self.http.post(
            f"{self.url}/v1/topups",
            headers=user.headers(str(uuid.uuid4())),
            data=json.dumps({"amount": amount, "channel": "wechat"}),
            timeout=30,
        )
        if r.status_code != 201:
            raise RuntimeError(f"topup: {r.status_code} {r.text}")
        topup_id = r.json()["topup_id"]
        raw = json.dumps(
            {"topup_id": topup_id, "status": "succeeded", "amount": amount, "provider_ref": f"bench-{topup_id}"}
        ).encode()
        w = self.http.post(
            f"{self.url}/v1/webhooks/payments",
            data=raw,
            timeout=30,
            headers={"Content-Type": "application/json", "X-Signature": sign(self.info.webhook_secret, raw)},
        )
        if w.status_code != 200 or not w.json().get("credited"):
            raise RuntimeError(f"webhook: {w.status_code} {w.text}")

    def balance(self, user: User) -> dict[str, int]:
        r = self.http.get(f"{self.url}/v1/wallet", headers=user.headers(), timeout=30)
        r.raise_for_status()
        return r.json()["balance"]


def new_order_id(tag: str = "o") -> str:
    return f"{tag}-{uuid.uuid4().hex[:16]}"


class Deadline:
    """A wall-clock budget: ``left()`` seconds remain, ``passed`` once it is spent."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.end
