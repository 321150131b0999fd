"""Bad input over real HTTP on the local stack: every route's valid request, and one bad case per route, with
the whole table compared item by item before and after.

The table itself (tests/tables/bad_input.py) runs case by case in process (tests/inprocess/test_bad_input.py).
The cases here are kinds whose bytes the server handles before the app sees them (an oversized body, bytes
that are not UTF-8, a content type, a nesting depth, a missing header, ...), taken in turn from route to
route, so every route's real server path is tested too.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import TableScan, own_stack_fixtures
from tests.tables.bad_input import (
    CASES,
    INBOX_CASES,
    ROUTES,
    check_case,
    check_inbox_case,
    check_the_valid_requests_are_valid,
    make_world,
)

pytestmark = pytest.mark.e2e


# a stack of this module's own: every case scans the whole table twice, so it holds only this module's items
local_stack, api, ddb = own_stack_fixtures()

OVER_HTTP = (
    "body_too_large",
    "not_utf8",
    "text_plain",
    "deeply_nested_json",
    "idempotency_key_missing",
    "empty_body",
    "form_encoded",
    "amount_float_12.5",
    "bad_json",
    "idempotency_key_with_space",
    "json_array",
    "text_lone_surrogate",
    "amount_5000_digits",
    "unknown_field",
)


def one_case_per_route() -> list[tuple[str, str]]:
    """Route i takes the first kind of OVER_HTTP, from the i-th on, that the table has for it."""
    chosen = []
    for i, route in enumerate(ROUTES):
        kinds = OVER_HTTP[i % len(OVER_HTTP) :] + OVER_HTTP[: i % len(OVER_HTTP)]
        chosen.append((route, next(k for k in kinds if (route, k) in CASES)))
    return chosen


HTTP_CASES = one_case_per_route()
# one per inbox route: a query string, an escaped id; the unsubscribe link's forged token; a foreign return_url
HTTP_INBOX_CASES = (
    "cursor_garbage",
    "read_id_not_an_id",
    "unsubscribe_get_forged",
    "return_url_foreign",
    "campaign_cancel_unknown",
    "survey_id_unknown",
)


@pytest.fixture(scope="module")
def world(api):
    return make_world(api)


@pytest.fixture(scope="module")
def table(ddb, local_stack):
    return TableScan(ddb, local_stack.table)


def test_every_route_has_a_case_over_http():
    assert [r for r, _ in HTTP_CASES] == list(ROUTES) and all(c in CASES for c in HTTP_CASES)
    assert {INBOX_CASES[c][:2] for c in HTTP_INBOX_CASES} >= {("GET", "/v1/notifications")}
    assert {INBOX_CASES[c][0] for c in HTTP_INBOX_CASES} == {method for method, *_ in INBOX_CASES.values()}


def test_the_valid_requests_the_cases_start_from_are_valid(api, world):
    check_the_valid_requests_are_valid(api, world)


@pytest.mark.parametrize(("route_name", "case_name"), [pytest.param(r, c, id=f"{r}-{c}") for r, c in HTTP_CASES])
def test_bad_input_is_refused_and_writes_nothing(api, table, world, route_name, case_name):
    check_case(api, table, world, route_name, case_name)


@pytest.mark.parametrize("case_name", HTTP_INBOX_CASES)
def test_bad_inbox_requests_are_refused_and_write_nothing(api, table, world, case_name):
    check_inbox_case(api, table, world, case_name)
