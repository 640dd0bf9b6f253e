"""A multiverse of defensible analysis choices: each indicator finding under every combination.

The battery's findings rest on choices another analyst could make differently:
how the indicator's months between its figures are modelled, which producer's
figures make the series, whether a report counts in the month it was
published or the month the defection happened, which collection passes are
counted, how many lags the cross-correlation searches, and whether the
coded reports or news articles are counted. :func:`multiverse` runs the
battery's count model and cross-correlation under every combination of the
choices that apply to the case (a *specification*) and returns one tidy row
per specification and finding, with the share of specifications in which
each finding holds (Steegen et al. 2016; Simonsohn, Simmons and Nelson 2020).

The choices (each declared as a ``Literal`` in :mod:`cftf_analysis.options`;
the first value of each is the *reference specification*, the battery's own
defaults):

- ``indicator_model`` (:data:`~cftf_analysis.options.IndicatorModel`):
  ``"latent"``, ``"linear"``, ``"step"``. With an interpolation the p-values
  are Rubin's, which the calibration found anti-conservative on sparse series
  (there is no model of the series to simulate unrelated ones from);
- ``producer`` (:data:`~cftf_analysis.options.ProducerChoice`): ``"case"``
  (the case file's producer of each series) and ``"other"`` (each other
  producer of the series' indicator and scope whose figures the latent model
  can fit: at least three with a value or a range, in two different months);
- ``date`` (:data:`~cftf_analysis.options.DateBasis`): ``"published"`` or
  ``"defection"`` (reports without a defection date are not counted);
- ``collection`` (:data:`~cftf_analysis.options.CollectionSubset`):
  ``"all"``, ``"uniform"`` (only the reports whose ``collection`` code is one
  of the case file's ``[collection] uniform`` codes) or ``"without_leads"``
  (all but the ``[collection] leads`` codes). A subset is counted on the whole
  collection's months, so a month where it found nothing counts zero;
- ``max_lag`` (:data:`~cftf_analysis.options.LagWindow`): 6 or 3 months;
  it changes the cross-correlation only (the count model has no lag window);
- ``counts`` (:data:`~cftf_analysis.options.CountSeries`): ``"n_reports"``
  or, with a coverage table, ``"n_articles_defection"``. Article counts do
  not depend on the reports, so ``date`` and ``collection`` do not apply to
  them.

A choice that does not apply (no second producer that can be modelled, no
defection dates, no collection codes in the case file, no coverage table) is
left out and listed in :attr:`MultiverseResult.skipped` with the reason.

**Size.** Each specification pools :data:`MULTIVERSE_DRAWS` joint draws
(the report's findings pool 1,000) and judges its p-values against
:data:`MULTIVERSE_NULL` simulated unrelated indicators (the report: 199), and
runs neither the influence check nor the power simulation; the smallest
Monte Carlo p-value is then 0.02 for the count model and 0.01 for the
cross-correlation. The indicator side of
the draws (latent fits, path draws, null paths), which does not depend on
which reports are counted, is computed once and shared
(:class:`~cftf_analysis.stats.draws.IndicatorCache`).

References
----------
Steegen, S., Tuerlinckx, F., Gelman, A. and Vanpaemel, W. (2016). Increasing
transparency through a multiverse analysis. *Perspectives on Psychological
Science* 11(5), 702-712.
Simonsohn, U., Simmons, J. P. and Nelson, L. D. (2020). Specification curve
analysis. *Nature Human Behaviour* 4, 1208-1214.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cftf_analysis.errors import ArgumentError, CftfError
from cftf_analysis.options import (
    CollectionSubset,
    CountSeries,
    DateBasis,
    IndicatorModel,
    LagWindow,
    MultiverseChoice,
    ProducerChoice,
    allowed_values,
    check_fraction,
    check_int,
    check_literal,
)
from cftf_analysis.panel import default_series, month_weights
from cftf_analysis.stats.draws import IndicatorCache
from cftf_analysis.stats.multiverse_result import (
    BASE_SHARE_COLUMNS,
    MULTIVERSE_COLUMNS,
    MULTIVERSE_DRAWS,
    MULTIVERSE_NULL,
    SHARE_COLUMNS,
    SKIPPED_COLUMNS,
    SPEC_COLUMNS,
    MultiverseResult,
    share_table,
)

if TYPE_CHECKING:  # pragma: no cover
    from cftf_analysis.case import Case
    from cftf_analysis.stats.battery import Battery

__all__ = [
    "DEFAULT_CHOICES",
    "multiverse",
    "report_subset",
]


#: Each choice and its values, in order; the first value of each is the reference
#: specification (the battery's defaults).
DEFAULT_CHOICES: dict[str, tuple[Any, ...]] = {
    "indicator_model": ("latent", "linear", "step"),
    "producer": allowed_values(ProducerChoice),
    "date": allowed_values(DateBasis),
    "collection": allowed_values(CollectionSubset),
    "max_lag": allowed_values(LagWindow),
    "counts": allowed_values(CountSeries),
}
#: The ``Literal`` type each choice's values are checked against.
CHOICE_TYPES: dict[str, Any] = {
    "indicator_model": IndicatorModel,
    "producer": ProducerChoice,
    "date": DateBasis,
    "collection": CollectionSubset,
    "max_lag": LagWindow,
    "counts": CountSeries,
}
#: The battery steps whose findings the multiverse keeps, in order.
FINDINGS: tuple[str, ...] = ("count_model", "ccf")
#: Findings the lag window changes (the others are run once per combination of the rest).
LAGGED_FINDINGS: tuple[str, ...] = ("ccf",)

#: Fewest level figures of a producer worth trying to model (the latent model needs at least
#: three with a value or a range, in two different months).
MIN_FIGURES = 3
Progress = Callable[[str], None]


def report_subset(
    reports: pd.DataFrame,
    subset: CollectionSubset,
    *,
    uniform: Sequence[str] = (),
    leads: Sequence[str] = (),
) -> pd.DataFrame:
    """The reports a collection subset counts.

    Parameters
    ----------
    reports
        Output of :func:`~cftf_analysis.load_reports` (column ``collection``).
    subset
        ``"all"``; ``"uniform"``: the reports whose ``collection`` is one of
        ``uniform``; ``"without_leads"``: all but those whose ``collection``
        is one of ``leads``.
    uniform, leads
        The codes, from the case file's ``[collection]`` table
        (:attr:`~cftf_analysis.case.Case.collection_uniform`, ``collection_leads``).

    Raises
    ------
    ArgumentError
        A bad ``subset``, no ``collection`` column, or no codes for the subset.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> case = cftf.load_case()
    >>> uniform = report_subset(case.reports, "uniform", uniform=case.collection_uniform)
    >>> len(uniform), sorted(uniform["collection"].unique()) == list(case.collection_uniform)
    (7, True)
    """
    check_literal(subset, CollectionSubset, "subset")
    if subset == "all":
        return reports
    if "collection" not in reports.columns:
        raise ArgumentError(f"subset={subset!r} needs the reports' collection column")
    codes = tuple(uniform if subset == "uniform" else leads)
    if not codes:
        which = "uniform" if subset == "uniform" else "leads"
        raise ArgumentError(
            f"subset={subset!r} needs the collection codes of the {which} "
            f"(the case file's [collection] {which})"
        )
    inside = reports["collection"].isin(codes)
    return reports[inside if subset == "uniform" else ~inside]


# --- choices ------------------------------------------------------------------------------


def _check_choices(choices: Mapping[str, Any] | None) -> dict[str, tuple[Any, ...]]:
    """Each choice's values: the given ones checked, the others held at their reference."""
    if choices is None:
        return {k: tuple(v) for k, v in DEFAULT_CHOICES.items()}
    if not isinstance(choices, Mapping):
        raise ArgumentError(
            f"choices must map choice names to values, got {type(choices).__name__}"
        )
    out = {}
    for name in choices:
        check_literal(name, MultiverseChoice, "choices")
    for name, default in DEFAULT_CHOICES.items():
        if name not in choices:
            out[name] = (default[0],)
            continue
        given = choices[name]
        values = (given,) if isinstance(given, str | int) else tuple(given)
        if not values:
            raise ArgumentError(f"choices[{name!r}] is empty; give at least one value")
        for value in values:
            check_literal(value, CHOICE_TYPES[name], f"choices[{name!r}]")
        out[name] = tuple(dict.fromkeys(values))
    return out


@dataclass(frozen=True)
class _Inputs:
    case: Case | None
    reports: pd.DataFrame
    indicators: pd.DataFrame
    series: dict[str, dict[str, Any]]
    uniform: tuple[str, ...]
    leads: tuple[str, ...]


def _inputs(case, reports, indicators) -> _Inputs:
    from cftf_analysis.case import Case, load_case

    if case is None and reports is None and indicators is None:
        case = load_case()
    if case is not None:
        loaded = load_case(case) if not isinstance(case, Case) or case.reports is None else case
        reports = loaded.reports if reports is None else reports
        indicators = loaded.indicators if indicators is None else indicators
        series = {k: dict(v) for k, v in loaded.series.items()} or {
            k: dict(v) for k, v in default_series(indicators).items()
        }
        return _Inputs(
            loaded, reports, indicators, series, loaded.collection_uniform, loaded.collection_leads
        )
    if reports is None or indicators is None:
        raise ArgumentError("give reports and indicators (or a case)")
    series = {k: dict(v) for k, v in default_series(indicators).items()}
    return _Inputs(None, reports, indicators, series, (), ())


def _alternatives(
    inputs: _Inputs, cache: IndicatorCache
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Per series: the other producers whose figures can be modelled, and why none can."""
    from cftf_analysis.observations import producer_key

    ind = inputs.indicators
    found: dict[str, list[str]] = {}
    why: dict[str, str] = {}
    for name, spec in inputs.series.items():
        scope = spec.get("scope") or "total"
        rows = ind[(ind["indicator"] == spec["indicator"]) & (ind["scope"] == scope)]
        own = producer_key(str(spec.get("producer") or ""))
        others = [
            p
            for p in dict.fromkeys(rows["producer"].dropna().astype(str))
            if producer_key(p) != own
        ]
        levels = rows[rows["measure"] == "level"].groupby("producer", observed=True).size()
        fits, failures = [], []
        for producer in others:
            n_levels = int(levels.get(producer, 0))
            if n_levels < MIN_FIGURES:  # cannot be modelled: no need to try
                failures.append(f"{producer} ({n_levels} level figure{'s' * (n_levels != 1)})")
                continue
            try:
                cache.latent_fit(ind, {**spec, "producer": producer})
            except CftfError as exc:
                failures.append(f"{producer} ({exc})")
                continue
            fits.append(producer)
        found[name] = fits
        if not fits:
            why[name] = (
                "no other producer of the series"
                if not others
                else "no other producer's figures can be modelled (the latent model needs at "
                f"least {MIN_FIGURES} with a value or a range, in two different months): "
                + "; ".join(failures)
            )
    return found, why


def _applicable(
    chosen: dict[str, tuple[Any, ...]],
    inputs: _Inputs,
    coverage: pd.DataFrame | None,
    cache: IndicatorCache,
) -> tuple[dict[str, tuple[Any, ...]], dict[str, list[str]], list[dict[str, Any]]]:
    """The values that apply, the alternative producers, and the skipped values with reasons."""
    skipped: list[dict[str, Any]] = []

    def skip(choice: str, value: Any, reason: str, indicator: str | None = None) -> None:
        skipped.append({"choice": choice, "value": value, "indicator": indicator,
                        "reason": reason})  # fmt: skip

    values = {k: list(v) for k, v in chosen.items()}
    alternatives: dict[str, list[str]] = {name: [] for name in inputs.series}
    if "other" in values["producer"]:
        alternatives, why = _alternatives(inputs, cache)
        for name, reason in why.items():
            skip("producer", "other", reason, name)
        if not any(alternatives.values()):
            values["producer"].remove("other")
    reports = inputs.reports
    if "defection" in values["date"]:
        dated = reports.get("defection_start", pd.Series(dtype=object)).notna()
        if not dated.any():
            values["date"].remove("defection")
            skip("date", "defection", "no report has a defection date")
    codes = {"uniform": inputs.uniform, "without_leads": inputs.leads}
    words = {"uniform": "uniform", "without_leads": "leads"}
    for subset in ("uniform", "without_leads"):
        if subset not in values["collection"]:
            continue
        reason = None
        if "collection" not in reports.columns:
            reason = "the reports have no collection column"
        elif not codes[subset]:
            reason = f"the case file gives no [collection] {words[subset]} codes"
        elif not reports["collection"].isin(codes[subset]).any():
            reason = f"no report has a {words[subset]} code ({', '.join(codes[subset])})"
        if reason is not None:
            values["collection"].remove(subset)
            skip("collection", subset, reason)
    # a subset that counts the same reports as an earlier one would count one specification twice
    counted: dict[str, pd.Index] = {}
    for subset in list(values["collection"]):
        index = report_subset(
            reports, subset, uniform=inputs.uniform, leads=inputs.leads
        ).index.sort_values()
        same = next((k for k, v in counted.items() if v.equals(index)), None)
        if same is None:
            counted[subset] = index
            continue
        values["collection"].remove(subset)
        skip("collection", subset, f"counts the same {len(index)} reports as {same!r}")
    if "n_articles_defection" in values["counts"]:
        reason = None
        if coverage is None:
            reason = "no corpus coverage table given"
        elif "n_articles_defection" not in coverage.columns:
            reason = "the coverage table has no n_articles_defection column"
        if reason is not None:
            values["counts"].remove("n_articles_defection")
            skip("counts", "n_articles_defection", reason)
    return {k: tuple(v) for k, v in values.items()}, alternatives, skipped


# --- the runs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    spec_id: str
    indicator_model: str
    producer: str  # "case" or the other producer's name
    date: str | None
    collection: str | None
    max_lag: int
    counts: str
    steps: tuple[str, ...]
    pairs: tuple[str, ...]
    series: dict[str, dict[str, Any]]


def _plan(
    values: dict[str, tuple[Any, ...]],
    inputs: _Inputs,
    alternatives: dict[str, list[str]],
) -> list[_Run]:
    """The battery runs, reference first: one per specification."""
    runs: list[_Run] = []
    series = inputs.series
    producers: list[tuple[str, tuple[str, ...], dict[str, dict[str, Any]]]] = []
    if "case" in values["producer"]:
        producers.append(("case", tuple(series), series))
    if "other" in values["producer"]:
        for name, others in alternatives.items():
            for producer in others:
                spec = {**series, name: {**series[name], "producer": producer}}
                producers.append((producer, (name,), spec))
    for model, counts in itertools.product(values["indicator_model"], values["counts"]):
        by_reports = counts == "n_reports"
        dates = values["date"] if by_reports else (None,)
        subsets = values["collection"] if by_reports else (None,)
        for date, subset, (k, lag) in itertools.product(
            dates, subsets, enumerate(values["max_lag"])
        ):
            steps = FINDINGS if k == 0 else LAGGED_FINDINGS
            for producer, pairs, spec in producers:
                runs.append(
                    _Run(
                        spec_id=f"S{len(runs) + 1:03d}",
                        indicator_model=model,
                        producer=producer,
                        date=date,
                        collection=subset,
                        max_lag=lag,
                        counts=counts,
                        steps=steps,
                        pairs=pairs,
                        series=spec,
                    )
                )
    return runs


def _months(reports: pd.DataFrame, date: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month the whole collection covers on this date basis."""
    spans = reports[[f"{date}_start", f"{date}_end"]].dropna()
    weights = month_weights(spans[f"{date}_start"], spans[f"{date}_end"])
    return weights["month"].min(), weights["month"].max()


def _finding_rows(battery, run: _Run, alpha: float, n_reports: int) -> list[dict[str, Any]]:
    rows = []
    for step in run.steps:
        if step not in battery.results:
            continue
        for r in battery[step].rows.to_dict("records"):
            ind = r["indicator"]
            ratio = r["estimate_kind"] == "rate ratio"
            estimate = float(r["estimate"])
            p = float(r["p_adjusted"]) if step in LAGGED_FINDINGS else float(r["p_value"])
            monte_carlo = "Monte Carlo" in str(r["method"])
            with np.errstate(divide="ignore", invalid="ignore"):
                sign = np.sign(np.log(estimate) if ratio else estimate)
            rows.append(
                {
                    "spec_id": run.spec_id,
                    "indicator_model": run.indicator_model,
                    "producer": battery.series[ind].producer,
                    "date": run.date,
                    "collection": run.collection,
                    "max_lag": run.max_lag if step in LAGGED_FINDINGS else None,
                    "counts": run.counts,
                    "finding": step,
                    "indicator": ind,
                    "lag": int(r["lag"]) if pd.notna(r["lag"]) else 0,
                    "estimate": estimate,
                    "estimate_kind": r["estimate_kind"],
                    "ci_low": float(r["ci_low"]),
                    "ci_high": float(r["ci_high"]),
                    "p_value": p,
                    "p_method": "monte_carlo" if monte_carlo else "rubin",
                    "significant": bool(p < alpha),
                    "sign": int(sign) if np.isfinite(sign) else 0,
                    "n_obs": int(r["n_obs"]) if pd.notna(r["n_obs"]) else None,
                    "n_reports": n_reports,
                    "n_draws": int(battery.options.n_draws),
                    "n_null": int(battery.options.n_null) if monte_carlo else 0,
                }
            )
    return rows


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=MULTIVERSE_COLUMNS)
    for col in ("max_lag", "lag", "n_obs", "n_reports", "n_draws", "n_null", "sign"):
        table[col] = table[col].astype("Int64")
    table["significant"] = table["significant"].astype(bool)
    for col in ("date", "collection"):
        table[col] = table[col].astype(object)
    return table


def _reference(table: pd.DataFrame, runs: list[_Run]) -> pd.DataFrame:
    """Per finding: the reference specification (the first run of its series) and its row."""
    first: dict[str, str] = {}
    for run in runs:
        for ind in run.pairs:
            first.setdefault(ind, run.spec_id)
    out = []
    for (finding, indicator), _rows in table.groupby(["finding", "indicator"], sort=False):
        spec = first.get(indicator)
        at = table[
            (table["spec_id"] == spec)
            & (table["finding"] == finding)
            & (table["indicator"] == indicator)
        ]
        row = at.iloc[0] if len(at) else None
        out.append(
            {
                "finding": finding,
                "indicator": indicator,
                "reference_spec": spec,
                "reference_estimate": row["estimate"] if row is not None else np.nan,
                "reference_p_value": row["p_value"] if row is not None else np.nan,
                "reference_significant": bool(row["significant"]) if row is not None else None,
                "reference_sign": int(row["sign"]) if row is not None else pd.NA,
            }
        )
    return pd.DataFrame(
        out,
        columns=["finding", "indicator", "reference_spec", "reference_estimate",
                 "reference_p_value", "reference_significant", "reference_sign"],
    )  # fmt: skip


def _uniform(table: pd.DataFrame, shares: pd.DataFrame, runs: list[_Run]) -> pd.DataFrame:
    """``shares`` with the uniform-protocol columns (see :class:`MultiverseResult`)."""
    first: dict[str, _Run] = {}
    for run in runs:
        for ind in run.pairs:
            first.setdefault(ind, run)
    same = ("indicator_model", "producer", "date", "max_lag", "counts")
    out = shares.copy()
    records = []
    for row in shares.itertuples(index=False):
        ref = first.get(row.indicator)
        uniform = None
        if ref is not None:
            uniform = next(
                (
                    r
                    for r in runs
                    if r.collection == "uniform"
                    and row.indicator in r.pairs
                    and row.finding in r.steps
                    and all(getattr(r, k) == getattr(ref, k) for k in same)
                ),
                None,
            )
        at = table.iloc[0:0]
        if uniform is not None:
            at = table[
                (table["spec_id"] == uniform.spec_id)
                & (table["finding"] == row.finding)
                & (table["indicator"] == row.indicator)
            ]
        rows = table[
            (table["finding"] == row.finding)
            & (table["indicator"] == row.indicator)
            & (table["collection"] == "uniform")
        ]
        record: dict[str, Any] = {
            "uniform_spec": uniform.spec_id if uniform is not None else None,
            "n_specs_uniform": len(rows) if uniform is not None else pd.NA,
        }
        sign = row.reference_sign
        known = pd.notna(sign) and uniform is not None
        holds = (rows["sign"] == sign) & rows["significant"] if known else None
        record["n_holds_uniform"] = int(holds.sum()) if holds is not None else pd.NA
        record["share_holds_uniform"] = (
            float(holds.mean()) if holds is not None and len(rows) else np.nan
        )
        if len(at):
            u = at.iloc[0]
            significant = bool(u["significant"])
            record |= {
                "uniform_n_reports": u["n_reports"],
                "uniform_estimate": u["estimate"],
                "uniform_ci_low": u["ci_low"],
                "uniform_ci_high": u["ci_high"],
                "uniform_p_value": u["p_value"],
                "uniform_significant": significant,
            }
            if pd.notna(sign):
                holds_here = significant and int(u["sign"]) == int(sign)
                record["uniform_holds"] = holds_here
                record["uniform_same_conclusion"] = holds_here or (
                    not significant and not bool(row.reference_significant)
                )
        records.append(record)
    extra = pd.DataFrame(
        records, index=out.index, columns=SHARE_COLUMNS[len(BASE_SHARE_COLUMNS) :]
    )
    out = pd.concat([out, extra], axis=1)[SHARE_COLUMNS]
    for col in ("uniform_n_reports", "n_specs_uniform", "n_holds_uniform"):
        out[col] = out[col].astype("Int64")
    for col in ("uniform_significant", "uniform_holds", "uniform_same_conclusion"):
        out[col] = out[col].astype("boolean")
    for col in ("uniform_estimate", "uniform_ci_low", "uniform_ci_high", "uniform_p_value",
                "share_holds_uniform"):  # fmt: skip
        out[col] = out[col].astype(float)
    return out


def multiverse(
    case: Case | str | None = None,
    *,
    reports: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    choices: Mapping[str, Any] | None = None,
    n_draws: int = MULTIVERSE_DRAWS,
    n_null: int = MULTIVERSE_NULL,
    seed: int = 20160418,
    alpha: float = 0.05,
    cache: IndicatorCache | None = None,
    progress: Progress | None = None,
) -> MultiverseResult:
    """Run the count model and cross-correlation under every defensible specification.

    Parameters
    ----------
    case
        A :class:`~cftf_analysis.case.Case`, a case file or a bundled case's
        id: its tables, series and ``[collection]`` codes. With neither a case
        nor tables, the bundled case.
    reports, indicators
        Replace the case's tables; without a case, both are needed and the
        series are chosen from the indicators (and no collection subset applies).
    coverage
        Per-period article counts (:func:`~cftf_analysis.count_corpus`): the
        count model's exposure, and the ``counts="n_articles_defection"`` choice.
    choices
        Choice name (:data:`~cftf_analysis.options.MultiverseChoice`) -> the
        values to try, reference first. Default: every choice with all its
        values (:data:`DEFAULT_CHOICES`); a choice not named is held at its
        reference value. Values are checked against the choice's ``Literal``
        type (see the module docstring).
    n_draws, n_null
        Joint draws and simulated unrelated indicators per specification
        (default :data:`MULTIVERSE_DRAWS`, :data:`MULTIVERSE_NULL`: fewer than
        the report's main findings, so that the whole multiverse runs in
        about half a minute).
    seed
        Seed of every specification (the same in each, so that specifications
        differ by their choices only).
    alpha
        Significance level of ``significant``.
    cache
        An :class:`~cftf_analysis.stats.draws.IndicatorCache` to share (for
        example with the report's main battery); default: a new one.
    progress
        Called with a short message before each specification.

    Returns
    -------
    MultiverseResult
        ``table`` (one row per specification and finding), ``shares``,
        ``specs``, ``skipped``; see :class:`MultiverseResult`.

    Raises
    ------
    ArgumentError
        An unknown choice or value (naming the allowed ones), or bad sizes.

    Notes
    -----
    Each specification is one :func:`~cftf_analysis.stats.battery.run_battery`
    call with the steps ``count_model`` and ``ccf``, ``influence=False``,
    ``n_power=0`` (no power simulation: the ``mde`` is the report's) and the
    specification's options; a collection subset is counted on the whole
    collection's months (``start``/``end``), so a row equals ``run_battery``
    called with that subset, those months, the same seed and sizes. Runs
    with another lag window than the reference's run the cross-correlation
    only. A series with another producer is run on its own (``pairs``).
    A finding *holds* in a specification when it is significant at ``alpha``
    with the reference specification's sign.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> mv = multiverse(choices={"indicator_model": ["latent", "linear"], "max_lag": [6, 3]},
    ...                 n_draws=20, n_null=19)
    >>> mv.n_specs, mv.n_failed
    (4, 0)
    >>> mv.shares[["finding", "indicator", "n_specs"]]
           finding      indicator  n_specs
    0  count_model  revenue_total        2
    1  count_model      territory        2
    2          ccf  revenue_total        4
    3          ccf      territory        4
    >>> sorted(mv.skipped["choice"])
    []
    """
    from cftf_analysis.stats.battery import run_battery

    chosen = _check_choices(choices)
    n_draws = int(check_int(n_draws, "n_draws", minimum=2))
    n_null = int(check_int(n_null, "n_null", minimum=0))
    seed = int(check_int(seed, "seed", minimum=0))
    alpha = check_fraction(alpha, "alpha")
    say = progress or (lambda _msg: None)
    cache = cache if cache is not None else IndicatorCache()
    inputs = _inputs(case, reports, indicators)
    values, alternatives, skipped = _applicable(chosen, inputs, coverage, cache)
    runs = _plan(values, inputs, alternatives) if all(values.values()) else []
    months = {d: _months(inputs.reports, d) for d in {r.date or "published" for r in runs}}
    rows: list[dict[str, Any]] = []
    specs: list[dict[str, Any]] = []
    for run in runs:
        say(f"multiverse {run.spec_id} of {len(runs)}")
        date = run.date or "published"
        counted = report_subset(
            inputs.reports, run.collection or "all", uniform=inputs.uniform, leads=inputs.leads
        )
        start, end = months[date]
        record = {
            "spec_id": run.spec_id,
            "indicator_model": run.indicator_model,
            "producer": run.producer,
            "date": run.date,
            "collection": run.collection,
            "max_lag": run.max_lag,
            "counts": run.counts,
            "steps": ",".join(run.steps),
            "indicators": ",".join(run.pairs),
            "n_reports": None,
            "status": "failed",
            "reason": "",
        }
        try:
            with warnings.catch_warnings():
                # reports without a defection date are left out: n_reports says how many count
                warnings.simplefilter("ignore", UserWarning)
                battery = run_battery(
                    counted,
                    inputs.indicators,
                    case=inputs.case,
                    coverage=coverage,
                    series=run.series,
                    steps=run.steps,
                    pairs=run.pairs,
                    max_lag=run.max_lag,
                    n_draws=n_draws,
                    seed=seed,
                    alpha=alpha,
                    counts=run.counts,
                    indicator_model=run.indicator_model,
                    n_null=n_null,
                    date=date,
                    start=start,
                    end=end,
                    influence=False,
                    n_power=0,
                    cache=cache,
                )
        except CftfError as exc:
            record["reason"] = str(exc)
            specs.append(record)
            continue
        n_reports = round(float(battery.panel["n_reports"].sum()))
        found = _finding_rows(battery, run, alpha, n_reports)
        rows += found
        expected = len(run.steps) * len(run.pairs)
        record["n_reports"] = n_reports
        record["status"] = "ran" if len(found) == expected else ("partial" if found else "failed")
        record["reason"] = " | ".join([*battery.errors, *_unsupported(battery, run.steps)])
        specs.append(record)
    table = _table(rows)
    reference = _reference(table, runs)
    shares = _uniform(table, share_table(table, reference, alpha), runs)
    spec_table = pd.DataFrame(specs, columns=SPEC_COLUMNS)
    spec_table["max_lag"] = spec_table["max_lag"].astype("Int64")
    spec_table["n_reports"] = spec_table["n_reports"].astype("Int64")
    # the uniform protocol's report count even where its specification found nothing
    counted = shares["uniform_spec"].map(spec_table.set_index("spec_id")["n_reports"])
    shares["uniform_n_reports"] = shares["uniform_n_reports"].fillna(counted).astype("Int64")
    return MultiverseResult(
        table=table,
        shares=shares,
        specs=spec_table,
        skipped=pd.DataFrame(skipped, columns=SKIPPED_COLUMNS),
        choices=values,
        n_draws=n_draws,
        n_null=n_null,
        seed=seed,
        alpha=alpha,
    )


def _unsupported(battery: Battery, steps: Sequence[str]) -> list[str]:
    """The data-support checks that stopped one of ``steps`` in ``battery``, in words."""
    from cftf_analysis.stats.support import support_sentences

    table = battery.support
    if table is None or table.empty:
        return []
    return [s.rstrip(".") for s in support_sentences(table[table["analysis"].isin(steps)])]
