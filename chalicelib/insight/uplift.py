"""A campaign's uplift: treated against holdout over the measured period, from the members' balance payments
(``sql/campaign_outcomes.sql``: each customer's payments and what balance paid, in the period before the run and
in the period after it, of the same length).

Every member the run assigned counts, in the group it was assigned (intention to treat); a member the analysis
has no row for paid nothing by balance in either period (zeros). Three metrics, each a mean per customer of
the group: the payer rate (the share with a balance payment after the run), balance payments per customer, and
balance spent per customer (fen). For each, treated minus holdout:

- the difference in means with its 95 % Welch interval (unequal variances, Welch-Satterthwaite degrees of
  freedom, the t quantile from ``scipy.stats.t``: what ``scipy.stats.ttest_ind(equal_var=False)`` gives);
- the same after CUPED (Deng, Xu, Kohavi and Walker, 2013) with the customer's own pre-period value of the same
  metric as covariate ``X``: ``theta = cov(Y, X) / var(X)`` over both groups pooled, ``Y_adj = Y - theta (X -
  mean(X))``, and the Welch interval of ``Y_adj``. The pre-period precedes the campaign, so the adjustment
  leaves the difference's expectation as it is and takes out the variance the pre-period explains:
  ``variance_reduction = 1 - var(Y_adj) / var(Y)`` (both pooled).

A metric is ``insufficient`` while either group has fewer than ``min_per_group`` customers (the intervals rest
on the means' normal approximation), and ``no_variance`` where both groups' values are constant (every member
paid nothing, say): a difference then, and no interval.

numpy and scipy are the measuring job's (its layer), never the API's: imported inside the functions only.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

GROUPS = ("treated", "holdout")
MIN_PER_GROUP = 30  # customers in each group before an interval is given
CONFIDENCE = 0.95
# metric -> (what it is per customer, decimals of its figures)
METRICS = {
    "payer_rate": ("paid by balance at least once (0 or 1)", 6),
    "payments_per_customer": ("balance payments", 6),
    "spent_per_customer": ("fen balance paid", 2),
}
_COLUMNS = ("pre_payments", "pre_spent", "post_payments", "post_spent")


def measure(
    assignments: Iterable[tuple[str, str]],
    rows: Iterable[Mapping[str, Any]],
    *,
    min_per_group: int = MIN_PER_GROUP,
) -> dict[str, Any]:
    """The groups' figures and the uplift of each metric.

    ``assignments``: (user_id, group) of every member, group ``treated`` or ``holdout`` (a member listed twice
    in one group counts once; in both groups, ValueError). ``rows``: the analysis's rows (user_id, pre_payments,
    pre_spent, post_payments, post_spent); a row of a customer who is no member is not counted."""
    import numpy as np

    if min_per_group < 2:
        raise ValueError("min_per_group must be at least 2: a group's variance needs two customers")
    group_of = _groups(assignments)
    outcomes = _outcomes(rows, group_of)
    zeros = (0, 0, 0, 0)
    table = {
        g: np.array(
            [outcomes.get(u, zeros) for u in sorted(u for u, v in group_of.items() if v == g)], dtype=np.int64
        ).reshape(-1, 4)
        for g in GROUPS
    }
    groups = {g: _figures(table[g]) for g in GROUPS}
    uplift = {}
    for metric, (_, decimals) in METRICS.items():
        (yt, xt), (yh, xh) = (_metric(metric, table[g]) for g in GROUPS)
        uplift[metric] = _uplift(yt, xt, yh, xh, min_per_group, decimals)
    return {
        "customers": len(group_of),
        "min_per_group": min_per_group,
        "confidence": CONFIDENCE,
        "groups": groups,
        "uplift": uplift,
    }


def _groups(assignments: Iterable[tuple[str, str]]) -> dict[str, str]:
    group_of: dict[str, str] = {}
    for user_id, group in assignments:
        if group not in GROUPS:
            raise ValueError(f"group {group!r} of {user_id!r} is neither treated nor holdout")
        if group_of.setdefault(user_id, group) != group:
            raise ValueError(f"{user_id!r} is assigned to both groups")
    return group_of


def _outcomes(rows: Iterable[Mapping[str, Any]], group_of: Mapping[str, str]) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for row in rows:
        user_id = row["user_id"]
        if user_id not in group_of:
            continue
        if user_id in out:
            raise ValueError(f"two rows for {user_id!r}: the analysis gives one per customer")
        out[user_id] = tuple(int(row.get(c) or 0) for c in _COLUMNS)
    return out


def _metric(metric: str, table: Any) -> tuple[Any, Any]:
    """The metric's outcome Y (after the run) and covariate X (the pre-period), one value per customer."""
    pre_payments, pre_spent, post_payments, post_spent = (table[:, i] for i in range(4))
    if metric == "payer_rate":
        return (post_payments > 0).astype(float), (pre_payments > 0).astype(float)
    if metric == "payments_per_customer":
        return post_payments.astype(float), pre_payments.astype(float)
    return post_spent.astype(float), pre_spent.astype(float)


def _figures(table: Any) -> dict[str, Any]:
    n = int(table.shape[0])
    pre_payments, pre_spent, post_payments, post_spent = (table[:, i] for i in range(4))
    payers, payments, spent = int((post_payments > 0).sum()), int(post_payments.sum()), int(post_spent.sum())
    return {
        "customers": n,
        "payers": payers,
        "payments": payments,
        "spent": spent,
        "payer_rate": _per(payers, n, METRICS["payer_rate"][1]),
        "payments_per_customer": _per(payments, n, METRICS["payments_per_customer"][1]),
        "spent_per_customer": _per(spent, n, METRICS["spent_per_customer"][1]),
        "pre": {
            "payers": int((pre_payments > 0).sum()),
            "payments": int(pre_payments.sum()),
            "spent": int(pre_spent.sum()),
        },
    }


def _per(total: int, n: int, decimals: int) -> float | None:
    return _round(total / n, decimals) if n else None


def _round(value: float, decimals: int) -> float:
    return round(value, decimals) + 0.0  # + 0.0: no -0.0 in the output


def _uplift(yt: Any, xt: Any, yh: Any, xh: Any, needed: int, decimals: int) -> dict[str, Any]:
    short = [g for g, y in zip(GROUPS, (yt, yh)) if len(y) < needed]
    if short:
        return {
            "status": "insufficient",
            "reason": f"fewer than {needed} customers in the {' and the '.join(short)} group"
            f"{'s' if len(short) > 1 else ''}: no interval",
            "needed": needed,
            "customers": {"treated": len(yt), "holdout": len(yh)},
        }
    return {**_welch(yt, yh, decimals), "cuped": _cuped(yt, xt, yh, xh, decimals)}


def _welch(a: Any, b: Any, decimals: int) -> dict[str, Any]:
    """Difference in means (a - b) and its Welch interval; ``no_variance`` where the standard error is 0."""
    import numpy as np
    from scipy import stats

    difference = float(a.mean() - b.mean())
    va, vb = float(a.var(ddof=1)) / len(a), float(b.var(ddof=1)) / len(b)  # each mean's variance
    se2 = va + vb
    scale = max(1.0, float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
    if se2 <= (1e-12 * scale) ** 2:  # constant within each group (to rounding): nothing to put an interval on
        return {
            "status": "no_variance",
            "reason": "every customer of each group has the same value: a difference and no interval",
            "difference": _round(difference, decimals),
        }
    # Welch-Satterthwaite, as scipy.stats.ttest_ind(equal_var=False) computes it (written out: scipy warns of a
    # group whose values are all alike, which a group of non-payers is)
    df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    se = se2**0.5
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * se
    return {
        "status": "ok",
        "difference": _round(difference, decimals),
        "ci95": [_round(difference - half, decimals), _round(difference + half, decimals)],
        "welch_df": _round(df, 2),
        "standard_error": _round(se, decimals + 2),
        "p_value": float(f"{2 * float(stats.t.sf(abs(difference) / se, df)):.4g}"),
    }


def _cuped(yt: Any, xt: Any, yh: Any, xh: Any, decimals: int) -> dict[str, Any]:
    """The Welch interval of the outcome adjusted by the pre-period: theta pooled over both groups."""
    import numpy as np

    y, x = np.concatenate([yt, yh]), np.concatenate([xt, xh])
    var_x = float(x.var(ddof=1))
    if var_x <= (1e-12 * max(1.0, float(np.abs(x).max(initial=0.0)))) ** 2:
        return {
            "status": "no_variance",
            "reason": "the pre-period is the same for every customer: nothing to adjust by",
        }
    theta = float(np.cov(y, x, ddof=1)[0, 1] / var_x)
    adjusted = y - theta * (x - x.mean())
    var_y = float(y.var(ddof=1))
    reduction = _round(1.0 - float(adjusted.var(ddof=1)) / var_y, 4) if var_y > 0 else None
    at = len(yt)
    return {
        **_welch(adjusted[:at], adjusted[at:], decimals),
        "theta": _round(theta, 6),
        "variance_reduction": reduction,
    }
