"""The segmentation run: every customer's features from the export, their balance from the ledger's wallets,
then profiles, segments and (when the data suffices) the BG/NBD prediction; one profile item per customer and
the run's summary. The changes of segment reach the bus from the table's stream (segment.entered / left)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from ..domain.model import new_id
from ..insight import bgnbd, segments
from ..insight.segments import SEGMENTS, WINDOW_DAYS, Features, Profile
from . import clock
from .ports import ProfileStore, WalletScans
from .reports import Engine

HISTORY_DAYS = 365  # the days of the export the prediction is fitted on
PREDICTION_DAYS = 30
WALLET_PAGE = 500


def windows(as_of: date) -> tuple[date, date]:
    """(the history's first day, the window's first day), both ending on ``as_of``."""
    return as_of - timedelta(days=HISTORY_DAYS - 1), as_of - timedelta(days=WINDOW_DAYS - 1)


def balances(wallets: WalletScans) -> dict[str, int]:
    """Every wallet's total, available and on hold (the ledger's, read page by page)."""
    out: dict[str, int] = {}
    cursor: dict[str, Any] | None = None
    while True:
        page, cursor = wallets.scan_wallets(cursor, WALLET_PAGE)
        out.update({w.user_id: (w.lots + w.held).total for w in page})
        if cursor is None:
            return out


def features_of(engine: Engine, held: dict[str, int], as_of: date) -> list[Features]:
    history, window = windows(as_of)
    rows = engine.run("customer_features", [history.isoformat(), as_of.isoformat(), window.isoformat()])
    categories: dict[str, list[str]] = defaultdict(list)
    for row in engine.run("customer_categories", [window.isoformat(), as_of.isoformat()]):  # most seen first
        categories[row["user_id"]].append(row["category"])
    seen = {str(r["user_id"]) for r in rows}
    out = [Features.of(r, tuple(categories.get(str(r["user_id"]), ())), held.get(str(r["user_id"]), 0)) for r in rows]
    # wallets with money and no event in the history still owe it: they are customers too
    out += [Features(user_id=u, balance=b) for u, b in sorted(held.items()) if u not in seen and b > 0]
    return out


def predictions(features: list[Features], as_of: date) -> tuple[dict[str, dict[str, float]], str | None]:
    """P(active) and the expected balance payments of the next PREDICTION_DAYS for every paying customer, from
    a BG/NBD model fitted on them (days with a payment are its transactions); or why not."""
    paying = [f for f in features if f.first_payment_day and f.last_payment_day]
    if len(paying) < bgnbd.MIN_CUSTOMERS:
        return {}, f"{len(paying)} paying customers; the model needs at least {bgnbd.MIN_CUSTOMERS}"
    first = min(date.fromisoformat(str(f.first_payment_day)) for f in paying)
    if (as_of - first).days < bgnbd.MIN_HISTORY_DAYS:
        return {}, f"{(as_of - first).days} days of history; the model needs at least {bgnbd.MIN_HISTORY_DAYS}"
    x = [max(f.payment_days - 1, 0) for f in paying]
    t_x = [segments.days_between(str(f.first_payment_day), date.fromisoformat(str(f.last_payment_day))) for f in paying]
    T = [segments.days_between(str(f.first_payment_day), as_of) + 1 for f in paying]
    model = bgnbd.fit(x, t_x, T)
    alive = model.p_alive(x, t_x, T)
    expected = model.expected(PREDICTION_DAYS, x, t_x, T)
    return {
        f.user_id: {"p_active": round(float(a), 4), "expected_payments_30d": round(float(e), 3)}
        for f, a, e in zip(paying, alive, expected)
    }, None


def summary(profiles: list[Profile]) -> dict[str, dict[str, Any]]:
    """Per segment: its size, the members' average balance and average M, and what it is and what to do."""
    out: dict[str, dict[str, Any]] = {}
    for name, (who, strategy) in SEGMENTS.items():
        members = [p for p in profiles if p.segment == name]
        out[name] = {
            "size": len(members),
            "avg_balance": sum(p.balance for p in members) // len(members) if members else 0,
            "avg_monetary": sum(p.monetary for p in members) // len(members) if members else 0,
            "description": who,
            "strategy": strategy,
        }
    return out


def run(
    engine: Engine,
    wallets: WalletScans,
    store: ProfileStore,
    as_of: date | None = None,
    queued: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One run: its state is written first (running), then every profile, then its summary (succeeded, or
    failed with the error, which is raised again for the caller's retry).

    ``queued`` is a run someone asked for (``profiles.request_run``: its ``run_id``, ``as_of``, ``requested_by``):
    it is claimed first (queued -> running, one claim wins), so a redelivered request runs it once; a run
    already claimed or finished answers ``{"state": "skipped"}``."""
    now = clock.now()
    started = clock.stamp()
    if queued is not None:
        run_id, as_of = queued["run_id"], date.fromisoformat(queued["as_of"])
        if not store.claim_run(run_id, started):
            return {"run_id": run_id, "state": "skipped"}
    else:
        run_id, as_of = new_id("seg"), as_of or now.date()
        store.put_run(
            {
                "run_id": run_id,
                "state": "running",
                "started_at": started,
                "as_of": as_of.isoformat(),
                "requested_by": None,
            }
        )
    base = {
        "run_id": run_id,
        "started_at": started,
        "as_of": as_of.isoformat(),
        "requested_by": queued.get("requested_by") if queued else None,
    }
    try:
        features = features_of(engine, balances(wallets), as_of)
        computed = segments.profiles(features, as_of)
        predicted, reason = predictions(features, as_of)
        views = []
        for p in computed:
            view = p.as_dict()
            view["prediction"] = predicted.get(p.user_id)
            view["prediction_reason"] = None if view["prediction"] else (reason or "no balance payment yet")
            views.append(view)
        store.put_profiles(views, run_id, clock.stamp())
        done = {
            **base,
            "state": "succeeded",
            "finished_at": clock.stamp(),
            "customers": len(views),
            "summary": {"as_of": as_of.isoformat(), "prediction": reason or "fitted", "segments": summary(computed)},
        }
    except Exception as exc:
        store.put_run({**base, "state": "failed", "finished_at": clock.stamp(), "error": repr(exc)})
        raise
    store.put_run(done)
    return done
