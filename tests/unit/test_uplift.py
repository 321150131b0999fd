"""The uplift's statistics (chalicelib/insight/uplift.py): Welch intervals and CUPED, on cases worked by hand, on
seeded synthetic campaigns with and without a planted effect, and at the edges (too few customers, no variance,
members without a row)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from chalicelib.insight.uplift import measure

METRICS = ("payer_rate", "payments_per_customer", "spent_per_customer")


def row(user: str, pre: int, post: int, pre_spent: int | None = None, post_spent: int | None = None) -> dict:
    return {
        "user_id": user,
        "pre_payments": pre,
        "pre_spent": pre * 100 if pre_spent is None else pre_spent,
        "post_payments": post,
        "post_spent": post * 100 if post_spent is None else post_spent,
    }


def group(prefix: str, name: str, n: int) -> list[tuple[str, str]]:
    return [(f"{prefix}{i}", name) for i in range(n)]


# ---- worked by hand ------------------------------------------------------------------------------------------


def test_the_welch_interval_of_a_small_case_worked_by_hand():
    # payments after the run: treated 1, 2, 3 (mean 2, s2 1); holdout 0, 0, 1, 3 (mean 1, s2 2); h3 has no row
    members = group("t", "treated", 3) + group("h", "holdout", 4)
    rows = [row("t0", 0, 1), row("t1", 0, 2), row("t2", 0, 3), row("h2", 0, 1), row("h3", 0, 3)]
    got = measure(members, rows, min_per_group=2)
    # se2 = 1/3 + 2/4 = 5/6; df = (5/6)^2 / ((1/3)^2/2 + (1/2)^2/3) = 5; t(0.975, 5) = 2.5705818
    payments = got["uplift"]["payments_per_customer"]
    assert payments["status"] == "ok" and payments["difference"] == 1.0 and payments["welch_df"] == 5.0
    assert payments["ci95"] == [-1.346609, 3.346609]
    assert payments["standard_error"] == round((5 / 6) ** 0.5, 8)
    # the same in fen (100 a payment)
    spent = got["uplift"]["spent_per_customer"]
    assert spent["difference"] == 100.0 and spent["ci95"] == [-134.66, 334.66] and spent["welch_df"] == 5.0
    # payer rate: treated 1, 1, 1 (no variance), holdout 0, 0, 1, 1 (s2 1/3): se2 = 1/12, df = 3 (the holdout's)
    rate = got["uplift"]["payer_rate"]
    assert rate["difference"] == 0.5 and rate["welch_df"] == 3.0
    half = 3.182446305 * (1 / 12) ** 0.5
    assert rate["ci95"] == [round(0.5 - half, 6), round(0.5 + half, 6)]
    assert got["groups"] == {
        "treated": {
            "customers": 3,
            "payers": 3,
            "payments": 6,
            "spent": 600,
            "payer_rate": 1.0,
            "payments_per_customer": 2.0,
            "spent_per_customer": 200.0,
            "pre": {"payers": 0, "payments": 0, "spent": 0},
        },
        "holdout": {
            "customers": 4,
            "payers": 2,
            "payments": 4,
            "spent": 400,
            "payer_rate": 0.5,
            "payments_per_customer": 1.0,
            "spent_per_customer": 100.0,
            "pre": {"payers": 0, "payments": 0, "spent": 0},
        },
    }
    # the pre-period is all zeros: nothing for CUPED to adjust by, and said so
    assert payments["cuped"]["status"] == "no_variance" and "ci95" not in payments["cuped"]


def test_the_interval_and_df_are_scipys_welch_test():
    a, b = [5, 0, 0, 2, 7, 1, 0, 3], [0, 1, 0, 0, 4, 0]
    members = group("t", "treated", len(a)) + group("h", "holdout", len(b))
    rows = [row(f"t{i}", 0, v) for i, v in enumerate(a)] + [row(f"h{i}", 0, v) for i, v in enumerate(b)]
    got = measure(members, rows, min_per_group=2)["uplift"]["payments_per_customer"]
    test = stats.ttest_ind(a, b, equal_var=False)
    interval = test.confidence_interval(0.95)
    assert got["ci95"] == [round(float(interval.low), 6), round(float(interval.high), 6)]
    assert got["welch_df"] == round(float(test.df), 2) and got["p_value"] == pytest.approx(float(test.pvalue), rel=1e-3)


def test_cuped_worked_by_hand():
    # (pre, post): treated (0, 1), (2, 4); holdout (0, 0), (2, 2), (2, 1)
    members = group("t", "treated", 2) + group("h", "holdout", 3)
    rows = [row("t0", 0, 1), row("t1", 2, 4), row("h1", 2, 2), row("h2", 2, 1)]  # h0 has no row: (0, 0)
    got = measure(members, rows, min_per_group=2)["uplift"]["payments_per_customer"]
    assert got["difference"] == 1.5
    # pooled: mean X 1.2, mean Y 1.6, cov(Y, X) 1.1, var(X) 1.2, var(Y) 2.3: theta 11/12
    # Y_adj = Y - theta (X - 1.2): treated 2.1, 3.266667; holdout 1.1, 1.266667, 0.266667
    # var(Y_adj) = var(Y) - cov^2 / var(X) = 2.3 - 1.21 / 1.2: reduction 1 - 1.291667 / 2.3 = 0.4384
    cuped = got["cuped"]
    assert cuped["status"] == "ok" and cuped["theta"] == round(11 / 12, 6) and cuped["variance_reduction"] == 0.4384
    treated, holdout = [2.1, 4.0 - 11 / 15], [1.1, 2.0 - 11 / 15, 1.0 - 11 / 15]
    assert cuped["difference"] == round(np.mean(treated) - np.mean(holdout), 6) == 1.805556
    test = stats.ttest_ind(treated, holdout, equal_var=False)
    interval = test.confidence_interval(0.95)
    assert cuped["ci95"] == [round(float(interval.low), 6), round(float(interval.high), 6)]
    assert cuped["welch_df"] == round(float(test.df), 2)


def test_a_pre_period_that_predicts_exactly_leaves_no_variance_and_no_nan():
    members = group("t", "treated", 3) + group("h", "holdout", 3)
    rows = [row("t0", 1, 1), row("t1", 3, 3), row("t2", 2, 2), row("h0", 1, 1), row("h2", 4, 4)]
    got = measure(members, rows, min_per_group=2)
    cuped = got["uplift"]["payments_per_customer"]["cuped"]
    # theta 1: every adjusted value is mean(X), both groups alike
    assert cuped["status"] == "no_variance" and cuped["difference"] == 0.0
    assert cuped["theta"] == 1.0 and cuped["variance_reduction"] == 1.0
    json.dumps(got, allow_nan=False)


def test_nobody_paid_is_no_variance_with_a_zero_difference():
    members = group("t", "treated", 40) + group("h", "holdout", 40)
    got = measure(members, [])
    for metric in METRICS:
        result = got["uplift"][metric]
        assert result["status"] == "no_variance" and result["difference"] == 0.0 and "ci95" not in result
        assert result["cuped"]["status"] == "no_variance"
    assert got["groups"]["treated"]["payer_rate"] == 0.0 and got["groups"]["holdout"]["spent"] == 0
    json.dumps(got, allow_nan=False)


def test_every_treated_paid_and_no_holdout_did_is_a_difference_without_an_interval():
    members = group("t", "treated", 30) + group("h", "holdout", 30)
    rows = [row(f"t{i}", 0, 1) for i in range(30)]
    rate = measure(members, rows)["uplift"]["payer_rate"]
    assert rate["status"] == "no_variance" and rate["difference"] == 1.0


# ---- members, rows and sizes ---------------------------------------------------------------------------------


def test_members_without_a_row_count_as_zeros_and_rows_of_others_do_not_count():
    members = group("t", "treated", 30) + group("h", "holdout", 30)
    rows = [row("t0", 0, 30, post_spent=9_000), row("h0", 0, 3, post_spent=600), row("stranger", 5, 50)]
    got = measure(members, rows)
    assert got["customers"] == 60
    treated, holdout = got["groups"]["treated"], got["groups"]["holdout"]
    assert (treated["customers"], treated["payers"], treated["payments"], treated["spent"]) == (30, 1, 30, 9_000)
    assert (holdout["customers"], holdout["payers"], holdout["payments"], holdout["spent"]) == (30, 1, 3, 600)
    assert treated["payments_per_customer"] == 1.0 and treated["spent_per_customer"] == 300.0
    assert holdout["payer_rate"] == round(1 / 30, 6) and holdout["spent_per_customer"] == 20.0
    assert got["uplift"]["spent_per_customer"]["difference"] == 280.0
    assert got["uplift"]["payer_rate"]["difference"] == 0.0
    counts = [treated[k] for k in ("customers", "payers", "payments", "spent")] + list(treated["pre"].values())
    assert all(type(v) is int for v in counts)


def test_a_member_listed_twice_in_one_group_counts_once():
    members = group("t", "treated", 30) * 2 + group("h", "holdout", 30)
    got = measure(members, [row("t1", 0, 2)])
    assert got["groups"]["treated"]["customers"] == 30 and got["groups"]["treated"]["payments"] == 2


def test_too_few_customers_in_a_group_says_so_instead_of_a_number():
    members = group("t", "treated", 200) + group("h", "holdout", 29)
    rows = [row(f"t{i}", i % 3, i % 4) for i in range(200)] + [row(f"h{i}", i % 3, i % 2) for i in range(29)]
    got = measure(members, rows)
    for metric in METRICS:
        assert got["uplift"][metric] == {
            "status": "insufficient",
            "reason": "fewer than 30 customers in the holdout group: no interval",
            "needed": 30,
            "customers": {"treated": 200, "holdout": 29},
        }
    # the groups' own figures are still given
    assert got["groups"]["holdout"]["customers"] == 29 and got["groups"]["holdout"]["payments"] == 14
    # one more holdout customer and there is an interval
    more = measure([*members, ("h29", "holdout")], rows)
    assert all(more["uplift"][m]["status"] == "ok" for m in METRICS)
    assert measure(members, rows, min_per_group=20)["uplift"]["payer_rate"]["status"] == "ok"


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="neither treated nor holdout"):
        measure([("u1", "control")], [])
    with pytest.raises(ValueError, match="both groups"):
        measure([("u1", "treated"), ("u1", "holdout")], [])
    with pytest.raises(ValueError, match="two rows"):
        measure([("u1", "treated")], [row("u1", 1, 1), row("u1", 2, 2)])
    with pytest.raises(ValueError, match="at least 2"):
        measure([], [], min_per_group=1)


# ---- seeded synthetic campaigns ------------------------------------------------------------------------------

TRUE_RATE = 0.8  # a customer's payments a period: gamma(0.8, 1), the same before and after the run


def campaign(seed: int, lift: float, customers: int = 5_000, holdout: float = 0.1) -> tuple[list, list]:
    """Customers with their own rate of balance payments (the same in both periods, so the pre-period predicts
    the post-period) and their own basket (fen a payment); the treated pay (1 + lift) times as often after the
    run. Rows only for customers who paid, as the analysis gives them."""
    rng = np.random.default_rng(seed)
    treated = rng.random(customers) >= holdout
    rate = rng.gamma(TRUE_RATE, 1.0, customers)
    basket = rng.integers(500, 5_000, customers)
    pre = rng.poisson(rate)
    post = rng.poisson(rate * np.where(treated, 1.0 + lift, 1.0))
    members = [(f"c{i}", "treated" if t else "holdout") for i, t in enumerate(treated)]
    rows = [
        row(f"c{i}", int(pre[i]), int(post[i]), int(pre[i] * basket[i]), int(post[i] * basket[i]))
        for i in range(customers)
        if pre[i] or post[i]
    ]
    return members, rows


def excludes_zero(result: dict) -> bool:
    low, high = result["ci95"]
    return low > 0 or high < 0


def test_a_planted_effect_is_found_and_cuped_narrows_its_interval():
    members, rows = campaign(seed=7, lift=0.5)
    got = measure(members, rows)
    assert 400 < got["groups"]["holdout"]["customers"] < 600 and got["customers"] == 5_000
    for metric in METRICS:
        plain, cuped = got["uplift"][metric], got["uplift"][metric]["cuped"]
        assert plain["status"] == cuped["status"] == "ok"
        assert plain["difference"] > 0 and excludes_zero(plain) and excludes_zero(cuped), metric
        assert cuped["variance_reduction"] > 0.1 and cuped["theta"] > 0, metric
        assert cuped["ci95"][1] - cuped["ci95"][0] < plain["ci95"][1] - plain["ci95"][0], metric
    # the planted effect on payments per customer: 0.5 x 0.8 = 0.4, inside both intervals
    payments = got["uplift"]["payments_per_customer"]
    assert payments["ci95"][0] < 0.4 < payments["ci95"][1]
    assert payments["cuped"]["ci95"][0] < 0.4 < payments["cuped"]["ci95"][1]


def test_no_planted_effect_gives_an_interval_around_zero():
    members, rows = campaign(seed=11, lift=0.0)
    got = measure(members, rows)
    for metric in METRICS:
        plain, cuped = got["uplift"][metric], got["uplift"][metric]["cuped"]
        assert not excludes_zero(plain) and not excludes_zero(cuped), metric
        assert cuped["variance_reduction"] > 0.1, metric


def test_without_an_effect_the_intervals_miss_zero_about_one_time_in_twenty():
    misses = {m: [0, 0] for m in METRICS}
    for seed in range(40):
        got = measure(*campaign(seed=1_000 + seed, lift=0.0, customers=2_000, holdout=0.3))
        for m in METRICS:
            misses[m][0] += excludes_zero(got["uplift"][m])
            misses[m][1] += excludes_zero(got["uplift"][m]["cuped"])
    # 2 expected of 40 at 95 %; 7 or more would happen by chance about once in a thousand
    assert all(a <= 6 and b <= 6 for a, b in misses.values()), misses


def test_importing_the_module_loads_neither_numpy_nor_scipy():
    code = "import sys, chalicelib.insight.uplift; print([m for m in ('numpy', 'scipy') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
