-- What kept the checkouts opened between two days (dt, both included) from being paid by balance.
-- One row per merchant, outcome (full | partial | none) and reason: for a checkout not fully paid by balance,
-- each limit its last quote named (insufficient_balance, min_order_not_met, excluded_items,
-- partial_payment_not_allowed, partial_share_capped, daily_limit, ...); or, when nothing held it back,
-- abandoned_after_quote (it ended unpaid in the period: checkout.expired, or checkout.cancelled by the shop),
-- open_after_quote (not ended by the period's last day: the customer may still pay), or never_quoted.
-- topup_needed: what the insufficient ones lacked.
WITH once AS (
    SELECT detail_type, detail,
        row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.event_id') ORDER BY time) AS copy
    FROM events
    WHERE dt BETWEEN ? AND ?
        AND type IN (
            'checkout.opened', 'checkout.quoted', 'checkout.expired', 'checkout.cancelled',
            'payment.succeeded', 'payment.authorized'
        )
),
ended AS (
    SELECT DISTINCT json_extract_scalar(detail, '$.checkout_id') AS checkout_id
    FROM once
    WHERE copy = 1 AND detail_type IN ('checkout.expired', 'checkout.cancelled')
),
opened AS (
    SELECT
        json_extract_scalar(detail, '$.checkout_id') AS checkout_id,
        json_extract_scalar(detail, '$.merchant_id') AS merchant_id,
        json_extract_scalar(detail, '$.order_id') AS order_id,
        CAST(json_extract_scalar(detail, '$.amount') AS BIGINT) AS amount
    FROM once
    WHERE copy = 1 AND detail_type = 'checkout.opened'
),
paid AS (
    SELECT
        json_extract_scalar(detail, '$.merchant_id') AS merchant_id,
        json_extract_scalar(detail, '$.order_id') AS order_id,
        max(CAST(json_extract_scalar(detail, '$.balance_paid') AS BIGINT)) AS balance_paid,
        min(CAST(json_extract_scalar(detail, '$.external') AS BIGINT)) AS external
    FROM once
    WHERE copy = 1 AND detail_type IN ('payment.succeeded', 'payment.authorized')
    GROUP BY 1, 2
),
quotes AS (
    SELECT
        json_extract_scalar(detail, '$.checkout_id') AS checkout_id,
        json_format(json_extract(detail, '$.limits')) AS limits,
        CAST(json_extract_scalar(detail, '$.amount') AS BIGINT)
            - CAST(json_extract_scalar(detail, '$.discount_total') AS BIGINT) AS due,
        CAST(json_extract_scalar(detail, '$.funds.cash') AS BIGINT)
            + CAST(json_extract_scalar(detail, '$.funds.bonus') AS BIGINT) AS spendable,
        row_number() OVER (
            PARTITION BY json_extract_scalar(detail, '$.checkout_id')
            ORDER BY json_extract_scalar(detail, '$.occurred_at') DESC
        ) AS latest
    FROM once
    WHERE copy = 1 AND detail_type = 'checkout.quoted'
),
outcomes AS (
    SELECT
        o.checkout_id,
        o.merchant_id,
        o.amount,
        CASE
            WHEN coalesce(p.balance_paid, 0) = 0 THEN 'none'
            WHEN p.external > 0 THEN 'partial'
            ELSE 'full'
        END AS outcome,
        q.checkout_id IS NOT NULL AS quoted,
        e.checkout_id IS NOT NULL AS ended,
        coalesce(q.limits, '[]') AS limits,
        greatest(coalesce(q.due, 0) - coalesce(q.spendable, 0), 0) AS lacking
    FROM opened o
    LEFT JOIN paid p ON p.merchant_id = o.merchant_id AND p.order_id = o.order_id
    LEFT JOIN quotes q ON q.checkout_id = o.checkout_id AND q.latest = 1
    LEFT JOIN ended e ON e.checkout_id = o.checkout_id
),
reasons AS (
    SELECT checkout_id, merchant_id, amount, outcome, reason, lacking
    FROM outcomes
    CROSS JOIN UNNEST(CAST(json_parse(limits) AS ARRAY(VARCHAR))) AS r (reason)
    WHERE outcome <> 'full'
    UNION ALL
    SELECT checkout_id, merchant_id, amount, outcome,
        CASE
            WHEN outcome = 'full' THEN 'paid_by_balance'
            WHEN NOT quoted THEN 'never_quoted'
            WHEN ended THEN 'abandoned_after_quote'
            ELSE 'open_after_quote'
        END,
        lacking
    FROM outcomes
    WHERE outcome = 'full' OR limits = '[]'
)
SELECT
    merchant_id,
    outcome,
    reason,
    count(*) AS checkouts,
    sum(amount) AS amount,
    sum(CASE WHEN reason = 'insufficient_balance' THEN lacking ELSE 0 END) AS topup_needed
FROM reasons
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
