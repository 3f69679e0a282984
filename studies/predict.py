"""Prediction of a runoff from its first round and the events between the rounds.

``predict`` runs ``replicates`` runs, each with its own parameter set and seed, and reports each
finalist's win probability (with a Wilson 95% interval for the Monte Carlo error) and 50% / 90%
intervals of the shares, the turnout and the turnout ratio (runoff voters per round-1 ballot). A
run's parameters combine

* a row of a calibration's ``posterior.parquet`` (drawn with replacement), when one is given;
* a draw of the **structural prior** (:mod:`runoff_abm.studies.priors`, on by default): how
  eliminated candidates' voters lean, how much endorsements move them, whether they and
  round-1 abstainers come back, broker effectiveness and the turnout change, fitted on the
  shipped real contests *without* the predicted one (leave-one-out). Its parameters take
  precedence over the posterior's. ``structural=False`` gives the seed-only spread.

Every run's parameter values are kept (``Prediction.runs``). ``versus`` runs a second scenario
(same round 1) with the *same* parameter draws and seeds and reports paired differences with
intervals (a counterfactual). It never reads the scenario's ``[observed]`` result to predict;
the report prints it beside the prediction when there is one. Runs go through the sweep
executors.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from runoff_abm.model.errors import clean_text
from runoff_abm.model.params import PARAM_SPECS
from runoff_abm.model.population import scaled_counts
from runoff_abm.model.present import WIDTH, html_table, pct, svg_histogram, wrap
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.scenario import Scenario, load_scenario
from runoff_abm.studies.analysis import _wilson
from runoff_abm.studies.outcomes import Task
from runoff_abm.studies.priors import StructuralPrior, prior_for, transfer_response
from runoff_abm.studies.sweep import SweepError, run_tasks

__all__ = ["Prediction", "predict", "load_posterior", "observed_summary", "DEFAULT_MAX_MEMBERS"]

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


#: Largest member count a prediction runs by default (an open electorate's notional roll can be
#: millions; the round-1 categories are scaled by largest remainder).
DEFAULT_MAX_MEMBERS = 100_000
#: Members of the pilot runs that measure the transfer response (:func:`priors.transfer_response`).
PILOT_MEMBERS = 5000


def _quantiles(x: pd.Series) -> dict[str, Any]:
    q = x.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).to_numpy()
    return {"median": float(q[2]), "50%": [float(q[1]), float(q[3])], "90%": [float(q[0]), float(q[4])],
            "mean": float(x.mean())}


@dataclass
class Prediction:
    """Win probabilities and intervals for one scenario (and a paired counterfactual if any)."""

    scenario: str
    finalists: tuple[str, str]
    runs: pd.DataFrame
    posterior: str | None
    seed: int
    structural: dict[str, Any] | None = None      # the prior's summary (None: seed-only)
    observed: dict[str, Any] | None = None        # shares, turnout ratio and winner, when known
    versus: str | None = None                     # the counterfactual scenario's name
    versus_runs: pd.DataFrame | None = None       # its runs, row for row paired with ``runs``

    @property
    def p_a_wins(self) -> float:
        """Share of runs finalist A won (a tie counts half)."""
        return float(self.runs["a_wins"].mean())

    def parameter_draws(self) -> pd.DataFrame:
        """The parameter values of every run (posterior and structural draws)."""
        cols = [c for c in self.runs.columns if c in _PARAM_NAMES or c.startswith("prior.")]
        return self.runs[cols]

    def differences(self) -> dict[str, Any] | None:
        """Paired differences versus minus this scenario (same draws, same seeds): share of A in
        points, turnout ratio in points, P(A wins)."""
        if self.versus_runs is None:
            return None
        d_share = (self.versus_runs["share_a"] - self.runs["share_a"]) * 100
        d_ratio = (self.versus_runs["turnout_ratio"] - self.runs["turnout_ratio"]) * 100
        d_win = self.versus_runs["a_wins"] - self.runs["a_wins"]
        n = len(d_win)
        se = float(d_win.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
        return {"versus": self.versus, "share_a_points": _quantiles(d_share), "turnout_ratio_points": _quantiles(d_ratio),
                "p_a_wins": {"difference": float(d_win.mean()), "95ci": [float(d_win.mean() - 1.96 * se),
                                                                          float(d_win.mean() + 1.96 * se)]}}

    def table(self) -> dict:
        """Everything the report shows, as a JSON-ready dict."""
        a, b = self.finalists
        n = len(self.runs)
        wins = self.runs["a_wins"].sum()
        lo, hi = _wilson(wins, n)
        out: dict[str, Any] = {"scenario": self.scenario, "runs": n, "seed": self.seed, "posterior": self.posterior,
                               "win_probability": {a: wins / n, b: 1 - wins / n},
                               "win_probability_95ci": {a: [lo, hi], b: [1 - hi, 1 - lo]}}
        for key, col in ((f"share_{a}", "share_a"), (f"share_{b}", "share_b"), ("turnout", "turnout"),
                         ("turnout_ratio", "turnout_ratio")):
            out[key] = _quantiles(self.runs[col])
        out["structural_prior"] = self.structural
        draws = self.parameter_draws()
        out["parameter_draws"] = {c: _quantiles(draws[c]) for c in draws.columns
                                  if pd.api.types.is_numeric_dtype(draws[c]) and draws[c].nunique() > 1}
        if self.observed is not None:
            out["observed"] = self.observed
        diff = self.differences()
        if diff is not None:
            out["versus"] = diff
        return out

    def format(self, width: int | None = WIDTH) -> str:
        """The report ``runoff predict`` prints (fitting ``width`` columns)."""
        t = self.table()
        a, b = self.finalists
        src = self.posterior or "the scenario's parameters"
        how = "with the structural prior" if self.structural else "seed noise only (no structural prior)"
        lines = wrap(f"prediction for {self.scenario}: {t['runs']} runs, parameters from {src}, {how}, seed "
                     f"{self.seed}", width)
        if self.structural:
            lines += wrap(self.structural.get("description", ""), width)
        lines.append("")
        obs = self.observed or {}
        for f in (a, b):
            lo, hi = t["win_probability_95ci"][f]
            won = "" if not obs else ("  (observed: won)" if obs.get("winner") == f else "  (observed: lost)")
            lines.append(f"  P({f} wins) = {t['win_probability'][f]:.3f}  (95% CI {lo:.3f}-{hi:.3f}){won}")
        lines.append("")
        head = f"  {'':<20}{'median':>8}{'50% interval':>16}{'90% interval':>16}"
        lines.append(head + (f"{'observed':>10}" if obs else ""))
        labels = {f"share_{a}": f"share {a}", f"share_{b}": f"share {b}", "turnout": "turnout (of roll)",
                  "turnout_ratio": "runoff / r1 ballots"}
        for key in (f"share_{a}", f"share_{b}", "turnout", "turnout_ratio"):
            r = t[key]
            i50, i90 = r["50%"], r["90%"]
            line = (f"  {labels[key][:20]:<20}{r['median']:>8.1%}{f'{i50[0]:.1%}-{i50[1]:.1%}':>16}"
                    f"{f'{i90[0]:.1%}-{i90[1]:.1%}':>16}")
            if obs:
                v = obs.get(key)
                line += f"{v:>10.1%}" if v is not None else f"{'-':>10}"
            lines.append(line)
        diff = t.get("versus")
        if diff is not None:
            d = diff["share_a_points"]
            p = diff["p_a_wins"]
            lines.append("")
            lines += wrap(f"{self.versus} instead of {self.scenario} (paired: same {t['runs']} parameter draws and "
                          f"seeds): share of {a} {d['mean']:+.1f} points (median {d['median']:+.1f}; 50% interval "
                          f"{d['50%'][0]:+.1f} to {d['50%'][1]:+.1f}; 90% interval {d['90%'][0]:+.1f} to "
                          f"{d['90%'][1]:+.1f}); P({a} wins) {p['difference']:+.3f} (95% CI {p['95ci'][0]:+.3f} to "
                          f"{p['95ci'][1]:+.3f}); turnout ratio {diff['turnout_ratio_points']['mean']:+.1f} points",
                          width)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter's view: win probabilities, intervals, and the distribution of finalist A's share."""
        t = self.table()
        a, b = self.finalists
        rows = []
        for f in (a, b):
            lo, hi = t["win_probability_95ci"][f]
            rows.append([f"P({f} wins)", f"{t['win_probability'][f]:.3f}", f"95% CI {lo:.3f}-{hi:.3f}", ""])
        for key in (f"share_{a}", f"share_{b}", "turnout", "turnout_ratio"):
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


def observed_summary(scn: Scenario) -> dict[str, Any] | None:
    """The observed runoff in the report's terms (shares, turnout, turnout ratio, winner), or None."""
    if scn.observed is None:
        return None
    a, b = scn.finalists
    sh = scn.observed.shares()
    total = sum(scn.observed.votes.values())
    va, vb = scn.observed.votes[a], scn.observed.votes[b]
    return {f"share_{a}": sh.get(a), f"share_{b}": sh.get(b), "turnout": scn.observed.turnout,
            "turnout_ratio": total / scn.round1_ballots if scn.round1_ballots else None,
            "winner": a if va > vb else b if vb > va else "tie"}


def _resolve(scenario: str | Scenario) -> Scenario:
    return load_scenario(scenario) if isinstance(scenario, str) else scenario


def predict(scenario: str | Scenario, *, posterior: str | Path | None = None, replicates: int = 200,
            members: int | None = None, seed: int = 0, executor: str = "processes", workers: int | None = None,
            scheduler: str | None = None, local_cluster: int | None = None, trust_rules: bool = False,
            progress: bool | None = True, desc: str | None = None, structural: bool = True,
            prior: StructuralPrior | None = None, versus: str | Scenario | None = None) -> Prediction:
    """Predict ``scenario``'s runoff (see the module docstring).

    Args:
        scenario: a built-in name, a path or a :class:`Scenario`.
        posterior: a calibration's ``posterior.parquet`` or its directory (None: the scenario's parameters).
        replicates: runs (each with its own parameter draw and seed).
        members: members per run (default: the roll, at most :data:`DEFAULT_MAX_MEMBERS`).
        seed: master seed; run ``i`` gets the ``i``-th of :func:`replicate_seeds`, the posterior
            rows and the structural draws streams of their own.
        executor: ``serial``, ``processes`` or ``dask`` (the sweep executors).
        workers: worker processes (``processes``).
        scheduler: a Dask scheduler address (``dask``).
        local_cluster: start a local Dask cluster of this many workers (``dask``).
        trust_rules: let the scenario's own ``[rules]`` run (``docs/security.md``).
        progress: show a bar when someone is watching (:mod:`runoff_abm.studies.progress`).
        desc: the job's name on the bar (default ``predict NAME``).
        structural: integrate over the structural prior (default); False gives seed noise only.
        prior: the structural prior (default: fitted on the shipped contests without this one).
        versus: a counterfactual scenario (same round 1) run with the same draws and seeds.

    Raises:
        SweepError: bad replicates, a bad posterior, a counterfactual with another round 1, or
            failed runs; PriorError: a prior that cannot be fitted.
    """
    scn = _resolve(scenario)
    alt = _resolve(versus) if versus is not None else None
    for s in (scn, alt):
        if s is not None and s.rules and not trust_rules:
            from runoff_abm.model.rules import resolve_rules

            resolve_rules(s, trust_rules=False)  # raises the RuleError that says how to opt in
    if alt is not None and (alt.round1_counts() != scn.round1_counts() or alt.finalists != scn.finalists):
        raise SweepError(f"--versus {clean_text(alt.name)}: a counterfactual must share {clean_text(scn.name)}'s "
                         "round 1 and finalists (it changes only the events or parameters)")
    if not 1 <= replicates <= 1_000_000:
        raise SweepError(f"--replicates {replicates}: allowed 1 to 1,000,000 runs")
    if members is None:
        members = min(scn.roll, DEFAULT_MAX_MEMBERS)
    seeds = replicate_seeds(seed, replicates + 2)
    if posterior is not None:
        post = load_posterior(posterior)
        rng = np.random.default_rng(seeds[-1])
        picks = rng.integers(0, len(post), size=replicates)
        sets = [{k: (v.item() if hasattr(v, "item") else v) for k, v in post.iloc[int(i)].items()} for i in picks]
    else:
        sets = [{} for _ in range(replicates)]
    drawn: list[dict[str, float]] = [{} for _ in range(replicates)]
    summary = None
    if structural:
        prior = prior if prior is not None else prior_for(scn)
        summary = {**prior.summary(), "description": prior.describe()}
        srng = np.random.default_rng(seeds[-2])
        response = transfer_response(scn, min(members, PILOT_MEMBERS), sets[0] if posterior is not None else None,
                                     trust_rules=trust_rules, prior=prior, seed=seed)
        summary["transfer_response"] = response.as_dict()
        if response.pool > 0:
            summary["description"] += (f"; pilot runs: over this campaign the model keeps {response.gain:.0%} of an "
                                       "early leaning of the eliminated voters, and each draw's leaning is set "
                                       "so that the model realises the drawn swing")
        for i in range(replicates):
            over, q = prior.draw(srng, scn, sets[i], response=response)
            sets[i] = {**sets[i], **over}
            drawn[i] = q
    name = desc or f"predict {scn.name}"
    df = _run(scn, sets, seeds, members, seed, trust_rules, name, progress, executor, workers, scheduler,
              local_cluster)
    for key in sorted({k for q in drawn for k in q}):
        df[f"prior.{key}"] = [q.get(key, np.nan) for q in drawn]
    alt_df = None
    if alt is not None:
        alt_df = _run(alt, sets, seeds, members, seed, trust_rules, f"{name} versus {alt.name}", progress,
                      executor, workers, scheduler, local_cluster)
    return Prediction(scenario=scn.name, finalists=scn.finalists, runs=df,
                      posterior=str(posterior) if posterior else None, seed=seed, structural=summary,
                      observed=observed_summary(scn), versus=alt.name if alt is not None else None,
                      versus_runs=alt_df)


def _run(scn: Scenario, sets: list[dict[str, Any]], seeds: list[int], members: int, seed: int, trust_rules: bool,
         desc: str, progress: bool | None, executor: str, workers: int | None, scheduler: str | None,
         local_cluster: int | None) -> pd.DataFrame:
    """Run one task per parameter set; the rows in task order with the turnout ratio added."""
    spec = _spec(scn, members, seed, trust_rules)
    tasks = [Task(point=i, replicate=0, seed=seeds[i], params=sets[i], levels={}) for i in range(len(sets))]
    rows = run_tasks(spec, tasks, desc=desc, progress=progress, executor=executor, workers=workers,
                     scheduler=scheduler, local_cluster=local_cluster)
    df = pd.DataFrame(rows).sort_values("point").reset_index(drop=True)
    bad = df[df["status"] != "ok"]
    if len(bad):
        raise SweepError(f"{len(bad)} of {len(df)} prediction runs failed, e.g.: {bad['error'].iloc[0]}")
    counts = scaled_counts(scn, members)
    ballots = int(counts[:-1].sum())
    df["turnout_ratio"] = df["turnout_votes"] / ballots if ballots else np.nan
    return df


def _spec(scn: Scenario, members: int | None, seed: int, trust_rules: bool = False):
    """A minimal sweep spec carrying the scenario to the workers (the tasks carry the rest)."""
    from runoff_abm.studies.spec import SweepSpec

    return SweepSpec(name=f"predict-{scn.name}", scenario=scn, members=members, replicates=1, seed=seed,
                     design_kind="factorial", values={}, ranges={}, fixed={}, factors=(), trust_rules=trust_rules)
