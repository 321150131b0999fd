"""Who may do what: one named rule per row of the authorization matrix (tests/tables/authorization.py).

Every use case asks one of these, so a rule is written once. A principal is an admin (group ``admin``), a
service (group ``service``: an order service or job acting for merchants), the staff of the merchants in
its ``merchant:<id>`` groups, or a customer (none of those). Existence is private: where a rule fails for
someone who may not even know the thing exists, the use case answers "not found", not "forbidden".
"""

from __future__ import annotations

from .model import Principal


def is_customer(p: Principal) -> bool:
    """Neither admin, nor service, nor any merchant's staff: only customers rate their own transactions."""
    return not (p.is_admin or p.is_service or p.merchant_ids)


def is_staff_of(p: Principal, merchant_id: str | None) -> bool:
    return merchant_id is not None and merchant_id in p.merchant_ids


def manages(p: Principal, merchant_id: str | None) -> bool:
    """Configures what is the merchant's (balance rules, coupon definitions, promotions): its staff, an admin.
    ``merchant_id`` None is the platform's own: admins only."""
    return p.is_admin or is_staff_of(p, merchant_id)


def reads_configuration(p: Principal, merchant_id: str | None) -> bool:
    """Reads the merchant's configuration: who manages it, and services (which price with it)."""
    return manages(p, merchant_id) or p.is_service


def sells_for(p: Principal, merchant_id: str) -> bool:
    """Opens the merchant's checkouts: its staff or a service (an admin does not sell)."""
    return p.is_service or is_staff_of(p, merchant_id)


def settles_for(p: Principal, merchant_id: str) -> bool:
    """Captures, voids, refunds and cancels what is the merchant's: its staff, a service, an admin."""
    return p.is_admin or sells_for(p, merchant_id)


def sees_sale(p: Principal, user_id: str, merchant_id: str) -> bool:
    """Sees a checkout or payment: its customer, and whoever settles for its merchant."""
    return p.user_id == user_id or settles_for(p, merchant_id)


def sees_own(p: Principal, user_id: str) -> bool:
    """Sees a customer's own record (a top-up): the customer, an admin."""
    return p.user_id == user_id or p.is_admin
