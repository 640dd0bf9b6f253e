"""The standard battery for the question, as a registry of steps.

A *step* is one statistic run the battery's way: it reads the monthly panel
and the loaded data from a :class:`BatteryContext`, and returns a
:class:`StepResult` (its summary rows, its detailed tidy table, any other
named tables and fitted models). :func:`run_battery` runs every registered
step in order and keeps the results by step name, so figures and the report
read ``battery["ccf"].table`` or ``battery["count_model"].models`` and never
search a finding's text. :func:`association_summary` is the summary table alone.

Adding a statistic is one module in :mod:`cftf_analysis.stats` and one
:func:`register_step` call: the new rows then appear in
:func:`association_summary`, ``results.csv`` and the step's table in
``data/processed/results/``, with no other file touched. The default steps
are in :mod:`cftf_analysis.stats.steps`.

Examples
--------
A step that reports the mean monthly count:

>>> import cftf_analysis as cftf
>>> from cftf_analysis.stats.findings import caveat, finding_frame, finding_row
>>> class MeanCount:
...     name, label, per_indicator, table_name = "mean_count", "mean count", False, None
...     def run(self, ctx, indicator):
...         mean = float(ctx.counts_series().mean())
...         row = finding_row(finding="mean monthly count", method="mean", estimate=mean,
...                           caveat=caveat(None))
...         return StepResult(rows=finding_frame([row]))
>>> _ = register_step(MeanCount())
>>> table = cftf.association_summary(cftf.load_reports(), cftf.load_indicators(),
...                                  steps=["mean_count"])
>>> round(float(table.set_index("finding").loc["mean monthly count", "estimate"]), 2)
2.47
>>> unregister_step("mean_count")
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError, ArgumentError, DataValidationError
from cftf_analysis.options import (
    CaseFreq,
    DateBasis,
    IndicatorModel,
    check_fraction,
    check_int,
    check_literal,
)
from cftf_analysis.panel import SeriesInfo, default_series, describe_series, monthly_panel
from cftf_analysis.stats.draws import (
    IndicatorCache,
    JointDraws,
    NullPaths,
    joint_draws,
    leave_one_out_paths,
    series_seed,
    with_drawn_series,
)
from cftf_analysis.stats.findings import (
    FINDING_COLUMNS,
    REPORTING_CAVEAT,
    Scale,
    caveat,
    indicator_window,
    scale_of,
)

if TYPE_CHECKING:  # pragma: no cover
    from cftf_analysis.case import Case
    from cftf_analysis.stats.multiverse_result import MultiverseResult

__all__ = [
    "LATENT_OBSERVATION_COLUMNS",
    "Battery",
    "BatteryContext",
    "BatteryOptions",
    "Step",
    "StepResult",
    "association_summary",
    "battery_adjusted",
    "battery_context",
    "load_default_steps",
    "register_step",
    "registered_steps",
    "run_battery",
    "unregister_step",
]

#: The first columns of :attr:`Battery.latent_observations`; the observation's own follow.
LATENT_OBSERVATION_COLUMNS: list[str] = ["series", "conf_level"]

#: Step modules imported (and so registered) before a battery runs.
DEFAULT_STEP_MODULES: tuple[str, ...] = ("cftf_analysis.stats.steps",)


@dataclass(frozen=True)
class BatteryOptions:
    """The battery's options; see :func:`association_summary` for their meaning."""

    pairs: tuple[str, ...] = ()
    max_lag: int = 6
    count_lag: int = 0
    n_draws: int = 200
    seed: int = 20160418
    alpha: float = 0.05
    counts: str = "n_reports"
    indicator_model: IndicatorModel = "latent"
    n_null: int = 199
    date: DateBasis = "published"
    influence: bool = True
    freq: CaseFreq = "MS"
    interruption: tuple[str, ...] = ()
    competing: tuple[str, ...] = ()
    n_power: int = 80

    def __post_init__(self) -> None:
        for name in ("pairs", "interruption", "competing"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))
        check_literal(self.freq, CaseFreq, "freq")
        check_int(self.max_lag, "max_lag", minimum=0)
        check_int(self.count_lag, "count_lag", minimum=0)
        check_int(self.n_draws, "n_draws", minimum=1)
        check_int(self.n_null, "n_null", minimum=0)
        check_int(self.n_power, "n_power", minimum=0)
        check_int(self.seed, "seed", minimum=0)
        check_fraction(self.alpha, "alpha")
        check_literal(self.indicator_model, IndicatorModel, "indicator_model")
        check_literal(self.date, DateBasis, "date")
        if not isinstance(self.influence, bool):
            raise ArgumentError(f"influence must be True or False, got {self.influence!r}")


@dataclass(frozen=True)
class BatteryContext:
    """What a step sees: the monthly panel, the loaded data and the options.

    Attributes
    ----------
    panel
        :func:`~cftf_analysis.monthly_panel` output with each series' rescaled
        column added (``<series>_<scale suffix>``, see :meth:`scaled_column`).
    reports, indicators, events, coverage
        The loaded inputs (``events`` and ``coverage`` may be None).
    options
        The :class:`BatteryOptions`.
    series
        The panel's indicator series (:class:`~cftf_analysis.panel.SeriesInfo`).
    reporting_caveat
        The note every finding about counts carries (the case's, or a generic one).
    draws
        The joint draws of the indicator series (None before they are made, or
        when no per-indicator analysis is supported).
    support
        The checks of :func:`~cftf_analysis.stats.support.data_support` (None
        before they are made): a step skips what they do not support.
    specs
        Panel column -> ``{"indicator", "scope", "producer"}`` of each series.
    case
        The case the data come from, or None.
    cache
        The :class:`~cftf_analysis.stats.draws.IndicatorCache` shared with
        other batteries on the same indicators, or None: :meth:`null_paths` and
        :meth:`loo_paths` keep what they compute in it.
    """

    panel: pd.DataFrame
    reports: pd.DataFrame
    indicators: pd.DataFrame
    events: pd.DataFrame | None
    coverage: pd.DataFrame | None
    options: BatteryOptions
    series: Mapping[str, SeriesInfo] = field(default_factory=dict)
    reporting_caveat: str = REPORTING_CAVEAT
    draws: JointDraws | None = None
    support: pd.DataFrame | None = None
    specs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    case: Case | None = None
    loo_cache: dict[tuple[str, int], dict[str, np.ndarray]] = field(
        default_factory=dict, repr=False
    )
    null_cache: dict[tuple[str, int, int], Any] = field(default_factory=dict, repr=False)
    cache: IndicatorCache | None = field(default=None, repr=False)

    def scale(self, indicator: str) -> Scale:
        """How series ``indicator`` is rescaled for rate ratios (from its canonical unit)."""
        return scale_of(self.series[indicator].unit)

    def scaled_column(self, indicator: str) -> str:
        """The panel column holding series ``indicator`` rescaled by :meth:`scale`."""
        return f"{indicator}_{self.scale(indicator).suffix}"

    def caveat(self, n_points: float | None, extra: Sequence[str] = ()) -> str:
        """A finding's caveat with the case's reporting note."""
        return caveat(n_points, extra, self.reporting_caveat)

    def money_series(self) -> list[str]:
        """The series measured in money per month (revenue and the like)."""
        return [n for n, info in self.series.items() if info.unit == "USD per month"]

    @property
    def exposure(self) -> str | None:
        """The exposure column of count models: article coverage when given, else None."""
        return "n_articles_topic" if self.coverage is not None else None

    def window(self, indicator: str, exposure: str | None = None) -> pd.DataFrame:
        """The panel months where ``indicator`` (and ``exposure``) is known."""
        return indicator_window(self.panel, indicator, exposure)

    def n_points(self, indicator: str) -> float:
        """Observations of ``indicator``: the latent model's, or the months with a figure."""
        drawn = self.draws.series.get(indicator) if self.draws is not None else None
        if drawn is not None and drawn.latent is not None:
            return float(len(drawn.latent.observations))
        return float(self.window(indicator)[f"{indicator}_observed"].sum())

    def loo_paths(self, indicator: str, n: int) -> dict[str, np.ndarray]:
        """Paths of ``indicator`` redrawn without each of its observations in turn.

        Keys are the observations' row ids (``"I001+I002"``); values ``(n, n_months)``
        on the battery's month grid. The latent model is refitted without the
        observation; with an interpolation the figure's month is dropped.
        Computed once per battery and series.
        """
        key = (indicator, n)
        if key not in self.loo_cache:
            self.loo_cache[key] = leave_one_out_paths(
                self.draws, indicator, n, self.options.seed, cache=self.cache
            )
        return self.loo_cache[key]

    def null_model(self, indicator: str) -> NullPaths | None:
        """The linearised latent model of ``indicator`` that simulates it unrelated to the
        reports (:func:`~cftf_analysis.stats.draws.null_model`), or None without a latent
        model. Computed once per battery and series."""
        key = (indicator, -1, -1)
        if key not in self.null_cache:
            sd = self.draws.series.get(indicator) if self.draws is not None else None
            latent = None if sd is None else sd.latent
            cache = self.cache if self.cache is not None else IndicatorCache()
            self.null_cache[key] = None if latent is None else cache.null_model(latent)
        return self.null_cache[key]

    def null_paths(self, indicator: str, n_sims: int, n_draws: int) -> np.ndarray | None:
        """Paths of ``indicator`` as if its figures were unrelated to the reports.

        ``(n_sims, n_draws, n_months)`` on the battery's month grid: for each
        simulation a true path is drawn from the series' own fitted trend model,
        figures are simulated on it at the real observation months with the real
        spans, ranges and bounds, the posterior mean moved to them is given the
        real posterior mean's straight line and size of swings, and the first
        ``n_draws`` path draws are moved with it
        (:class:`~cftf_analysis.stats.draws.NullPaths`). None when the
        paths are not from the latent model (an interpolation has no model of
        the series to simulate from). Computed once per battery and series.
        """
        key = (indicator, n_sims, n_draws)
        if key not in self.null_cache:
            sd = self.draws.series[indicator] if self.draws is not None else None
            # no simulations, no model to fit (one refit per observation)
            null = self.null_model(indicator) if n_sims > 0 else None
            if sd is None or null is None:
                self.null_cache[key] = None
            else:
                fit = sd.latent
                pos = self.draws.months.get_indexer(fit.months)
                inside = pos >= 0

                def simulate() -> np.ndarray:
                    # the battery's path draws, on the fit's months (see joint_draws)
                    seed = series_seed(self.options.seed, indicator)
                    paths = cache.path_draws(fit, self.draws.n_draws, seed)[:n_draws]
                    deviations = np.log(paths) - null.log_mean
                    rng = np.random.default_rng(series_seed(self.options.seed + 2, indicator))
                    return null.draw(deviations, n_sims, rng)

                cache = self.cache if self.cache is not None else IndicatorCache()
                # on the fit's months: the same for every battery on this series, whatever
                # its month grid (which reports are counted, by which date)
                sims = cache.memo(
                    ("null_paths", cache.token(fit), indicator, self.options.seed,
                     n_sims, n_draws, self.draws.n_draws),
                    simulate,
                )  # fmt: skip
                grid = np.full((n_sims, sims.shape[1], len(self.draws.months)), np.nan)
                grid[:, :, pos[inside]] = sims[:, :, inside]
                self.null_cache[key] = grid
        return self.null_cache[key]

    def counts_series(self) -> pd.Series:
        """The monthly reporting series (``options.counts``) indexed by month."""
        return self.panel.set_index("month")[self.options.counts].dropna()

    def period_counts(self) -> pd.Series:
        """The reporting series at the analysis frequency (``options.freq``), by period start.

        Months summed to quarters with ``freq="QS"``
        (:func:`~cftf_analysis.stats.support.period_counts`); the monthly series otherwise.
        """
        from cftf_analysis.stats.support import period_counts

        return period_counts(self.counts_series(), self.options.freq)

    def periods(self, months: int) -> int:
        """A span of ``months`` in periods of ``options.freq`` (rounded up)."""
        return months if self.options.freq == "MS" else math.ceil(months / 3)

    def is_supported(
        self, analysis: str, indicator: str | None = None, event: str | None = None
    ) -> bool:
        """True unless a check of ``analysis`` on ``indicator`` and ``event`` failed.

        ``None`` matches rows without an indicator (or event); with no checks
        made yet, everything is supported.
        """
        table = self.support
        if table is None or table.empty:
            return True
        rows = table[table["analysis"] == analysis]
        for col, value in (("indicator", indicator), ("event", event)):
            rows = rows[rows[col].isna()] if value is None else rows[rows[col] == value]
        return bool(rows["supported"].all())


@dataclass(frozen=True)
class StepResult:
    """What one step returns (and, combined over indicators, what the battery keeps).

    Attributes
    ----------
    rows
        Its findings, columns :data:`~cftf_analysis.stats.findings.FINDING_COLUMNS`.
    table
        The detailed tidy table (one row per lag, term, break...); written to
        ``results/<step.table_name>.csv`` by the report when the step names one.
    tables
        Other named tables, each written to ``results/<name>.csv``.
    models
        Fitted models or result objects by name (an indicator, or the step name).
    errors
        Tests the step could not run, in plain words (listed by the report).
    """

    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FINDING_COLUMNS))
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    models: Mapping[str, Any] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    @staticmethod
    def combine(parts: Sequence[StepResult]) -> StepResult:
        """One result from the per-indicator results of a step, in order."""
        tables = [p.table for p in parts if not p.table.empty]
        return StepResult(
            rows=pd.concat([p.rows for p in parts], ignore_index=True)
            if parts
            else pd.DataFrame(columns=FINDING_COLUMNS),
            table=pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(),
            tables={k: v for p in parts for k, v in p.tables.items()},
            models={k: v for p in parts for k, v in p.models.items()},
            errors=tuple(e for p in parts for e in p.errors),
        )


@runtime_checkable
class Step(Protocol):
    """The interface of a battery step.

    Attributes
    ----------
    name
        Key in the registry and in :class:`Battery` (``battery[name]``).
    label
        Plain words for the step in error messages ("cross-correlation").
    per_indicator
        True: run once per indicator of ``options.pairs`` (``run(ctx, indicator)``);
        False: run once (``run(ctx, None)``).
    table_name
        File stem of the step's detailed table in ``results/``, or None.
    """

    name: str
    label: str
    per_indicator: bool
    table_name: str | None

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        """Run the step; raise :class:`~cftf_analysis.errors.AnalysisError` if it cannot."""
        ...


_REGISTRY: dict[str, Step] = {}


def register_step(step: Step, *, replace: bool = False) -> Step:
    """Add ``step`` to the battery (after the steps already registered); return it.

    Raises :class:`~cftf_analysis.errors.ArgumentError` if a step of that name is
    registered and ``replace`` is false, or if ``step`` lacks the :class:`Step`
    attributes.
    """
    if not isinstance(step, Step):
        raise ArgumentError(
            f"{step!r} is not a battery step: it needs name, label, per_indicator, "
            "table_name and run(ctx, indicator)"
        )
    load_default_steps()
    if step.name in _REGISTRY and not replace:
        raise ArgumentError(f"a step named {step.name!r} is registered; pass replace=True")
    _REGISTRY[step.name] = step
    return step


def unregister_step(name: str) -> None:
    """Remove the step ``name`` from the battery."""
    if name not in _REGISTRY:
        raise ArgumentError(f"no step named {name!r}; registered: {', '.join(_REGISTRY)}")
    del _REGISTRY[name]


def load_default_steps() -> None:
    """Import the modules of :data:`DEFAULT_STEP_MODULES`, which register the default steps."""
    for module in DEFAULT_STEP_MODULES:
        importlib.import_module(module)


def registered_steps() -> dict[str, Step]:
    """The registered steps by name, in the order the battery runs them."""
    load_default_steps()
    return dict(_REGISTRY)


@dataclass
class Battery:
    """Every result behind :func:`association_summary`, by step name.

    ``battery["ccf"]`` is the :class:`StepResult` of the step named ``"ccf"``;
    ``summary`` is the findings table; ``errors`` lists the tests that could not
    run (an :class:`~cftf_analysis.errors.AnalysisError`), which are left out
    of the table, never filled with NaN. ``draws`` holds the joint draws the
    indicator findings were computed on, ``context`` the steps' shared
    :class:`BatteryContext` (with its caches: leave-one-out paths, the Monte
    Carlo null), for follow-up analyses such as
    :func:`~cftf_analysis.stats.power.power_curve`.

    Attributes
    ----------
    finding_steps
        The step that found each row of ``summary``, in order.
    latent_observations
        The observations behind each series drawn from its latent model, one
        row each (columns :data:`LATENT_OBSERVATION_COLUMNS`: the series, the
        level of its posterior band, then the columns of
        :attr:`LatentSeries.observations <cftf_analysis.stats.latent.LatentSeries>`);
        empty when no series was drawn from a latent model.
    draws
        The joint draws; None when no per-indicator step ran, and in a battery
        read back from a report's files (:func:`~cftf_analysis.load_results`),
        which keeps every table but not the draws behind them.
    context
        The steps' shared :class:`BatteryContext`; None in a battery read back
        from a report's files.
    """

    panel: pd.DataFrame
    summary: pd.DataFrame
    results: dict[str, StepResult]
    steps: dict[str, Step]
    errors: list[str]
    options: BatteryOptions
    reports: pd.DataFrame
    indicators: pd.DataFrame
    events: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    series: dict[str, SeriesInfo] = field(default_factory=dict)
    case: Case | None = None
    draws: JointDraws | None = None
    #: The checks of every step (:func:`~cftf_analysis.stats.support.data_support`): the
    #: analyses that failed one were not run and are listed by the report.
    support: pd.DataFrame = field(default_factory=pd.DataFrame)
    context: BatteryContext | None = field(default=None, repr=False)
    finding_steps: tuple[str, ...] = ()
    latent_observations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=LATENT_OBSERVATION_COLUMNS), repr=False
    )
    #: The multiverse of analysis choices run beside the battery on the same inputs
    #: (:func:`~cftf_analysis.stats.multiverse.multiverse`; the report attaches it), or None.
    multiverse: MultiverseResult | None = None

    def __getitem__(self, name: str) -> StepResult:
        try:
            return self.results[name]
        except KeyError:
            raise KeyError(
                f"no step {name!r} in this battery; it has {', '.join(self.results)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.results

    @property
    def counts(self) -> str:
        """The reporting series tested (``"n_reports"`` or an article count)."""
        return self.options.counts

    def has(self, name: str) -> bool:
        """True when step ``name`` ran and produced a detailed table or a model.

        ``has("multiverse")`` is True when a multiverse is attached.
        """
        if name == "multiverse":
            return self.multiverse is not None
        res = self.results.get(name)
        return res is not None and (not res.table.empty or bool(res.models))


def battery_context(
    reports: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    *,
    case: Case | str | None = None,
    events: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    series: Mapping[str, Mapping[str, Any]] | None = None,
    pairs: Sequence[str] | None = None,
    max_lag: int = 6,
    count_lag: int = 0,
    n_draws: int = 200,
    seed: int = 20160418,
    alpha: float = 0.05,
    counts: str = "n_reports",
    indicator_model: IndicatorModel = "latent",
    n_null: int = 199,
    freq: CaseFreq | None = None,
    interruption: Sequence[str] | None = None,
    competing: Sequence[str] | None = None,
    n_power: int = 80,
    date: DateBasis = "published",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    influence: bool = True,
) -> BatteryContext:
    """What the battery's steps see, before any draw or check: the panel, data and options.

    See :func:`association_summary` for the parameters. :func:`run_battery`
    adds the checks (:func:`~cftf_analysis.stats.support.data_support`) and the
    joint draws of the series they support.

    Examples
    --------
    >>> ctx = battery_context(case="al-shabaab")
    >>> ctx.options.freq, len(ctx.period_counts()), ctx.options.competing
    ('QS', 32, ('V018',))
    """
    resolved = _resolve_inputs(case, reports, indicators, events, series)
    the_case, reports, indicators, events, spec, labels = resolved
    info = describe_series(indicators, spec, labels)
    own = the_case is not None
    options = BatteryOptions(
        pairs=tuple(info) if pairs is None else tuple(pairs),
        max_lag=max_lag,
        count_lag=count_lag,
        n_draws=n_draws,
        seed=seed,
        alpha=alpha,
        counts=counts,
        indicator_model=indicator_model,
        n_null=n_null,
        n_power=n_power,
        date=date,
        influence=influence,
        freq=freq if freq is not None else (the_case.freq if own else "MS"),  # type: ignore[arg-type]
        interruption=tuple(interruption)
        if interruption is not None
        else (the_case.interruption_events if own else ()),
        competing=tuple(competing)
        if competing is not None
        else (the_case.competing_events if own else ()),
    )
    own_ids = (interruption is None, competing is None)
    _check_event_ids(options, events, the_case, from_case=own_ids)
    panel = monthly_panel(
        reports, indicators, coverage=coverage, series=spec, date=date, start=start, end=end
    )
    missing = [p for p in options.pairs if p not in info]
    if missing:
        raise ArgumentError(
            f"pairs: {missing} are not series of the panel; its series are {list(info)}"
        )
    for name in info:
        panel[f"{name}_{scale_of(info[name].unit).suffix}"] = (
            panel[name] / scale_of(info[name].unit).divisor
        )
    if counts not in panel.columns:
        raise ArgumentError(
            f"counts={counts!r} is not a panel column; use 'n_reports' or, with coverage, "
            "'n_articles_defection'"
        )
    note = the_case.reporting_caveat if the_case is not None else REPORTING_CAVEAT
    return BatteryContext(
        panel, reports, indicators, events, coverage, options, info, note,
        specs=spec, case=the_case,
    )  # fmt: skip


def _check_event_ids(options, events, case, *, from_case: tuple[bool, bool]) -> None:
    """The interruption and competing events must be events of the data."""
    known = set() if events is None else set(events["event_id"])
    for (key, ids), own in zip(
        (("interruption", options.interruption), ("competing", options.competing)),
        from_case,
        strict=True,
    ):
        unknown = [i for i in ids if i not in known]
        if not unknown:
            continue
        message = f"event id(s) {unknown} are not in the events"
        if own and case is not None and case.path is not None:
            raise DataValidationError(message, file=str(case.path), column=f"events.{key}")
        raise ArgumentError(f"{key}: {message}")


def run_battery(
    reports: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    *,
    case: Case | str | None = None,
    events: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    series: Mapping[str, Mapping[str, Any]] | None = None,
    steps: Iterable[str] | None = None,
    pairs: Sequence[str] | None = None,
    max_lag: int = 6,
    count_lag: int = 0,
    n_draws: int = 200,
    seed: int = 20160418,
    alpha: float = 0.05,
    counts: str = "n_reports",
    indicator_model: IndicatorModel = "latent",
    n_null: int = 199,
    date: DateBasis = "published",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    influence: bool = True,
    cache: IndicatorCache | None = None,
    freq: CaseFreq | None = None,
    interruption: Sequence[str] | None = None,
    competing: Sequence[str] | None = None,
    n_power: int = 80,
) -> Battery:
    """Run the registered steps and keep every detailed result.

    See :func:`association_summary` for the parameters; ``steps`` names the
    steps to run (default: every registered step, in registration order).
    Per-indicator steps run for the first indicator, then for the next, so the
    summary lists each indicator's findings together, then the others.

    Before a step runs, its checks decide whether the data can support it
    (:func:`~cftf_analysis.stats.support.data_support`); an analysis that
    fails one is not run and is kept in ``Battery.support`` with the reason.
    Only the series some per-indicator analysis can use are drawn.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> battery = run_battery(cftf.load_reports(), cftf.load_indicators(),
    ...                       steps=["ccf", "change_points"], n_draws=20)
    >>> list(battery.results), sorted(battery["ccf"].table["indicator"].unique())
    (['ccf', 'change_points'], ['revenue_total', 'territory'])
    """
    from cftf_analysis.stats.support import support_table

    ctx = battery_context(
        reports, indicators, case=case, events=events, coverage=coverage, series=series,
        pairs=pairs, max_lag=max_lag, count_lag=count_lag, n_draws=n_draws, seed=seed,
        alpha=alpha, counts=counts, indicator_model=indicator_model, n_null=n_null, freq=freq,
        interruption=interruption, competing=competing, n_power=n_power, date=date,
        start=start, end=end, influence=influence,
    )  # fmt: skip
    # within one battery too: the null paths reuse the path draws
    cache = cache if cache is not None else IndicatorCache()
    ctx = dataclasses.replace(ctx, cache=cache)
    options = ctx.options
    available = registered_steps()
    chosen = list(available) if steps is None else list(steps)
    unknown = [s for s in chosen if s not in available]
    if unknown:
        raise ArgumentError(f"unknown step(s) {unknown}; registered: {', '.join(available)}")
    plan = {name: available[name] for name in chosen}
    support = support_table(ctx, plan.values())
    ctx = dataclasses.replace(ctx, support=support)
    per_indicator = [s for s in plan.values() if s.per_indicator]
    drawn = [p for p in options.pairs if any(ctx.is_supported(s.name, p) for s in per_indicator)]
    draws = None
    panel = ctx.panel
    if drawn:
        months = pd.DatetimeIndex(panel["month"])
        wanted = {p: ctx.specs[p] for p in drawn}
        draws = joint_draws(
            ctx.reports, ctx.indicators, wanted, months, n_draws=n_draws, seed=seed,
            model=indicator_model, date=date, cache=cache,
        )  # fmt: skip
        panel = with_drawn_series(panel, draws)
        ctx = dataclasses.replace(ctx, panel=panel, draws=draws)
    parts: dict[str, list[StepResult]] = {name: [] for name in plan}
    errors: list[str] = []
    records: list[dict[str, Any]] = []
    finding_steps: list[str] = []

    def attempt(step: Step, indicator: str | None) -> None:
        try:
            out = step.run(ctx, indicator)
        except AnalysisError as exc:
            where = f" {indicator}" if indicator is not None else ""
            errors.append(f"{step.label}{where}: {exc}")
            return
        parts[step.name].append(out)
        errors.extend(out.errors)
        records.extend(out.rows.to_dict("records"))
        finding_steps.extend([step.name] * len(out.rows))

    for indicator in options.pairs:
        if draws is not None and indicator in draws.failed:
            errors.append(f"{indicator}: not analysed: {draws.failed[indicator]}")
            continue
        for step in per_indicator:
            if ctx.is_supported(step.name, indicator):
                attempt(step, indicator)
    for step in plan.values():
        if not step.per_indicator and ctx.is_supported(step.name):
            attempt(step, None)
    summary = pd.DataFrame(records, columns=FINDING_COLUMNS)
    summary["p_battery"] = battery_adjusted(summary)
    for col in ("lag", "n_obs", "n_observed_points"):
        summary[col] = summary[col].astype("Int64")
    return Battery(
        panel=panel,
        summary=summary,
        results={name: StepResult.combine(parts[name]) for name in plan},
        steps=plan,
        errors=errors,
        options=options,
        reports=ctx.reports,
        indicators=ctx.indicators,
        events=ctx.events,
        coverage=ctx.coverage,
        series=dict(ctx.series),
        case=ctx.case,
        draws=draws,
        support=support,
        context=ctx,
        finding_steps=tuple(finding_steps),
        latent_observations=_latent_observations(draws),
    )


def _latent_observations(draws: JointDraws | None) -> pd.DataFrame:
    """Every latent series' observations, with the series and its band's level first."""
    parts = [
        sd.latent.observations.assign(series=name, conf_level=float(sd.latent.conf_level))
        for name, sd in (draws.series.items() if draws is not None else ())
        if sd.latent is not None
    ]
    if not parts:
        return pd.DataFrame(columns=LATENT_OBSERVATION_COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    own = [c for c in table.columns if c not in LATENT_OBSERVATION_COLUMNS]
    return table[[*LATENT_OBSERVATION_COLUMNS, *own]]


#: The battery-wide adjustment: Benjamini-Yekutieli, a false discovery rate under any
#: dependence between the findings (they share the same report counts).
BATTERY_ADJUSTMENT = "fdr_by"


def battery_adjusted(summary: pd.DataFrame) -> np.ndarray:
    """``p_battery``: every finding of a battery adjusted together (Benjamini-Yekutieli).

    Each finding enters with its family-adjusted p-value where it has one (a
    cross-correlation's lag was chosen among the lags, a break among the breaks,
    an event among the events), else with its p-value; findings without a p-value
    stay NaN. Benjamini and Yekutieli (2001) control the false discovery rate
    whatever the dependence between the tests, which matters here: every finding
    uses the same monthly counts. Holm would control the chance of any false
    finding, but with two dozen findings it leaves almost no power on data this
    short; the false discovery rate is the usual target of an exploratory battery.

    Examples
    --------
    >>> table = pd.DataFrame({"p_value": [0.001, 0.04, 0.3, np.nan],
    ...                       "p_adjusted": [np.nan, 0.02, np.nan, np.nan]})
    >>> battery_adjusted(table).round(3).tolist()
    [0.006, 0.055, 0.55, nan]
    """
    from cftf_analysis.stats.multiple import adjust_pvalues

    p = summary["p_adjusted"].astype(float).fillna(summary["p_value"].astype(float))
    return adjust_pvalues(p.to_numpy(), BATTERY_ADJUSTMENT)


def _resolve_inputs(case, reports, indicators, events, series):
    """(case, reports, indicators, events, series spec, labels) from what was given.

    A case gives every table and the series; explicit tables replace the
    case's. With no case and no tables, the bundled case. With tables but no
    case, nothing bundled is mixed in: the series are chosen from the
    indicators (:func:`~cftf_analysis.panel.default_series`) and missing
    events stay missing.
    """
    from cftf_analysis.case import Case, load_case

    if case is None and reports is None and indicators is None:
        case = load_case()
    if case is not None:
        loaded = load_case(case) if not isinstance(case, Case) or case.reports is None else case
        reports = loaded.reports if reports is None else reports
        indicators = loaded.indicators if indicators is None else indicators
        events = loaded.events if events is None else events
        spec = dict(loaded.series) if series is None else dict(series)
        if not spec:
            spec = default_series(indicators)
        return loaded, reports, indicators, events, spec, dict(loaded.labels)
    if reports is None or indicators is None:
        raise ArgumentError("give reports and indicators (or a case)")
    spec = default_series(indicators) if series is None else dict(series)
    return None, reports, indicators, events, spec, {}


def association_summary(
    reports: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    *,
    case: Case | str | None = None,
    events: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    series: Mapping[str, Mapping[str, Any]] | None = None,
    steps: Iterable[str] | None = None,
    pairs: Sequence[str] | None = None,
    max_lag: int = 6,
    count_lag: int = 0,
    n_draws: int = 200,
    seed: int = 20160418,
    alpha: float = 0.05,
    counts: str = "n_reports",
    indicator_model: IndicatorModel = "latent",
    n_null: int = 199,
    date: DateBasis = "published",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    influence: bool = True,
    cache: IndicatorCache | None = None,
    freq: CaseFreq | None = None,
    interruption: Sequence[str] | None = None,
    competing: Sequence[str] | None = None,
    n_power: int = 80,
) -> pd.DataFrame:
    """The standard battery for "does financial decline precede defection reporting?".

    Parameters
    ----------
    reports, indicators
        Outputs of :func:`~cftf_analysis.load_reports` and
        :func:`~cftf_analysis.load_indicators`; with ``case``, they replace
        the case's tables. With neither, the bundled case.
    case
        A :class:`~cftf_analysis.case.Case`, a case file or a bundled case's
        id (see :func:`~cftf_analysis.load_case`): its tables, series and
        caveats.
    events
        Output of :func:`~cftf_analysis.load_events`; finance events get an
        interrupted-time-series test each (Holm-adjusted across events).
        Without a case and without events, no event is tested (the battery's
        ``errors`` say so); bundled events are never mixed in.
    coverage
        Per-period article counts from :func:`~cftf_analysis.count_corpus`;
        when given, the count model uses ``log(n_articles_topic)`` (all
        articles covering the group) as its exposure offset.
    series
        Panel column -> ``{"indicator", "scope", "producer"}``: the indicator
        series to build (default: the case's ``[series.*]`` tables, or
        :func:`~cftf_analysis.panel.default_series` of ``indicators``).
    steps
        Names of the registered steps to run (default: all, see
        :func:`registered_steps`).
    pairs
        Series to test against monthly report counts (default: all of them).
    max_lag
        Largest lag (months) for the cross-correlation; Granger tests lags up
        to ``min(max_lag, 3)`` and picks one by AIC (the series are short).
    count_lag
        Lag of the indicator in the count model.
    n_draws
        Joint draws of the report dates and indicator paths on which every
        indicator finding is computed and pooled (see
        :mod:`cftf_analysis.stats.indicator_findings`).
    seed
        Seed for every resampling step, so the table is reproducible.
    alpha
        Significance level: the share of draws significant, and the
        influence check's "does the conclusion flip".
    counts
        The monthly reporting series: ``"n_reports"`` (the coded reports) or,
        with ``coverage``, ``"n_articles_defection"`` (articles reporting
        defection in a news archive, from :func:`~cftf_analysis.count_corpus`).
    indicator_model
        How indicator paths are drawn: ``"latent"`` (default; the latent
        state-space model of :mod:`cftf_analysis.stats.latent`) or
        ``"linear"``, ``"step"``, ``"loglinear"`` interpolation between the
        reported figures (ranged figures drawn within their ranges).
    n_null
        Simulations of the Monte Carlo null behind the indicator findings'
        p-values (latent model only): the indicator is simulated as unrelated
        to the reports, with the same observation design, and each pooled
        statistic is compared with its simulated values; the interval is
        widened by the spread of the simulated statistic where that exceeds
        its nominal spread. ``0`` keeps Rubin's p-values and intervals, which
        the calibration (``validation/calibrate_battery.py``) found
        anti-conservative on a sparse design. With an interpolation model the
        p-values are always Rubin's.
    date
        Count reports by their ``"published"`` date (default) or by their
        ``"defection"`` date (reports without one are not counted, with a
        warning); the panel and the joint draws both use it.
    start, end
        First and last month of the panel; default: the months the reports
        cover (on the ``date`` basis). Given the whole collection's first and
        last month, a subset of the reports is counted on the same months:
        where the subset found nothing the count is zero, not missing.
    influence
        Recompute each indicator finding without each observation in turn and
        name the most influential one (columns ``influential``,
        ``estimate_without``, ``p_without``). False leaves those columns
        empty and saves most of the time of a battery whose indicator side is
        cached (the multiverse does).
    cache
        An :class:`~cftf_analysis.stats.draws.IndicatorCache` shared by
        batteries on the same indicators: the latent fits, path draws, null
        paths and leave-one-out refits, which do not depend on the reports,
        are computed once (the results are the same as without it).
    freq
        Period of the counts-only analyses (change points, interrupted time
        series): ``"MS"`` (months) or ``"QS"`` (quarters, the months summed).
        Default: the case's ``freq``, else months. The indicator analyses
        (cross-correlation, Granger, count model) are monthly whatever it is.
    interruption, competing
        Event ids of the interrupted time series with a competing explanation
        (step ``"competing_event"``): one level change from the period of the
        first ``interruption`` event, and one of its own from the period of
        each ``competing`` event. Default: the case file's ``[events]
        interruption`` and ``competing``; without them the step has nothing to
        test.
    n_power
        Simulated datasets per planted effect for the power of the count model
        and the cross-correlation (latent model only;
        :mod:`cftf_analysis.stats.power`): the ``mde`` column, the smallest
        effect the data could have detected with 80% power. ``0`` skips it.

    Returns
    -------
    pandas.DataFrame
        One row per finding, columns
        :data:`~cftf_analysis.stats.findings.FINDING_COLUMNS`: ``finding``
        (plain words), ``method``, ``indicator``, ``lag`` (months, indicator
        leading), ``estimate`` with ``ci_low``/``ci_high`` (what the
        estimate is depends on the method and is said in ``finding`` or
        ``caveat``: a correlation, an F statistic, a rate or odds ratio),
        ``p_value``, ``p_adjusted`` (where a family of tests was run),
        ``n_obs`` (months or reports), ``n_observed_points`` (reported, not
        interpolated, indicator months behind the finding), ``mde`` (where
        computed: the effect the test could detect with 80% power) and
        ``caveat``. Analyses the data cannot support are not run: see
        :func:`~cftf_analysis.stats.support.data_support`.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> from cftf_analysis.stats.findings import FINDING_COLUMNS
    >>> table = association_summary(cftf.load_reports(), cftf.load_indicators(), n_draws=20)
    >>> list(table.columns) == FINDING_COLUMNS
    True
    >>> bool(table["caveat"].str.len().gt(0).all())
    True
    """
    return run_battery(
        reports,
        indicators,
        case=case,
        events=events,
        coverage=coverage,
        series=series,
        steps=steps,
        pairs=pairs,
        max_lag=max_lag,
        count_lag=count_lag,
        n_draws=n_draws,
        seed=seed,
        alpha=alpha,
        counts=counts,
        indicator_model=indicator_model,
        n_null=n_null,
        date=date,
        start=start,
        end=end,
        influence=influence,
        cache=cache,
        freq=freq,
        interruption=interruption,
        competing=competing,
        n_power=n_power,
    ).summary
