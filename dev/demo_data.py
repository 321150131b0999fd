"""``make demo-data``: a few hundred synthetic customers of six personas, each with up to 85 days of history,
written into the running local stack through the app's own use cases; then the segmentation job, and a summary:
the customers per persona, the segment each persona landed in, and the obstacles report of the demo merchants.

How it writes. In this process, with the running stack's environment (``app_environment``: the table, the bus,
the export's bucket), the customers' top-ups and their provider's confirmations, the merchants' checkouts, the
customers' payments, quotes, behaviour events and feedback go through chalicelib/services (the same calls the
routes make, their bodies checked by the routes' own request models), never into the table by hand. The
services' clock (services/clock.py) is set to each action's moment, as the past order of ``make run`` is written
(dev/run.py ``_past_order``): every action of every customer is replayed in the order of its moment, so the
ledger's times, the events' ``occurred_at`` and the export's days are those of the history. Behaviour events and
quotes go on the bus directly; everything else reaches it from the table's stream, and the export from the bus
through the stack's runner (dev/lifecycle.py ``ExportDelivery``), asynchronously: before the segmentation runs,
the export is polled until it holds every event of the cohort (a timeout names what is missing).

The personas (``PERSONAS``) are drawn so that each lands in one segment by the rules of
chalicelib/insight/segments.py, whatever the seeded randomness gives (amounts, days, baskets, visits). The R,
F and M scores are percentile ranks among the customers who paid by balance in the window, so the three paying
personas are placed against each other: heavy payers are the most recent, most frequent and largest
(``champions``); the sale-day shoppers all last paid at the same sale, more recently than the lapsed and less
than the heavy, which puts their shared R score in the middle (``needs_attention``); the lapsed all paid exactly
four times, more often than the sale-day shoppers and less than the heavy, so their shared F score is the
middle one while their R is the lowest (``at_risk``). A stack holding other payers (a few, as `make run`'s
seed) does not move these scores; one with many may.

The cohort's events are taken off the local bus's catch-all queue as they arrive (``EventsQueueTrim``): `make
events` does not print them, and the queue stays short (moto counts a queue's messages on every send to it).

Run twice: the customers' ids are the prefix's (``{prefix}-{persona}-{n}``) and every write carries an
idempotency key derived from them, so a second run with the same ``--prefix`` (within IDEMPOTENCY_TTL_SECONDS)
replays every answer and writes nothing new (a replayed checkout is not quoted again; behaviour events carry
their own ids, which every analysis dedupes); the segmentation then runs again. Another ``--prefix`` adds a
second cohort of customers and merchants of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time as clock_time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from dev.stack import STATE_FILE, StackInfo, app_environment

DEFAULT_CUSTOMERS = 300
DEFAULT_PREFIX = "demo"
DEFAULT_SEED = 7
EXPORT_TIMEOUT_SECONDS = 300.0
TRIM_EVERY = 20  # actions between two passes over the catch-all queue (EventsQueueTrim)
HIDE_SECONDS = 1800  # how long a pass hides the queue's other events (shown again when the run ends)
MARKET, BOUTIQUE = "market", "boutique"  # the cohort's two merchants: {prefix}-market, {prefix}-boutique
BOUTIQUE_MIN_ORDER = 30000  # fen: the boutique's balance rules pay nothing of a smaller order
SALE_DAYS = (68, 40, 12)  # days ago: the market's monthly sales, where the sale-day shoppers pay
LAPSED_PAYMENTS = 4  # every lapsed customer paid exactly this often (their F ties: see the module's docstring)
CATEGORIES = {MARKET: ("tea", "snacks", "fruit", "household"), BOUTIQUE: ("fashion", "beauty", "gifts")}
CHANNELS = ("alipay", "wechat", "card")
SEARCHES = ("green tea", "gift box", "rice", "scarf", "face cream", "on sale")


class DemoError(RuntimeError):
    """A step of the demo data was refused or the stack did not deliver; the message names which."""


# ---- the plan: who does what, when (pure: the test reads it too) -----------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing a customer does, ``days_ago`` days before the run's day at ``minute`` (UTC) of that day.

    kinds: ``topup`` (``amount``, confirmed by the provider), ``pay`` (a checkout of ``lines`` at ``shop``, paid
    by balance), ``quote`` (a checkout of ``lines`` at ``shop``, quoted and left unpaid), ``visit`` (``events``,
    behaviour), ``rate`` (``rating`` of the customer's last payment)."""

    days_ago: int
    kind: str
    amount: int = 0
    shop: str = MARKET
    lines: tuple[tuple[str, str, int], ...] = ()  # (sku, category, unit price); quantity 1
    events: tuple[dict[str, Any], ...] = ()
    rating: int = 0
    tags: tuple[str, ...] = ()
    minute: int = 0


@dataclass(frozen=True)
class Customer:
    user_id: str
    persona: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Persona:
    key: str
    title: str
    segment: str  # the segment every customer of the persona lands in
    why: str  # the rule of chalicelib/insight/segments.py that puts them there
    plan: Callable[[random.Random], list[Step]] = field(repr=False)


def _lines(rng: random.Random, shop: str, amount: int) -> tuple[tuple[str, str, int], ...]:
    """``amount`` fen as one to three lines of the shop's catalogue (whole yuan, each at least 1.00)."""
    units = amount // 100
    count = 1 if units < 50 else rng.randint(1, 3)
    cuts = sorted(rng.sample(range(1, units), count - 1)) if count > 1 else []
    prices = [b - a for a, b in zip([0, *cuts], [*cuts, units])]
    lines = []
    for price in prices:
        category = rng.choice(CATEGORIES[shop])
        lines.append((f"{category}-{rng.randint(1, 40):02d}", category, price * 100))
    return tuple(lines)


def _views(rng: random.Random, shop: str, count: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        category = rng.choice(CATEGORIES[shop])
        out.append(
            {"type": "view_product", "props": {"sku": f"{category}-{rng.randint(1, 40):02d}", "category": category}}
        )
    return out


def _top_up_for(total: int, rng: random.Random, spare: tuple[int, ...]) -> int:
    """What a customer tops up to pay ``total`` fen: whole 100.00 yuan, with some to spare."""
    return -(-total // 10000) * 10000 + rng.choice(spare)


def heavy_payer(rng: random.Random) -> list[Step]:
    """6-8 balance payments from 70-85 days ago to 1-2 days ago, 60-160 yuan at the market and one or two
    boutique orders over its minimum; a top-up before the first and another half-way; one rating, one visit."""
    count = rng.randint(6, 8)
    first, last = rng.randint(70, 85), rng.randint(1, 2)
    days = sorted([first, last, *rng.sample(range(last + 1, first), count - 2)], reverse=True)
    boutique = set(rng.sample(range(count), rng.randint(1, 2)))
    payments = []
    for i, day in enumerate(days):
        if i in boutique:
            amount = rng.randint(BOUTIQUE_MIN_ORDER // 100, 480) * 100
            payments.append(Step(day, "pay", amount, BOUTIQUE, _lines(rng, BOUTIQUE, amount)))
        else:
            amount = rng.randint(60, 160) * 100
            payments.append(Step(day, "pay", amount, MARKET, _lines(rng, MARKET, amount)))
    steps: list[Step] = []
    rated = rng.randrange(count)
    i, half = 0, count // 2
    while i < count:
        chunk = payments[i : i + half] if i == 0 else payments[i:]
        steps.append(Step(chunk[0].days_ago, "topup", _top_up_for(sum(p.amount for p in chunk), rng, (0, 10000))))
        for p in chunk:
            steps.append(p)
            if i == rated:
                steps.append(Step(p.days_ago, "rate", rating=rng.randint(4, 5), tags=("fast-checkout",)))
            i += 1
    visit = rng.randint(3, 60)
    steps.append(Step(visit, "visit", events=({"type": "login"}, *_views(rng, MARKET, rng.randint(1, 2)))))
    return steps


def sale_day_shopper(rng: random.Random) -> list[Step]:
    """Pays by balance at the market's sales only: the last one (12 days ago) and one or two before (68, 40),
    30-90 yuan each, from one top-up at their first sale; looks at the sale's offers a few days before it."""
    days = sorted([SALE_DAYS[-1], *rng.sample(SALE_DAYS[:-1], rng.randint(1, 2))], reverse=True)
    payments = []
    for day in days:
        amount = rng.randint(30, 90) * 100
        payments.append(Step(day, "pay", amount, MARKET, _lines(rng, MARKET, amount)))
    topup = _top_up_for(sum(p.amount for p in payments), rng, (10000, 20000))
    preview = Step(SALE_DAYS[-1] + rng.randint(1, 5), "visit", events=tuple(_views(rng, MARKET, rng.randint(1, 3))))
    return [Step(days[0], "topup", topup), *payments, preview]


def top_up_and_forget(rng: random.Random) -> list[Step]:
    """One top-up 20-80 days ago, and nothing since."""
    return [Step(rng.randint(20, 80), "topup", rng.choice((10000, 20000, 30000, 50000)))]


def browser(rng: random.Random) -> list[Step]:
    """Two to four visits over the 90 days: a login and two to four products viewed, sometimes a search or a
    product put in the cart; never a top-up, never a balance payment."""
    steps = []
    for day in sorted(rng.sample(range(1, 86), rng.randint(2, 4)), reverse=True):
        shop = rng.choice((MARKET, BOUTIQUE))
        events: list[dict[str, Any]] = [{"type": "login"}, *_views(rng, shop, rng.randint(2, 4))]
        if rng.random() < 0.3:
            events.append({"type": "search", "props": {"query": rng.choice(SEARCHES)}})
        if rng.random() < 0.3:
            seen = events[1]["props"]
            events.append({"type": "add_to_cart", "props": {"sku": seen["sku"], "category": seen["category"]}})
        steps.append(Step(day, "visit", events=tuple(events)))
    return steps


def lapsed(rng: random.Random) -> list[Step]:
    """Four balance payments at the market between 60 and 85 days ago, 20-80 yuan each, spending exactly the one
    top-up before them; the last one rated poorly; nothing since."""
    days = sorted(rng.sample(range(60, 86), LAPSED_PAYMENTS), reverse=True)
    payments = []
    for day in days:
        amount = rng.randint(20, 80) * 100
        payments.append(Step(day, "pay", amount, MARKET, _lines(rng, MARKET, amount)))
    rating = Step(days[-1], "rate", rating=rng.randint(1, 2), tags=("slow-delivery",))
    return [Step(days[0], "topup", sum(p.amount for p in payments)), *payments, rating]


def bargain_hunter(rng: random.Random) -> list[Step]:
    """A top-up of 100-200 yuan 20-40 days ago, then one to three tries at the boutique: a basket of 40-90 yuan
    quoted, below its minimum order for balance, and left unpaid."""
    topup_day = rng.randint(20, 40)
    steps = [Step(topup_day, "topup", rng.choice((10000, 15000, 20000)))]
    for day in sorted(rng.sample(range(1, topup_day), rng.randint(1, 3)), reverse=True):
        amount = rng.randint(40, 90) * 100
        steps.append(Step(day, "quote", amount, BOUTIQUE, _lines(rng, BOUTIQUE, amount)))
    return steps


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "heavy",
        "heavy balance payer",
        "champions",
        "R, F and M all 4 or 5: the most recent, most frequent and largest balance payers",
        heavy_payer,
    ),
    Persona(
        "occasional",
        "sale-day shopper",
        "needs_attention",
        "R 3: their one last-payment day sits between the heavy payers' and the lapsed customers'",
        sale_day_shopper,
    ),
    Persona(
        "forgetful",
        "top-up-and-forget",
        "top_up_and_forget",
        "topped up 14 days ago or more, holds balance, no balance payment since",
        top_up_and_forget,
    ),
    Persona(
        "browser",
        "browser, never pays by balance",
        "browsers_not_payers",
        "5 or more logins and browsing events in 90 days, never a balance payment",
        browser,
    ),
    Persona(
        "lapsed",
        "lapsed customer",
        "at_risk",
        "R 1 or 2 and F 3: paid often 60-85 days ago, nothing since, no balance left",
        lapsed,
    ),
    Persona(
        "bargain",
        "bargain hunter below the minimum order",
        "top_up_and_forget",
        "topped up 20-40 days ago, every basket below the boutique's minimum: the balance was never spent",
        bargain_hunter,
    ),
)
BY_KEY = {p.key: p for p in PERSONAS}


PAYING = ("heavy", "occasional", "lapsed")  # the personas whose R, F and M scores rank them against each other


def counts_of(customers: int) -> dict[str, int]:
    """``customers`` shared evenly between the personas; what does not divide goes to those who never pay by
    balance in the window, so that the paying ones stay of one size (the margins of their scores are widest so)."""
    share = customers // len(PERSONAS)
    others = [p.key for p in PERSONAS if p.key not in PAYING]
    extra, rest = divmod(customers - share * len(PERSONAS), len(others))
    counts = {p.key: share for p in PERSONAS}
    for i, key in enumerate(others):
        counts[key] += extra + (i < rest)
    return counts


def _timed(rng: random.Random, steps: list[Step]) -> tuple[Step, ...]:
    """The steps oldest first (a day's steps in the order given), each at a minute of its day: a random start
    between 08:00 and 20:00, then three minutes apart."""
    ordered = sorted(steps, key=lambda s: -s.days_ago)  # stable: a day's steps stay in their order
    starts: dict[int, int] = {}
    out = []
    for s in ordered:
        start = starts.setdefault(s.days_ago, rng.randint(8 * 60, 20 * 60))
        out.append(replace(s, minute=start))
        starts[s.days_ago] = start + 3
    return tuple(out)


def plan(prefix: str, counts: dict[str, int], seed: int = DEFAULT_SEED) -> list[Customer]:
    """Every customer of the cohort with their steps: the same prefix, counts and seed give the same plan."""
    out = []
    for persona in PERSONAS:
        for n in range(1, counts.get(persona.key, 0) + 1):
            user_id = f"{prefix}-{persona.key}-{n:03d}"
            rng = random.Random(f"{seed}:{user_id}")  # nosec B311 - synthetic demo data, reproducible by seed
            out.append(Customer(user_id, persona.key, _timed(rng, persona.plan(rng))))
    return out


def merchant_ids(prefix: str) -> dict[str, str]:
    return {MARKET: f"{prefix}-market", BOUTIQUE: f"{prefix}-boutique"}


# ---- writing the plan through the services -----------------------------------------------------------------------


def moment_of(today: date, step: Step, second: int = 0) -> datetime:
    start = datetime.combine(today - timedelta(days=step.days_ago), clock_time(0, 0), timezone.utc)
    return start + timedelta(minutes=step.minute, seconds=second)


class PlansReadOnce:
    """The ledger store, with the top-up plans read once for the whole run: every top-up's confirmation reads the
    plans (to pick the one live at its moment), and locally that read is a Query, which moto answers by reading
    the whole table. Nothing changes the plans while the demo data is written, so each confirmation picks what it
    would have picked from its own read."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._plans: list[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def list_topup_plans(self) -> list[Any]:
        if self._plans is None:
            self._plans = self._store.list_topup_plans()
        return self._plans


class Writer:
    """The cohort's actions through the use cases, each at its moment on the services' clock (set per call)."""

    def __init__(self, prefix: str, today: date) -> None:
        from chalicelib import bootstrap
        from chalicelib.config import get_settings
        from chalicelib.domain.model import Principal

        self.prefix, self.today = prefix, today
        self.settings = get_settings()
        self.store, self.policy, self.cache = bootstrap.store(), bootstrap.policy(), bootstrap.config_cache()
        self.bus, self.feedback_store = bootstrap.bus(), bootstrap.feedback_store()
        self.plans_once = PlansReadOnce(self.store)
        self.merchants = merchant_ids(prefix)
        self.seller = Principal(f"{prefix}-order-service", frozenset({"service"}))  # opens the shops' checkouts
        self.operator = Principal(f"{prefix}-operator", frozenset({"admin"}))
        self.calls = 0
        self.sent: Counter[str] = Counter()  # the events this run's calls put on the bus (from the stream or not)
        self.last_payment: dict[str, str] = {}
        self.balances: dict[str, int] = {}  # after each customer's last payment, as its answer said

    def at(self, moment: datetime) -> None:
        from chalicelib.services import clock

        clock.use(lambda: moment)

    def request(self, caller: Any, key: str, method: str, path: str, body: Any) -> Any:
        """The request under ``key`` as the route builds it: scoped to the caller, hashed over its checked body."""
        from chalicelib.api.routing import request_hash
        from chalicelib.services.common import IdempotentRequest

        return IdempotentRequest(scope=caller.user_id, key=key, request_hash=request_hash(method, path, body))

    def merchants_and_rules(self) -> None:
        """The two shops, and the boutique's minimum order for balance, set by an operator before the history."""
        from chalicelib.api.schemas.balance_rules import BalanceRulesRequest
        from chalicelib.identity import ensure_merchant_group
        from chalicelib.services import admin, merchant_rules

        self.at(datetime.combine(self.today - timedelta(days=90), clock_time(6, 0), timezone.utc))
        for shop, name in ((MARKET, "Demo Market"), (BOUTIQUE, "Demo Boutique")):
            merchant_id = self.merchants[shop]
            known = self.store.snapshot(merchant=merchant_id).merchant
            self.calls += 1
            if known is None or known.name != name or not known.active:  # as PUT /v1/admin/merchants/{id} does
                ensure_merchant_group(self.settings, merchant_id)
                admin.put_merchant(self.store, merchant_id, name, "active")
                self.calls += 2
        boutique = self.merchants[BOUTIQUE]
        current = merchant_rules.get_rules(self.store, self.operator, boutique)
        if current["version"] == 0 or current["min_order_amount"] != BOUTIQUE_MIN_ORDER:
            document = BalanceRulesRequest.model_validate({"min_order_amount": BOUTIQUE_MIN_ORDER})
            merchant_rules.put_rules(
                self.store, self.operator, boutique, document.model_dump(by_alias=True), self.cache
            )
            self.calls += 1
        self.calls += 1

    def run(self, customer: Customer, index: int, step: Step) -> None:
        from chalicelib.domain.errors import DomainError
        from chalicelib.observability import metrics

        self.at(moment_of(self.today, step))
        try:
            getattr(self, f"do_{step.kind}")(customer, index, step)
        except DomainError as exc:
            raise DemoError(
                f"{customer.user_id} step {index} ({step.kind}, {step.days_ago} days ago) refused: "
                f"{getattr(exc, 'code', type(exc).__name__)}: {exc}"
            ) from exc
        finally:
            metrics.clear_metrics()  # the use cases' metrics go nowhere from here (a full set would be printed)

    def do_topup(self, customer: Customer, index: int, step: Step) -> None:
        from chalicelib.api.schemas.topups import TopupRequest
        from chalicelib.domain.model import Principal
        from chalicelib.services import topups

        caller = Principal(customer.user_id)
        channel = CHANNELS[index % len(CHANNELS)]
        body = TopupRequest.model_validate({"amount": step.amount, "channel": channel})
        created = topups.create_topup(
            self.store,
            currency=self.settings.currency,
            max_balance=self.settings.max_balance,
            principal=caller,
            request=self.request(caller, f"{customer.user_id}:{index}:topup", "POST", "/v1/topups", body),
            amount=step.amount,
            channel=channel,
            presets=self.settings.topup_presets,
        )
        topup_id = created.body["topup_id"]
        self.at(moment_of(self.today, step, 20))  # the provider confirms a few seconds later
        confirmed = topups.confirm_topup(
            self.plans_once,
            currency=self.settings.currency,
            max_attempts=self.settings.max_attempts,
            topup_id=topup_id,
            status="succeeded",
            amount=step.amount,
            provider_ref=f"demo-{topup_id}",
        )
        self.calls += 2
        self.sent["topup.credited"] += bool(confirmed.body.get("credited"))

    def _checkout(self, customer: Customer, index: int, step: Step) -> Any:
        from chalicelib.api.schemas.checkouts import CheckoutRequest
        from chalicelib.domain.checkout import Line
        from chalicelib.services import checkouts

        merchant_id = self.merchants[step.shop]
        order_id = f"{customer.user_id}-{index}"
        items = [{"sku": sku, "category": cat, "unit_price": price, "quantity": 1} for sku, cat, price in step.lines]
        body = CheckoutRequest.model_validate(
            {"merchant_id": merchant_id, "order_id": order_id, "user_id": customer.user_id, "items": items}
        )
        self.calls += 1
        opened = checkouts.create_checkout(
            self.store,
            self.policy,
            self.seller,
            self.request(self.seller, f"{customer.user_id}:{index}:checkout", "POST", "/v1/checkouts", body),
            merchant_id=merchant_id,
            order_id=order_id,
            user_id=customer.user_id,
            lines=[Line(sku, cat, price, 1) for sku, cat, price in step.lines],
            expires_in_seconds=None,
        )
        self.sent["checkout.opened"] += not opened.replayed
        return opened

    def do_pay(self, customer: Customer, index: int, step: Step) -> None:
        from chalicelib.api.schemas.payments import PaymentRequest
        from chalicelib.domain.model import Principal
        from chalicelib.domain.pricing import PayOptions
        from chalicelib.services import payments

        checkout_id = self._checkout(customer, index, step).body["checkout_id"]
        self.at(moment_of(self.today, step, 40))  # the customer pays it a little later
        caller = Principal(customer.user_id)
        body = PaymentRequest.model_validate({"checkout_id": checkout_id})
        paid = payments.pay(
            self.store,
            self.policy,
            self.cache,
            caller,
            self.request(caller, f"{customer.user_id}:{index}:pay", "POST", "/v1/payments", body),
            checkout_id=checkout_id,
            options=PayOptions(),
        )
        self.calls += 1
        self.sent["payment.succeeded"] += not paid.replayed
        self.last_payment[customer.user_id] = paid.body["payment_id"]
        self.balances[customer.user_id] = paid.body["balance"]["total"]

    def do_quote(self, customer: Customer, index: int, step: Step) -> None:
        from chalicelib.domain.model import Principal
        from chalicelib.domain.pricing import PayOptions
        from chalicelib.services import checkouts

        opened = self._checkout(customer, index, step)
        if opened.replayed:  # quoted when it was opened, by an earlier run
            return
        self.at(moment_of(self.today, step, 40))
        checkouts.quote(
            self.store,
            self.policy,
            self.cache,
            Principal(customer.user_id),
            opened.body["checkout_id"],
            PayOptions(),
            trace=lambda detail: self.bus.put_quietly("checkout.quoted", detail),
        )
        self.calls += 1
        self.sent["checkout.quoted"] += 1

    def do_visit(self, customer: Customer, index: int, step: Step) -> None:
        from chalicelib.domain.model import Principal
        from chalicelib.services import behaviour

        events = []
        for n, event in enumerate(step.events):
            # the client's own id: a run sent again gives its events the same event_id
            sent: dict[str, Any] = {"type": event["type"], "id": f"{customer.user_id}-{index}-{n}"}
            if event.get("props"):
                props = dict(event["props"])
                if event["type"] in ("view_product", "add_to_cart"):
                    props["merchant_id"] = self.merchants[_shop_of(props["category"])]
                sent["props"] = props
            events.append(sent)
        behaviour.record(self.bus, Principal(customer.user_id), events)
        self.calls += 1
        self.sent.update(f"behaviour.{e['type']}" for e in events)  # put again on a replay: the same event ids

    def do_rate(self, customer: Customer, index: int, step: Step) -> None:
        from chalicelib.api.schemas.feedback import FeedbackRequest
        from chalicelib.domain.model import Principal
        from chalicelib.services import feedback

        payment_id = self.last_payment[customer.user_id]
        caller = Principal(customer.user_id)
        body = FeedbackRequest.model_validate(
            {"payment_id": payment_id, "rating": step.rating, "tags": list(step.tags)}
        )
        self.at(moment_of(self.today, step, 60))
        rated = feedback.submit(
            self.feedback_store,
            caller,
            self.request(caller, f"{customer.user_id}:{index}:rate", "POST", "/v1/feedback", body),
            kind="payment",
            subject_id=payment_id,
            rating=step.rating,
            tags=list(step.tags),
            comment=None,
        )
        self.calls += 1
        self.sent["feedback.submitted"] += not rated.replayed


def _shop_of(category: str) -> str:
    return next(shop for shop, categories in CATEGORIES.items() if category in categories)


def write(
    writer: Writer,
    customers: list[Customer],
    progress: Callable[[int, int], None] | None = None,
    trim: Callable[[], object] | None = None,
) -> None:
    """Every customer's steps, all customers' together in the order of their moments; ``trim`` every
    TRIM_EVERY of them."""
    from chalicelib.services import clock

    actions = sorted(
        ((moment_of(writer.today, s), c.user_id, i, c, s) for c in customers for i, s in enumerate(c.steps)),
        key=lambda a: a[:3],
    )
    try:
        writer.merchants_and_rules()
        for done, (_moment, _user, index, customer, step) in enumerate(actions, start=1):
            writer.run(customer, index, step)
            if trim is not None and done % TRIM_EVERY == 0:
                trim()
            if progress is not None:
                progress(done, len(actions))
    finally:
        clock.reset()


class EventsQueueTrim:
    """Takes the cohort's events off the local bus's catch-all queue (ALL_EVENTS_QUEUE, what `make events` prints)
    as they arrive. Thousands of them would bury `make events`, and moto counts a queue's messages on every send to
    it (every event put on the bus is sent to that queue): each event would cost more than the one before. Any
    other event stays on the queue, out of sight while the run lasts (so that each pass reads only what arrived
    since the last one) and visible again when ``release`` is called, at the run's end."""

    def __init__(self, sqs: Any, users: set[str], merchants: set[str]) -> None:
        from dev.stack import ALL_EVENTS_QUEUE

        self.sqs, self.users, self.merchants = sqs, users, merchants
        self.url = sqs.get_queue_url(QueueName=ALL_EVENTS_QUEUE)["QueueUrl"]
        self.taken = 0
        self.hidden: dict[str, str] = {}  # message id -> receipt handle, of the events that are not the cohort's

    def ours(self, body: str) -> bool:
        detail = json.loads(body).get("detail") or {}
        return detail.get("user_id") in self.users or detail.get("merchant_id") in self.merchants

    def trim(self) -> int:
        taken = 0
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=HIDE_SECONDS
            ).get("Messages", [])
            if not got:
                break
            mine = [m for m in got if self.ours(m["Body"])]
            self.hidden.update((m["MessageId"], m["ReceiptHandle"]) for m in got if not self.ours(m["Body"]))
            if mine:
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(mine)]
                self.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)
                taken += len(mine)
        self.taken += taken
        return taken

    def release(self) -> None:
        handles = list(self.hidden.values())
        for start in range(0, len(handles), 10):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                    for i, h in enumerate(handles[start : start + 10])
                ],
            )
        self.hidden.clear()


# ---- waiting for the export --------------------------------------------------------------------------------------


class ExportCount:
    """The distinct events of some customers in the export's objects written since ``since``, by detail type: each
    poll reads only the objects written since the last one (the export's objects are never rewritten), so an
    export that already holds earlier runs costs a listing, not a read of each object."""

    def __init__(self, s3: Any, bucket: str, users: set[str], since: datetime) -> None:
        self.s3, self.bucket, self.users, self.since = s3, bucket, users, since
        self.read: set[str] = set()
        self.ids: dict[str, set[str]] = defaultdict(set)

    def poll(self) -> Counter[str]:
        from chalicelib.insight import export

        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=export.PREFIX):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key in self.read or obj["LastModified"] < self.since:
                    continue
                dt = key.split("/dt=", 1)[1].split("/", 1)[0]
                detail_type = key.split("/type=", 1)[1].split("/", 1)[0]
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                for row in export.rows_of(body, dt, detail_type):
                    detail = json.loads(row[7]) if row[7] else {}
                    if detail.get("user_id") in self.users:
                        self.ids[str(row[2])].add(str(detail.get("event_id")))
                self.read.add(key)
        return Counter({t: len(ids) for t, ids in self.ids.items()})


def wait_for_export(
    count: ExportCount, expected: Counter[str], timeout: float, trim: Callable[[], object] | None = None
) -> float:
    """Poll the export until it holds every expected event (by type); the seconds it took, or DemoError."""
    started = time.monotonic()
    while True:
        if trim is not None:
            trim()
        held = count.poll()
        missing = {t: n - held[t] for t, n in expected.items() if held[t] < n}
        if not missing:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise DemoError(
                f"after {timeout:.0f} s the export still lacks events of the cohort: {dict(sorted(missing.items()))} "
                "(is the stack's runner, dev/lifecycle.py, running? see its log)"
            )
        time.sleep(0.5)


# ---- the run ----------------------------------------------------------------------------------------------------


def generate(
    prefix: str,
    counts: dict[str, int],
    seed: int = DEFAULT_SEED,
    export_timeout: float = EXPORT_TIMEOUT_SECONDS,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write the cohort, wait for the export, run the segmentation, and summarize (in a process whose environment
    is the stack's: see ``main``); ``say`` hears how far it got."""
    from chalicelib import bootstrap
    from chalicelib.handlers.segmentation import run_segmentation
    from chalicelib.insight.segments import WINDOW_DAYS
    from chalicelib.services import clock, reports

    started = time.monotonic()
    now = clock.now()
    begun, today = now - timedelta(seconds=5), now.date()  # the export's objects of this run are written after begun
    customers = plan(prefix, counts, seed)
    writer = Writer(prefix, today)

    def progress(done: int, total: int) -> None:
        if say is not None and (done == total or done % max(1, total // 10) == 0):
            say(f"{done} of {total} actions written ({time.monotonic() - started:.0f} s)")

    users = {c.user_id for c in customers}
    queue = EventsQueueTrim(bootstrap.aws("sqs"), users, set(writer.merchants.values()))
    try:
        write(writer, customers, progress, queue.trim)
        if say is not None:
            say("waiting for the export to hold the cohort's events")
        written = time.monotonic() - started
        # what this run put on the bus (a replayed call puts nothing, but behaviour events are put again)
        expected = +writer.sent
        count = ExportCount(bootstrap.aws("s3"), bootstrap.settings().export_bucket, users, begun)
        exported = wait_for_export(count, expected, export_timeout, queue.trim)
        queue.trim()
    finally:
        queue.release()

    segmented_at = time.monotonic()
    if say is not None:
        say(f"the export holds them ({exported:.0f} s); running the segmentation")
    run = run_segmentation()
    profiles = bootstrap.profile_store()
    landed: dict[str, Counter[str]] = defaultdict(Counter)
    for c in customers:
        found = profiles.get_profile(c.user_id)
        landed[c.persona][found["segment"] if found else "no profile"] += 1
    segmented = time.monotonic() - segmented_at

    as_of = date.fromisoformat(run["summary"]["as_of"])
    start = as_of - timedelta(days=WINDOW_DAYS - 1)
    shops = set(writer.merchants.values())
    obstacles = reports.obstacles(bootstrap.analytics(start, as_of), start, as_of)
    lapsed_left = {u: b for u, b in writer.balances.items() if u.startswith(f"{prefix}-lapsed-") and b != 0}
    return {
        "prefix": prefix,
        "seed": seed,
        "customers": len(customers),
        "calls": writer.calls,
        "events": dict(sorted(expected.items())),  # put on the bus by this run, by type
        "merchants": writer.merchants,
        "boutique_min_order": BOUTIQUE_MIN_ORDER,
        "seconds": {
            "write": round(written, 1),
            "export": round(exported, 1),
            "segmentation": round(segmented, 1),
            "total": round(time.monotonic() - started, 1),
        },
        "today": today.isoformat(),  # the history's last day (days ago count from it)
        "run_id": run["run_id"],
        "as_of": as_of.isoformat(),
        "personas": [
            {
                "persona": p.key,
                "title": p.title,
                "customers": counts.get(p.key, 0),
                "expected": p.segment,
                "why": p.why,
                "segments": dict(landed[p.key].most_common()),
            }
            for p in PERSONAS
            if counts.get(p.key, 0)
        ],
        "obstacles": {"from": obstacles["from"], "to": obstacles["to"]}
        | {"rows": [r for r in obstacles["rows"] if r["merchant_id"] in shops]},
        "lapsed_with_balance": lapsed_left,
        "events_taken_off_make_events": queue.taken,
    }


def report(summary: dict[str, Any], api_url: str) -> str:
    """The summary as a person reads it."""
    s = summary["seconds"]
    out = [
        f"demo data: {summary['customers']} customers (prefix {summary['prefix']}, seed {summary['seed']}): "
        f"{summary['calls']} calls written in {s['write']} s, the export complete {s['export']} s later, "
        f"segmentation (run {summary['run_id']}, as of {summary['as_of']}) in {s['segmentation']} s; "
        f"{s['total']} s in all",
        f"{'persona':40} {'customers':>9}  {'expected segment':20} landed in",
    ]
    for p in summary["personas"]:
        landed = ", ".join(f"{seg} {n}" for seg, n in p["segments"].items())
        mark = "" if list(p["segments"]) == [p["expected"]] else "  <- not all as expected"
        out.append(f"{p['title']:40} {p['customers']:9}  {p['expected']:20} {landed}{mark}")
    o = summary["obstacles"]
    out.append(f"obstacles report, {o['from']} to {o['to']}, the demo merchants:")
    for r in o["rows"]:
        out.append(
            f"  {r['merchant_id']:24} {r['outcome']:8} {r['reason']:24} {r['checkouts']:5} checkouts, "
            f"{r['amount'] / 100:,.2f} yuan"
        )
    if summary["lapsed_with_balance"]:
        out.append(f"lapsed customers left with balance (a discount applied?): {summary['lapsed_with_balance']}")
    out.append(
        f'read a profile: curl -H "Authorization: Bearer $(make -s token SUB=ops GROUPS=admin)" '
        f"{api_url}/v1/admin/customers/{summary['prefix']}-heavy-001/profile"
    )
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make demo-data", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS, help="shared evenly by the personas")
    parser.add_argument("--per-persona", type=int, default=None, help="instead of --customers: this many each")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="of the customers' and merchants' ids")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--state-file", type=Path, default=STATE_FILE, help="the running stack's (make run's)")
    parser.add_argument("--export-timeout", type=float, default=EXPORT_TIMEOUT_SECONDS)
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON document")
    args = parser.parse_args(argv)
    counts = {p.key: args.per_persona for p in PERSONAS} if args.per_persona is not None else counts_of(args.customers)
    if sum(counts.values()) < 1 or min(counts.values()) < 0:
        parser.error("give at least one customer")
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,40}", args.prefix):  # the ids built from it stay ids (64 at most)
        parser.error("--prefix: 1 to 40 letters, digits or _ . : -")
    info = StackInfo.load(args.state_file)
    # the stack's environment before the app reads its settings; this process's metrics and logs stay quiet
    os.environ.update(app_environment(info, {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}))
    try:
        say = None if args.json else lambda line: print(f"make demo-data: {line}", file=sys.stderr, flush=True)
        summary = generate(args.prefix, counts, args.seed, args.export_timeout, say)
    except DemoError as exc:
        print(f"make demo-data: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary) if args.json else report(summary, info.api_url), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
