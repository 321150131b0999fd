"""Every cell of the authorization matrix (tests/tables/authorization.py), through the real app in this process.

The same world, the same requests (real ID tokens of a Cognito pool in moto; the expired and forged ones
signed as over HTTP), the same checks. "Nothing written" is the write log's: no successful write call of the
process between the snapshots before and after the request (tests/inprocess/harness.py); the owner's wallet
and the payment are read again whenever the request reached any AWS service. The checks that read the
table's items (a read mark, a feedback record, the admin's feedback list) still compare the whole table. One
refused and one allowed cell per route also run over HTTP (tests/e2e/test_authorization.py).
"""

from __future__ import annotations

import pytest

from tests.tables.authorization import (
    CELLS,
    cell_id,
    check_cell,
    check_every_row_says_what_success_means,
    check_the_bad_tokens_fail_only_for_the_reason_they_are_meant_to,
    check_the_matrix_has_a_row_for_every_route_and_a_cell_for_every_caller,
    check_the_webhook_wants_its_signature_whatever_token_comes_with_it,
    make_world,
)


@pytest.fixture(scope="module")
def world(api):
    return make_world(api)


def test_the_matrix_has_a_row_for_every_route_and_a_cell_for_every_caller():
    check_the_matrix_has_a_row_for_every_route_and_a_cell_for_every_caller()


def test_every_row_says_what_success_means():
    check_every_row_says_what_success_means()


def test_the_bad_tokens_fail_only_for_the_reason_they_are_meant_to(api, world):
    check_the_bad_tokens_fail_only_for_the_reason_they_are_meant_to(api, world)


@pytest.mark.parametrize(("route", "caller"), [pytest.param(r, c, id=cell_id(r, c)) for r, c in CELLS])
def test_authorization(api, writes, world, route, caller):
    check_cell(api, writes, world, route, caller)


def test_the_webhook_wants_its_signature_whatever_token_comes_with_it(api, writes, world):
    check_the_webhook_wants_its_signature_whatever_token_comes_with_it(api, writes, world)
