-- What balance paid of the sales, per merchant and day, between two days (dt, both included). Days are each
-- event's own (occurred_at), UTC. Sales are payment.succeeded's amount: the order's price as the merchant's
-- checkout priced its lines, before the balance-pay discounts, a coupon and points, and with the part paid
-- outside (external); cash and bonus are what the wallet paid of it. A refund (payment.refunded) counts on
-- its own day at its merchant: what went back to the wallet, by lot (a refund returns balance only).
WITH once AS (
    SELECT detail_type, detail, time,
        row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.event_id') ORDER BY time) AS copy
    FROM events
    WHERE dt BETWEEN ? AND ? AND type IN ('payment.succeeded', 'payment.refunded')
),
facts AS (
    SELECT
        json_extract_scalar(detail, '$.merchant_id') AS merchant_id,
        substr(coalesce(json_extract_scalar(detail, '$.occurred_at'), time), 1, 10) AS day,
        detail_type = 'payment.succeeded' AS paid,
        coalesce(CAST(json_extract_scalar(detail, '$.amount') AS BIGINT), 0) AS amount,
        coalesce(CAST(json_extract_scalar(detail, '$.external') AS BIGINT), 0) AS external,
        coalesce(CAST(json_extract_scalar(detail, '$.lots.cash') AS BIGINT), 0) AS cash,
        coalesce(CAST(json_extract_scalar(detail, '$.lots.bonus') AS BIGINT), 0) AS bonus
    FROM once
    WHERE copy = 1
)
SELECT
    merchant_id,
    day,
    sum(CASE WHEN paid THEN 1 ELSE 0 END) AS payments,
    sum(CASE WHEN paid THEN amount ELSE 0 END) AS sales,
    sum(CASE WHEN paid THEN external ELSE 0 END) AS external,
    sum(CASE WHEN paid THEN cash ELSE 0 END) AS cash,
    sum(CASE WHEN paid THEN bonus ELSE 0 END) AS bonus,
    sum(CASE WHEN paid THEN 0 ELSE 1 END) AS refunds,
    sum(CASE WHEN paid THEN 0 ELSE cash END) AS refunded_cash,
    sum(CASE WHEN paid THEN 0 ELSE bonus END) AS refunded_bonus
FROM facts
WHERE merchant_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
