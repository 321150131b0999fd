"""BG/NBD (Fader, Hardie and Lee, "Counting your customers the easy way", 2005): how likely a customer is still
active, and how many balance payments to expect in the next days, from each customer's (x, t_x, T):
x repeat payments, t_x the day of the last one and T the days observed, both since the first payment.

The four parameters (r, alpha, a, b) are fitted by maximum likelihood on the closed-form likelihood with
scipy. Written here rather than taken from a library: ``lifetimes`` is unmaintained and ``pymc-marketing``
needs Python 3.12 and a heavy stack; the model is the paper's equations 2, 3 and 10, a few lines of numpy.
numpy and scipy are the segmentation job's, never the API's (the API's bundle stays within 10 MB).

Customers share their (x, t_x, T): a million of them have some tens of thousands of distinct triples, and a few
tens of distinct x. The likelihood's factors are computed once per distinct value and given back to each
customer, so a fit sums the very same per-customer terms, in the same order, at a fraction of the cost; the
predictions are computed once per distinct triple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MIN_CUSTOMERS = 500  # paying customers needed to fit (as the established products require)
MIN_HISTORY_DAYS = 90  # days between the first payment seen and the run


@dataclass(frozen=True)
class Fit:
    r: float
    alpha: float
    a: float
    b: float

    def _terms(self, x: Any, t_x: Any, T: Any) -> tuple[Any, Any]:
        import numpy as np

        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        ratio = np.where(
            x > 0,
            (self.a / np.maximum(self.b + x - 1, 1e-12)) * ((self.alpha + T) / (self.alpha + t_x)) ** (self.r + x),
            0.0,
        )
        return x, 1.0 + ratio

    def p_alive(self, x: Any, t_x: Any, T: Any) -> Any:
        """P(still active | x, t_x, T): equation 10's denominator."""
        _, denominator = self._terms(x, t_x, T)
        return 1.0 / denominator

    def expected(self, t: float, x: Any, t_x: Any, T: Any) -> Any:
        """E[payments in the next t days | x, t_x, T] (the paper's equation 10)."""
        import numpy as np
        from scipy.special import hyp2f1

        x, denominator = self._terms(x, t_x, T)
        T = np.asarray(T, dtype=float)
        z = t / (self.alpha + T + t)
        head = (self.a + self.b + x - 1) / (self.a - 1)
        tail = 1 - ((self.alpha + T) / (self.alpha + T + t)) ** (self.r + x) * hyp2f1(
            self.r + x, self.b + x, self.a + self.b + x - 1, z
        )
        return head * tail / denominator

    def predict(self, t: float, x: Any, t_x: Any, T: Any) -> tuple[Any, Any]:
        """(``p_alive``, ``expected(t)``) of every customer, computed once per distinct (x, t_x, T)."""
        (ux, ut, uT), inverse = distinct(x, t_x, T)
        return self.p_alive(ux, ut, uT)[inverse], self.expected(t, ux, ut, uT)[inverse]


def distinct(x: Any, t_x: Any, T: Any) -> tuple[tuple[Any, Any, Any], Any]:
    """The distinct (x, t_x, T) triples, and for each customer the position of theirs among them."""
    import numpy as np

    columns = np.column_stack([np.asarray(v, dtype=float) for v in (x, t_x, T)])
    triples, inverse = np.unique(columns, axis=0, return_inverse=True)
    return (triples[:, 0], triples[:, 1], triples[:, 2]), inverse.reshape(-1)


class Likelihood:
    """ln L of each customer (equation 3) as a function of the parameters. Each factor is computed once per
    distinct x, t_x or T among the customers' distinct triples and given back to each of them: numbers equal,
    bit for bit, to computing every customer's on their own, for a fit's every evaluation."""

    def __init__(self, x: Any, t_x: Any, T: Any) -> None:
        import numpy as np

        (self.x, t_xs, Ts), self.customers = distinct(x, t_x, T)
        self.xs, self.by_x = np.unique(self.x, return_inverse=True)
        self.t_xs, self.by_t_x = np.unique(t_xs, return_inverse=True)
        self.Ts, self.by_T = np.unique(Ts, return_inverse=True)

    def __call__(self, params: Any) -> Any:
        import numpy as np
        from scipy.special import betaln, gammaln

        r, alpha, a, b = params
        xs, x = self.xs, self.x
        common = (gammaln(r + xs) - gammaln(r) + r * np.log(alpha))[self.by_x]
        first = (betaln(a, b + xs) - betaln(a, b))[self.by_x] - (r + x) * np.log(alpha + self.Ts)[self.by_T]
        second = np.where(
            x > 0,
            (betaln(a + 1, np.maximum(b + xs - 1, 1e-12)) - betaln(a, b))[self.by_x]
            - (r + x) * np.log(alpha + self.t_xs)[self.by_t_x],
            -np.inf,
        )
        return (common + np.logaddexp(first, second))[self.customers]


def log_likelihoods(params: Any, x: Any, t_x: Any, T: Any) -> Any:
    """ln L(r, alpha, a, b | x, t_x, T) of each customer (equation 3)."""
    return Likelihood(x, t_x, T)(params)


def log_likelihood(params: Any, x: Any, t_x: Any, T: Any) -> float:
    """The sum over customers of ln L(r, alpha, a, b | x, t_x, T) (equation 3)."""
    import numpy as np

    return float(np.sum(log_likelihoods(params, x, t_x, T)))


def fit(x: Any, t_x: Any, T: Any) -> Fit:
    """The maximum-likelihood parameters (optimised on their logarithms, so they stay positive)."""
    import numpy as np
    from scipy.optimize import minimize

    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    scale = max(float(T.mean()), 1.0)
    likelihood = Likelihood(x, t_x, T)

    def negative(log_params: Any) -> float:
        value = -float(np.sum(likelihood(np.exp(log_params))))
        return value if np.isfinite(value) else 1e300

    start = np.log([1.0, scale, 1.0, 1.0])
    best = minimize(negative, start, method="L-BFGS-B")
    r, alpha, a, b = np.exp(best.x)
    return Fit(float(r), float(alpha), float(a), float(b))
