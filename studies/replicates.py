"""Replicates of one run: the same scenario, parameters and rules over many seeds.

``runoff run --replicates N`` (and :func:`run_replicates` from Python) runs the scenario ``N``
times with independent seeds from ``SeedSequence(seed).spawn(N)``
(:func:`runoff_abm.model.rng.replicate_seeds`) on all cores (the sweep executors), and
summarises what one draw cannot show: the median and the 90% interval of each finalist's share,
the turnout and the margin, and finalist A's win probability with a Wilson 95% interval.

This is the spread due to chance alone, with the parameters held fixed. ``runoff predict``
also draws the parameters from a calibration's posterior, which is the honest uncertainty of a
forecast.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from runoff_abm.model.present import WIDTH, fit_table, html_table, pct, pts, svg_histogram, wrap
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.scenario import Scenario
from runoff_abm.studies.analysis import _wilson
from runoff_abm.studies.outcomes import Task
from runoff_abm.studies.sweep import ENGINE, SweepError, run_tasks

__all__ = ["Replicates", "run_replicates"]


@dataclass
class Replicates:
    """The outcomes of ``runs`` replicate runs (one row per run, in seed order) and their summary."""

    scenario: str
    finalists: tuple[str, str]
    seed: int
    members: int | None
    runs: pd.DataFrame
    overrides: dict[str, Any] = field(default_factory=dict)
    observed: dict[str, Any] | None = None

    def table(self) -> dict[str, Any]:
        """A JSON-ready summary: runs, seed, win probability with its Wilson 95% interval, and the
        median, 50% and 90% intervals of each finalist's share, the turnout and the margin."""
        a, b = self.finalists
        n = len(self.runs)
        wins = float(self.runs["a_wins"].sum())
        lo, hi = _wilson(wins, n)
        out: dict[str, Any] = {
            "runs": n, "seed": self.seed,
            "members": self.members, "engine": ENGINE, "overrides": dict(self.overrides),
            "win_probability": {a: wins / n, b: 1 - wins / n},
            "win_probability_95ci": {a: [lo, hi], b: [1 - hi, 1 - lo]},
        }
        for key, col in ((f"share_{a}", "share_a"), (f"share_{b}", "share_b"), ("turnout", "turnout"),
                         ("margin", "margin")):
            q = self.runs[col].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).to_numpy()
            out[key] = {"median": float(q[2]), "50%": [float(q[1]), float(q[3])], "90%": [float(q[0]), float(q[4])]}
        return out

    def format(self, width: int | None = WIDTH) -> str:
        """The section ``runoff run --replicates N`` prints, fitting ``width`` columns."""
        t = self.table()
        a, b = self.finalists
        obs = self.observed
        members = f"{self.members:,} members" if self.members else "the full roll"
        lines = wrap(f"Spread over {t['runs']} replicates (seeds from SeedSequence({self.seed}).spawn({t['runs']}); "
                     f"{members}; engine {ENGINE}; the same parameters and rules)", width)
        rows = []
        for f in (a, b):
            r = t[f"share_{f}"]
            rows.append([f"share {f}", pct(r["median"]), f"{pct(r['90%'][0])} - {pct(r['90%'][1])}",
                         pct(obs["shares"][f]) if obs else "-"])
        r = t["turnout"]
        rows.append(["turnout", pct(r["median"]), f"{pct(r['90%'][0])} - {pct(r['90%'][1])}",
                     pct(obs.get("turnout")) if obs else "-"])
        r = t["margin"]
        obs_margin = obs["shares"][a] - obs["shares"][b] if obs else None
        rows.append([f"margin ({a} - {b})", pts(r["median"]), f"{pts(r['90%'][0])} to {pts(r['90%'][1])}",
                     pts(obs_margin) if obs else "-"])
        lo, hi = t["win_probability_95ci"][a]
        won = "-"
        if obs:
            ov = obs["votes"]
            won = "won" if ov[a] > ov[b] else "lost" if ov[a] < ov[b] else "tie"
        rows.append([f"P({a} wins)", f"{t['win_probability'][a]:.2f}", f"95% CI {lo:.2f} - {hi:.2f}", won])
        lines += fit_table(["", "median", "90% interval", "observed"], rows, width=width)
        lines += wrap("Chance alone, with the parameters held fixed. `runoff predict SCENARIO --posterior DIR` "
                      "also draws the parameters from a calibration: that is the uncertainty of a forecast.", width)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter's view: the summary table and the distribution of finalist A's share."""
        t = self.table()
        a, b = self.finalists
        lo, hi = t["win_probability_95ci"][a]
        rows = [[f"share {f}", pct(t[f"share_{f}"]["median"]),
                 f"{pct(t[f'share_{f}']['90%'][0])} - {pct(t[f'share_{f}']['90%'][1])}"] for f in (a, b)]
        rows.append(["turnout", pct(t["turnout"]["median"]),
                     f"{pct(t['turnout']['90%'][0])} - {pct(t['turnout']['90%'][1])}"])
        rows.append([f"P({a} wins)", f"{t['win_probability'][a]:.2f}", f"95% CI {lo:.2f} - {hi:.2f}"])
        marks = {"50%": 0.5}
        if self.observed:
            marks[f"observed {pct(self.observed['shares'][a])}"] = self.observed["shares"][a]
        fig = svg_histogram(list(self.runs["share_a"]), title=f"share of {a} over {t['runs']} replicates",
                            xlabel=f"share of {a}", marks=marks, band=tuple(t[f"share_{a}"]["90%"]))
        return (f"<div><b>{html.escape(self.scenario)}</b>: {t['runs']} replicates (seed {self.seed}), "
                f"parameters fixed<div style='display:flex;gap:1em;align-items:flex-start'>"
                f"{html_table(['', 'median', '90% interval'], rows)}{fig}</div>"
                f"<small>Chance alone; <code>runoff predict</code> adds the uncertainty about the parameters."
                f"</small></div>")


def run_replicates(scenario: Scenario, replicates: int, *, seed: int, members: int | None = None,
                   overrides: Mapping[str, Any] | None = None, rules: Mapping[str, str] | None = None,
                   executor: str = "processes", workers: int | None = None, progress: bool | None = True,
                   observed: dict[str, Any] | None = None) -> Replicates:
    """Run ``scenario`` ``replicates`` times with independent seeds (see the module docstring).

    Args:
        scenario: the scenario.
        replicates: number of runs (at least 2).
        seed: master seed of the replicate seeds.
        members: members per run (None: the roll).
        overrides: parameter overrides for every run.
        rules: plug-in rules as ``{"turnout" | "choice": "ABSOLUTE/file.py:function" or "module:function"}``
            (worker processes load them again).
        executor: as for sweeps (``processes`` on all cores by default, or ``serial``).
        workers: worker processes (None: one per core).
        progress: show a bar when someone is watching.
        observed: the observed result (``RunResult.observed``) to print beside the summary.

    Raises:
        SweepError: too few replicates, or a run failed.
    """
    from runoff_abm.studies.spec import SweepSpec

    if replicates < 2:
        raise SweepError(f"--replicates {replicates}: expected at least 2 (one run is `runoff run` itself)")
    scn = replace(scenario, rules={**scenario.rules, **dict(rules or {})})
    spec = SweepSpec(name=f"replicates-{scn.name}", scenario=scn, members=members, replicates=1, seed=seed,
                     design_kind="factorial", values={}, ranges={}, fixed={}, factors=(),
                     trust_rules=True)  # the rules are the caller's own (already run once by the caller)
    params = dict(overrides or {})
    tasks = [Task(point=i, replicate=0, seed=s, params=params, levels={})
             for i, s in enumerate(replicate_seeds(seed, replicates))]
    rows = run_tasks(spec, tasks, desc=f"replicates {scn.name}", progress=progress, executor=executor,
                     workers=workers)
    df = pd.DataFrame(rows)
    bad = df[df["status"] != "ok"]
    if len(bad):
        raise SweepError(f"{len(bad)} of {len(df)} replicate runs failed, e.g.: {bad['error'].iloc[0]}")
    return Replicates(scenario=scn.name, finalists=scn.finalists, seed=seed, members=members, runs=df,
                      overrides=params, observed=observed)
