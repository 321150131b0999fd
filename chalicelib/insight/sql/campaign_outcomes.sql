-- Each customer's balance payments in two periods side by side, for a campaign's measurement: `pre` is
-- [pre_from, run_at), the customer's own period before the campaign ran, `post` is [run_at, until), the period
-- measured after it. Parameters, in order: the first and last day (dt, both included) the export is read on,
-- the three instants (ISO 8601 with Z or an offset, e.g. '2026-11-20T10:00:00.000Z'), and a merchant id ('' for
-- every merchant's payments; a merchant's campaign counts only its own merchant's).
-- A payment is a balance payment as customer_features.sql counts F and M: payment.succeeded (paid at once, or an
-- authorization captured), once per event_id; spent is what balance paid of it (balance_paid, the lots' cash
-- and bonus), gross of later refunds. Its moment is the event's own (occurred_at, else the envelope's time),
-- compared as a timestamp with the bounds (no day difference: date_diff on timestamps counts whole units in
-- Trino and crossed boundaries in DuckDB). The days read must hold the events of the instants: from pre_from's
-- day to until's day (the bus files an event on its own day or a later one, never an earlier).
-- One row per customer with a balance payment in either period; a member with none has no row (zeros).
WITH copies AS (
    -- every field the analysis reads, from one parse of each event's JSON
    SELECT
        time,
        CAST(json_parse(detail) AS ROW(
            event_id VARCHAR, user_id VARCHAR, merchant_id VARCHAR, occurred_at VARCHAR, balance_paid BIGINT
        )) AS e
    FROM events
    WHERE dt BETWEEN ? AND ? AND type = 'payment.succeeded'
),
bounds AS (
    SELECT
        from_iso8601_timestamp(?) AS pre_from,
        from_iso8601_timestamp(?) AS run_at,
        from_iso8601_timestamp(?) AS until,
        CAST(? AS VARCHAR) AS merchant_id
),
payments AS (
    -- delivery is at least once: each event once, by its event_id (its copies carry the same detail; a moment
    -- read from the envelope's time is the first copy's)
    SELECT
        e.user_id AS user_id,
        e.merchant_id AS merchant_id,
        min(from_iso8601_timestamp(coalesce(e.occurred_at, time))) AS paid_at,
        min(e.balance_paid) AS balance_paid
    FROM copies
    GROUP BY e.event_id, e.user_id, e.merchant_id
)
SELECT
    p.user_id,
    count(*) FILTER (WHERE p.paid_at < b.run_at) AS pre_payments,
    coalesce(sum(p.balance_paid) FILTER (WHERE p.paid_at < b.run_at), 0) AS pre_spent,
    count(*) FILTER (WHERE p.paid_at >= b.run_at) AS post_payments,
    coalesce(sum(p.balance_paid) FILTER (WHERE p.paid_at >= b.run_at), 0) AS post_spent
FROM payments p
CROSS JOIN bounds b
WHERE p.paid_at >= b.pre_from
    AND p.paid_at < b.until
    AND (b.merchant_id = '' OR p.merchant_id = b.merchant_id)
GROUP BY p.user_id
ORDER BY p.user_id
