"""`python -m dev.configuration_doc`: write docs/configuration.md from chalicelib/config.py (`--check`: only compare).

The settings table is derived, not written: its rows are the fields of ``Settings`` (a nested dataclass such
as ``PointsPolicy`` gives one row per field of its own), each with the environment variables
``get_settings()`` reads for it (found in its source: ``os.environ.get("NAME", ...)``, ``os.environ["NAME"]``
and helpers such as ``_bool("NAME")``, in the order they are tried) and the value it takes when none of
them is set (computed by calling ``get_settings()`` in an environment without them; a fallback built from
other settings, such as the token issuer, is shown as its template). Only the one-line meaning of each
field is written by hand, in ``DESCRIPTIONS``; a field without one stops the generator, so a new setting
cannot reach the page undocumented. ``ELSEWHERE`` lists, by hand, the variables read outside
``chalicelib/config.py`` (Powertools, the X-Ray daemon, pydantic, the AWS credentials).

tests/unit/test_configuration_doc.py fails when the committed page differs from what this writes.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "chalicelib" / "config.py"
PAGE = ROOT / "docs" / "configuration.md"

# one line per Settings field (nested dataclass fields as "points.earn_per_yuan"): what it is for
DESCRIPTIONS: dict[str, str] = {
    "stage": "the stage (`local`, `dev`, `prod`: `.chalice/config.json`); the metrics' `stage` dimension; only "
    "`local` falls back to the local webhook secret when none is configured",
    "table_name": "the DynamoDB table",
    "region": "the region of the table, the pool and the other AWS clients; with the pool id it makes the token issuer",
    "dynamodb_endpoint": "set locally to the moto server (unset: AWS's own endpoint)",
    "currency": "the wallet currency; amounts are minor units (fen)",
    "max_transaction_amount": "per-transaction maximum (¥50,000)",
    "max_balance": "a top-up that would exceed it is refused",
    "spend_order": "which lot a payment draws first",
    "max_attempts": "retries of a transaction that lost a race",
    "idempotency_ttl_seconds": "how long keys are kept (at least 24 h)",
    "cognito_issuer": "the `iss` a token must carry (and the base of the default `COGNITO_JWKS_URL`)",
    "cognito_audience": "token audience: the app client a token's `aud` must name",
    "cognito_web_client_parameter": "the SSM parameter holding the web app's sign-in client id(s), whose "
    "tokens the API takes too (unset: only `COGNITO_APP_CLIENT_ID`'s tokens)",
    "user_pool_id": "the user pool of the token issuer (with the region it makes the default issuer)",
    "cognito_endpoint": "set locally to the moto server (merchant staff groups are created there)",
    "jwks_url": "where the signing keys are",
    "webhook_secret": "webhook secret: the payment webhook's HMAC key, given directly (`make run`, the tests); "  # nosec B105 - a description
    "with neither this nor `PAYMENT_WEBHOOK_SECRET_NAME`, the `local` stage uses the local "
    "default `local-webhook-secret`; any other stage has none to check with (an error)",
    "webhook_secret_name": "the Secrets Manager secret holding the webhook secret (the cloud; wins over "  # nosec B105 - a description
    "`PAYMENT_WEBHOOK_SECRET`), read through Powertools parameters with a 5-minute cache",
    "fault_injection": "tests only: `X-Fault-Inject: after-commit` crashes after the commit",
    "rules_cache_seconds": "how long a function keeps a merchant's configuration (rules, status, the live "
    "promotions) before reading it again",
    "checkout_ttl_seconds": "how long a checkout stays open when the merchant sends no `expires_in_seconds`",
    "hold_ttl_seconds": "how long an authorization holds the balance; then the sweeper (`make sweep`) releases it",
    "points.earn_per_yuan": "points earned per whole ¥1 that balance pays (times the tier's multiplier and a "
    "promotion's factor, rounded down once)",
    "points.point_value": "what one point pays, in fen",
    "points.max_share_percent": "points pay at most this share of an order (of its eligible items)",
    "points.return_window_days": "earned points are pending (not spendable) this many days after the payment, "
    "then available; no job matures them: every read or write after that moment "
    "sees them available. `make run`'s demo customer `carol` paid her order this + 1 "
    "days ago, so her points are available",
    "aws_endpoint": "set locally to the moto server for EventBridge, Scheduler, SES, SQS",
    "event_bus_name": "the bus domain events go to (the stream publisher)",
    "schedule_group": "where promotions' one-time schedules are created",
    "scheduler_role_arn": "the role promotions' schedules run as (EventBridge Scheduler assumes it to invoke "
    "the promotions function)",
    "promotions_function_arn": "what promotions' schedules invoke",
    "schedule_dlq_arn": "promotions' schedules' DLQ: where the scheduler puts an invocation it could not deliver",
    "promotion_max_days": "longest promotion (also bounds the live-promotions read)",
    "promotion_clock_skew_seconds": "how far in the past a new promotion may start",
    "promotion_grant_page": "items per page of a coupon grant's wallet scan",
    "export_bucket": "the analytics export's S3 bucket (reports read it locally; on AWS Firehose writes it)",
    "analytics_database": "the Glue database of the export's table `events` (Athena, on AWS)",
    "analytics_workgroup": "the Athena workgroup the reports' queries run in (its scan limit applies)",
    "ledger_stream_arn": "the table's stream (the deployment sets the event source mapping itself); a "
    "placeholder unless set, because chalice needs an ARN when the app is imported",
    "ses_sender": "the verified SES identity reminders are sent from (empty: no e-mail)",
    "topup_presets": "the top-up options offered (fen); a run-out reminder suggests one of them",
    "unsubscribe_secret": "the HMAC key of marketing e-mail's unsubscribe links, given directly (the local "  # nosec B105 - a description
    "stack, the tests); several keys separated by spaces: the first signs, all verify (a rotation). With neither "
    "this nor `UNSUBSCRIBE_SECRET_NAME`, the `local` stage uses `local-unsubscribe-secret`; any other stage has "
    "none (an error) ([marketing.md](marketing.md))",
    "unsubscribe_secret_name": "the Secrets Manager secret holding the unsubscribe links' key (the cloud; wins "  # nosec B105 - a description
    "over `UNSUBSCRIBE_SECRET`), read through Powertools parameters with a 5-minute cache",
    "public_api_url": "the API's public base URL (`https://host`, no trailing slash) that marketing e-mail's "
    "unsubscribe links point at; empty: no marketing e-mail is sent (the local stack sets its own URL)",
    "max_body_bytes": "the largest request body (256 KiB) the API reads; a larger one is refused "
    "`413 payload_too_large` before it is parsed (the largest legitimate body, a coupon grant "
    "of 500 user ids, is under 70 KB)",
}

# (variable(s), default, meaning, read by): the variables read outside chalicelib/config.py, by hand
ELSEWHERE: list[tuple[str, str, str, str]] = [
    (
        "`POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE`",
        "`store-balance` / `StoreBalance` (`.chalice/config.json`)",
        "the `service` of every log line and metric; the metrics' CloudWatch namespace",
        "Powertools",
    ),
    ("`POWERTOOLS_LOG_LEVEL`", "`INFO`", "the log level (`local` stage: `INFO`; the tests: `WARNING`)", "Powertools"),
    (
        "`POWERTOOLS_METRICS_DISABLED`",
        "`false`",
        "`true` stops the EMF metric lines (the tests set it; the local stack sets `false`, so the lines are in "
        "its logs)",
        "Powertools",
    ),
    (
        "`POWERTOOLS_TRACE_DISABLED`",
        "`false`",
        "`true` turns X-Ray tracing off (the `local` stage and the local stack: there is no daemon)",
        "`chalicelib/observability.py`",
    ),
    (
        "`AWS_XRAY_DAEMON_ADDRESS`",
        "`127.0.0.1:2000`",
        "where trace segments are sent over UDP (Lambda sets it)",
        "`chalicelib/observability.py`",
    ),
    (
        "`_X_AMZN_TRACE_ID`",
        "unset",
        "the invocation's trace header (Lambda sets it); subsegments are sent only when it says `Sampled=1`",
        "`chalicelib/observability.py`",
    ),
    (
        "`PYDANTIC_DISABLE_PLUGINS`",
        "`__all__` (`.chalice/config.json`)",
        "pydantic looks for no installed plugins (no entry-point scan on a cold start)",
        "pydantic",
    ),
    (
        "`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`",
        "(Lambda's role)",
        "the local stack sets `testing` / `testing`, which moto accepts",
        "boto3 (`dev/stack.py` locally)",
    ),
]

INTRO = """\
# Configuration and observability

<!-- Written by `python -m dev.configuration_doc` from chalicelib/config.py; edit the descriptions there
     (dev/configuration_doc.py), not this page. tests/unit/test_configuration_doc.py compares the two. -->

Environment variables (per stage in `.chalice/config.json`; the local stack's endpoints, names and fake
credentials are set by `dev/stack.py`, `app_environment`).

## Settings (`chalicelib/config.py`)

Read once per process by `get_settings()` into the frozen `Settings`. Where a row names two variables, the
first one set wins. The default is what the setting is when none of its variables is set.
"""

ELSEWHERE_INTRO = """\
## Read elsewhere

Variables read by the libraries or by modules other than `chalicelib/config.py`:
"""

OBSERVABILITY = """\
## Observability

Powertools Logger (JSON, correlation id = API Gateway request
id, echoed as `X-Request-Id`; no tokens or secrets logged), Metrics in EMF
(`Payments`, `PaymentAmount`, `InsufficientBalance`, `IdempotentReplays`,
`TransactionConflicts`, `Conflicts`, `ReconciliationMismatches`; the reminders: `NotificationsCreated`,
`ReminderEmailsSent`, `RemindersSent`, `ReminderEmailsFailed`), and X-Ray
when tracing is on (deployed stages; off locally): each traced service and
store call and each DynamoDB call is a subsegment of the invocation's trace,
with operation, table, request id, status and error, sent to the X-Ray daemon
by `chalicelib/observability.py`. It replaces Powertools' Tracer, whose X-Ray
SDK import and botocore patch cost ~70 ms of every cold start; what it does
not do is in the module's docstring. ID tokens are checked with
`cryptography`'s RSA primitives (`chalicelib/api/auth.py`) instead of PyJWT,
whose import cost ~40 ms.
"""


@dataclass(frozen=True)
class Setting:
    """One row: a Settings field, the variables tried for it (in order) and its value when none is set."""

    field: str
    variables: tuple[str, ...]
    default: str
    meaning: str


# ---- what get_settings() reads, from its source -----------------------------------------------------------


def _is_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _env_helpers(module: ast.Module) -> set[str]:
    """Module-level functions that read the variable named by their first parameter (``_bool``)."""
    helpers = set()
    for fn in module.body:
        if isinstance(fn, ast.FunctionDef) and fn.args.args:
            param = fn.args.args[0].arg
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get"
                    and _is_environ(node.func.value)
                    and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == param
                ):
                    helpers.add(fn.name)
    return helpers


def _reads(expr: ast.AST, helpers: set[str]) -> list[str]:
    """The variables an expression reads directly, in source order."""
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(expr):
        name = None
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value):
                name = node.args[0].value
            elif isinstance(func, ast.Name) and func.id in helpers:
                name = node.args[0].value
        elif isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.slice, ast.Constant):
            name = node.slice.value
        if isinstance(name, str):
            found.append((node.lineno, node.col_offset, name))
    return [name for *_, name in sorted(found)]


def _template(expr: ast.AST) -> str | None:
    """``os.environ.get(X) or f"{issuer}/..."``: the fallback as a template (``<issuer>/...``), else None."""
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or) and isinstance(expr.values[-1], ast.JoinedStr):
        parts = []
        for part in expr.values[-1].values:
            if isinstance(part, ast.FormattedValue):
                parts.append(f"<{ast.unparse(part.value)}>")
            else:
                parts.append(str(part.value))
        return "".join(parts)
    return None


@dataclass(frozen=True)
class _Read:
    field: str
    variables: tuple[str, ...]
    template: str | None


def read_map(source: str | None = None) -> list[_Read]:
    """Per field that ``get_settings()`` passes to ``Settings(...)`` (nested dataclasses expanded), what it reads."""
    from chalicelib import config

    module = ast.parse(source if source is not None else CONFIG.read_text())
    helpers = _env_helpers(module)
    [fn] = [n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "get_settings"]
    local: dict[str, ast.AST] = {}
    call = None
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            local[stmt.targets[0].id] = stmt.value
        if (
            isinstance(stmt, ast.Return)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id == "Settings"
        ):
            call = stmt.value
    if call is None:
        raise SystemExit("chalicelib/config.py: get_settings() does not end in `return Settings(...)`")

    def rows(prefix: str, keywords: list[ast.keyword]) -> Iterator[_Read]:
        for kw in keywords:
            if kw.arg is None:
                raise SystemExit(f"chalicelib/config.py: get_settings() passes **{ast.unparse(kw.value)}")
            value = kw.value
            if isinstance(value, ast.Name) and value.id in local:  # `region=region`: read where it is assigned
                value = local[value.id]
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.keywords
                and dataclasses.is_dataclass(getattr(config, value.func.id, None))
            ):
                yield from rows(f"{prefix}{kw.arg}.", value.keywords)  # PointsPolicy(...): a row per field
                continue
            yield _Read(prefix + kw.arg, tuple(_reads(value, helpers)), _template(value))

    return list(rows("", call.keywords))


# ---- the rows -----------------------------------------------------------------------------------------------


def field_paths() -> list[str]:
    """Every field of Settings, nested dataclass fields (with a default factory) as ``outer.inner``."""
    from chalicelib.config import Settings

    paths = []
    for f in dataclasses.fields(Settings):
        factory = f.default_factory if f.default_factory is not dataclasses.MISSING else None
        inner = factory() if factory is not None else None
        if inner is not None and dataclasses.is_dataclass(inner):
            paths.extend(f"{f.name}.{g.name}" for g in dataclasses.fields(inner))
        else:
            paths.append(f.name)
    return paths


def settings_without(variables: set[str]) -> Any:
    """``get_settings()`` as it is when none of ``variables`` is set (the process's environment is restored)."""
    from chalicelib.config import get_settings

    saved = {name: os.environ.pop(name) for name in variables if name in os.environ}
    try:
        return get_settings.__wrapped__()  # past the lru_cache: a fresh read
    finally:
        os.environ.update(saved)


def _value(settings: Any, path: str) -> Any:
    for part in path.split("."):
        settings = getattr(settings, part)
    return settings


def show(value: Any) -> str:
    """A default as one would write it in the environment."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, (tuple, list)):
        text = ",".join(str(v) for v in value)
    else:
        text = str(value)
    return f"`{text}`" if text else "empty"


def settings_rows() -> list[Setting]:
    reads = {r.field: r for r in read_map()}
    paths = field_paths()
    missing = [p for p in paths if p not in DESCRIPTIONS]
    if missing:
        raise SystemExit(
            f"no description for Settings field(s) {', '.join(missing)}: add one line each to "
            "DESCRIPTIONS in dev/configuration_doc.py"
        )
    stale = sorted(set(DESCRIPTIONS) - set(paths))
    if stale:
        raise SystemExit(f"DESCRIPTIONS in dev/configuration_doc.py names no Settings field: {', '.join(stale)}")
    unread = [p for p in paths if not (p in reads and reads[p].variables)]
    if unread:
        raise SystemExit(f"get_settings() reads no environment variable for {', '.join(unread)}")
    defaults = settings_without({v for r in reads.values() for v in r.variables})
    return [
        Setting(
            p,
            reads[p].variables,
            f"`{reads[p].template}`" if reads[p].template else show(_value(defaults, p)),
            DESCRIPTIONS[p],
        )
        for p in paths
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    lines = [INTRO, "| variable | default | `Settings` field | meaning |", "|---|---|---|---|"]
    for s in settings_rows():
        variables = ", else ".join(f"`{v}`" for v in s.variables)
        lines.append(f"| {variables} | {_cell(s.default)} | `{s.field}` | {_cell(s.meaning)} |")
    lines += ["", ELSEWHERE_INTRO, "| variable | default | meaning | read by |", "|---|---|---|---|"]
    for variables, default, meaning, reader in ELSEWHERE:
        lines.append(f"| {variables} | {default} | {_cell(meaning)} | {reader} |")
    lines += ["", OBSERVABILITY]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dev.configuration_doc", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page differs, write nothing")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if PAGE.read_text() != text:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run python -m dev.configuration_doc", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
