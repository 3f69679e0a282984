"""Simulation-based calibration (SBC) of the ABC-SMC calibration.

Talts, Betancourt, Simpson, Vehtari & Gelman (2018, arXiv:1804.06788): draw a "truth" from the
prior, simulate one data set at it, calibrate on that data set as if it were observed, and
record where the truth falls in the posterior. Over many truths the central 50% and 90%
posterior intervals of each parameter must contain the truth 50% and 90% of the time, and the
truth's rank in the posterior must be uniform. A method whose intervals are too narrow (over-
confident) covers less than nominal; one whose intervals are too wide covers more.

    python -m runoff_abm.studies.sbc --truths 200 --members 1000 --out sbc-out

runs the check on the real model (labor-2011, the calibration's statistics and patterns, the
default prior or ``--prior``) and prints the coverage per parameter and overall
(``docs/validation.md`` quotes the full run; ``tests/test_sbc.py`` runs a fixed small budget).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runoff_abm.studies.smc import UniformPrior, abc_smc

__all__ = ["SBCResult", "sbc", "sbc_table", "main"]


@dataclass
class SBCResult:
    """Per truth and parameter: the truth, the posterior's 50% and 90% intervals, the rank."""

    table: pd.DataFrame
    settings: dict

    def coverage(self) -> pd.DataFrame:
        """Coverage of the 50% and 90% intervals per parameter and overall (rows ``all``)."""
        t = self.table
        per = t.groupby("parameter").agg(truths=("in50", "size"), cover50=("in50", "mean"), cover90=("in90", "mean"),
                                         width90=("width90", "mean")).reset_index()
        allrow = pd.DataFrame([{"parameter": "all", "truths": len(t), "cover50": t["in50"].mean(),
                                "cover90": t["in90"].mean(), "width90": t["width90"].mean()}])
        return pd.concat([per, allrow], ignore_index=True)

    def format(self) -> str:
        """The coverage table as text."""
        s = self.settings
        lines = [f"SBC: {s['truths']} truths from the prior; ABC-SMC population {s['population']}, batch {s['batch']}, "
                 f"{s['generations']} generations per truth ({s['simulations']} simulations in all, "
                 f"{s['seconds']:.0f} s)", ""]
        lines.append(f"{'parameter':<28}{'checks':>7}{'50% covers':>12}{'90% covers':>12}{'90% width/prior':>17}")
        for _, r in self.coverage().iterrows():
            lines.append(f"{r['parameter']:<28}{int(r['truths']):>7}{r['cover50']:>12.1%}{r['cover90']:>12.1%}"
                         f"{r['width90']:>17.0%}")
        return "\n".join(lines)


def sbc(simulate: Callable[[np.ndarray, list[int]], np.ndarray], prior: UniformPrior, *, truths: int = 100,
        population: int = 100, batch: int | None = None, generations: int = 4, seed: int = 0,
        constraint: Callable[[np.ndarray], np.ndarray] | None = None, adjust: bool = True,
        progress: bool | None = False) -> SBCResult:
    """Simulation-based calibration of :func:`abc_smc` with ``simulate`` over ``truths`` prior draws.

    The truths and their data sets come from ``seed``; calibration ``i`` has its own seed, so the
    check is reproducible and every calibration sees fresh simulations. A truth whose data set
    breaks a qualitative pattern (``constraint``) is redrawn (the posterior conditions on the
    patterns, so the truths must too).
    """
    from runoff_abm.model.rng import replicate_seeds
    from runoff_abm.studies.progress import Progress
    from runoff_abm.studies.sweep import SweepError

    t0 = time.monotonic()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5BC]))
    seeds = replicate_seeds(seed + 1, 100 * truths)
    rows = []
    k = 0
    batch = batch or 2 * population
    with Progress(truths, desc="sbc", unit="truth", show=progress) as bar:
        for i in range(truths):
            while True:
                if k >= len(seeds) - truths:  # the last ``truths`` seeds are the calibrations'
                    raise SweepError(f"simulation-based calibration: after {k:,} draws from the prior, truth "
                                     f"{i + 1} of {truths} still has no data set that meets the qualitative "
                                     "patterns; too few members per run, or a prior that breaks them")
                truth = prior.sample(rng, 1)
                y = np.asarray(simulate(truth, [int(seeds[k])]), float).reshape(1, -1)
                k += 1
                if np.all(np.isfinite(y)) and (constraint is None or bool(np.asarray(constraint(y))[0])):
                    break
            res = abc_smc(simulate, prior, y[0], population=population, batch=batch, generations=generations,
                          seed=int(seeds[-1 - i]), constraint=constraint, adjust=adjust)
            q = res.quantiles([0.05, 0.25, 0.75, 0.95])
            for j, name in enumerate(prior.names):
                x = truth[0, j]
                rank = float(np.sum(res.weights * (res.theta[:, j] < x)))
                rows.append({"truth_id": i, "parameter": name, "truth": x, "q05": q[0, j], "q25": q[1, j],
                             "q75": q[2, j], "q95": q[3, j], "in50": bool(q[1, j] <= x <= q[2, j]),
                             "in90": bool(q[0, j] <= x <= q[3, j]), "rank": rank,
                             "width90": (q[3, j] - q[0, j]) / (prior.high[j] - prior.low[j])})
            bar.update()
    settings = {"truths": truths, "population": population, "batch": batch, "generations": generations,
                "seed": seed, "adjust": adjust, "simulations": truths * generations * batch,
                "seconds": time.monotonic() - t0}
    return SBCResult(pd.DataFrame(rows), settings)


def sbc_table(theta: np.ndarray, stats: np.ndarray, prior: UniformPrior, m: int, *, truths: int = 200,
              population: int = 150, seed: int = 0, constraint: Callable[[np.ndarray], np.ndarray] | None = None,
              adjust: bool = True) -> SBCResult:
    """SBC of the first ABC-SMC generation (rejection on the adaptive distance, then the regression
    adjustment) on a shared reference table: ``theta`` (prior draws) and ``stats`` (their
    simulations; the first ``m`` columns are the distance's). Truth ``i`` is a row of the table
    and its posterior comes from the other rows (leave one out; Prangle, Blum, Popovic & Sisson
    2014's coverage test): one table serves every truth, so the check costs one table of runs.
    Every row of the table is a prior draw with its own simulation, so each truth and its data
    set are a draw from the joint distribution; truths share the table, so their results are
    correlated, not biased."""
    from runoff_abm.studies.smc import _distance, mad_scale, regression_adjust

    t0 = time.monotonic()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7AB]))
    ok_all = np.all(np.isfinite(stats[:, :m]), axis=1)
    if constraint is not None:
        ok_all &= np.asarray(constraint(stats), bool)
    candidates = np.flatnonzero(ok_all)
    picks = rng.choice(candidates, size=min(truths, len(candidates)), replace=False)
    rows = []
    for i, t in enumerate(picks):
        others = np.ones(len(theta), dtype=bool)
        others[t] = False
        th, st, ok = theta[others], stats[others], ok_all[others]
        scale = mad_scale(st[ok, :m])
        d = _distance(st[:, :m], stats[t, :m], scale, ok)
        keep = np.argsort(d, kind="stable")[:population]
        w = np.full(len(keep), 1.0 / len(keep))
        post = regression_adjust(th[keep], w, st[keep, :m], stats[t, :m], d[keep], scale, prior) if adjust \
            else th[keep]
        from runoff_abm.studies.smc import weighted_quantile

        for j, name in enumerate(prior.names):
            x = theta[t, j]
            q = weighted_quantile(post[:, j], w, [0.05, 0.25, 0.75, 0.95])
            rows.append({"truth_id": i, "parameter": name, "truth": x, "q05": q[0], "q25": q[1], "q75": q[2],
                         "q95": q[3], "in50": bool(q[1] <= x <= q[2]), "in90": bool(q[0] <= x <= q[3]),
                         "rank": float(np.mean(post[:, j] < x)),
                         "width90": (q[3] - q[0]) / (prior.high[j] - prior.low[j])})
    settings = {"truths": len(picks), "population": population, "batch": len(theta) - 1, "generations": 1,
                "seed": seed, "adjust": adjust, "simulations": len(theta), "seconds": time.monotonic() - t0}
    return SBCResult(pd.DataFrame(rows), settings)


def main(argv: list[str] | None = None) -> int:
    """``python -m runoff_abm.studies.sbc``: SBC of the labor-2011 calibration on the real model."""
    from runoff_abm.model.errors import RunoffError
    from runoff_abm.model.inputs import OneLineParser, parse_count, parse_members, parse_seed, parse_workers
    from runoff_abm.studies.calibrate import load_prior
    from runoff_abm.studies.simulator import ScenarioSimulator, load_targets

    p = OneLineParser(prog="python -m runoff_abm.studies.sbc", description=__doc__.split("\n")[0])
    p.add_argument("--scenario", default="labor-2011")
    p.add_argument("--prior", default=None, help="prior ranges (default: scenarios/calibration/prior.toml)")
    p.add_argument("--truths", default="200", help="synthetic truths drawn from the prior (1 to 100,000)")
    p.add_argument("--members", default="1000", help="members per run")
    p.add_argument("--population", default="100", help="ABC-SMC particles per generation (10 to 100,000)")
    p.add_argument("--generations", default="4", help="ABC-SMC generations (1 to 50)")
    p.add_argument("--seed", default="1", help="master seed")
    p.add_argument("--workers", default=None, help="local worker processes")
    p.add_argument("--out", default=None, help="write sbc.parquet and coverage.csv here")
    a = p.parse_args(argv)
    try:
        from runoff_abm.model.scenario import load_scenario

        truths = parse_count(a.truths, "--truths", 1, 100_000)
        members = parse_members(a.members, "--members")
        population = parse_count(a.population, "--population", 10, 100_000, "particles")
        generations = parse_count(a.generations, "--generations", 1, 50, "generations")
        seed = parse_seed(a.seed, "--seed")
        workers = parse_workers(a.workers)
        scn = load_scenario(a.scenario)
        ranges = load_prior(a.prior)
        targets = load_targets(scn)
        with ScenarioSimulator(scn, ranges, targets, members=members, workers=workers) as sim:
            res = sbc(sim, UniformPrior.from_ranges(ranges), truths=truths, population=population,
                      generations=generations, seed=seed, constraint=sim.constraint, progress=None)
    except RunoffError as err:
        return p.refuse(err)
    print(res.format())
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        res.table.to_parquet(out / "sbc.parquet", index=False)
        res.coverage().to_csv(out / "coverage.csv", index=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
