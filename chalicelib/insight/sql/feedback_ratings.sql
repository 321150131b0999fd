-- The ratings given between two days (dt, both included): count, the sum of the ratings and how many of each
-- 1..5, overall (dimension 'all'), per tag ('tag': a rating counts under each of its tags) and per segment the
-- customer was in when they rated ('segment'). That segment is what the customer's last segment event at or
-- before the rating left them in (segment.entered: its segment; segment.left alone: none); with none before,
-- the first one after tells what they were in (entered: its "from", absent when it was their first segment;
-- left: its segment); 'none' with no segment event at all. Parameters: the first day segment events are read
-- from (a lookback before the period), the period's last day, the period's first day.
WITH once AS (
    SELECT detail_type, detail, dt,
        row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.event_id') ORDER BY time) AS copy
    FROM events
    WHERE dt BETWEEN ? AND ? AND type IN ('feedback.submitted', 'segment.entered', 'segment.left')
),
ratings AS (
    SELECT
        json_extract_scalar(detail, '$.event_id') AS event_id,
        json_extract_scalar(detail, '$.user_id') AS user_id,
        json_extract_scalar(detail, '$.occurred_at') AS rated_at,
        CAST(json_extract_scalar(detail, '$.rating') AS BIGINT) AS rating,
        coalesce(json_format(json_extract(detail, '$.tags')), '[]') AS tags
    FROM once
    WHERE copy = 1 AND detail_type = 'feedback.submitted' AND dt >= ?
),
moves AS (
    SELECT
        json_extract_scalar(detail, '$.user_id') AS user_id,
        json_extract_scalar(detail, '$.occurred_at') AS moved_at,
        CASE WHEN detail_type = 'segment.entered' THEN 1 ELSE 0 END AS entered,
        json_extract_scalar(detail, '$.segment') AS segment,
        json_extract_scalar(detail, '$.from') AS was
    FROM once
    WHERE copy = 1 AND detail_type IN ('segment.entered', 'segment.left')
),
candidates AS (
    SELECT r.event_id, r.rating, m.moved_at, m.entered,
        CASE WHEN m.moved_at <= r.rated_at THEN 0 WHEN m.moved_at > r.rated_at THEN 1 ELSE 2 END AS side,
        CASE
            WHEN m.moved_at <= r.rated_at AND m.entered = 1 THEN m.segment
            WHEN m.moved_at <= r.rated_at THEN 'none'
            WHEN m.moved_at > r.rated_at AND m.entered = 1 THEN coalesce(m.was, 'none')
            WHEN m.moved_at > r.rated_at THEN m.segment
            ELSE 'none'
        END AS segment
    FROM ratings r
    LEFT JOIN moves m ON m.user_id = r.user_id
),
placed AS (
    SELECT event_id, rating, segment,
        row_number() OVER (
            PARTITION BY event_id
            ORDER BY side,
                CASE WHEN side = 0 THEN moved_at END DESC,
                CASE WHEN side = 1 THEN moved_at END,
                CASE WHEN side = 0 THEN entered ELSE 0 END DESC
        ) AS pick
    FROM candidates
),
tagged AS (
    SELECT tag, rating
    FROM ratings
    CROSS JOIN UNNEST(CAST(json_parse(tags) AS ARRAY(VARCHAR))) AS t (tag)
),
rated AS (
    SELECT 'all' AS dimension, 'all' AS name, rating FROM ratings
    UNION ALL
    SELECT 'segment', segment, rating FROM placed WHERE pick = 1
    UNION ALL
    SELECT 'tag', tag, rating FROM tagged
)
SELECT
    dimension,
    name,
    count(*) AS ratings,
    sum(rating) AS rating_sum,
    sum(CASE WHEN rating = 1 THEN 1 ELSE 0 END) AS r1,
    sum(CASE WHEN rating = 2 THEN 1 ELSE 0 END) AS r2,
    sum(CASE WHEN rating = 3 THEN 1 ELSE 0 END) AS r3,
    sum(CASE WHEN rating = 4 THEN 1 ELSE 0 END) AS r4,
    sum(CASE WHEN rating = 5 THEN 1 ELSE 0 END) AS r5
FROM rated
GROUP BY 1, 2
ORDER BY 1, 2
