"""Analysis of a finished (or partly finished) sweep: per-point means with confidence
intervals, win probabilities, plots, and Morris / Sobol sensitivity indices (SALib).

Confidence intervals: outcome means use Student's t at 95% over the replicates of a point; win
probabilities use the Wilson score interval at 95%. Sensitivity indices are computed on the
per-point mean over replicates (common random numbers make these means comparable across
points), with SALib's bootstrap confidence intervals.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runoff_abm.model.present import WIDTH, fit_table, svg_intervals, wrap
from runoff_abm.studies.store import Store, load_results
from runoff_abm.studies.sweep import SweepError

__all__ = ["summarise", "sensitivity", "format_summary", "format_sensitivity", "plot_summary",
           "plot_sensitivity", "analyze", "SweepAnalysis"]


def _wilson(k: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def _outcomes(manifest: dict, outcomes) -> list[str]:
    return list(outcomes or manifest.get("spec", {}).get("outcomes") or ["share_a", "turnout", "margin"])


def summarise(root: str | Path, outcomes=None) -> pd.DataFrame:
    """Per design point: varied values, runs, mean and 95% CI of each outcome, and the win
    probability of finalist A with its Wilson 95% interval."""
    from scipy import stats

    store = Store(root)
    df = load_results(root, ok_only=True)
    manifest = store.manifest()
    varied = manifest["design"]["varied"]
    outs = [o for o in _outcomes(manifest, outcomes) if o != "a_wins"]
    missing = [o for o in outs if o not in df.columns and len(df)]
    if missing:
        raise SweepError(f"{root}: no outcome column {missing[0]!r}; outcomes: "
                         f"{', '.join(c for c in df.columns if not c.startswith(('flow.', 'sector.')))}")
    rows = []
    design = store.design()
    for _, point in design.iterrows():
        g = df[df["point"] == point["point"]]
        n = len(g)
        row = {"point": int(point["point"]), **{v: point[v] for v in varied}, "runs": n}
        for o in outs:
            vals = g[o].to_numpy(dtype=float)
            m = vals.mean() if n else float("nan")
            half = stats.t.ppf(0.975, n - 1) * vals.std(ddof=1) / math.sqrt(n) if n > 1 else float("nan")
            row[f"{o}_mean"], row[f"{o}_lo"], row[f"{o}_hi"] = m, m - half, m + half
        wins = g["a_wins"].sum() if n else 0
        row["p_a_wins"] = wins / n if n else float("nan")
        row["p_a_wins_lo"], row["p_a_wins_hi"] = _wilson(wins, n)
        rows.append(row)
    return pd.DataFrame(rows)


def format_summary(summary: pd.DataFrame, manifest: dict, outcomes=None, width: int | None = WIDTH) -> str:
    """The table ``runoff analyze`` prints: per design point, the mean of each outcome with its
    95% CI and P(A wins) with its Wilson 95% interval; split into panels to fit ``width``
    columns (None: one wide table)."""
    a, b = manifest["finalists"]
    varied = manifest["design"]["varied"]
    outs = [o for o in _outcomes(manifest, outcomes) if o != "a_wins"]
    d = manifest["design"]
    lines = wrap(f"sweep {manifest['name']} ({d['kind']}, {d['points']} points x {d['replicates']} replicates; "
                 f"A = {a}, B = {b})", width)
    lines += [f"runs ok {manifest['runs']['ok']}, failed {manifest['runs']['failed']}, "
              f"pending {manifest['runs']['pending']}", ""]
    header = [v.removeprefix("factor.") for v in varied] + ["runs"]
    header += [f"{o} (95% CI)" for o in outs] + [f"P({a} wins) (95% CI)"]
    rows = []
    for _, r in summary.iterrows():
        cells = []
        for v in varied:
            x = r[v]
            cells.append(f"{x:.4g}" if isinstance(x, (int, float, np.number)) else f"{x!s}")
        cells.append(f"{int(r['runs'])}")
        for o in outs:
            cells.append(f"{r[o + '_mean']:.4f} [{r[o + '_lo']:.4f}, {r[o + '_hi']:.4f}]")
        cells.append(f"{r['p_a_wins']:.3f} [{r['p_a_wins_lo']:.3f}, {r['p_a_wins_hi']:.3f}]")
        rows.append(cells)
    lines += fit_table(header, rows, keys=len(varied), width=width, indent=0, left=())
    return "\n".join(lines)


@dataclass
class SweepAnalysis:
    """A sweep's per-point summary (:func:`summarise`) with its manifest: ``format()`` is what
    ``runoff analyze`` prints, ``_repr_html_`` Jupyter's view (the table and P(A wins) per point)."""

    table: pd.DataFrame
    manifest: dict
    outcomes: list[str] | None = None

    def format(self, width: int | None = WIDTH) -> str:
        """The summary table as text fitting ``width`` columns."""
        return format_summary(self.table, self.manifest, self.outcomes, width)

    def _repr_html_(self) -> str:
        m = self.manifest
        a = m["finalists"][0]
        varied = m["design"]["varied"]
        rows = []
        for _, r in self.table.iterrows():
            label = ", ".join(f"{v.removeprefix('factor.')}={r[v]:.3g}" if isinstance(r[v], (int, float, np.number))
                              else f"{v.removeprefix('factor.')}={r[v]}" for v in varied) or f"point {int(r['point'])}"
            rows.append((label, float(r["p_a_wins"]), float(r["p_a_wins_lo"]), float(r["p_a_wins_hi"])))
        fig = svg_intervals(rows[:40], title=f"P({a} wins) per design point (Wilson 95% CI)", ref=0.5)
        more = f"<small>first 40 of {len(rows)} points shown</small>" if len(rows) > 40 else ""
        d = m["design"]
        return (f"<div><b>sweep {html.escape(m['name'])}</b> ({html.escape(d['kind'])}, {d['points']} points x "
                f"{d['replicates']} replicates; runs ok {m['runs']['ok']}, failed {m['runs']['failed']}, pending "
                f"{m['runs']['pending']})<div>P({html.escape(a)} wins) per point, Wilson 95% CI:</div>{fig}{more}"
                f"{self.table.to_html(index=False, float_format=lambda x: f'{x:.4g}', max_rows=60)}</div>")


def analyze(root: str | Path, outcomes=None) -> SweepAnalysis:
    """:func:`summarise` a sweep directory and keep its manifest (for printing and notebooks)."""
    return SweepAnalysis(summarise(root, outcomes), Store(root).manifest(), outcomes)


def plot_summary(summary: pd.DataFrame, manifest: dict, out_dir: Path, outcomes=None) -> list[Path]:
    """PNG plots: each outcome against each varied parameter, and the win probability."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    a = manifest["finalists"][0]
    varied = manifest["design"]["varied"]
    params = [v for v in varied if not v.startswith("factor.")]
    factors = [v for v in varied if v.startswith("factor.")]
    outs = [o for o in _outcomes(manifest, outcomes) if o != "a_wins"] + ["p_a_wins"]
    written = []
    groups = summary.groupby(factors) if factors else [((), summary)]
    for o in outs:
        mean, lo, hi = (o, o + "_lo", o + "_hi") if o == "p_a_wins" else (o + "_mean", o + "_lo", o + "_hi")
        label = f"P({a} wins)" if o == "p_a_wins" else o
        xs = params or factors[:1]
        for x in xs:
            fig, ax = plt.subplots(figsize=(6, 4))
            for key, g in groups:
                g = g.sort_values(x)
                name = ", ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
                yerr = [g[mean] - g[lo], g[hi] - g[mean]]
                ax.errorbar(g[x].astype(str) if x in factors else g[x], g[mean], yerr=yerr, marker="o",
                            capsize=3, linestyle="-" if len(params) == 1 and manifest["design"]["kind"] == "factorial" else "none",
                            label=name or None)
            ax.set_xlabel(x.removeprefix("factor."))
            ax.set_ylabel(label + " (mean, 95% CI)")
            if o in ("share_a", "p_a_wins"):
                ax.axhline(0.5, color="grey", lw=0.8, ls=":")
            if factors and len(params) >= 1:
                ax.legend(title=", ".join(f.removeprefix("factor.") for f in factors), fontsize=8)
            ax.set_title(f"{manifest['name']}: {label} vs {x.removeprefix('factor.')}")
            fig.tight_layout()
            path = out_dir / f"{o}_vs_{x.removeprefix('factor.')}.png"
            fig.savefig(path, dpi=100)
            plt.close(fig)
            written.append(path)
    return written


def sensitivity(root: str | Path, outcomes=None) -> pd.DataFrame:
    """Morris mu*, sigma (with mu* CI) or Sobol S1, ST (with CIs) for each outcome and parameter."""
    from SALib.analyze import morris as morris_an
    from SALib.analyze import sobol as sobol_an

    store = Store(root)
    manifest = store.manifest()
    kind = manifest["design"]["kind"]
    if kind not in ("morris", "sobol"):
        raise SweepError(f"{root}: sensitivity needs a morris or sobol design; this sweep is {kind} "
                         "(use `runoff analyze`)")
    problem = manifest["problem"]
    design = store.design()
    x = design[[f"x.{n}" for n in problem["names"]]].to_numpy()
    df = load_results(root, ok_only=True)
    means = df.groupby("point").mean(numeric_only=True)
    missing = sorted(set(design["point"]) - set(means.index))
    if missing:
        raise SweepError(f"{root}: {len(missing)} design points have no finished run (e.g. point {missing[0]}); "
                         "finish the sweep (rerun `runoff sweep` on this directory) before sensitivity")
    rows = []
    for o in [o for o in _outcomes(manifest, outcomes)]:
        y = means.loc[design["point"], o].to_numpy(dtype=float)
        if kind == "morris":
            res = morris_an.analyze(problem, x, y, num_levels=manifest["spec"]["design"].get("levels", 4),
                                    seed=manifest["master_seed"])
            for i, name in enumerate(problem["names"]):
                rows.append({"outcome": o, "parameter": name, "mu_star": res["mu_star"][i],
                             "mu_star_conf": res["mu_star_conf"][i], "sigma": res["sigma"][i], "mu": res["mu"][i]})
        else:
            res = sobol_an.analyze(problem, y, calc_second_order=manifest["spec"]["design"].get("second_order", False),
                                   seed=manifest["master_seed"])
            for i, name in enumerate(problem["names"]):
                rows.append({"outcome": o, "parameter": name, "S1": res["S1"][i], "S1_conf": res["S1_conf"][i],
                             "ST": res["ST"][i], "ST_conf": res["ST_conf"][i]})
    return pd.DataFrame(rows)


def format_sensitivity(table: pd.DataFrame, manifest: dict) -> str:
    """A sensitivity table (Morris or Sobol indices per outcome) as text."""
    kind = manifest["design"]["kind"]
    lines = [f"sweep {manifest['name']}: {kind} sensitivity ({manifest['design']['points']} points x "
             f"{manifest['design']['replicates']} replicates, indices on per-point means)"]
    for o, g in table.groupby("outcome", sort=False):
        lines.append("")
        if kind == "morris":
            lines.append(f"{o}: {'parameter':<28}{'mu*':>10}{'(95% CI)':>12}{'sigma':>10}")
            for _, r in g.sort_values("mu_star", ascending=False).iterrows():
                lines.append(f"    {r['parameter']:<{28 + len(o)}}{r['mu_star']:>10.4f}  +-{r['mu_star_conf']:<8.4f}"
                             f"{r['sigma']:>10.4f}")
        else:
            lines.append(f"{o}: {'parameter':<28}{'S1':>8}{'(95% CI)':>12}{'ST':>8}{'(95% CI)':>12}")
            for _, r in g.sort_values("ST", ascending=False).iterrows():
                lines.append(f"    {r['parameter']:<{28 + len(o)}}{r['S1']:>8.3f}  +-{r['S1_conf']:<8.3f}"
                             f"{r['ST']:>8.3f}  +-{r['ST_conf']:<8.3f}")
    return "\n".join(lines)


def plot_sensitivity(table: pd.DataFrame, manifest: dict, out_dir: Path) -> list[Path]:
    """Bar charts of the sensitivity indices, one PNG per outcome in ``out_dir``; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    kind = manifest["design"]["kind"]
    written = []
    for o, g in table.groupby("outcome", sort=False):
        key, conf = ("mu_star", "mu_star_conf") if kind == "morris" else ("ST", "ST_conf")
        g = g.sort_values(key)
        fig, ax = plt.subplots(figsize=(7, max(3, 0.25 * len(g) + 1)))
        ax.barh(g["parameter"], g[key], xerr=g[conf], capsize=2, color="#4477aa", label=key)
        if kind == "sobol":
            ax.barh(g["parameter"], g["S1"], height=0.4, color="#ee6677", label="S1")
            ax.legend()
        ax.set_xlabel(f"{'Morris mu*' if kind == 'morris' else 'Sobol index'} for {o} (95% CI)")
        ax.set_title(f"{manifest['name']}: {kind} sensitivity of {o}")
        fig.tight_layout()
        path = out_dir / f"sensitivity_{o}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
