"""The partition pruning of bench/athena_bytes.py: which ``dt``/``type`` partitions a query reads under the
Glue table's partition projection, from its SQL and parameters, on a small layout with exact expectations."""

from __future__ import annotations

from bench.athena_bytes import default_params, numbered, partitions_read, report_params
from chalicelib.insight.engine import athena_sql

DAYS = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
TYPES = ["checkout.opened", "checkout.quoted", "payment.succeeded", "behaviour.login", "segment.entered"]
LAYOUT = {(d, t) for d in DAYS for t in TYPES}


def grid(days: list[str], types: list[str]) -> set[tuple[str, str]]:
    return {(d, t) for d in days for t in types}


def test_a_period_and_a_list_of_types_read_only_those_days_of_those_types():
    sql = "SELECT detail FROM events WHERE dt BETWEEN ? AND ? AND type IN ('checkout.opened', 'payment.succeeded')"
    read = partitions_read(sql, ["2026-11-02", "2026-11-03"], LAYOUT)
    assert read == grid(["2026-11-02", "2026-11-03"], ["checkout.opened", "payment.succeeded"])


def test_without_a_type_every_type_of_the_period_is_read_and_without_a_where_everything():
    assert partitions_read("SELECT 1 FROM events WHERE dt BETWEEN ? AND ?", ["2026-11-04", "2026-11-09"], LAYOUT) == (
        grid(["2026-11-04", "2026-11-05"], TYPES)
    )
    assert partitions_read("SELECT count(*) FROM events", [], LAYOUT) == LAYOUT


def test_open_and_strict_bounds_literals_casts_and_one_type():
    sql = "SELECT 1 FROM events e WHERE e.dt > DATE '2026-11-01' AND dt < ? AND 'segment.entered' = type"
    assert partitions_read(sql, ["2026-11-04"], LAYOUT) == grid(["2026-11-02", "2026-11-03"], ["segment.entered"])
    assert partitions_read("SELECT 1 FROM events WHERE '2026-11-04' <= dt", [], LAYOUT) == grid(DAYS[3:], TYPES)
    assert partitions_read("SELECT 1 FROM events WHERE dt IN ('2026-11-01', '2026-11-05')", [], LAYOUT) == grid(
        ["2026-11-01", "2026-11-05"], TYPES
    )


def test_a_condition_it_cannot_use_restricts_nothing():
    # an OR, a function of dt, a NOT: Athena's projection cannot skip partitions on them, nor does the estimate
    sql = "SELECT 1 FROM events WHERE (dt = ? OR type = 'behaviour.login') AND substr(dt, 1, 7) = '2026-11'"
    assert partitions_read(sql, ["2026-11-01"], LAYOUT) == LAYOUT
    sql = "SELECT 1 FROM events WHERE NOT type = 'behaviour.login' AND dt = ?"
    assert partitions_read(sql, ["2026-11-03"], LAYOUT) == grid(["2026-11-03"], TYPES)


def test_each_read_of_events_counts_with_its_own_where_and_an_outer_filter_on_a_cte_saves_nothing():
    sql = """
    WITH recent AS (SELECT dt, detail FROM events WHERE dt >= ? AND type = 'checkout.opened'),
    logins AS (SELECT detail FROM events WHERE dt = ? AND type IN ('behaviour.login'))
    SELECT * FROM recent WHERE dt = '2026-11-05' AND type = 'checkout.opened'
    UNION ALL SELECT NULL, detail FROM logins
    """
    assert partitions_read(sql, ["2026-11-03", "2026-11-01"], LAYOUT) == grid(DAYS[2:], ["checkout.opened"]) | {
        ("2026-11-01", "behaviour.login")
    }


def test_parameters_are_numbered_in_the_order_of_the_text_not_of_the_tree():
    sql = "WITH w AS (SELECT ? AS first) SELECT '?' AS mark FROM events, w -- why?\nWHERE dt BETWEEN ? AND ?"
    assert numbered(sql) == (
        "WITH w AS (SELECT :p1 AS first) SELECT '?' AS mark FROM events, w -- why?\nWHERE dt BETWEEN :p2 AND :p3"
    )
    assert default_params(sql, "2026-11-02", "2026-11-04") == ["2026-11-02", "2026-11-02", "2026-11-04"]
    assert partitions_read(sql, ["x", "2026-11-02", "2026-11-04"], LAYOUT) == grid(DAYS[1:4], TYPES)


def test_the_analyses_read_their_period_or_lookback_and_their_types_only():
    from datetime import date

    start, end = date(2026, 11, 2), date(2026, 11, 3)
    obstacles = athena_sql("obstacles")
    assert report_params("obstacles", obstacles, start, end) == ["2026-11-02", "2026-11-03"]
    assert partitions_read(obstacles, ["2026-11-02", "2026-11-03"], LAYOUT) == grid(
        ["2026-11-02", "2026-11-03"], ["checkout.opened", "checkout.quoted", "payment.succeeded"]
    )
    # the feedback report's segment events from 366 days before its period; its `dt >= ?` on the CTE saves nothing
    feedback = athena_sql("feedback_ratings")
    params = report_params("feedback_ratings", feedback, start, end)
    assert params == ["2025-11-01", "2026-11-03", "2026-11-02"]
    assert partitions_read(feedback, params, LAYOUT) == grid(DAYS[:3], ["segment.entered"])
