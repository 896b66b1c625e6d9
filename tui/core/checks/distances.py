"""Drift distances that fit the data, and the thresholds to grade them by.

Every method works on what the store gives cheaply: the baseline's bins (quantile edges
and counts for a numeric feature, categories and counts for a categorical one) and a
window's counts in the same bins. So the numeric methods other than PSI and JS are
*binned* estimates:

- ``ks``: the two-sample Kolmogorov–Smirnov statistic, the largest gap between the two
  cumulative shares, read at the bin edges. It never exceeds the exact statistic and
  falls short of it by at most the largest share either sample has in one bin (with the
  default 10 quantile bins, up to about 0.1 when a window piles into one bin; with fine
  bins it is close). It is exact when no value lies strictly inside a bin, e.g. integer
  data with edges between the integers.
- ``wasserstein``: the earth mover's distance between the two distributions with values
  clipped to the baseline's outer edges and spread evenly within each inner bin, divided
  by the baseline's interquartile range (read from the same bins), so one threshold
  means the same on features of any unit. A window beyond the baseline's range counts
  as far as the outer edge, not as far as it went. With a degenerate range (one edge,
  or the whole middle half on one value) the distance is measured with each bin one
  unit wide (``scale_kind: bins``) or over the edges' range (``range``).
- ``chi2`` (categorical): Pearson's chi-squared test of the baseline's counts against
  the window's. The graded value is an effect size, Cramér's V of the table with the
  baseline scaled to the window's size: it says how different the shares are whatever
  the sizes (0 same shares, 1 disjoint), where a p-value at large n flags everything. The
  p-value (of the table as counted, without Yates's correction) is extra evidence.

Where an exact KS or Wasserstein is needed, finer bins (`checks.drift.bins`, up to 100)
bring the binned estimates close to it; no sketch of raw values is kept.

Thresholds are fixed numbers (a feature's own, then `checks.drift`'s, then the
method's defaults, DRIFT_DEFAULTS in the config), or derived from the reference itself
(`thresholds: reference`): the baseline is cut into windows as long as the drift window,
each window's statistic is taken against the rest of the baseline (leaving the window
out, since a window compared with a whole that holds it looks closer than a production
window would), and warn = mean + 2σ, crit = mean + 3σ of those statistics — the
statistic's own noise at this window size. With fewer than 3 usable windows the fixed
thresholds apply and the result says so.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

import duckdb

from tui.core.config.drift_methods import DRIFT_METHODS_BY_TYPE
from tui.core.config.settings import Model
from tui.core.config.times import Months
from tui.core.slices.metrics import jensen_shannon, psi
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import Fragment, ident, predictions_table, raw

# Reference-derived thresholds need at least this many usable baseline windows.
MIN_REFERENCE_WINDOWS = 3
UNSEEN = "\x00unseen"  # the cell of values the baseline never had


class Binned(Protocol):
    """A baseline histogram (tui.core.checks.baseline.Histogram has this shape)."""

    @property
    def edges(self) -> tuple[float, ...] | None: ...

    @property
    def categories(self) -> tuple[str, ...] | None: ...

    @property
    def counts(self) -> tuple[int, ...]: ...


@dataclass(frozen=True)
class Bins:
    """A histogram made here (the baseline less one of its windows)."""

    edges: tuple[float, ...] | None
    categories: tuple[str, ...] | None
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Distance:
    """One drift measurement: the graded value (None when a side is empty) and evidence."""

    method: str
    value: float | None
    evidence: dict[str, Any] = field(default_factory=dict)

    def detail(self) -> dict[str, Any]:
        """Keys for a result's detail."""
        return {"method": self.method, **self.evidence}


def _finite(values: Sequence[float]) -> bool:
    return all(math.isfinite(v) and v >= 0 for v in values)


def _shares(counts: Sequence[float]) -> list[float]:
    total = float(sum(counts))
    return [c / total for c in counts]


def _cumulative(shares: Sequence[float]) -> list[float]:
    out, running = [], 0.0
    for s in shares:
        running += s
        out.append(running)
    return out


def ks_binned(expected: Sequence[float], actual: Sequence[float]) -> float:
    """The KS statistic read at the bin edges (a lower bound of the exact one)."""
    cf, cg = _cumulative(_shares(expected)), _cumulative(_shares(actual))
    # The last cumulative share is 1 on both sides: only inner edges can differ.
    return max((abs(a - b) for a, b in zip(cf[:-1], cg[:-1], strict=True)), default=0.0)


def _segment(a: float, b: float) -> float:
    """∫|d| over a unit interval where d goes linearly from a to b."""
    if a * b >= 0:
        return (abs(a) + abs(b)) / 2
    return (a * a + b * b) / (2 * (abs(a) + abs(b)))


def _quantile(edges: Sequence[float], shares: Sequence[float], t: float) -> float:
    """The t-quantile of a binned distribution clipped to the outer edges, spread evenly
    within each inner bin."""
    cum = _cumulative(shares)
    if t <= cum[0]:
        return edges[0]
    for k in range(1, len(edges)):
        if t <= cum[k]:
            width = edges[k] - edges[k - 1]
            inside = shares[k]
            return edges[k - 1] + (width * (t - cum[k - 1]) / inside if inside > 0 else 0.0)
    return edges[-1]


def wasserstein_binned(
    edges: Sequence[float], expected: Sequence[float], actual: Sequence[float]
) -> tuple[float, float | None, str]:
    """(distance in scale units, scale, scale kind) for two histograms over ``edges``."""
    p, q = _shares(expected), _shares(actual)
    cf, cg = _cumulative(p), _cumulative(q)
    d = [a - b for a, b in zip(cf, cg, strict=True)]
    m = len(edges)
    if m >= 2:
        raw_w = sum((edges[k] - edges[k - 1]) * _segment(d[k - 1], d[k]) for k in range(1, m))
        iqr = _quantile(edges, p, 0.75) - _quantile(edges, p, 0.25)
        if iqr > 0:
            return raw_w / iqr, iqr, "iqr"
        spread = edges[-1] - edges[0]
        if spread > 0:
            return raw_w / spread, spread, "range"
    # Each bin one unit wide, its rows at its position: the cumulative gaps summed.
    return sum(abs(x) for x in d[:-1]), None, "bins"


def _regularized_upper_gamma(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a), for the chi-squared survival function."""
    if x <= 0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        # The series for P(a, x) converges fast here.
        term = total = 1.0 / a
        ap = a
        for _ in range(100_000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    # The continued fraction for Q(a, x) (modified Lentz), for x beyond the mean.
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return min(1.0, math.exp(log_front) * h)


def chi2_sf(statistic: float, dof: int) -> float:
    """P(X ≥ statistic) for X chi-squared with ``dof`` degrees of freedom."""
    if dof <= 0:
        return 1.0
    return _regularized_upper_gamma(dof / 2, statistic / 2)


def pearson_chi2(rows: Sequence[Sequence[float]]) -> tuple[float, int]:
    """Pearson's chi-squared statistic and degrees of freedom of a table (columns that are
    empty in every row left out, as they carry no information)."""
    columns = [c for c in range(len(rows[0])) if any(r[c] > 0 for r in rows)]
    row_totals = [sum(r[c] for c in columns) for r in rows]
    col_totals = [sum(r[c] for r in rows) for c in columns]
    n = sum(row_totals)
    statistic = 0.0
    for r, row_total in zip(rows, row_totals, strict=True):
        for c, col_total in zip(columns, col_totals, strict=True):
            e = row_total * col_total / n
            if e > 0:
                statistic += (r[c] - e) ** 2 / e
    dof = (sum(1 for t in row_totals if t > 0) - 1) * (len(columns) - 1)
    return statistic, max(dof, 0)


def chi2_effect(expected: Sequence[float], actual: Sequence[float]) -> dict[str, float]:
    """Cramér's V (baseline scaled to the window's size), the test's statistic, its
    degrees of freedom and p-value (of the table as counted)."""
    statistic, dof = pearson_chi2([expected, actual])
    n = float(sum(actual))
    scaled = [e * n / float(sum(expected)) for e in expected]
    balanced, balanced_dof = pearson_chi2([scaled, actual])
    # A 2 × k table: V = sqrt(chi² / (N (min(2, k) − 1))) with N = 2n; one category
    # leaves nothing to differ in.
    v = math.sqrt(balanced / (2 * n)) if balanced_dof > 0 else 0.0
    return {
        "value": min(1.0, v),
        "chi2": statistic,
        "dof": dof,
        "p_value": chi2_sf(statistic, dof),
    }


def distance(method: str, hist: Binned, actual_counts: Sequence[float]) -> Distance:
    """The drift of a window's counts (in the baseline's bins; a categorical window may
    add one last cell for values the baseline never had) from the baseline ``hist``.

    None as the value when either side is empty or a count is not a finite number."""
    expected = [float(c) for c in hist.counts]
    actual = [float(c) for c in actual_counts]
    categorical = hist.edges is None
    if categorical and len(actual) == len(expected) + 1:
        expected.append(0.0)
    if len(actual) != len(expected):
        raise ValueError(f"{len(actual)} window counts for {len(expected)} baseline bins")
    kind = "categorical" if categorical else "numeric"
    if method not in DRIFT_METHODS_BY_TYPE[kind]:
        raise ValueError(f"drift method {method!r} does not apply to {kind} data")
    if not (_finite(expected) and _finite(actual)) or sum(expected) <= 0 or sum(actual) <= 0:
        return Distance(method, None)
    if method == "psi":
        return Distance(method, psi(expected, actual))
    if method == "js":
        return Distance(method, jensen_shannon(expected, actual))
    if method == "ks":
        return Distance(method, ks_binned(expected, actual))
    if method == "wasserstein":
        value, scale, scale_kind = wasserstein_binned(hist.edges or (), expected, actual)
        return Distance(method, value, {"scale": scale, "scale_kind": scale_kind})
    effect = chi2_effect(expected, actual)
    value = effect.pop("value")
    return Distance(method, value, effect)


def _kind(model: Model, name: str) -> str:
    spec = model.features.get(name)
    # The score, overall and per slice, is numeric.
    return spec.type if spec is not None else "numeric"


def method_for(model: Model, name: str) -> str:
    """The drift method for a feature (or ``score``, ``score|col=value``): its own, else
    its type's (`checks.drift.numeric_method` / `categorical_method`), else `metric`
    where it fits the type, else psi."""
    spec = model.features.get(name)
    if spec is not None and spec.drift is not None and spec.drift.method is not None:
        return spec.drift.method
    return model.checks.drift.method_for(_kind(model, name))


@dataclass(frozen=True)
class Thresholds:
    """What a drift value is graded by, and where the numbers came from."""

    method: str
    warn: float
    crit: float
    source: Literal["fixed", "reference"]
    evidence: dict[str, Any] = field(default_factory=dict)

    def detail(self) -> dict[str, Any]:
        """Keys for a result's detail."""
        return {"thresholds": self.source, "crit": self.crit, **self.evidence}


def fixed_thresholds(model: Model, name: str, method: str | None = None) -> Thresholds:
    """The fixed (warn, crit): the feature's own, else `checks.drift`'s, else the method's
    defaults (DRIFT_DEFAULTS). A crit below warn is lifted to it."""
    method = method or method_for(model, name)
    warn, crit = model.checks.drift.limits(method)
    spec = model.features.get(name)
    own = spec.drift if spec is not None else None
    if own is not None:
        warn = own.warn if own.warn is not None else warn
        crit = own.crit if own.crit is not None else crit
    return Thresholds(method, warn, max(crit, warn), "fixed")


def wants_reference(model: Model, name: str) -> bool:
    """Whether this feature's thresholds are to come from the reference."""
    spec = model.features.get(name)
    own = spec.drift.thresholds if spec is not None and spec.drift is not None else None
    return (own or model.checks.drift.thresholds) == "reference"


class Reference:
    """The baseline cut into windows as long as the drift window, for thresholds derived
    from it. Nothing is read until a feature needs it; then one query counts every
    feature, and each feature's thresholds are kept for this object's life (one model's
    evaluation in a run)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        model_name: str,
        model: Model,
        baseline: Mapping[str, Binned],
        window: tuple[datetime, datetime] | None,
        table: Fragment | None = None,
    ) -> None:
        self.con = con
        self.model_name = model_name
        self.model = model
        self.baseline = baseline
        self.window = window
        self.table = table if table is not None else predictions_table(model_name)
        self._cells: dict[str, dict[int, dict[str, int]]] | None = None
        self._derived: dict[tuple[str, str], Thresholds] = {}

    @property
    def n_windows(self) -> int:
        """How many whole drift windows the baseline holds."""
        if self.window is None:
            return 0
        start, end = self.window
        return max(0, (end - start) // self.width)

    @property
    def width(self) -> timedelta:
        """The length of a reference window: the drift window's (calendar months are cut
        as 30-day windows: a baseline's months need not be whole)."""
        window = self.model.checks.drift.window
        return timedelta(days=30 * window.count) if isinstance(window, Months) else window

    def _names(self) -> list[str]:
        wanted = [*self.model.features, "score"]
        return [n for n in wanted if n in self.baseline]

    def _read(self) -> dict[str, dict[int, dict[str, int]]]:
        if self._cells is not None:
            return self._cells
        self._cells = {}
        names = self._names()
        if self.window is None or not names or self.n_windows == 0:
            return self._cells
        numeric = [n for n in names if self.baseline[n].edges is not None]
        edges = [list(self.baseline[n].edges or ()) for n in numeric]
        cells = []
        for name in names:
            col = ident(name)
            if name in numeric:
                i = numeric.index(name) + 1
                n_edges = len(edges[i - 1])
                # The same bins as the baseline's (value < edge k+1 → bin k; NaN last).
                whens = " ".join(
                    f"WHEN {col} < $edges[{i}][{k + 1}] THEN {k}" for k in range(n_edges)
                )
                expr = f"CASE WHEN {col} IS NULL THEN NULL {whens} ELSE {n_edges} END"
            else:
                expr = col
            cells.append(f"CAST({expr} AS VARCHAR) AS {col}")
        start, end = self.window
        rows = fetch_rows(
            self.con,
            "checks_reference_windows",
            {
                "start": start,
                "end": end,
                "step": self.width.total_seconds(),
                "edges": edges,
            },
            table=self.table,
            cells=raw(", ".join(cells)),
            cell_columns=raw(", ".join(ident(n) for n in names)),
        )
        for r in rows:
            k = int(r["k"])
            if 0 <= k < self.n_windows:
                per = self._cells.setdefault(str(r["feature"]), {}).setdefault(k, {})
                per[str(r["cell"])] = int(r["n"])
        return self._cells

    def window_counts(self, name: str) -> list[list[float]]:
        """Each whole reference window's counts in the baseline's cells (a categorical
        feature gets one more cell, for values the baseline's categories lack)."""
        hist = self.baseline[name]
        per_window = self._read().get(name, {})
        out = []
        for k in range(self.n_windows):
            got = per_window.get(k, {})
            if hist.edges is not None:
                out.append([float(got.get(str(b), 0)) for b in range(len(hist.counts))])
            else:
                known = list(hist.categories or ())
                row = [float(got.get(c, 0)) for c in known]
                row.append(float(sum(n for c, n in got.items() if c not in known)))
                out.append(row)
        return out

    def statistics(self, name: str, method: str) -> list[float]:
        """The statistic of every reference window with enough rows against the rest."""
        hist = self.baseline[name]
        windows = self.window_counts(name)
        if not windows:
            return []
        total = [sum(col) for col in zip(*windows, strict=True)]
        categories = None if hist.categories is None else (*hist.categories, UNSEEN)
        out = []
        for counts in windows:
            if sum(counts) < self.model.checks.drift.min_support:
                continue
            rest = tuple(int(max(0.0, t - c)) for t, c in zip(total, counts, strict=True))
            d = distance(method, Bins(hist.edges, categories, rest), counts)
            if d.value is not None:
                out.append(d.value)
        return out

    def derive(self, name: str, fallback: Thresholds) -> Thresholds:
        """Thresholds from the reference's own noise, or ``fallback`` (said why)."""
        key = (name, fallback.method)
        if key in self._derived:
            return self._derived[key]
        if self.window is None:
            why = "the baseline is not a window of stored predictions"
            result = _fell_back(fallback, why)
        elif name not in self.baseline:
            result = _fell_back(fallback, "no baseline histogram")
        else:
            values = self.statistics(name, fallback.method)
            if len(values) < MIN_REFERENCE_WINDOWS:
                why = (
                    f"the baseline has {len(values)} windows of "
                    f"{self.model.checks.drift.window} with at least "
                    f"{self.model.checks.drift.min_support} rows; "
                    f"{MIN_REFERENCE_WINDOWS} are needed"
                )
                result = _fell_back(fallback, why)
            else:
                mean, sd = statistics.fmean(values), statistics.stdev(values)
                result = Thresholds(
                    fallback.method,
                    mean + 2 * sd,
                    mean + 3 * sd,
                    "reference",
                    {
                        "reference_windows": len(values),
                        "reference_mean": mean,
                        "reference_std": sd,
                    },
                )
        self._derived[key] = result
        return result


def _fell_back(fixed: Thresholds, why: str) -> Thresholds:
    return Thresholds(
        fixed.method, fixed.warn, fixed.crit, "fixed", {"thresholds_note": f"fixed: {why}"}
    )


def thresholds_for(model: Model, feature: str, reference: Reference | None = None) -> Thresholds:
    """How to grade a feature's (or the score's) drift: fixed numbers, or — with
    `thresholds: reference` and a Reference to derive them from — the baseline's own
    noise. The score per slice value keeps fixed ones (no per-slice reference)."""
    fixed = fixed_thresholds(model, feature)
    if not wants_reference(model, feature):
        return fixed
    if "|" in feature:
        return _fell_back(fixed, "no reference per slice value")
    if reference is None:
        return _fell_back(fixed, "no reference was read")
    return reference.derive(feature, fixed)


__all__ = [
    "Binned",
    "Bins",
    "Distance",
    "Reference",
    "Thresholds",
    "distance",
    "fixed_thresholds",
    "method_for",
    "thresholds_for",
]
