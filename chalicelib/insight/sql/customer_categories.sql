-- The categories each customer looked at or put in the cart between two days (dt, both included): how often.
WITH once AS (
    SELECT detail,
        row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.event_id') ORDER BY time) AS copy
    FROM events
    WHERE dt BETWEEN ? AND ? AND type IN ('behaviour.view_product', 'behaviour.add_to_cart')
)
SELECT
    json_extract_scalar(detail, '$.user_id') AS user_id,
    json_extract_scalar(detail, '$.props.category') AS category,
    count(*) AS n
FROM once
WHERE copy = 1 AND json_extract_scalar(detail, '$.props.category') IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2
