"""Fixtures of the in-process app tests: the real app (``import app``) through Chalice's local gateway, real
Cognito ID tokens, and the store on the in-process tests' moto server (tests/conftest.py ``moto_table``).

The app reads its settings once (``get_settings`` is cached) and builds clients and caches from them: each
module gets the app's settings of the tests (tests/conftest.py TEST_APP_ENV, the user pool, the webhook
secret) with every cache of chalicelib cleared, and leaves the environment, the caches and the table as it
found them (``api``), so that no other test sees what it did, whatever the order.
"""

from __future__ import annotations

import functools
import os
import sys

import pytest

from dev.stack import StackInfo, app_environment, aws_client, create_lifecycle_resources, create_user_pool
from tests.aws_env import ENDPOINT, TABLE
from tests.conftest import TEST_APP_ENV
from tests.inprocess.harness import EventPump, InProcessApi, WriteLog


def clear_app_caches() -> None:
    """Every functools cache of the app's modules (settings, clients, the store, merchants' configuration)."""
    for name, module in list(sys.modules.items()):
        if name == "chalicelib" or name.startswith("chalicelib."):
            for value in list(vars(module).values()):
                if isinstance(value, functools._lru_cache_wrapper):
                    value.cache_clear()


@pytest.fixture(scope="session")
def user_pool(moto_table) -> tuple[str, str]:
    """A Cognito user pool (and app client, and the admin and service groups) in the moto server."""
    return create_user_pool(moto_table)


@pytest.fixture(scope="session")
def lifecycle_resources(moto_table) -> dict[str, str]:
    """The bus with its rules and targets, the schedule group and the SES sender, as the local stack makes
    them (dev/stack.py), in the moto server: the app's variables for them."""
    return create_lifecycle_resources(moto_table, TABLE)


@pytest.fixture(scope="module")
def app_stack(moto_table, user_pool, lifecycle_resources):
    """The app's settings for this module, as the local stack gives them to `chalice local` (dev/stack.py
    app_environment, with the tests' TEST_APP_ENV); a StackInfo of where it runs, for the helpers."""
    pool, client = user_pool
    info = StackInfo(
        aws_endpoint=ENDPOINT,
        api_url="",
        user_pool_id=pool,
        client_id=client,
        table=TABLE,
        webhook_secret=TEST_APP_ENV["PAYMENT_WEBHOOK_SECRET"],
        lifecycle_env=lifecycle_resources,
    )
    env = {
        **app_environment(info, TEST_APP_ENV),
        "STAGE": "local",
        # no EMF lines: chalice local takes the metrics' namespace from .chalice/config.json, not used here
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    patch = pytest.MonkeyPatch()
    for name, value in env.items():
        patch.setenv(name, value)
    for name in ("PAYMENT_WEBHOOK_SECRET_NAME", "COGNITO_ISSUER"):
        patch.delenv(name, raising=False)
    assert os.environ["DYNAMODB_ENDPOINT"] == ENDPOINT and os.environ["LEDGER_TABLE"] == TABLE
    clear_app_caches()
    try:
        yield info
    finally:
        patch.undo()
        clear_app_caches()


@pytest.fixture(scope="module")
def writes(app_stack):
    """Every AWS call this process makes during the module (tests/inprocess/harness.py WriteLog)."""
    with WriteLog(ENDPOINT, TABLE) as log:
        yield log


# what every customer's outcome depends on, whoever wrote it: top-up plans (a bonus), membership tiers (points,
# discounts), the live promotions (discounts at every merchant): none during a module, as in a table of its own
GLOBAL_KINDS = {"topup_plan", "tiers", "live_promotions"}


def _write(ddb, requests: list[dict]) -> None:
    for start in range(0, len(requests), 25):
        pending = {TABLE: requests[start : start + 25]}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


@pytest.fixture(scope="module")
def api(app_stack, writes):
    """tests/e2e/conftest.py's client, served by the app in this process.

    The table is the other in-process tests' too (tests/integration, tests/contract, the other module here),
    so a module finds it as a module with a table of its own would, and leaves it as it found it: the global
    configuration other tests left (GLOBAL_KINDS) is set aside while it runs, and at its end every item it
    wrote is deleted, or put back as it was when it was there before."""
    from app import app
    from tests.e2e.conftest import table_items

    ddb = aws_client("dynamodb", ENDPOINT)
    found = {(i["pk"]["S"], i["sk"]["S"]): i for i in table_items(ddb, TABLE)}
    _write(
        ddb,
        [
            {"DeleteRequest": {"Key": {"pk": i["pk"], "sk": i["sk"]}}}
            for i in found.values()
            if i.get("kind", {}).get("S") in GLOBAL_KINDS
        ],
    )
    client = InProcessApi(app_stack, app, EventPump(ENDPOINT, app_stack.lifecycle_env["LEDGER_STREAM_ARN"]))
    client.ensure_merchant("m-e2e")
    yield client
    keys = {(pk, sk) for table, pk, sk in writes.keys if table == TABLE}
    _write(
        ddb,
        [
            {"PutRequest": {"Item": found[k]}}
            if k in found
            else {"DeleteRequest": {"Key": {"pk": {"S": k[0]}, "sk": {"S": k[1]}}}}
            for k in sorted(keys)
        ],
    )
