"""The authorization matrix over real HTTP on the local stack: per route, one cell of a caller it refuses and
one of a caller it lets through, with the whole table compared item by item before and after.

The matrix itself (tests/tables/authorization.py) runs cell by cell in process
(tests/inprocess/test_authorization.py). The cells here take the columns in turn from route to route, so every
kind of caller (no token, a garbage, expired or forged one, another customer, another merchant's staff, ...)
goes through the real server too.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import TableScan, own_stack_fixtures
from tests.tables.authorization import (
    CALLERS,
    MATRIX,
    cell_id,
    check_cell,
    check_the_bad_tokens_fail_only_for_the_reason_they_are_meant_to,
    check_the_webhook_wants_its_signature_whatever_token_comes_with_it,
    make_world,
)

pytestmark = pytest.mark.e2e


# a stack of this module's own: every cell scans the whole table twice, so it holds only this module's items
local_stack, api, ddb = own_stack_fixtures()


def one_refused_and_one_allowed_cell_per_route() -> list[tuple[tuple[str, str], str]]:
    """Row i takes the first refused and the first allowed caller of CALLERS, from the i-th on."""
    cells = []
    for i, (route, columns) in enumerate(MATRIX.items()):
        order = CALLERS[i % len(CALLERS) :] + CALLERS[: i % len(CALLERS)]
        for refused in (True, False):
            callers = [c for c in order if columns[c].refused is refused]
            if callers:
                cells.append((route, callers[0]))
    return cells


HTTP_CELLS = one_refused_and_one_allowed_cell_per_route()


@pytest.fixture(scope="module")
def world(api):
    return make_world(api)


@pytest.fixture(scope="module")
def table(ddb, local_stack):
    return TableScan(ddb, local_stack.table)


def test_every_route_has_a_refused_and_an_allowed_cell_over_http():
    for route, columns in MATRIX.items():
        mine = [columns[c].refused for r, c in HTTP_CELLS if r == route]
        assert sorted(mine) == sorted({e.refused for e in columns.values()}), route
    assert {c for _, c in HTTP_CELLS} == set(CALLERS)  # every kind of caller goes through the real server


def test_the_bad_tokens_fail_only_for_the_reason_they_are_meant_to(api, world):
    check_the_bad_tokens_fail_only_for_the_reason_they_are_meant_to(api, world)


@pytest.mark.parametrize(("route", "caller"), [pytest.param(r, c, id=cell_id(r, c)) for r, c in HTTP_CELLS])
def test_authorization(api, table, world, route, caller):
    check_cell(api, table, world, route, caller)


def test_the_webhook_wants_its_signature_whatever_token_comes_with_it(api, table, world):
    check_the_webhook_wants_its_signature_whatever_token_comes_with_it(api, table, world)


def test_the_stream_marks_see_a_write_between_them_and_only_that(table, ddb, local_stack):
    """What the refused cells rely on: a write between two marks is seen, a new notification (the consumer's, for
    an earlier request) is not the request's, and a write after the second mark is not counted in."""
    from tests.e2e.conftest import assert_nothing_written

    def put(pk: str, sk: str) -> None:
        ddb.put_item(TableName=local_stack.table, Item={"pk": {"S": pk}, "sk": {"S": sk}, "kind": {"S": "probe"}})

    before = table.snapshot(items=False)
    put("PROBE#mark", "N#inbox")
    after = table.snapshot(items=False)
    put("PROBE#mark", "after")  # after the second mark: not between the two
    assert_nothing_written(before, after)
    assert not table.may_have_changed(before, after)

    before = table.snapshot(items=False)
    put("PROBE#mark", "between")
    after = table.snapshot(items=False)
    assert table.may_have_changed(before, after)
    with pytest.raises(AssertionError, match="PROBE#mark"):
        assert_nothing_written(before, after)
    for sk in ("N#inbox", "after", "between"):
        ddb.delete_item(TableName=local_stack.table, Key={"pk": {"S": "PROBE#mark"}, "sk": {"S": sk}})
