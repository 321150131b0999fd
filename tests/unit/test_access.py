"""The named access rules, against every kind of caller (the matrix's columns, in the small)."""

from __future__ import annotations

import pytest

from chalicelib.domain import access
from chalicelib.domain.model import Principal

OWNER = Principal("owner")
OTHER = Principal("other")
STAFF = Principal("staff", frozenset({"merchant:m1"}))
OTHER_STAFF = Principal("staff-2", frozenset({"merchant:m2"}))
ADMIN = Principal("ops", frozenset({"admin"}))
SERVICE = Principal("orders", frozenset({"service"}))
CALLERS = {
    "owner": OWNER,
    "other": OTHER,
    "staff": STAFF,
    "other_staff": OTHER_STAFF,
    "admin": ADMIN,
    "service": SERVICE,
}

# rule -> the callers it lets through (for merchant m1, a record of customer "owner")
RULES = {
    "is_customer": (lambda p: access.is_customer(p), {"owner", "other"}),
    "manages": (lambda p: access.manages(p, "m1"), {"staff", "admin"}),
    "manages the platform's own": (lambda p: access.manages(p, None), {"admin"}),
    "reads_configuration": (lambda p: access.reads_configuration(p, "m1"), {"staff", "admin", "service"}),
    "sells_for": (lambda p: access.sells_for(p, "m1"), {"staff", "service"}),
    "settles_for": (lambda p: access.settles_for(p, "m1"), {"staff", "admin", "service"}),
    "sees_sale": (lambda p: access.sees_sale(p, "owner", "m1"), {"owner", "staff", "admin", "service"}),
    "sees_own": (lambda p: access.sees_own(p, "owner"), {"owner", "admin"}),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_each_rule_lets_through_exactly_its_callers(rule):
    check, allowed = RULES[rule]
    assert {name for name, p in CALLERS.items() if check(p)} == allowed
