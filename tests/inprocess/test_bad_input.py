"""Every case of the bad-input table (tests/tables/bad_input.py), through the real app in this process.

The same world, the same requests, the same answers checked as over HTTP. "Nothing written" is the write
log's: no successful write call of the process (the store's TransactWriteItems, PutItem, ... or any other
service's) between the snapshots before and after the request (tests/inprocess/harness.py); the wallet,
the payment and the top-up are read again whenever the request reached any AWS service at all. Every
route's valid request and one bad case per route also run over HTTP (tests/e2e/test_bad_input.py).
"""

from __future__ import annotations

import pytest

from tests.tables.bad_input import (
    CASES,
    INBOX_CASES,
    check_case,
    check_inbox_case,
    check_the_table_covers_every_money_route_with_every_kind_of_bad_input,
    check_the_valid_requests_are_valid,
    make_world,
)


@pytest.fixture(scope="module")
def world(api):
    return make_world(api)


def test_the_table_covers_every_money_route_with_every_kind_of_bad_input():
    check_the_table_covers_every_money_route_with_every_kind_of_bad_input()


def test_the_valid_requests_the_cases_start_from_are_valid(api, world):
    check_the_valid_requests_are_valid(api, world)


@pytest.mark.parametrize(("route_name", "case_name"), [pytest.param(r, c, id=f"{r}-{c}") for r, c in CASES])
def test_bad_input_is_refused_and_writes_nothing(api, writes, world, route_name, case_name):
    check_case(api, writes, world, route_name, case_name)


@pytest.mark.parametrize("case_name", list(INBOX_CASES))
def test_bad_inbox_requests_are_refused_and_write_nothing(api, writes, world, case_name):
    check_inbox_case(api, writes, world, case_name)
