-- The categories each customer looked at or put in the cart between two days (dt, both included): how often,
-- for the three each customer saw most (ties by name).
WITH copies AS (
    SELECT CAST(json_parse(detail) AS ROW(event_id VARCHAR, user_id VARCHAR, props ROW(category VARCHAR))) AS e
    FROM events
    WHERE dt BETWEEN ? AND ? AND type IN ('behaviour.view_product', 'behaviour.add_to_cart')
),
seen AS (
    -- delivery is at least once: each event once, by its event_id
    SELECT e.user_id AS user_id, e.props.category AS category
    FROM copies
    GROUP BY e.event_id, e.user_id, e.props.category
),
counted AS (
    SELECT user_id, category, count(*) AS n,
        row_number() OVER (PARTITION BY user_id ORDER BY count(*) DESC, category) AS place
    FROM seen
    GROUP BY user_id, category
    -- a category's rows only (a condition on the groups: as a WHERE, DuckDB would read the JSON once more for it)
    HAVING count(category) > 0
)
SELECT user_id, category, n
FROM counted
WHERE place <= 3
ORDER BY 1, 3 DESC, 2
