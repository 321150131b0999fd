-- What each customer did, from the export: one row per customer seen between two days (dt, both included; the
-- history the prediction is fitted on), with the 90-day window's figures from a third day on (the window's
-- first day, a parameter). Days are the events' own (occurred_at, else the envelope's time), UTC.
-- Payments are balance payments (payment.succeeded: paid at once or captured); M is what balance paid.
WITH copies AS (
    -- every field the analysis reads, from one parse of each event's JSON
    SELECT
        CASE type
            WHEN 'payment.succeeded' THEN 'payment'
            WHEN 'topup.credited' THEN 'topup'
            WHEN 'feedback.submitted' THEN 'feedback'
            WHEN 'behaviour.login' THEN 'login'
            ELSE 'browse'
        END AS kind,
        time,
        CAST(json_parse(detail) AS ROW(
            event_id VARCHAR, user_id VARCHAR, occurred_at VARCHAR, balance_paid BIGINT, amount BIGINT, rating BIGINT
        )) AS e
    FROM events
    WHERE dt BETWEEN ? AND ?
        AND type IN (
            'payment.succeeded', 'topup.credited', 'feedback.submitted',
            'behaviour.login', 'behaviour.view_product', 'behaviour.search', 'behaviour.add_to_cart'
        )
),
facts AS (
    -- delivery is at least once: each event once, by its event_id (its copies carry the same detail; a day
    -- read from the envelope's time is the first copy's)
    SELECT
        e.user_id AS user_id,
        kind,
        min(CAST(substr(coalesce(e.occurred_at, time), 1, 10) AS DATE)) AS day,
        min(e.balance_paid) AS balance_paid,
        min(e.amount) AS amount,
        min(e.rating) AS rating
    FROM copies
    GROUP BY e.event_id, e.user_id, kind
),
window_start AS (SELECT CAST(? AS DATE) AS first_day)
SELECT
    user_id,
    min(day) FILTER (WHERE kind = 'payment') AS first_payment_day,
    max(day) FILTER (WHERE kind = 'payment') AS last_payment_day,
    coalesce(cardinality(array_distinct(array_agg(day) FILTER (WHERE kind = 'payment'))), 0) AS payment_days,
    count(*) FILTER (WHERE kind = 'payment') AS payments,
    count(*) FILTER (WHERE kind = 'payment' AND day >= w.first_day) AS frequency,
    coalesce(sum(balance_paid) FILTER (WHERE kind = 'payment' AND day >= w.first_day), 0) AS monetary,
    coalesce(sum(amount) FILTER (WHERE kind = 'payment' AND day >= w.first_day), 0) AS spent,
    count(*) FILTER (WHERE kind = 'login' AND day >= w.first_day) AS logins,
    count(*) FILTER (WHERE kind = 'browse' AND day >= w.first_day) AS browses,
    count(*) FILTER (WHERE kind = 'topup' AND day >= w.first_day) AS topups,
    max(day) FILTER (WHERE kind = 'topup') AS last_topup_day,
    coalesce(sum(rating) FILTER (WHERE kind = 'feedback'), 0) AS rating_sum,
    count(*) FILTER (WHERE kind = 'feedback') AS ratings
FROM facts
CROSS JOIN window_start w
GROUP BY user_id
-- the customers' rows only (a condition on the groups: as a WHERE, DuckDB would read the JSON once more for it)
HAVING count(user_id) > 0
ORDER BY user_id
