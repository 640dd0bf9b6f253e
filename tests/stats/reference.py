"""Independent computations the battery's pooled findings are checked against.

Written from the published formulas and statsmodels called directly, not from the
package's kernels: Rubin's rules with Barnard and Rubin's (1999) small-sample degrees
of freedom, a quasi-Poisson GLM per draw (statsmodels), and the prewhitened
cross-correlation per draw (statsmodels' AutoReg, numpy's corrcoef).
"""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from scipy import signal, stats
from statsmodels.tsa.ar_model import AutoReg


def rubin(q, u, df_complete=np.inf, conf_level=0.95) -> dict[str, float]:
    """Rubin (1987) pooling of estimates ``q`` with variances ``u``; Barnard-Rubin df."""
    q, u = np.asarray(q, float), np.asarray(u, float)
    m = q.size
    qbar, w, b = q.mean(), u.mean(), q.var(ddof=1)
    t = w + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t
    nu_old = (m - 1) / lam**2
    if np.isfinite(df_complete):
        nu_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        nu = 1 / (1 / nu_old + 1 / nu_obs)
    else:
        nu = nu_old
    se = np.sqrt(t)
    half = stats.t.ppf((1 + conf_level) / 2, nu) * se
    return {
        "estimate": qbar,
        "std_error": se,
        "statistic": qbar / se,
        "df": nu,
        "p_value": 2 * stats.t.sf(abs(qbar / se), nu),
        "ci_low": qbar - half,
        "ci_high": qbar + half,
    }


def window_arrays(battery, indicator: str, exposure: str | None = None):
    """The battery's joint draws of ``indicator`` on the months where it is defined."""
    draws = battery.draws
    sd = draws.series[indicator]
    keep = sd.defined.copy()
    panel = battery.panel.set_index("month").reindex(draws.months)
    offset = None
    if exposure is not None:
        expo = panel[exposure].to_numpy(float)
        keep &= np.isfinite(expo) & (expo > 0)
        offset = np.log(expo[keep])
    return draws.counts[:, keep].astype(float), sd.paths[:, keep], offset


def glm_per_draw(counts, paths, divisor, offset=None):
    """Per draw: statsmodels quasi-Poisson GLM of counts on [1, path / divisor, month]."""
    n = counts.shape[1]
    est, var, df = [], [], []
    for y, x in zip(counts, paths, strict=True):
        design = np.column_stack([np.ones(n), x / divisor, np.arange(n, dtype=float)])
        fit = sm.GLM(y, design, family=sm.families.Poisson(), offset=offset).fit(
            scale="X2", tol=1e-13
        )
        est.append(fit.params[1])
        var.append(fit.cov_params()[1, 1])
        df.append(fit.df_resid)
    return np.array(est), np.array(var), float(np.median(df))


def prewhitened_r(counts, path, lags, order):
    """corr(path_t, counts_{t+k}) per lag k after detrending both and filtering both by an
    AR(order) fitted (OLS with a constant) to the detrended counts."""
    a = signal.detrend(counts, type="linear")
    b = signal.detrend(path, type="linear")
    if order > 0:
        phi = AutoReg(a, lags=order, trend="c").fit().params[1:]
        kernel = np.r_[1.0, -phi]
        a = np.convolve(a, kernel, mode="valid")
        b = np.convolve(b, kernel, mode="valid")
    out = []
    for k in lags:
        if k >= 0:
            x, y = b[: b.size - k], a[k:]
        else:
            x, y = b[-k:], a[: a.size + k]
        out.append((np.corrcoef(x, y)[0, 1], x.size))
    return out
