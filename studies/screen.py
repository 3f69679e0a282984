"""Screening before calibration: which behavioural parameters can the record inform at all?

A Morris elementary-effects screen (Morris 1991; Campolongo, Cariboni & Saltelli 2007: mu*) of
the calibration's summary statistics (:mod:`runoff_abm.studies.simulator`) over wide ranges of
the behavioural parameters, including the eliminated candidates' and brokers' decision
parameters (``scenarios/calibration/screen.toml``), with a **dummy parameter** that the model
never reads (Khare, Muñoz-Carpena, Rooney & Martinez 2015): every run has its own seed, so the
dummy's mu* is the elementary effect of seed noise alone. A parameter is *informed* by a
statistic when its mu* exceeds ``ratio`` (default 3) times the dummy's; a parameter informed by
no statistic cannot be identified from this record and is fixed at its default (left out of
the calibration prior). Each design point is run ``replicates`` times and the statistics
averaged, which lowers the noise floor for both the dummy and the parameters alike.

    python -m runoff_abm.studies.screen --trajectories 20 --replicates 2 --members 10000 --out screen-out

prints the table (mu* / dummy mu* per statistic) and the verdict; ``docs/ODD.md`` §10.3 quotes
the run that chose the shipped prior.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runoff_abm.model.scenario import BUILTIN_DIR

__all__ = ["SCREEN_RANGES", "Screen", "screen", "main"]

SCREEN_RANGES = BUILTIN_DIR / "calibration" / "screen.toml"
DUMMY = "dummy"


@dataclass
class Screen:
    """The result of :func:`screen`: mu* and sigma per parameter and statistic, and the verdict."""

    table: pd.DataFrame      # parameter, stat, mu_star, sigma, ratio (mu* / dummy's mu*)
    ratio: float
    settings: dict

    def informed(self) -> list[str]:
        """Parameters informed by at least one statistic (ratio above the threshold)."""
        t = self.table[self.table["parameter"] != DUMMY]
        best = t.groupby("parameter", sort=False)["ratio"].max()
        return [p for p, r in best.items() if r > self.ratio]

    def format(self) -> str:
        """The table (mu* over the dummy's per statistic) and the verdict, as text."""
        s = self.settings
        piv = self.table.pivot(index="parameter", columns="stat", values="ratio")
        piv = piv.loc[[p for p in dict.fromkeys(self.table["parameter"]) if p != DUMMY]]
        piv["max"] = piv.max(axis=1)
        piv = piv.sort_values("max", ascending=False)
        lines = [f"Morris screen on {s['scenario']}: {s['trajectories']} trajectories x {s['points_per']} points x "
                 f"{s['replicates']} replicates = {s['runs']} runs of {s['members']:,} members ({s['seconds']:.0f} s)",
                 f"mu* / dummy mu* (dummy = a parameter the model never reads: seed noise); informed if > {self.ratio:g}",
                 ""]
        stats = [c for c in piv.columns if c != "max"]
        lines.append(f"{'parameter':<28}" + "".join(f"{c[:18]:>19}" for c in stats) + "   verdict")
        for p, r in piv.iterrows():
            lines.append(f"{p:<28}" + "".join(f"{r[c]:>19.2f}" for c in stats)
                         + ("   informed" if r["max"] > self.ratio else "   fixed"))
        return "\n".join(lines)


def screen(scn, ranges: dict[str, tuple[float, float]], targets, *, trajectories: int = 20, replicates: int = 2,
           members: int | None = 10000, seed: int = 1, levels: int = 4, ratio: float = 3.0,
           workers: int | None = None, progress: bool | None = None) -> Screen:
    """Morris screen of ``ranges`` plus a dummy on the targets' statistics (module docstring)."""
    from SALib.analyze import morris as morris_an
    from SALib.sample import morris as morris_sample

    from runoff_abm.model.rng import replicate_seeds
    from runoff_abm.studies.progress import Progress
    from runoff_abm.studies.simulator import ScenarioSimulator

    t0 = time.monotonic()
    names = [*ranges, DUMMY]
    problem = {"num_vars": len(names), "names": names,
               "bounds": [list(ranges[n]) for n in ranges] + [[0.0, 1.0]]}
    x = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    n = len(x)
    seeds = replicate_seeds(seed, n * replicates)
    theta = np.repeat(x[:, :-1], replicates, axis=0)
    m = len(targets)
    with Progress(n * replicates, desc=f"screen {scn.name}", show=progress) as bar, \
            ScenarioSimulator(scn, ranges, targets, members=members, workers=workers, progress=bar) as sim:
        stats = sim(theta, seeds)[:, :m]
    y = np.nanmean(stats.reshape(n, replicates, m), axis=1)
    rows = []
    for k, t in enumerate(targets):
        yk = y[:, k]
        if not np.isfinite(yk).all():  # a statistic missing in a run (no bloc voted): fill with the mean
            yk = np.where(np.isfinite(yk), yk, np.nanmean(yk))
        res = morris_an.analyze(problem, x, yk, num_levels=levels, seed=seed)
        dummy = float(res["mu_star"][-1]) or 1e-12
        for j, name in enumerate(names):
            rows.append({"parameter": name, "stat": t.stat, "mu_star": float(res["mu_star"][j]),
                         "mu_star_conf": float(res["mu_star_conf"][j]), "sigma": float(res["sigma"][j]),
                         "ratio": float(res["mu_star"][j]) / dummy})
    settings = {"scenario": scn.name, "trajectories": trajectories, "points_per": len(names) + 1,
                "replicates": replicates, "runs": n * replicates, "members": members or scn.roll, "seed": seed,
                "levels": levels, "seconds": time.monotonic() - t0}
    return Screen(pd.DataFrame(rows), ratio, settings)


def main(argv: list[str] | None = None) -> int:
    """``python -m runoff_abm.studies.screen``: the Morris screen of the calibration."""
    from runoff_abm.model.errors import InputError, RunoffError
    from runoff_abm.model.inputs import OneLineParser, parse_count, parse_members, parse_seed, parse_workers
    from runoff_abm.model.scenario import load_scenario
    from runoff_abm.studies.calibrate import load_prior
    from runoff_abm.studies.simulator import load_targets

    p = OneLineParser(prog="python -m runoff_abm.studies.screen", description=__doc__.split("\n")[0])
    p.add_argument("--scenario", default="labor-2011")
    p.add_argument("--ranges", default=str(SCREEN_RANGES), help="ranges to screen (TOML [parameters])")
    p.add_argument("--trajectories", default="20", help="Morris trajectories (2 to 10,000)")
    p.add_argument("--replicates", default="2", help="replicates per point (1 to 1,000)")
    p.add_argument("--members", default="10000", help="members per run")
    p.add_argument("--ratio", default="3.0", help="a parameter is informed when its mu* is this many times the dummy's")
    p.add_argument("--seed", default="1", help="master seed")
    p.add_argument("--workers", default=None, help="local worker processes")
    p.add_argument("--out", default=None, help="write screen.csv here")
    a = p.parse_args(argv)
    try:
        trajectories = parse_count(a.trajectories, "--trajectories", 2, 10_000)
        replicates = parse_count(a.replicates, "--replicates", 1, 1_000)
        members = parse_members(a.members, "--members")
        seed = parse_seed(a.seed, "--seed")
        workers = parse_workers(a.workers)
        try:
            ratio = float(a.ratio)
        except ValueError:
            raise InputError("--ratio", "", f"{a.ratio[:40]!r} is not a number; allowed: above 0") from None
        if not 0 < ratio < math.inf:
            raise InputError("--ratio", "", f"{a.ratio[:40]} is out of range; allowed: above 0")
        scn = load_scenario(a.scenario)
        res = screen(scn, load_prior(a.ranges), load_targets(scn), trajectories=trajectories,
                     replicates=replicates, members=members, seed=seed, ratio=ratio, workers=workers)
    except RunoffError as err:
        return p.refuse(err)
    print(res.format())
    print("\ninformed: " + ", ".join(res.informed()))
    if a.out:
        Path(a.out).mkdir(parents=True, exist_ok=True)
        res.table.to_csv(Path(a.out) / "screen.csv", index=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
