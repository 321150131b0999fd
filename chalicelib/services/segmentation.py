"""The segmentation run: every customer's features from the export, their balance from the ledger's wallets,
then profiles, segments and (when the data suffices) the BG/NBD prediction; one profile item per customer and
the run's summary. The changes of segment reach the bus from the table's stream (segment.entered / left).

Every step works on columns (chalicelib/insight/segments.py): the analyses' results come as numpy arrays
from DuckDB (from Athena's rows otherwise), and each customer's profile is a dict only on its way to the
store, a batch at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Iterator, Protocol, Sequence, runtime_checkable

from ..domain.model import new_id
from ..insight import bgnbd, segments
from ..insight.segments import SEGMENTS, WINDOW_DAYS, Customers, Profiles
from . import clock
from .ports import ProfileStore, WalletScans
from .reports import Engine

HISTORY_DAYS = 365  # the days of the export the prediction is fitted on
PREDICTION_DAYS = 30
WALLET_PAGE = 500
MEMBER_PAGE = 1000  # a segment's members read per page when listing who has a profile


@runtime_checkable
class ColumnEngine(Protocol):
    """An engine that also gives an analysis's result as columns (``DuckEngine``)."""

    def columns(self, name: str, params: Sequence[Any] = ()) -> dict[str, Any]: ...


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


def columns(engine: Engine, name: str, params: Sequence[Any]) -> dict[str, Any]:
    """An analysis's result by column: as the engine gives columns, or from its rows."""
    if isinstance(engine, ColumnEngine):
        return engine.columns(name, params)
    rows = engine.run(name, params)
    return {key: [row[key] for row in rows] for key in rows[0]} if rows else {}


def features_of(engine: Engine, held: dict[str, int], as_of: date, known: Iterable[str] = ()) -> Customers:
    """Every customer the export saw in the history, then every wallet holding money the export never saw, then
    every customer an earlier run profiled that neither names (``known``): their profile is recomputed from
    nothing, so nobody keeps a segment the history no longer supports."""
    history, window = windows(as_of)
    features = columns(engine, "customer_features", [history.isoformat(), as_of.isoformat(), window.isoformat()])
    categories = columns(engine, "customer_categories", [window.isoformat(), as_of.isoformat()])
    return Customers.of(features, categories, held, known)


def profiled(store: ProfileStore) -> Iterator[str]:
    """Every customer with a profile, from the members index, segment by segment (its pages, not a scan)."""
    for name in SEGMENTS:
        cursor: dict[str, Any] | None = None
        while True:
            page, cursor = store.members(name, cursor, MEMBER_PAGE)
            yield from (m["user_id"] for m in page)
            if cursor is None:
                break


@dataclass(frozen=True)
class Predictions:
    """The fitted model's figures for the paying customers (at the customers' positions where ``paying``)."""

    paying: Any  # bool per customer
    p_active: Any  # float per customer; where paying
    expected: Any


def predictions(customers: Customers, as_of: date) -> tuple[Predictions | None, str | None]:
    """P(active) and the expected balance payments of the next PREDICTION_DAYS for every paying customer, from
    a BG/NBD model fitted on them (days with a payment are its transactions); or why not."""
    import numpy as np

    c = customers
    paying = ~np.isnat(c.first_payment_day) & ~np.isnat(c.last_payment_day)
    count = int(paying.sum())
    if count < bgnbd.MIN_CUSTOMERS:
        return None, f"{count} paying customers; the model needs at least {bgnbd.MIN_CUSTOMERS}"
    first, last = c.first_payment_day[paying], c.last_payment_day[paying]
    history = int((np.datetime64(as_of, "D") - first.min()).astype(np.int64))
    if history < bgnbd.MIN_HISTORY_DAYS:
        return None, f"{history} days of history; the model needs at least {bgnbd.MIN_HISTORY_DAYS}"
    x = np.maximum(c.payment_days[paying] - 1, 0)
    t_x = (last - first).astype(np.int64)
    T = segments.days_since(first, as_of) + 1
    model = bgnbd.fit(x, t_x, T)
    alive, expected = model.predict(PREDICTION_DAYS, x, t_x, T)
    p_active, expect = np.zeros(len(c)), np.zeros(len(c))
    p_active[paying], expect[paying] = alive, expected
    return Predictions(paying, p_active, expect), None


def views(profiles: Profiles, predicted: Predictions | None, reason: str | None) -> Iterator[dict[str, Any]]:
    """Each customer's profile item, with their prediction or why there is none."""
    why = reason or "no balance payment yet"
    if predicted is None:
        for view in profiles.as_dicts():
            view["prediction_reason"] = why
            yield view
        return
    figures = zip(predicted.paying.tolist(), predicted.p_active.tolist(), predicted.expected.tolist())
    for view, (paying, alive, expected) in zip(profiles.as_dicts(), figures):
        if paying:
            view["prediction"] = {"p_active": round(alive, 4), "expected_payments_30d": round(expected, 3)}
        else:
            view["prediction_reason"] = why
        yield view


def summary(profiles: Profiles) -> dict[str, dict[str, Any]]:
    """Per segment: its size, the members' average balance and average M, and what it is and what to do."""
    out: dict[str, dict[str, Any]] = {}
    c = profiles.customers
    for code, (name, (who, strategy)) in enumerate(SEGMENTS.items()):
        members = profiles.segment == code
        size = int(members.sum())
        out[name] = {
            "size": size,
            "avg_balance": int(c.balance[members].sum()) // size if size else 0,
            "avg_monetary": int(c.monetary[members].sum()) // size if size else 0,
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
        customers = features_of(engine, balances(wallets), as_of, profiled(store))
        computed = segments.profiles(customers, as_of)
        predicted, reason = predictions(customers, as_of)
        store.put_profiles(views(computed, predicted, reason), run_id, clock.stamp())
        done = {
            **base,
            "state": "succeeded",
            "finished_at": clock.stamp(),
            "customers": len(computed),
            "summary": {"as_of": as_of.isoformat(), "prediction": reason or "fitted", "segments": summary(computed)},
        }
    except Exception as exc:
        store.put_run({**base, "state": "failed", "finished_at": clock.stamp(), "error": repr(exc)})
        raise
    store.put_run(done)
    return done
