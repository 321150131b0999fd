"""The domain events this service puts on its EventBridge bus: source, detail types, consumers.

Every event is published from the table's stream (chalicelib.events.publisher), one per committed
change that matters outside. Each ``detail`` carries ``event_id``: stable for the change it describes
(derived from the item's key and version, never from the delivery), so a consumer dedupes on it.
The JSON Schema of each detail type is in ``SCHEMAS``; docs/events.md is the readable catalogue.
"""
from __future__ import annotations

SOURCE = "store-balance"

# detail-type -> what it means (docs/events.md says more)
DETAIL_TYPES: dict[str, str] = {
    "topup.credited": "a top-up was credited to a wallet (with the bonus of a top-up plan, if any)",
    "payment.authorized": "balance was put on hold for a payment",
    "payment.succeeded": "a payment was completed (paid at once, or captured)",
    "payment.voided": "an authorization was voided; its hold went back to the wallet",
    "payment.expired": "an authorization ended uncaptured; its hold went back to the wallet",
    "payment.refunded": "part or all of a payment was refunded to the wallet",
    "balance.adjusted": "an operator corrected a wallet",
    "bonus.expired": "bonus balance reached its expiry and left the wallet",
    "points.earned": "points were earned by a payment",
    "points.matured": "pending points became spendable",
    "points.spent": "points were spent at checkout or on a reward",
    "coupon.granted": "a coupon was granted to a customer",
    "coupon.used": "a coupon was used by a payment",
    "coupon.restored": "a used coupon was given back (void, expiry or full refund)",
    "tier.changed": "a customer's membership tier changed",
    "wallet.balance_low": "a wallet's balance fell below the customer's low-balance threshold",
    "notification.sent": "a notification was put in a customer's inbox",
    "feedback.submitted": "a customer rated a transaction",
    "promotion.started": "a limited-time promotion started",
    "promotion.ended": "a limited-time promotion ended or was cancelled",
}

# The bus's consumers: rule name -> EventBridge event pattern. The infrastructure creates one rule per
# consumer with the function of the same name as its target (and a dead-letter queue); the local stack
# creates the same rules on moto's bus (chalicelib/events/ and dev/lifecycle.py).
CONSUMERS: dict[str, dict] = {
    "lifecycle": {"source": [SOURCE], "detail-type": ["wallet.balance_low", "payment.succeeded"]},
}
