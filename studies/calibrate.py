"""Calibration by approximate Bayesian computation: ABC-SMC (default) or ABC rejection (baseline).

**ABC-SMC** (``method="smc"``, :mod:`runoff_abm.studies.smc`):

1. **Prior.** Independent uniform ranges (a TOML ``[parameters]`` table of ``{ low, high }``;
   default ``scenarios/calibration/prior.toml``: the parameters the Morris screen
   (:mod:`runoff_abm.studies.screen`) found the record can inform).
2. **Targets.** The scenario's observed share of finalist A and turnout, and the numeric facts of
   the record in ``scenarios/calibration/targets/<scenario>.toml`` (labor-2011: the turnout of
   the bloc-voting Arab localities), computed from each run by
   :func:`runoff_abm.studies.simulator.run_stats`; the ``[[observed.patterns]]`` are hard
   constraints.
3. **Sequential Monte Carlo.** ``generations`` generations of ``2 x population`` runs (own
   seeds), an adaptive distance (each statistic scaled by its spread in the generation), the
   closest half kept and importance-weighted, a Gaussian kernel moving the population; the last
   population regression-adjusted, then resampled to ``population`` equally weighted rows.

**ABC rejection** (``method="reject"``, the teaching baseline): ``draws`` parameter sets by
Latin hypercube run as a sweep (all cores or a Dask cluster; resumable) into ``OUT/sweep``;
distance on ``share_a`` and ``turnout`` scaled by their prior-predictive standard deviations;
the closest ``accept`` fraction among the draws meeting every pattern is the posterior.

Outputs in ``OUT``: ``posterior.parquet`` (equally weighted parameter sets with their statistics,
distance and seed), ``calibrated.toml`` (posterior medians as a ``[parameters]`` table that a
scenario can reference with ``parameters_from``, plus the posterior quantiles and the posterior
predictive of every statistic), ``report.txt`` and plots (posterior marginals against the prior
range; posterior predictive against the observed). The posterior predictive: fresh runs with
parameter sets drawn from the posterior and new seeds.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runoff_abm.model.limits import DEFAULT_LIMITS
from runoff_abm.model.params import ParameterError, param_spec
from runoff_abm.model.present import WIDTH, fit_table, wrap
from runoff_abm.model.scenario import (
    BUILTIN_DIR,
    FileProblem,
    Scenario,
    load_scenario,
    parse_toml_bytes,
    read_regular_file,
)
from runoff_abm.studies.spec import MAX_RUNS, SpecError, SweepSpec, parse_spec
from runoff_abm.studies.store import load_results
from runoff_abm.studies.sweep import SweepError, run_sweep

__all__ = ["DEFAULT_PRIOR", "load_prior", "calibrate", "Calibration", "abc_reject", "STATS"]

DEFAULT_PRIOR = BUILTIN_DIR / "calibration" / "prior.toml"
STATS = ("share_a", "turnout")


def load_prior(path: str | Path | None = None) -> dict[str, tuple[float, float]]:
    """Uniform prior ranges ``{name: (low, high)}`` from a TOML ``[parameters]`` table."""
    path = Path(path) if path else DEFAULT_PRIOR
    try:
        raw = read_regular_file(path, DEFAULT_LIMITS.max_file_bytes)
    except FileProblem as err:
        raise SpecError(str(path), "", f"{err}; give a prior (.toml with [parameters])") from None
    data = parse_toml_bytes(raw, str(path), DEFAULT_LIMITS, SpecError)
    table = data.get("parameters", {})
    if not isinstance(table, dict):
        raise SpecError(str(path), "parameters", "expected a table of { low = ..., high = ... } ranges")
    ranges = {}
    for name, r in table.items():
        where = f"parameters.{name}"
        try:
            spec = param_spec(name)
        except ParameterError as err:
            raise SpecError(str(path), where, err.message) from None
        if not (isinstance(r, dict) and set(r) == {"low", "high"}):
            raise SpecError(str(path), where, "expected { low = ..., high = ... }")
        lo, hi = (_finite(r[k]) for k in ("low", "high"))
        if lo is None or hi is None or not (spec.low <= lo < hi <= spec.high):
            raise SpecError(str(path), where, f"need numbers {spec.low} <= low < high <= {spec.high}")
        ranges[name] = (lo, hi)
    if not ranges:
        raise SpecError(str(path), "parameters", "the prior needs at least one { low, high } range")
    return ranges


def _finite(x) -> float | None:
    """``x`` as a finite float, or None (booleans, text, huge or non-finite numbers)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or (isinstance(x, int) and abs(x) > 2**53):
        return None
    return float(x) if math.isfinite(x) else None


def observed_stats(scn: Scenario) -> dict[str, float]:
    """The observed values of the continuous summary statistics."""
    if scn.observed is None or scn.observed.turnout is None:
        raise SweepError(f"{scn.path}: calibration needs [observed] votes and turnout")
    if sum(scn.observed.votes.values()) == 0:
        raise SweepError(f"{scn.path}: calibration needs observed votes (both finalists have 0)")
    return {"share_a": scn.observed.shares()[scn.finalists[0]], "turnout": scn.observed.turnout}


def abc_reject(df: pd.DataFrame, observed: dict[str, float], patterns=(), accept: float = 0.05,
               min_accept: int = 10) -> tuple[pd.DataFrame, dict]:
    """ABC rejection: scaled Euclidean distance on ``observed``'s statistics, patterns as
    constraints, the closest ``accept`` fraction of all draws kept (at least ``min_accept``).

    Returns (accepted rows sorted by distance, diagnostics).
    """
    ok = df[df["status"] == "ok"].copy()
    scale = {k: float(ok[k].std(ddof=1)) or 1.0 for k in observed}
    ok["distance"] = np.sqrt(sum(((ok[k] - v) / scale[k]) ** 2 for k, v in observed.items()))
    meets = np.ones(len(ok), dtype=bool)
    for p in patterns:
        meets &= np.array([p.holds(v) for v in ok[p.stat]])
    feasible = ok[meets]
    n_keep = max(min_accept, int(round(accept * len(ok))))
    if len(feasible) < min_accept:
        raise SweepError(f"only {len(feasible)} of {len(ok)} draws meet every observed pattern; widen the "
                         "prior or run more draws")
    post = feasible.nsmallest(min(n_keep, len(feasible)), "distance").reset_index(drop=True)
    diag = {"draws": int(len(df)), "ok": int(len(ok)), "meet_patterns": int(meets.sum()),
            "accepted": int(len(post)), "accept_fraction": len(post) / len(ok), "scales": scale,
            "epsilon": float(post["distance"].max()),
            # the fraction asked for, and whether the floor of min_accept draws replaced it
            "accept_requested": float(accept), "min_accept": int(min_accept),
            "floored": bool(int(round(accept * len(ok))) < min_accept)}
    return post, diag


@dataclass
class Calibration:
    """Result of :func:`calibrate`."""

    scenario: str
    prior: dict[str, tuple[float, float]]
    posterior: pd.DataFrame
    observed: dict[str, float]
    diagnostics: dict
    out: Path
    predictive_runs: pd.DataFrame | None = None

    def intervals(self, q=(0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Per parameter: the prior range, the posterior quantiles ``q`` and the 90% width over the prior's."""
        rows = []
        for name, (lo, hi) in self.prior.items():
            qs = self.posterior[name].quantile(list(q)).to_numpy()
            rows.append({"parameter": name, "prior_low": lo, "prior_high": hi, "q05": qs[0], "median": qs[1],
                         "q95": qs[2], "width_ratio": (qs[2] - qs[0]) / (0.9 * (hi - lo))})
        return pd.DataFrame(rows)

    def predictive(self) -> pd.DataFrame:
        """50% and 90% intervals of the statistics in the posterior predictive: fresh runs with
        parameter sets drawn from the posterior and new seeds (or, before those exist, the
        accepted runs themselves)."""
        runs = self.predictive_runs if self.predictive_runs is not None else self.posterior
        rows = []
        derived = self.diagnostics.get("derived", {})
        for k, v in [*self.observed.items(), *derived.items()]:
            if k not in runs:
                continue
            x = runs[k].dropna()
            q = x.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).to_numpy()
            rows.append({"stat": k, "observed": v, "q05": q[0], "q25": q[1], "median": q[2], "q75": q[3],
                         "q95": q[4], "contains": bool(q[0] <= v <= q[4]), "fitted": k in self.observed})
        return pd.DataFrame(rows)

    def report(self, width: int | None = WIDTH) -> str:
        """The calibration report (``runoff calibrate`` prints it; ``report.txt``), fitting ``width``."""
        d = self.diagnostics
        if d.get("method") == "smc":
            lines = wrap(f"ABC-SMC on {self.scenario}: {d['generations']} generations of {d['batch']} runs "
                         f"({d['simulations']} runs of {d['members'] or 'all':,} members, seed {d['seed']}), "
                         f"{d['population']} particles (effective sample size {d['ess']:.0f}), adaptive distance on "
                         f"{len(self.observed)} statistics, last tolerance {d['epsilon']:.3f}; every particle meets the "
                         "observed patterns; posterior regression-adjusted (Beaumont et al. 2002)", width)
        else:
            lines = wrap(f"ABC rejection on {self.scenario}: {d['draws']} prior draws ({d['ok']} ran), "
                         f"{d['meet_patterns']} meet every observed pattern, {d['accepted']} accepted "
                         f"(closest {d['accept_fraction']:.1%}, distance <= {d['epsilon']:.3f})", width)
            if d.get("floored"):
                lines += wrap(f"--accept {d['accept_requested']:g} of {d['ok']} draws would keep "
                              f"{int(round(d['accept_requested'] * d['ok']))}; the floor is {d['min_accept']} accepted "
                              f"draws, so the closest {d['min_accept']} were kept.", width)
        lines.append("")
        rows = [[r["parameter"], f"[{r.prior_low:g}, {r.prior_high:g}]", f"{r['median']:.4g}",
                 f"[{r.q05:.4g}, {r.q95:.4g}]", f"{r['width_ratio']:.0%}"] for _, r in self.intervals().iterrows()]
        lines += fit_table(["parameter", "prior", "posterior median", "90% interval", "width / prior"], rows,
                           width=width, indent=0)
        n_pred = len(self.predictive_runs) if self.predictive_runs is not None else 0
        lines += [""] + wrap(f"Posterior predictive ({n_pred} fresh runs, parameters drawn from the posterior) vs "
                             "observed" if n_pred else "Accepted runs vs observed", width)
        rows = [[r["stat"] + ("" if r["fitted"] else " (derived)"), f"{r['observed']:.4f}", f"{r['median']:.4f}",
                 f"[{r['q25']:.4f}, {r['q75']:.4f}]",
                 f"[{r['q05']:.4f}, {r['q95']:.4f}]", "contains" if r["contains"] else "MISSES"]
                for _, r in self.predictive().iterrows()]
        lines += fit_table(["statistic", "observed", "median", "50% interval", "90% interval", "the observed"], rows,
                           width=width)
        iv = self.intervals()
        narrow = iv.query("width_ratio < 0.6")["parameter"].tolist()
        if d.get("derived"):
            lines += wrap("(derived): the record's net transfer of the eliminated pool (finalist A's share of the "
                          "finalists' net gains; the share that did not return, net), a function of the two counts: "
                          "shown, not fitted.", width)
        lines += [""] + wrap(f"One election is one data point: {len(self.observed)} numbers of the record plus "
                             f"{d.get('patterns', 5)} signs "
                             + (f"narrow {', '.join(narrow)} (90% interval under 60% of the prior's); the other "
                                "posterior intervals stay wide" if narrow else
                                "narrow no parameter's 90% interval to under 60% of the prior's")
                             + f" (median width {iv['width_ratio'].median():.0%} of the prior's).", width)
        return "\n".join(lines)


def calibrate(scenario: str | Scenario, out: str | Path, *, prior: str | Path | None = None, draws: int = 2000,
              accept: float = 0.05, members: int | None = 10000, seed: int = 1, executor: str = "processes",
              workers: int | None = None, scheduler: str | None = None, local_cluster: int | None = None,
              progress: bool = True, plots: bool = True, predictive: int = 200,
              trust_rules: bool = False, method: str = "smc", population: int = 200,
              generations: int = 6, targets: list | None = None) -> Calibration:
    """Calibrate ``scenario``'s behavioural parameters against its observed runoff.

    ``method="smc"`` (default): ABC-SMC with an adaptive distance on every target statistic
    (:mod:`runoff_abm.studies.smc`; ``population`` particles, ``generations`` generations of
    ``2 x population`` runs; local worker processes). ``method="reject"``: ABC rejection on the
    share and turnout over ``draws`` prior draws (the teaching baseline; any executor).
    ``trust_rules`` lets the scenario's own ``[rules]`` run (``docs/security.md``). ``targets``
    (smc; :class:`runoff_abm.studies.simulator.Target`) replaces the scenario's targets
    (:func:`runoff_abm.studies.simulator.load_targets`), e.g. a synthetic truth's statistics."""
    if method not in ("smc", "reject"):
        raise SweepError(f"--method {method!r}: allowed smc, reject")
    scn = load_scenario(scenario) if isinstance(scenario, str) else scenario
    obs = observed_stats(scn)
    ranges = load_prior(prior)
    if not 0 <= predictive <= MAX_RUNS:
        raise SweepError(f"--predictive {predictive}: allowed 0 to {MAX_RUNS:,} runs")
    if method == "smc":
        if executor == "dask":
            raise SweepError("method smc runs on local worker processes; Dask is for the rejection method")
        if executor == "serial":
            workers = 1
        return _calibrate_smc(scn, Path(out), ranges, members=members, seed=seed, workers=workers,
                              progress=progress, plots=plots, predictive=predictive, trust_rules=trust_rules,
                              population=population, generations=generations, targets=targets)
    if draws < 20:
        raise SweepError(f"--draws {draws}: too few for ABC; use at least 20 (hundreds to thousands)")
    if draws > MAX_RUNS:
        raise SweepError(f"--draws {draws}: at most {MAX_RUNS:,}")
    if not (isinstance(accept, (int, float)) and math.isfinite(accept) and 0 < accept <= 1):
        raise SweepError(f"--accept {accept}: expected a fraction in (0, 1]")
    out = Path(out)
    spec = sweep_spec(scn, ranges, draws, members, seed, out, trust_rules=trust_rules)
    run_sweep(spec, str(out / "sweep"), executor=executor, workers=workers, scheduler=scheduler,
              local_cluster=local_cluster, progress=progress)  # bar: "sweep calibrate-NAME" (prior draws)
    df = load_results(out / "sweep")
    patterns = scn.observed.patterns if scn.observed is not None else ()
    post, diag = abc_reject(df, obs, patterns, accept)
    from runoff_abm.studies.simulator import derived_observed

    diag.update(method="reject", derived=derived_observed(scn), patterns=len(patterns))
    cal = Calibration(scenario=scn.name, prior=ranges, posterior=post, observed=obs, diagnostics=diag, out=out)
    write_outputs(cal, scn, plots=False)
    if predictive:
        from runoff_abm.model.rng import replicate_seeds
        from runoff_abm.studies.progress import Progress
        from runoff_abm.studies.simulator import ScenarioSimulator, load_targets

        targets = load_targets(scn)
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0xBEE]))
        idx = rng.integers(0, len(post), predictive)
        with Progress(predictive, desc=f"calibrate {scn.name}: posterior predictive", show=progress) as bar, \
                ScenarioSimulator(scn, ranges, targets, members=members, workers=workers,
                                  trust_rules=trust_rules, progress=bar) as sim:
            theta = post[list(ranges)].to_numpy()[idx]
            cal.predictive_runs = pd.DataFrame(sim(theta, replicate_seeds(seed + 1, predictive)), columns=sim.columns)
    write_outputs(cal, scn, plots=plots)
    return cal


def _calibrate_smc(scn: Scenario, out: Path, ranges: dict[str, tuple[float, float]], *, members: int | None,
                   seed: int, workers: int | None, progress: bool, plots: bool, predictive: int, trust_rules: bool,
                   population: int, generations: int, targets: list | None = None) -> Calibration:
    """ABC-SMC on every target statistic (see :func:`calibrate`)."""
    from runoff_abm.model.rng import replicate_seeds
    from runoff_abm.studies.progress import Progress
    from runoff_abm.studies.simulator import ScenarioSimulator, derived_observed, load_targets
    from runoff_abm.studies.smc import UniformPrior, abc_smc

    if not 10 <= population <= 100_000:
        raise SweepError(f"--population {population}: allowed 10 to 100,000 particles")
    if not 1 <= generations <= 50:
        raise SweepError(f"--generations {generations}: allowed 1 to 50")
    targets = targets or load_targets(scn)
    prior = UniformPrior.from_ranges(ranges)
    batch = 2 * population
    total = generations * batch + predictive
    with Progress(total, desc=f"calibrate {scn.name} (ABC-SMC)", show=progress) as bar, \
            ScenarioSimulator(scn, ranges, targets, members=members, workers=workers, trust_rules=trust_rules,
                              progress=bar) as sim:
        res = abc_smc(sim, prior, sim.observed, population=population, batch=batch, generations=generations,
                      seed=seed, constraint=sim.constraint, adjust=True, stat_names=tuple(t.stat for t in targets))
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0xBEE]))
        idx = res.resample(population, rng)
        post = pd.DataFrame(res.theta[idx], columns=list(ranges))
        for n in ranges:
            if param_spec(n).type is int:
                post[n] = post[n].round().astype(int)
        stats = pd.DataFrame(res.stats[idx], columns=sim.columns)
        post = pd.concat([post, stats], axis=1)
        post["distance"] = res.distance[idx]
        post["seed"] = res.seeds[idx]
        post["particle"] = idx
        pred_runs = None
        if predictive:
            j = rng.integers(0, population, predictive)
            theta = post[list(ranges)].to_numpy(float)[j]
            pred_runs = pd.DataFrame(sim(theta, replicate_seeds(seed + 1, predictive)), columns=sim.columns)
    obs = {t.stat: t.value for t in targets}
    diag = {"method": "smc", "population": population, "batch": batch, "generations": generations,
            "simulations": res.simulations, "ess": res.ess, "epsilon": res.epsilon, "adjusted": res.adjusted,
            "record": res.generations, "draws": res.simulations, "ok": int(sum(g["ran"] for g in res.generations)),
            "meet_patterns": int(res.generations[-1]["meet_patterns"]), "accepted": population,
            "accept_fraction": population / batch, "members": members, "seed": seed,
            "targets": [{"stat": t.stat, "value": t.value, "source": t.source} for t in targets],
            "derived": derived_observed(scn), "patterns": len(sim.patterns)}
    cal = Calibration(scenario=scn.name, prior=ranges, posterior=post, observed=obs, diagnostics=diag, out=out,
                      predictive_runs=pred_runs)
    write_outputs(cal, scn, plots=plots)
    return cal


def sweep_spec(scn: Scenario, ranges: dict, draws: int, members: int | None, seed: int, out: Path, *,
               trust_rules: bool = False) -> SweepSpec:
    """The prior-predictive sweep: an LHS design over the prior, one run per draw, own seeds."""
    raw = {"name": f"calibrate-{scn.name}", "scenario": scn.name, "replicates": 1, "seed": seed,
           "common_random_numbers": False, "design": {"kind": "lhs", "samples": draws},
           "parameters": {k: {"low": lo, "high": hi} for k, (lo, hi) in ranges.items()},
           "outcomes": list(STATS)}
    if members is not None:
        raw["members"] = members
    return parse_spec(raw, source=str(out / "calibration-spec.toml"), scenario=scn, trust_rules=trust_rules)


def write_outputs(cal: Calibration, scn: Scenario, plots: bool = True) -> None:
    out = cal.out
    out.mkdir(parents=True, exist_ok=True)
    patterns = scn.observed.patterns if scn.observed is not None else ()
    cols = ["point", "particle", "seed", *cal.prior, *cal.observed, "distance"] + [p.stat for p in patterns]
    cols += [c for c in cal.posterior if c in ("net_transfer_a", "non_return")]
    cal.posterior[[c for c in dict.fromkeys(cols) if c in cal.posterior]].to_parquet(out / "posterior.parquet", index=False)
    iv = cal.intervals()
    how = ("ABC-SMC" if cal.diagnostics.get("method") == "smc" else "ABC rejection")
    lines = [f"# Calibrated parameters for {scn.name}: posterior medians from {how}",
             f"# ({cal.diagnostics['accepted']} particles of {cal.diagnostics['draws']} runs). Reference from a",
             "# scenario with   parameters_from = \"<path to this file>\"",
             "", "[parameters]"]
    for _, r in iv.iterrows():
        spec = param_spec(r["parameter"])
        v = int(round(r["median"])) if spec.type is int else round(float(r["median"]), 6)
        lines.append(f"{r['parameter']} = {v}")
    d = cal.diagnostics
    lines += ["", "[posterior]", f"scenario = {json.dumps(scn.name)}", f"method = {json.dumps(d.get('method', 'reject'))}",
              f"draws = {d['draws']}",
              f"accepted = {d['accepted']}", f"meet_patterns = {d['meet_patterns']}",
              f"epsilon = {d['epsilon']:.6g}"]
    for _, r in iv.iterrows():
        lines.append(f"{r['parameter']} = {{ q05 = {r['q05']:.6g}, median = {r['median']:.6g}, q95 = {r['q95']:.6g} }}")
    for _, r in cal.predictive().iterrows():
        lines.append(f"predictive_{r['stat'].replace('.', '_').replace(' ', '_')} = {{ observed = {r['observed']:.6g}, q05 = {r['q05']:.6g}, "
                     f"q95 = {r['q95']:.6g} }}")
    (out / "calibrated.toml").write_text("\n".join(lines) + "\n")
    tomllib.loads((out / "calibrated.toml").read_text())  # the file must parse
    (out / "report.txt").write_text(cal.report(width=None) + "\n")  # a file: the wide form
    if plots:
        plot_posterior(cal, out / "plots")


def plot_posterior(cal: Calibration, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(cal.prior)
    cols = 3
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.6 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        lo, hi = cal.prior[name]
        ax.hist(cal.posterior[name], bins=15, range=(lo, hi), color="#4477aa", density=True, label="posterior")
        ax.axhline(1 / (hi - lo), color="grey", ls="--", lw=1, label="prior")
        ax.set_title(name, fontsize=9)
        ax.set_xlim(lo, hi)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=7)
    if cal.diagnostics.get("method") == "smc":
        title = f"ABC-SMC posterior marginals ({cal.scenario}, {len(cal.posterior)} particles, regression-adjusted)"
    else:
        title = f"ABC rejection posterior marginals ({cal.scenario}, {len(cal.posterior)} accepted draws)"
    fig.suptitle(title)
    fig.tight_layout()
    p1 = out_dir / "posterior_marginals.png"
    fig.savefig(p1, dpi=90)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(cal.observed), figsize=(5 * len(cal.observed), 3.2))
    for ax, (k, v) in zip(np.atleast_1d(axes), cal.observed.items(), strict=True):
        runs = cal.predictive_runs if cal.predictive_runs is not None else cal.posterior
        ax.hist(runs[k], bins=20, color="#ee6677", alpha=0.8, label="posterior predictive")
        ax.axvline(v, color="black", lw=2, label=f"observed {v:.3f}")
        ax.set_xlabel(k)
        ax.legend(fontsize=8)
    fig.suptitle(f"Posterior predictive vs observed ({cal.scenario})")
    fig.tight_layout()
    p2 = out_dir / "posterior_predictive.png"
    fig.savefig(p2, dpi=90)
    plt.close(fig)
    return [p1, p2]
