"""The result of a multiverse: its tables, their columns, and how often each finding holds.

:func:`~cftf_analysis.stats.multiverse.multiverse` runs the specifications; this
module holds what it returns (:class:`MultiverseResult`), the fixed columns of
each table and :func:`share_table`, which counts per finding (and per value of
one choice) the specifications in which the finding holds with the reference
specification's sign.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cftf_analysis.options import MultiverseChoice, check_literal

__all__ = [
    "BASE_SHARE_COLUMNS",
    "FINDING_WORDS",
    "MULTIVERSE_COLUMNS",
    "MULTIVERSE_DRAWS",
    "MULTIVERSE_NULL",
    "SHARE_COLUMNS",
    "SKIPPED_COLUMNS",
    "SPEC_COLUMNS",
    "MultiverseResult",
    "share_table",
]

#: Joint draws pooled per specification (the report's main findings pool 1,000).
MULTIVERSE_DRAWS = 100
#: Simulated unrelated indicators behind each specification's Monte Carlo p-values
#: (the report's main findings: 199).
MULTIVERSE_NULL = 99
#: How sentences name each finding.
FINDING_WORDS: dict[str, str] = {"count_model": "count model", "ccf": "cross-correlation"}
#: Columns of :attr:`MultiverseResult.table`, in order.
MULTIVERSE_COLUMNS: list[str] = [
    "spec_id",
    "indicator_model",
    "producer",
    "date",
    "collection",
    "max_lag",
    "counts",
    "finding",
    "indicator",
    "lag",
    "estimate",
    "estimate_kind",
    "ci_low",
    "ci_high",
    "p_value",
    "p_method",
    "significant",
    "sign",
    "n_obs",
    "n_reports",
    "n_draws",
    "n_null",
]
#: Columns of :attr:`MultiverseResult.shares`, in order.
SHARE_COLUMNS: list[str] = [
    "finding",
    "indicator",
    "estimate_kind",
    "reference_spec",
    "reference_estimate",
    "reference_p_value",
    "reference_significant",
    "reference_sign",
    "n_specs",
    "n_same_sign",
    "n_significant",
    "n_holds",
    "share_same_sign",
    "share_significant",
    "share_holds",
    "uniform_spec",
    "uniform_n_reports",
    "uniform_estimate",
    "uniform_ci_low",
    "uniform_ci_high",
    "uniform_p_value",
    "uniform_significant",
    "uniform_holds",
    "uniform_same_conclusion",
    "n_specs_uniform",
    "n_holds_uniform",
    "share_holds_uniform",
]
#: The columns of :data:`SHARE_COLUMNS` that :meth:`MultiverseResult.shares_by` keeps.
BASE_SHARE_COLUMNS: list[str] = SHARE_COLUMNS[: SHARE_COLUMNS.index("share_holds") + 1]
#: Columns of :attr:`MultiverseResult.specs`, in order.
SPEC_COLUMNS: list[str] = [
    "spec_id",
    "indicator_model",
    "producer",
    "date",
    "collection",
    "max_lag",
    "counts",
    "steps",
    "indicators",
    "n_reports",
    "status",
    "reason",
]
#: Columns of :attr:`MultiverseResult.skipped`, in order.
SKIPPED_COLUMNS: list[str] = ["choice", "value", "indicator", "reason"]


@dataclass(frozen=True)
class MultiverseResult:
    """Every finding under every specification, and how often each holds.

    Attributes
    ----------
    table
        One row per specification and finding, columns :data:`MULTIVERSE_COLUMNS`:

        - ``spec_id``: the specification (``S001`` is the reference; see ``specs``);
        - ``indicator_model``, ``producer`` (the name of the producer whose
          figures make the finding's series), ``date``, ``collection``,
          ``max_lag``, ``counts``: its choices; a choice that does not apply
          to the finding is missing (``max_lag`` of the count model, ``date``
          and ``collection`` of article counts);
        - ``finding``: ``"count_model"`` (rate ratio of monthly counts per step
          of the indicator) or ``"ccf"`` (the strongest prewhitened
          cross-correlation at lags ``0..max_lag``, the indicator leading);
        - ``indicator``: the panel series;
        - ``lag``: months the indicator leads (0 for the count model);
        - ``estimate``, ``ci_low``, ``ci_high``: the pooled estimate and its
          95% interval (a rate ratio or a correlation: ``estimate_kind``);
        - ``p_value``: the p-value the finding is judged by: the count model's,
          and the cross-correlation's adjusted across its lags (the lag is the
          strongest of several);
        - ``p_method``: ``"monte_carlo"`` (against simulated unrelated
          indicators) or ``"rubin"`` (Rubin's rules: interpolation models);
        - ``significant``: ``p_value < alpha``;
        - ``sign``: the direction of the association, ``-1``, ``0`` or ``1``
          (of the log rate ratio, or of ``r``);
        - ``n_obs``: months behind the finding; ``n_reports``: reports counted
          (by the specification's date basis, inside the panel's months);
          ``n_draws``: joint draws pooled; ``n_null``: simulated unrelated
          indicators (0 with Rubin's p-values).
    shares
        One row per finding and indicator, columns :data:`SHARE_COLUMNS`: the
        reference specification's ``reference_estimate``, ``reference_p_value``,
        ``reference_significant`` and ``reference_sign``; ``n_specs``
        (specifications in which the finding was computed), ``n_same_sign``
        (with the reference's sign), ``n_significant`` (either sign) and
        ``n_holds`` (significant with the reference's sign), and the last
        three as shares of ``n_specs``. The shares are NaN when the reference
        specification could not compute the finding.

        The rest answer "does the finding survive restricting the reports to
        the uniform search protocol?" (all missing when the ``collection``
        choice ``"uniform"`` was not run or does not apply):
        ``uniform_spec``, the *uniform-protocol specification* (the
        reference's choices, counting only the reports of the case file's
        ``[collection] uniform`` codes), its ``uniform_n_reports``,
        ``uniform_estimate``, ``uniform_ci_low``, ``uniform_ci_high``,
        ``uniform_p_value`` and ``uniform_significant``; ``uniform_holds``
        (significant with the reference's sign); ``uniform_same_conclusion``
        (True when it reaches the reference's conclusion: both significant
        with the same sign, or both not significant); and over every
        specification restricted to the uniform protocol,
        ``n_specs_uniform``, ``n_holds_uniform`` and ``share_holds_uniform``.
    specs
        One row per specification (one battery run), columns
        :data:`SPEC_COLUMNS`: its choices (``producer``: ``"case"`` for the
        case file's producers, else the other producer of the one series run),
        the ``steps`` and ``indicators`` run, ``n_reports`` counted,
        ``status`` (``"ran"``, ``"partial"``: some findings could not be
        computed, ``"failed"``: none) and the ``reason``.
    skipped
        Choices left out because they do not apply, columns
        :data:`SKIPPED_COLUMNS` (``indicator`` when only one series is concerned).
    choices
        The values of each choice that were run, reference first.
    n_draws, n_null, seed, alpha
        The size of each specification and the significance level.
    """

    table: pd.DataFrame
    shares: pd.DataFrame
    specs: pd.DataFrame
    skipped: pd.DataFrame
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    n_draws: int = MULTIVERSE_DRAWS
    n_null: int = MULTIVERSE_NULL
    seed: int = 20160418
    alpha: float = 0.05

    @property
    def n_specs(self) -> int:
        """Specifications (battery runs) tried."""
        return len(self.specs)

    @property
    def n_ran(self) -> int:
        """Specifications that computed every finding they were run for."""
        return int((self.specs["status"] == "ran").sum())

    @property
    def n_failed(self) -> int:
        """Specifications that computed no finding (``partial`` ones are neither)."""
        return int((self.specs["status"] == "failed").sum())

    def in_words(self, labels: Mapping[str, str] | None = None) -> list[str]:
        """One plain sentence or two per row of :attr:`shares`, for a policy reader.

        Each says what the reference specification found, in how many
        specifications the finding holds (and how many keep its direction),
        and what counting only the uniform search protocol's reports gives.
        ``labels`` names the indicators (default their column names).

        Examples
        --------
        >>> import cftf_analysis as cftf
        >>> mv = cftf.multiverse(choices={"collection": ["all", "uniform"]}, n_draws=20,
        ...                      n_null=19)
        >>> print(mv.in_words({"territory": "Territory"})[-1])  # doctest: +ELLIPSIS
        Territory, cross-correlation: not significant in the reference specification (r = ...,
        p = ...); significant in the same direction in 0 of 1 specifications (0%) and
        in either direction in 0; it points the same way in 1. Counting only the 7 reports
        of the uniform search protocol, the finding could not be computed: ...
        """
        labels = dict(labels or {})
        out = []
        for row in self.shares.to_dict("records"):
            name = labels.get(row["indicator"], str(row["indicator"]).replace("_", " "))
            what = f"{name}, {FINDING_WORDS.get(row['finding'], row['finding'])}"
            if pd.isna(row["reference_sign"]):
                out.append(
                    f"{what}: the reference specification could not compute it; computed in "
                    f"{row['n_specs']} specifications, significant in {row['n_significant']}."
                )
                continue
            ref = _estimate_words(row["estimate_kind"], row["reference_estimate"])
            p = f"p = {row['reference_p_value']:.2g}"
            n = int(row["n_specs"])
            counts = f"{int(row['n_holds'])} of {n} specifications ({row['share_holds']:.0%})"
            if row["reference_significant"]:
                text = (
                    f"{what}: significant in the reference specification ({ref}, {p}); it "
                    f"holds (significant, same direction) in {counts}, and keeps its "
                    f"direction in {int(row['n_same_sign'])}."
                )
            else:
                text = (
                    f"{what}: not significant in the reference specification ({ref}, {p}); "
                    f"significant in the same direction in {counts} and in either direction "
                    f"in {int(row['n_significant'])}; it points the same way in "
                    f"{int(row['n_same_sign'])}."
                )
            if pd.notna(row["uniform_estimate"]):
                uni = _estimate_words(row["estimate_kind"], row["uniform_estimate"])
                interval = f"[{_num(row['uniform_ci_low'])}, {_num(row['uniform_ci_high'])}]"
                if row["reference_significant"]:
                    verdict = (
                        "the finding survives"
                        if row["uniform_holds"]
                        else "the finding does not survive"
                    )
                else:
                    verdict = (
                        "still not significant"
                        if not row["uniform_significant"]
                        else "significant there, unlike the reference"
                    )
                text += (
                    f" Counting only the {int(row['uniform_n_reports'])} reports of the uniform "
                    f"search protocol: {uni} {interval}, p = {row['uniform_p_value']:.2g}; "
                    f"{verdict}."
                )
            elif isinstance(row["uniform_spec"], str):
                spec = self.specs.set_index("spec_id").loc[row["uniform_spec"]]
                reasons = spec["reason"].split(" | ") if isinstance(spec["reason"], str) else []
                own = [r for r in reasons if f"({row['indicator']})" in r]
                # the first reason that names this series, without the analyses' names
                why = (own or reasons or [""])[0].split("): ", 1)[-1]
                text += (
                    f" Counting only the {int(spec['n_reports'])} reports of the uniform search "
                    "protocol, the finding could not be computed"
                    + (f": {why.rstrip('.')}." if why else ".")
                )
            out.append(text)
        return out

    def shares_by(self, choice: MultiverseChoice) -> pd.DataFrame:
        """:attr:`shares` within each value of one choice (signs still the reference's).

        Returns the :data:`BASE_SHARE_COLUMNS` with the choice's column inserted
        after ``indicator``; a value that does not apply to a finding (the
        count model's ``max_lag``) is missing.

        Examples
        --------
        >>> import cftf_analysis as cftf
        >>> mv = cftf.multiverse(choices={"indicator_model": ["latent", "step"]}, n_draws=20,
        ...                      n_null=19)
        >>> cols = ["finding", "indicator", "indicator_model", "n_specs"]
        >>> mv.shares_by("indicator_model")[cols]
               finding      indicator indicator_model  n_specs
        0  count_model  revenue_total          latent        1
        1  count_model  revenue_total            step        1
        2  count_model      territory          latent        1
        3  count_model      territory            step        1
        4          ccf  revenue_total          latent        1
        5          ccf  revenue_total            step        1
        6          ccf      territory          latent        1
        7          ccf      territory            step        1
        """
        check_literal(choice, MultiverseChoice, "choice")
        return share_table(self.table, self.shares, self.alpha, by=choice)


def _num(value: float) -> str:
    """Three significant digits, in powers of ten only when very large or small."""
    if not np.isfinite(value):
        return str(value)
    return f"{value:.3g}" if value == 0 or 0.01 <= abs(value) < 1e4 else f"{value:.1e}"


def _estimate_words(kind: str, value: float) -> str:
    """``rate ratio 0.48``, ``r = -0.37``: an estimate in words."""
    if kind == "correlation":
        return f"r = {value:.2f}"
    return f"{kind} {_num(value)}"


def share_table(
    table: pd.DataFrame,
    reference: pd.DataFrame,
    alpha: float,
    *,
    by: str | None = None,
) -> pd.DataFrame:
    """Per finding (and value of ``by``): how often it holds with the reference's sign.

    ``reference`` holds, per ``finding`` and ``indicator``, the reference
    specification's ``reference_spec``, ``reference_estimate``,
    ``reference_p_value``, ``reference_significant`` and ``reference_sign``
    (the :data:`SHARE_COLUMNS` of :attr:`MultiverseResult.shares` suffice).
    """
    keys = ["finding", "indicator"]
    ref_cols = [
        "reference_spec",
        "reference_estimate",
        "reference_p_value",
        "reference_significant",
        "reference_sign",
    ]
    columns = list(BASE_SHARE_COLUMNS)
    if by is not None:
        columns.insert(columns.index("indicator") + 1, by)
    out = []
    refs = reference.set_index(keys)
    parts = []
    for (finding, indicator), group in table.groupby(keys, sort=False):
        if by is None:
            parts.append((finding, indicator, None, group))
        else:
            for value, rows in group.groupby(by, sort=False, dropna=False):
                parts.append((finding, indicator, value, rows))
    for finding, indicator, value, rows in parts:
        ref = refs.loc[(finding, indicator)] if (finding, indicator) in refs.index else None
        sign = ref["reference_sign"] if ref is not None else pd.NA
        n = len(rows)
        if ref is not None and pd.notna(sign):
            same = int((rows["sign"] == sign).sum())
            holds = int(((rows["sign"] == sign) & rows["significant"]).sum())
        else:
            same = holds = None
        n_sig = int(rows["significant"].sum())
        record = {
            "finding": finding,
            "indicator": indicator,
            "estimate_kind": rows["estimate_kind"].iloc[0],
            **{c: (ref[c] if ref is not None else None) for c in ref_cols},
            "n_specs": n,
            "n_same_sign": same,
            "n_significant": n_sig,
            "n_holds": holds,
            "share_same_sign": same / n if same is not None else np.nan,
            "share_significant": n_sig / n,
            "share_holds": holds / n if holds is not None else np.nan,
        }
        if by is not None:
            record[by] = value
        out.append(record)
    shares = pd.DataFrame(out, columns=columns)
    for col in ("n_specs", "n_same_sign", "n_significant", "n_holds", "reference_sign"):
        shares[col] = shares[col].astype("Int64")
    return shares
