"""Operator routes (admin group): any wallet, adjustments, merchants, reconciliation."""

from __future__ import annotations

from chalice import Blueprint

from ..domain.errors import InvalidRequest
from ..domain.money import require_positive_amount
from ..domain.origins import normalise_origins
from ..identity import ensure_merchant_group
from ..observability import metrics
from ..services import admin, wallets
from ..services.common import Outcome
from .. import bootstrap
from .faults import after_commit_hook
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/admin/wallets/{user_id}",
    "GET",
    name="adminGetWallet",
    summary="Any customer's wallet",
    access="admin",
    response="wallet.WalletOut",
    tag="admin",
)
def get_wallet(call: Call, user_id: str) -> dict:
    return wallets.get_wallet(bootstrap.store(), call.settings.currency, user_id)


@route(
    bp,
    "/v1/admin/wallets/{user_id}/entries",
    "GET",
    name="adminListWalletEntries",
    summary="Any customer's ledger entries",
    access="admin",
    query="wallet.EntriesQuery",
    response="wallet.EntriesPage",
    tag="admin",
)
def list_entries(call: Call, user_id: str) -> dict:
    q = call.query
    return wallets.list_entries(bootstrap.store(), user_id, q.limit, q.cursor, q.type)


@route(
    bp,
    "/v1/admin/wallets/{user_id}/adjustments",
    "POST",
    name="adminAdjustWallet",
    summary="Compensate or correct one lot of a wallet (never overdraws)",
    access="admin",
    body="admin.AdjustmentRequest",
    response="admin.AdjustmentOut",
    status=201,
    idempotent=True,
    tag="admin",
)
def adjust(call: Call, user_id: str) -> Outcome:
    s, b = call.settings, call.body
    if b.amount == 0:
        raise InvalidRequest("amount must not be zero", code="invalid_amount", field="amount")
    require_positive_amount(abs(b.amount), s.max_transaction_amount)
    return admin.adjust(
        bootstrap.store(),
        currency=s.currency,
        max_attempts=s.max_attempts,
        principal=call.caller,
        request=call.key,
        user_id=user_id,
        amount=b.amount,
        lot=b.lot,
        reason=b.reason,
        after_commit=after_commit_hook(call),
    )


@route(
    bp,
    "/v1/admin/merchants/{merchant_id}",
    "PUT",
    name="adminPutMerchant",
    summary="Create or update a merchant that may take balance payments",
    access="admin",
    body="admin.MerchantRequest",
    response="admin.MerchantOut",
    tag="admin",
)
def put_merchant(call: Call, merchant_id: str) -> dict:
    # the origins checked before anything is written (400 invalid_return_origin)
    origins = normalise_origins(call.body.return_origins)
    # the staff group first: if the directory is down nothing is written and the PUT can be retried
    group = ensure_merchant_group(call.settings, merchant_id)
    return {
        **admin.put_merchant(bootstrap.store(), merchant_id, call.body.name, call.body.status, origins),
        "staff_group": group,
    }


@route(
    bp,
    "/v1/admin/reconciliations",
    "POST",
    name="adminReconcile",
    summary="Recompute every wallet from its entries and report differences",
    access="admin",
    response="admin.ReconciliationOut",
    tag="admin",
)
def reconcile(call: Call) -> dict:
    report = admin.reconcile(bootstrap.store().scan())
    metrics.add_metric(name="ReconciliationMismatches", unit="Count", value=len(report["mismatches"]))
    return report
