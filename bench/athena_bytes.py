"""Benchmark 11: what each analysis would make Athena scan, estimated from the export's partitions and objects.

Athena bills by the bytes it reads, and over gzip JSON lines (not splittable, not columnar) it reads every
object of every partition a query touches, whole. Which partitions those are comes from the Glue table's
partition projection (infra/concerns/analytics.py: ``dt`` a date range, ``type`` an enum of the detail types):
Athena computes them from the query's predicates on ``dt`` and ``type``, without listing S3. So the scan of an
analysis is the compressed size of the objects under the ``dt=``/``type=`` prefixes its predicates admit.

Here: a synthetic export of ``DAYS`` days for ``CUSTOMERS`` customers (a per-customer daily rate of each event
type; whole EventBridge events as the export writes them, one gzip object of JSON lines per partition and
five-minute delivery, by ``chalicelib.insight.export.objects_of``), and for each analysis in
chalicelib/insight/sql/ the partitions its SQL reads, found by parsing it with sqlglot (the predicates on
``dt`` and ``type`` of each SELECT that reads ``events``, with the parameters the service passes), so a new
analysis is covered with no change here. A conjunct this cannot read (an OR, a function of ``dt``) is taken as
no restriction: the estimate errs towards more bytes, as Athena's own pruning would. Athena bills at least
10 MB per query, which this does not add.
"""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from .common import Row, render_rows

CUSTOMERS = int(os.environ.get("BENCH_ATHENA_CUSTOMERS", "2000"))  # about 45 s of CPU to generate (500: 11 s)
DAYS = 90
END = date(2026, 11, 30)  # the export's last day, and the reports' (inside the table's projection range)
PERIOD_DAYS = 30
DELIVERY_SECONDS = 300  # one object per partition per delivery: Firehose's buffer interval
SQL_DIR = Path(__file__).resolve().parent.parent / "chalicelib" / "insight" / "sql"
MB = 1024 * 1024

Partition = tuple[str, str]  # (dt, type)

# events per customer per day, by detail type (the ones not named here: OTHER_RATE)
DAILY_RATE = {
    "behaviour.login": 0.6,
    "behaviour.view_product": 1.5,
    "behaviour.search": 0.4,
    "behaviour.add_to_cart": 0.2,
    "behaviour.view_wallet": 0.25,
    "behaviour.view_topup": 0.05,
    "checkout.opened": 0.12,
    "checkout.quoted": 0.16,
    "checkout.expired": 0.015,
    "checkout.cancelled": 0.005,
    "payment.succeeded": 0.1,
    "payment.authorized": 0.01,
    "payment.voided": 0.002,
    "payment.expired": 0.001,
    "payment.refunded": 0.005,
    "points.earned": 0.1,
    "points.matured": 0.05,
    "points.spent": 0.01,
    "notification.sent": 0.12,
    "topup.credited": 0.02,
    "wallet.balance_low": 0.01,
    "coupon.granted": 0.01,
    "coupon.used": 0.005,
    "feedback.submitted": 0.01,
    "segment.entered": 0.004,
    "segment.left": 0.003,
    "bonus.expired": 0.002,
}
OTHER_RATE = 0.0005


# ---- which partitions a query reads -----------------------------------------------------------------------


def numbered(sql: str) -> str:
    """The SQL with its ``?`` parameters named ``:p1``, ``:p2``, ... in the order of the text (sqlglot's tree
    does not keep their order), found by Athena's tokenizer (a ``?`` in a string or a comment is none)."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import TokenType

    marks = [t for t in Dialect.get_or_raise("athena").tokenize(sql) if t.token_type == TokenType.PLACEHOLDER]
    out = sql
    for i, token in reversed(list(enumerate(marks, 1))):
        out = out[: token.start] + f":p{i}" + out[token.end + 1 :]
    return out


@dataclass(frozen=True)
class Scan:
    """What one read of ``events`` keeps of the partitions: ``dt`` within its bounds (``None``: unbounded) and
    in ``days`` if set, ``type`` in ``types`` if set."""

    low: str | None = None
    low_inclusive: bool = True
    high: str | None = None
    high_inclusive: bool = True
    days: frozenset[str] | None = None
    types: frozenset[str] | None = None

    def keeps(self, dt: str, detail_type: str) -> bool:
        if self.low is not None and (dt < self.low or (dt == self.low and not self.low_inclusive)):
            return False
        if self.high is not None and (dt > self.high or (dt == self.high and not self.high_inclusive)):
            return False
        if self.days is not None and dt not in self.days:
            return False
        return self.types is None or detail_type in self.types

    def bounded(self, low: str | None, low_inclusive: bool, high: str | None, high_inclusive: bool) -> "Scan":
        """This scan with one more range on ``dt`` (the tighter of each bound)."""
        out = self
        if low is not None and (out.low is None or low > out.low or (low == out.low and not low_inclusive)):
            out = _with(out, low=low, low_inclusive=low_inclusive)
        if high is not None and (out.high is None or high < out.high or (high == out.high and not high_inclusive)):
            out = _with(out, high=high, high_inclusive=high_inclusive)
        return out


def _with(scan: Scan, **changes: Any) -> Scan:
    from dataclasses import replace

    return replace(scan, **changes)


def _value(node: Any, params: Sequence[Any]) -> str | None:
    """A predicate's operand as text: a parameter (``:pN``), a string literal, or such a value cast (DATE '...')."""
    from sqlglot import exp

    if isinstance(node, exp.Placeholder) and str(node.this or "").startswith("p"):
        return str(params[int(str(node.this)[1:]) - 1])
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if isinstance(node, exp.Cast):
        return _value(node.this, params)
    return None


def _partition_column(node: Any, aliases: set[str]) -> str | None:
    """``dt`` or ``type`` if ``node`` is that column of the ``events`` read (unqualified, or by its name/alias)."""
    from sqlglot import exp

    if isinstance(node, exp.Column) and node.name in ("dt", "type") and (not node.table or node.table in aliases):
        return node.name
    return None


_FLIP = {"GT": "LT", "GTE": "LTE", "LT": "GT", "LTE": "GTE", "EQ": "EQ"}


def _narrow(scan: Scan, conjunct: Any, params: Sequence[Any], aliases: set[str]) -> Scan:
    """The scan with one conjunct of the WHERE applied, when it is a predicate on ``dt`` or ``type`` of literal
    values; any other conjunct leaves the scan as it is (it cannot be used to skip partitions)."""
    from sqlglot import exp

    if isinstance(conjunct, exp.Between):
        column = _partition_column(conjunct.this, aliases)
        low, high = _value(conjunct.args.get("low"), params), _value(conjunct.args.get("high"), params)
        if column == "dt" and low is not None and high is not None:
            return scan.bounded(low, True, high, True)
        return scan
    if isinstance(conjunct, exp.In) and not conjunct.args.get("query"):
        column = _partition_column(conjunct.this, aliases)
        values = [_value(v, params) for v in conjunct.expressions]
        if column is None or any(v is None for v in values):
            return scan
        chosen = frozenset(str(v) for v in values)
        if column == "type":
            return _with(scan, types=chosen if scan.types is None else scan.types & chosen)
        return _with(scan, days=chosen if scan.days is None else scan.days & chosen)
    if isinstance(conjunct, (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
        op = type(conjunct).__name__
        column, value = _partition_column(conjunct.this, aliases), _value(conjunct.expression, params)
        if column is None:  # the value on the left: '2026-01-01' <= dt
            column, value, op = (
                _partition_column(conjunct.expression, aliases),
                _value(conjunct.this, params),
                _FLIP[op],
            )
        if column is None or value is None:
            return scan
        if op == "EQ":
            return _narrow(scan, exp.In(this=exp.column(column), expressions=[exp.Literal.string(value)]), (), set())
        if column != "dt":
            return scan  # a range of types means nothing to the projection
        if op in ("GT", "GTE"):
            return scan.bounded(value, op == "GTE", None, True)
        return scan.bounded(None, True, value, op == "LTE")
    return scan


def scans(sql: str, params: Sequence[Any]) -> list[Scan]:
    """One ``Scan`` per read of the table ``events`` in the query (every SELECT whose FROM or JOIN names it),
    from that SELECT's own WHERE: a predicate of an outer query on a CTE's ``dt`` is applied after the CTE's
    rows are read (and through a window function it could not be pushed down), so it saves nothing."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(numbered(sql), read="athena")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    out = []
    for table in tree.find_all(exp.Table):
        if table.name != "events" or table.db or "events" in ctes:
            continue
        select = table.find_ancestor(exp.Select)
        where = select.args.get("where") if select is not None else None
        scan = Scan()
        if where is not None:
            condition = where.this
            conjuncts = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
            aliases = {"events", table.alias_or_name}
            for conjunct in conjuncts:
                scan = _narrow(scan, conjunct.unnest(), params, aliases)
        out.append(scan)
    return out


def partitions_read(sql: str, params: Sequence[Any], layout: Iterable[Partition]) -> set[Partition]:
    """The partitions of ``layout`` the query reads: those any of its scans keeps."""
    reads = scans(sql, params)
    return {(dt, t) for dt, t in layout if any(s.keeps(dt, t) for s in reads)}


def default_params(sql: str, start: str, end: str) -> list[str]:
    """A report's parameters when the service passes its period as they come: the low side of a ``dt`` range
    gets the first day, the high side the last; any other parameter the first day."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(numbered(sql), read="athena")
    count = sum(1 for p in tree.find_all(exp.Placeholder) if str(p.this or "").startswith("p"))
    out = [start] * count
    for node in tree.find_all(exp.Between, exp.LT, exp.LTE):
        high = node.args.get("high") if isinstance(node, exp.Between) else node.expression
        on_dt = isinstance(node.this, exp.Column) and node.this.name == "dt"
        if on_dt and isinstance(high, exp.Placeholder) and str(high.this or "").startswith("p"):
            out[int(str(high.this)[1:]) - 1] = end
    return out


def report_params(name: str, sql: str, start: date, end: date) -> list[str]:
    """The parameters the services run ``name`` with for the period (chalicelib/services/reports.py,
    segmentation.py); an analysis they do not name gets ``default_params``."""
    from chalicelib.services.reports import feedback_reads_from
    from chalicelib.services.segmentation import windows

    history, window = windows(end)
    known = {
        "feedback_ratings": [feedback_reads_from(start), end, start],  # its segment events from a lookback on
        "customer_features": [history, end, window],  # the segmentation job's, as of the period's last day
        "customer_categories": [window, end],
    }
    if name in known:
        return [d.isoformat() for d in known[name]]
    return default_params(sql, start.isoformat(), end.isoformat())


# ---- the synthetic export ---------------------------------------------------------------------------------


@dataclass
class Objects:
    """A partition's objects: how many, their compressed bytes, the events in them."""

    count: int = 0
    bytes: int = 0
    events: int = 0


def _detail(detail_type: str, user: str, at: str, rng: random.Random) -> dict[str, Any]:
    """A detail of about the size and fields the catalogue's schema gives the type."""
    detail: dict[str, Any] = {"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "user_id": user, "occurred_at": at}
    merchant, amount = f"m-{rng.randrange(200):03d}", rng.randrange(500, 30_000)
    family = detail_type.split(".", 1)[0]
    if family == "behaviour":
        detail["props"] = {"sku": f"sku-{rng.randrange(5000)}", "category": f"c{rng.randrange(30)}", "price": amount}
    elif family in ("payment", "checkout"):
        lines = [
            {
                "sku": f"sku-{rng.randrange(5000)}",
                "category": f"c{rng.randrange(30)}",
                "unit_price": amount,
                "quantity": 1,
            }
            for _ in range(rng.randrange(1, 4))
        ]
        detail.update(merchant_id=merchant, order_id=f"o-{rng.getrandbits(48):012x}", amount=amount)
        if family == "payment":
            detail.update(
                payment_id=f"pay_{rng.getrandbits(112):028x}",
                balance_paid=amount,
                lots={"cash": amount, "bonus": 0},
                discount=0,
                external=0,
                points_spent=0,
                points_earned=amount // 100,
            )
        else:
            detail.update(checkout_id=f"chk_{rng.getrandbits(112):028x}", lines=lines, expires_at=at)
            if detail_type == "checkout.quoted":
                detail.update(
                    balance=amount,
                    discount_total=0,
                    external=0,
                    payable=True,
                    limits=[],
                    funds={"cash": amount, "bonus": 0, "points": 0, "spent_today": 0},
                    points=0,
                    rules_version=1,
                )
    elif detail_type == "notification.sent":
        detail.update(
            notification_id=f"ntf_{rng.getrandbits(112):028x}",
            type="payment_feedback",
            title="How was your purchase?",
            body="Tell us how it went: it takes ten seconds.",
            data={"payment_id": f"pay_{rng.getrandbits(112):028x}"},
        )
    else:
        detail.update(entry_id=f"ent_{rng.getrandbits(112):028x}", amount=amount, lots={"cash": amount, "bonus": 0})
    return detail


def synthetic_export(
    customers: int = CUSTOMERS, days: int = DAYS, end: date = END, seed: int = 7
) -> dict[Partition, Objects]:
    """The export's partitions and objects for ``customers`` over the ``days`` days up to ``end``: each day,
    each type's count drawn around its rate, at random moments; every five minutes one delivery writes one
    object per partition it has events of (``objects_of``, as the local runner and Firehose do)."""
    from chalicelib.events.catalogue import DETAIL_TYPES, SOURCE
    from chalicelib.insight.export import objects_of

    rng = random.Random(seed)
    layout: dict[Partition, Objects] = {}
    for d in range(days):
        day = end - timedelta(days=days - 1 - d)
        midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        deliveries: dict[int, list[dict[str, Any]]] = {}
        for detail_type in sorted(DETAIL_TYPES):
            mean = customers * DAILY_RATE.get(detail_type, OTHER_RATE)
            for _ in range(max(0, round(rng.gauss(mean, mean**0.5)))):
                second = rng.randrange(86_400)
                at = (midnight + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")
                user = f"u-{rng.randrange(customers):07d}"
                deliveries.setdefault(second // DELIVERY_SECONDS, []).append(
                    {
                        "version": "0",
                        "id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "detail-type": detail_type,
                        "source": SOURCE,
                        "account": "123456789012",
                        "time": at,
                        "region": "ap-southeast-1",
                        "resources": [],
                        "detail": _detail(detail_type, user, at.replace("Z", ".000Z"), rng),
                    }
                )
        for window, batch in sorted(deliveries.items()):
            written = objects_of(batch, "store-balance-prod-export", midnight + timedelta(seconds=window * 300))
            counts: dict[Partition, int] = {}
            for event in batch:
                key = (event["time"][:10], event["detail-type"])
                counts[key] = counts.get(key, 0) + 1
            for object_key, body in written.items():
                dt = object_key.split("dt=", 1)[1].split("/", 1)[0]
                detail_type = object_key.split("/type=", 1)[1].split("/", 1)[0]
                part = layout.setdefault((dt, detail_type), Objects())
                part.count += 1
                part.bytes += len(body)
                part.events += counts[(dt, detail_type)]
    return layout


# ---- the benchmark ----------------------------------------------------------------------------------------


def run(customers: int = CUSTOMERS) -> dict[str, Any]:
    def days_between(first: date, last: date) -> list[str]:
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

    layout = synthetic_export(customers)
    total = sum(o.bytes for o in layout.values())
    start = END - timedelta(days=PERIOD_DAYS - 1)
    export_days = sorted({dt for dt, _ in layout})
    reports = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        sql = path.read_text()
        params = report_params(path.stem, sql, start, END)
        read = partitions_read(sql, params, layout)
        dt_params = sorted(p for p in params if len(p) == 10)
        asked = set(days_between(date.fromisoformat(dt_params[0]), date.fromisoformat(dt_params[-1])))
        days_read = sorted({dt for dt, _ in read})
        types_read = sorted({t for _, t in read})
        scanned = sum(layout[p].bytes for p in read)
        reports[path.stem] = {
            "params": params,
            "partitions": len(read),
            "objects": sum(layout[p].count for p in read),
            "days": len(days_read),
            "first_day": days_read[0] if days_read else None,
            "last_day": days_read[-1] if days_read else None,
            "days_asked_in_export": len(asked & set(export_days)),
            "only_days_asked": set(days_read) <= asked and set(days_read) == asked & set(export_days),
            "types": len(types_read),
            "type_names": types_read,
            "bytes": scanned,
            "share_of_export": round(scanned / total, 4) if total else 0.0,
        }
    return {
        "customers": customers,
        "days": DAYS,
        "period_days": PERIOD_DAYS,
        "period": [start.isoformat(), END.isoformat()],
        "export": {
            "bytes": total,
            "objects": sum(o.count for o in layout.values()),
            "events": sum(o.events for o in layout.values()),
            "partitions": len(layout),
            "types": len({t for _, t in layout}),
        },
        "reports": reports,
    }


def rows(res: dict[str, Any]) -> list[Row]:
    ex = res["export"]
    out = [
        Row(
            f"synthetic export: {res['customers']} customers x {res['days']} days, gzip JSON lines",
            f"{ex['events']:,} events, {ex['partitions']:,} partitions ({ex['types']} types), "
            f"{ex['objects']:,} objects, {ex['bytes'] / MB:.1f} MB",
        )
    ]
    for name, r in res["reports"].items():
        named = "all types" if r["types"] == ex["types"] else f"{r['types']} types"
        out.append(
            Row(
                f"{name} over {res['period'][0]}..{res['period'][1]} (parameters {', '.join(r['params'])})",
                f"{r['bytes'] / MB:.2f} MB = {100 * r['share_of_export']:.1f} % of the export: {r['partitions']} "
                f"partitions, {r['days']} days ({r['first_day']}..{r['last_day']}) x {named}",
                f"only the {r['days_asked_in_export']} days its parameters name",
                r["only_days_asked"],
            )
        )
    out.append(Row("Athena's minimum charge per query (not added above)", "10 MB"))
    return out


def main(argv: list[str]) -> int:
    """``python -m bench.athena_bytes [customers]``."""
    res = run(int(argv[0]) if argv else CUSTOMERS)
    print(render_rows("11. Athena bytes scanned per analysis (partition projection, synthetic export)", rows(res)))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
