"""Prediction of a runoff from its first round and the events between the rounds.

``predict`` draws ``replicates`` parameter sets from a posterior (rows of a calibration's
``posterior.parquet``, with replacement; or the scenario's own parameters when no posterior is
given), runs each once with an independent seed, and reports each finalist's win probability
(with a Wilson 95% interval) and 50% / 90% intervals of the shares and the turnout. It never
reads the scenario's ``[observed]`` result. Runs go through the sweep executors.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runoff_abm.model.errors import clean_text
from runoff_abm.model.params import PARAM_SPECS
from runoff_abm.model.present import WIDTH, html_table, pct, svg_histogram, wrap
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.scenario import Scenario, load_scenario
from runoff_abm.studies.analysis import _wilson
from runoff_abm.studies.outcomes import Task
from runoff_abm.studies.sweep import SweepError, run_tasks

__all__ = ["Prediction", "predict", "load_posterior"]

_PARAM_NAMES = {s.name for s in PARAM_SPECS}


def load_posterior(path: str | Path) -> pd.DataFrame:
    """Posterior parameter sets: a ``posterior.parquet``, or a calibration directory holding one.
    Only parameter columns are kept.

    Raises:
        SweepError: the path is missing, or is not a Parquet file of parameter sets (e.g. the
            calibration's ``calibrated.toml``), in one line.
    """
    p = Path(path)
    given = clean_text(str(path), 200)
    hint = "give the output directory of `runoff calibrate` or its posterior.parquet"
    if p.is_dir():
        p = p / "posterior.parquet"
        if not p.exists():
            raise SweepError(f"--posterior {given}: no posterior.parquet in this folder; {hint}")
    if not p.exists():
        raise SweepError(f"--posterior {given}: no such file or folder; {hint}")
    if p.suffix == ".toml":
        raise SweepError(f"--posterior {given}: this is a TOML file (calibrated.toml holds only the posterior "
                         f"medians, for `parameters_from`); prediction draws whole parameter sets: {hint}")
    if not p.is_file():
        raise SweepError(f"--posterior {given}: not a regular file; {hint}")
    try:
        df = pd.read_parquet(p)
    except Exception as err:  # pyarrow raises several types for a file that is not Parquet
        raise SweepError(f"--posterior {given}: not a Parquet file ({type(err).__name__}); {hint}") from None
    cols = [c for c in df.columns if c in _PARAM_NAMES]
    if not cols or df.empty:
        raise SweepError(f"--posterior {given}: no parameter columns or no rows; {hint}")
    return df[cols].reset_index(drop=True)


@dataclass
class Prediction:
    """Win probabilities and intervals for one scenario."""

    scenario: str
    finalists: tuple[str, str]
    runs: pd.DataFrame
    posterior: str | None
    seed: int

    @property
    def p_a_wins(self) -> float:
        return float(self.runs["a_wins"].mean())

    def table(self) -> dict:
        a, b = self.finalists
        n = len(self.runs)
        wins = self.runs["a_wins"].sum()
        lo, hi = _wilson(wins, n)
        out = {"scenario": self.scenario, "runs": n, "seed": self.seed, "posterior": self.posterior,
               "win_probability": {a: wins / n, b: 1 - wins / n},
               "win_probability_95ci": {a: [lo, hi], b: [1 - hi, 1 - lo]}}
        for key, col in ((f"share_{a}", "share_a"), (f"share_{b}", "share_b"), ("turnout", "turnout")):
            q = self.runs[col].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).to_numpy()
            out[key] = {"median": q[2], "50%": [q[1], q[3]], "90%": [q[0], q[4]]}
        return out

    def format(self, width: int | None = WIDTH) -> str:
        """The report ``runoff predict`` prints (fitting ``width`` columns)."""
        t = self.table()
        a, b = self.finalists
        lines = wrap(f"prediction for {self.scenario}: {t['runs']} runs, parameters from "
                     f"{self.posterior or 'the scenario defaults'}, seed {self.seed}", width) + [""]
        for f in (a, b):
            lo, hi = t["win_probability_95ci"][f]
            lines.append(f"  P({f} wins) = {t['win_probability'][f]:.3f}  (95% CI {lo:.3f}-{hi:.3f})")
        lines.append("")
        lines.append(f"  {'':<22}{'median':>8}{'50% interval':>20}{'90% interval':>20}")
        for key in (f"share_{a}", f"share_{b}", "turnout"):
            r = t[key]
            i50, i90 = r["50%"], r["90%"]
            lines.append(f"  {key:<22}{r['median']:>8.1%}{f'{i50[0]:.1%}-{i50[1]:.1%}':>20}"
                         f"{f'{i90[0]:.1%}-{i90[1]:.1%}':>20}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter's view: win probabilities, intervals, and the distribution of finalist A's share."""
        t = self.table()
        a, b = self.finalists
        rows = []
        for f in (a, b):
            lo, hi = t["win_probability_95ci"][f]
            rows.append([f"P({f} wins)", f"{t['win_probability'][f]:.3f}", f"95% CI {lo:.3f}-{hi:.3f}", ""])
        for key in (f"share_{a}", f"share_{b}", "turnout"):
            r = t[key]
            rows.append([key, pct(r["median"]), f"{pct(r['50%'][0])}-{pct(r['50%'][1])}",
                         f"{pct(r['90%'][0])}-{pct(r['90%'][1])}"])
        q = t[f"share_{a}"]
        fig = svg_histogram(list(self.runs["share_a"]), title=f"share of {a} over {t['runs']} runs",
                            xlabel=f"share of {a}", marks={"50%": 0.5, "median": q["median"]}, band=tuple(q["90%"]))
        return (f"<div><b>prediction for {html.escape(self.scenario)}</b>: {t['runs']} runs, parameters from "
                f"{html.escape(self.posterior or 'the scenario defaults')}, seed {self.seed}"
                f"<div style='display:flex;gap:1em;align-items:flex-start'>"
                f"{html_table(['', 'median / P', '50% interval', '90% interval'], rows)}{fig}</div>"
                f"<small>shaded: the 90% interval of {html.escape(a)}'s share</small></div>")


def predict(scenario: str | Scenario, *, posterior: str | Path | None = None, replicates: int = 200,
            members: int | None = None, seed: int = 0, executor: str = "processes", workers: int | None = None,
            scheduler: str | None = None, local_cluster: int | None = None, trust_rules: bool = False,
            progress: bool | None = True, desc: str | None = None) -> Prediction:
    """Predict ``scenario``'s runoff (see the module docstring).

    ``trust_rules`` lets the scenario's own ``[rules]`` run (``docs/security.md``); ``progress``
    shows a bar when someone is watching (:mod:`runoff_abm.studies.progress`); ``desc`` names the
    job on it (default ``predict NAME``).
    """
    scn = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if scn.rules and not trust_rules:
        from runoff_abm.model.rules import resolve_rules

        resolve_rules(scn, trust_rules=False)  # raises the RuleError that says how to opt in
    if not 1 <= replicates <= 1_000_000:
        raise SweepError(f"--replicates {replicates}: allowed 1 to 1,000,000 runs")
    seeds = replicate_seeds(seed, replicates + 1)
    if posterior is not None:
        post = load_posterior(posterior)
        rng = np.random.default_rng(seeds[-1])
        picks = rng.integers(0, len(post), size=replicates)
        sets = [{k: (v.item() if hasattr(v, "item") else v) for k, v in post.iloc[int(i)].items()} for i in picks]
    else:
        sets = [{} for _ in range(replicates)]
    spec = _spec(scn, members, seed, trust_rules)
    tasks = [Task(point=i, replicate=0, seed=seeds[i], params=sets[i], levels={}) for i in range(replicates)]
    rows = run_tasks(spec, tasks, desc=desc or f"predict {scn.name}", progress=progress, executor=executor,
                     workers=workers, scheduler=scheduler, local_cluster=local_cluster)
    df = pd.DataFrame(rows).sort_values("point").reset_index(drop=True)
    bad = df[df["status"] != "ok"]
    if len(bad):
        raise SweepError(f"{len(bad)} of {len(df)} prediction runs failed, e.g.: {bad['error'].iloc[0]}")
    return Prediction(scenario=scn.name, finalists=scn.finalists, runs=df,
                      posterior=str(posterior) if posterior else None, seed=seed)


def _spec(scn: Scenario, members: int | None, seed: int, trust_rules: bool = False):
    """A minimal sweep spec carrying the scenario to the workers (the tasks carry the rest)."""
    from runoff_abm.studies.spec import SweepSpec

    return SweepSpec(name=f"predict-{scn.name}", scenario=scn, members=members, replicates=1, seed=seed,
                     design_kind="factorial", values={}, ranges={}, fixed={}, factors=(), trust_rules=trust_rules)
