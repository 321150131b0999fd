-- Every event of the export between two days (dt, both included) and how many copies of it were delivered.
SELECT
    json_extract_scalar(detail, '$.event_id') AS event_id,
    detail_type,
    json_extract_scalar(detail, '$.user_id') AS user_id,
    count(*) AS copies
FROM events
WHERE dt BETWEEN ? AND ?
GROUP BY 1, 2, 3
