-- Bonus that expired unused, by month, beside the bonus granted in the same month, between two days (dt, both
-- included). Months are YYYY-MM of each event's own time (occurred_at): an expiry's is when the daily job took
-- the bonus back. expired: what bonus.expired took out of the bonus lot; customers: whose bonus expired;
-- granted: the bonus topup.credited put in (a top-up plan's bonus, credited with its top-up: the only bonus
-- that expires; an operator's compensation never does). One row per month and one total row (month null).
WITH once AS (
    SELECT detail_type, detail, time,
        row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.event_id') ORDER BY time) AS copy
    FROM events
    WHERE dt BETWEEN ? AND ? AND type IN ('bonus.expired', 'topup.credited')
),
facts AS (
    SELECT
        substr(coalesce(json_extract_scalar(detail, '$.occurred_at'), time), 1, 7) AS month,
        json_extract_scalar(detail, '$.user_id') AS user_id,
        CASE WHEN detail_type = 'bonus.expired'
            THEN -CAST(json_extract_scalar(detail, '$.lots.bonus') AS BIGINT) ELSE 0 END AS expired,
        CASE WHEN detail_type = 'topup.credited'
            THEN CAST(json_extract_scalar(detail, '$.lots.bonus') AS BIGINT) ELSE 0 END AS granted
    FROM once
    WHERE copy = 1
)
SELECT
    month,
    coalesce(sum(expired), 0) AS expired,
    count(DISTINCT CASE WHEN expired > 0 THEN user_id END) AS customers,
    coalesce(sum(granted), 0) AS granted
FROM facts
GROUP BY GROUPING SETS ((month), ())
ORDER BY month
