-- One merchant's checkouts of a period, one row each, as a backtest replays them (chalicelib/domain/backtest.py).
-- Parameters, in this order: the period's first day; the first day read (the day before it: a checkout quoted on
-- the period's first day may have been opened the day before) and the period's last day (dt, both included); the
-- merchant.
-- A checkout quoted in the period comes with its last quote while it was open (a quote refused because the
-- checkout was paid, authorized, cancelled or expired is left out: the funds it recorded are not those the
-- checkout was priced against): the priced lines, the customer's funds then (cash, bonus, available points, the
-- day's balance spend at the merchant), what they asked for (points, a partial payment, their coupon), their tier,
-- and the quote's refusal. A checkout opened in the period that no such quote followed has quoted = false and no
-- funds: nothing recorded what its customer held. paid: whether the order was paid (payment.succeeded; an order
-- with two checkouts, the first expired, counts it on the one opened last), and balance_paid what balance paid then.
WITH once AS (
    SELECT detail_type, detail, dt >= ? AS in_period,
        row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.event_id') ORDER BY time) AS copy
    FROM events
    WHERE dt BETWEEN ? AND ?
        AND type IN ('checkout.opened', 'checkout.quoted', 'payment.succeeded')
        AND json_extract_scalar(detail, '$.merchant_id') = ?
),
quotes AS (
    SELECT
        json_extract_scalar(detail, '$.checkout_id') AS checkout_id,
        json_extract_scalar(detail, '$.user_id') AS user_id,
        json_extract_scalar(detail, '$.occurred_at') AS occurred_at,
        json_format(json_extract(detail, '$.lines')) AS lines,
        CAST(json_extract_scalar(detail, '$.funds.cash') AS BIGINT) AS cash,
        CAST(json_extract_scalar(detail, '$.funds.bonus') AS BIGINT) AS bonus,
        CAST(json_extract_scalar(detail, '$.funds.points') AS BIGINT) AS points_available,
        CAST(json_extract_scalar(detail, '$.funds.spent_today') AS BIGINT) AS spent_today,
        CAST(json_extract_scalar(detail, '$.points') AS BIGINT) AS points,
        coalesce(json_extract_scalar(detail, '$.allow_partial'), 'false') = 'true' AS allow_partial,
        json_extract_scalar(detail, '$.coupon_id') AS coupon_id,
        json_extract_scalar(detail, '$.tier') AS tier,
        json_extract_scalar(detail, '$.refusal') AS refusal,
        row_number() OVER (
            PARTITION BY json_extract_scalar(detail, '$.checkout_id')
            ORDER BY json_extract_scalar(detail, '$.occurred_at') DESC, json_extract_scalar(detail, '$.event_id') DESC
        ) AS latest
    FROM once
    WHERE copy = 1 AND in_period AND detail_type = 'checkout.quoted'
        AND coalesce(json_extract_scalar(detail, '$.refusal'), '')
            NOT IN ('order_already_paid', 'checkout_expired', 'checkout_cancelled')
),
opened AS (
    SELECT
        json_extract_scalar(detail, '$.checkout_id') AS checkout_id,
        json_extract_scalar(detail, '$.user_id') AS user_id,
        json_extract_scalar(detail, '$.order_id') AS order_id,
        json_extract_scalar(detail, '$.occurred_at') AS occurred_at,
        json_format(json_extract(detail, '$.lines')) AS lines,
        in_period,
        row_number() OVER (
            PARTITION BY json_extract_scalar(detail, '$.order_id')
            ORDER BY json_extract_scalar(detail, '$.occurred_at') DESC
        ) AS last_of_order
    FROM once
    WHERE copy = 1 AND detail_type = 'checkout.opened'
),
paid AS (
    SELECT
        json_extract_scalar(detail, '$.order_id') AS order_id,
        max(CAST(json_extract_scalar(detail, '$.balance_paid') AS BIGINT)) AS balance_paid
    FROM once
    WHERE copy = 1 AND detail_type = 'payment.succeeded'
    GROUP BY 1
),
last_quotes AS (
    SELECT * FROM quotes WHERE latest = 1
)
SELECT
    coalesce(q.checkout_id, o.checkout_id) AS checkout_id,
    coalesce(q.user_id, o.user_id) AS user_id,
    coalesce(q.occurred_at, o.occurred_at) AS occurred_at,
    coalesce(q.lines, o.lines) AS lines,
    q.checkout_id IS NOT NULL AS quoted,
    q.cash,
    q.bonus,
    q.points_available,
    q.spent_today,
    q.points,
    coalesce(q.allow_partial, false) AS allow_partial,
    q.coupon_id,
    q.tier,
    q.refusal,
    p.order_id IS NOT NULL AS paid,
    coalesce(p.balance_paid, 0) AS balance_paid
FROM last_quotes q
FULL OUTER JOIN opened o ON o.checkout_id = q.checkout_id
LEFT JOIN paid p ON p.order_id = o.order_id AND o.last_of_order = 1
WHERE q.checkout_id IS NOT NULL OR o.in_period
ORDER BY 3, 1
