-- What each customer did, from the export: one row per customer seen between two days (dt, both included; the
-- history the prediction is fitted on), with the 90-day window's figures from a third day on (the window's
-- first day, a parameter). Days are the events' own (occurred_at, else the envelope's time), UTC.
-- Payments are balance payments (payment.succeeded: paid at once or captured); M is what balance paid.
WITH once AS (
    -- delivery is at least once: the first copy of each event_id
    SELECT detail_type, detail, time,
        row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.event_id') ORDER BY time) AS copy
    FROM events
    WHERE dt BETWEEN ? AND ?
        AND type IN (
            'payment.succeeded', 'payment.refunded', 'topup.credited', 'feedback.submitted',
            'behaviour.login', 'behaviour.view_product', 'behaviour.search', 'behaviour.add_to_cart'
        )
),
facts AS (
    -- every field read once from the JSON
    SELECT
        json_extract_scalar(detail, '$.user_id') AS user_id,
        detail_type,
        substr(coalesce(json_extract_scalar(detail, '$.occurred_at'), time), 1, 10) AS day,
        CAST(json_extract_scalar(detail, '$.balance_paid') AS BIGINT) AS balance_paid,
        CAST(json_extract_scalar(detail, '$.amount') AS BIGINT) AS amount,
        CAST(json_extract_scalar(detail, '$.rating') AS BIGINT) AS rating
    FROM once
    WHERE copy = 1
),
window_start AS (SELECT ? AS first_day)
SELECT
    f.user_id,
    min(CASE WHEN detail_type = 'payment.succeeded' THEN day END) AS first_payment_day,
    max(CASE WHEN detail_type = 'payment.succeeded' THEN day END) AS last_payment_day,
    count(DISTINCT CASE WHEN detail_type = 'payment.succeeded' THEN day END) AS payment_days,
    sum(CASE WHEN detail_type = 'payment.succeeded' THEN 1 ELSE 0 END) AS payments,
    sum(CASE WHEN detail_type = 'payment.succeeded' AND day >= w.first_day THEN 1 ELSE 0 END) AS frequency,
    sum(CASE WHEN detail_type = 'payment.succeeded' AND day >= w.first_day THEN balance_paid ELSE 0 END) AS monetary,
    sum(CASE WHEN detail_type = 'payment.succeeded' AND day >= w.first_day THEN amount ELSE 0 END) AS spent,
    sum(CASE WHEN detail_type = 'behaviour.login' AND day >= w.first_day THEN 1 ELSE 0 END) AS logins,
    sum(CASE WHEN detail_type IN ('behaviour.view_product', 'behaviour.search', 'behaviour.add_to_cart')
        AND day >= w.first_day THEN 1 ELSE 0 END) AS browses,
    sum(CASE WHEN detail_type = 'topup.credited' AND day >= w.first_day THEN 1 ELSE 0 END) AS topups,
    max(CASE WHEN detail_type = 'topup.credited' THEN day END) AS last_topup_day,
    sum(CASE WHEN detail_type = 'feedback.submitted' THEN rating ELSE 0 END) AS rating_sum,
    sum(CASE WHEN detail_type = 'feedback.submitted' THEN 1 ELSE 0 END) AS ratings
FROM facts f
CROSS JOIN window_start w
WHERE f.user_id IS NOT NULL
GROUP BY f.user_id
ORDER BY f.user_id
