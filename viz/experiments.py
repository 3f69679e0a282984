"""Many-run experiments behind the *Compare* and *Replicates* views.

Both run whole scenarios with :func:`runoff_abm.runoff_abm.run` (which releases each model) on seeds from
:func:`runoff_abm.model.rng.replicate_seeds`, one run at a time, reporting progress and stopping early when
asked. *Compare* runs a baseline and a counterfactual on the **same** seeds (common random
numbers), so the paired differences isolate the effect of what differs between them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from runoff_abm.model.api import run
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.scenario import Scenario

__all__ = ["RunSummary", "Distribution", "Comparison", "summarise_run", "run_replicates", "run_comparison",
           "distribution", "MAX_REPLICATES"]

#: Most runs one replicates or compare call may ask for (the app's server limit is lower: ``--max-replicates``).
MAX_REPLICATES = 10_000

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class RunSummary:
    """The figures of one run that the experiment views need.

    Attributes:
        seed: the run's master seed.
        share_a: finalist A's share of the valid runoff votes.
        turnout: runoff turnout (share of the simulated roll).
        winner: the winner's name (or ``"tie"``).
        daily_share_a: projected share of A by day (day 0 .. election day).
    """

    seed: int
    share_a: float
    turnout: float
    winner: str
    daily_share_a: tuple[float, ...]


def summarise_run(result) -> RunSummary:
    """A :class:`RunSummary` of a :class:`~runoff_abm.model.result.RunResult`."""
    a = result.finalists[0]
    return RunSummary(seed=result.seed, share_a=float(result.shares[a]), turnout=float(result.turnout),
                      winner=result.winner, daily_share_a=tuple(float(x) for x in result.daily["projected_share_a"]))


def _check_count(count: int) -> int:
    count = int(count)
    if not 1 <= count <= MAX_REPLICATES:
        raise ValueError(f"runs: {count} is out of range; allowed: 1 to {MAX_REPLICATES}")
    return count


def run_replicates(scenario: Scenario, master_seed: int, count: int, members: int,
                   progress: Progress | None = None, cancelled: Cancelled | None = None,
                   rules: dict | None = None) -> list[RunSummary]:
    """Run ``scenario`` on ``count`` independent seeds derived from ``master_seed``.

    Args:
        scenario: the (checked) scenario to run.
        master_seed: seeds come from ``replicate_seeds(master_seed, count)``.
        count: number of runs (1 to MAX_REPLICATES).
        members: members per run.
        progress: called with the fraction done after each run.
        cancelled: polled before each run; the runs done so far are returned when it is True.
        rules: plug-in rules (function objects) for every run.
    """
    runs: list[RunSummary] = []
    seeds = replicate_seeds(master_seed, _check_count(count))
    for k, seed in enumerate(seeds):
        if cancelled and cancelled():
            break
        runs.append(summarise_run(run(scenario, seed=seed, members=members, rules=rules or None)))
        if progress:
            progress((k + 1) / len(seeds))
    return runs


@dataclass(frozen=True)
class Comparison:
    """Baseline and counterfactual runs on the same seeds (``baseline[i].seed == counterfactual[i].seed``)."""

    baseline_name: str
    counterfactual_name: str
    baseline: tuple[RunSummary, ...]
    counterfactual: tuple[RunSummary, ...]

    def differences(self) -> np.ndarray:
        """Paired differences of finalist A's share (counterfactual minus baseline), one per seed."""
        return np.array([c.share_a - b.share_a for b, c in zip(self.baseline, self.counterfactual, strict=True)])

    def turnout_differences(self) -> np.ndarray:
        """Paired differences of turnout (counterfactual minus baseline)."""
        return np.array([c.turnout - b.turnout for b, c in zip(self.baseline, self.counterfactual, strict=True)])


def run_comparison(baseline: Scenario, counterfactual: Scenario, master_seed: int, count: int, members: int,
                   baseline_name: str = "baseline", counterfactual_name: str = "counterfactual",
                   progress: Progress | None = None, cancelled: Cancelled | None = None,
                   baseline_rules: dict | None = None, counterfactual_rules: dict | None = None) -> Comparison:
    """Run ``baseline`` and ``counterfactual`` on the same ``count`` seeds, alternating.

    Args:
        baseline: the reference scenario (e.g. the historical ``labor-2011``).
        counterfactual: the changed scenario.
        master_seed: seeds come from ``replicate_seeds(master_seed, count)``.
        count: number of seed pairs (1 to MAX_REPLICATES).
        members: members per run.
        baseline_name: label of the baseline.
        counterfactual_name: label of the counterfactual.
        progress: called with the fraction done after each pair.
        cancelled: polled before each pair; the pairs done so far are kept when it is True.
        baseline_rules: plug-in rules (function objects) of the baseline.
        counterfactual_rules: plug-in rules of the counterfactual.

    Raises:
        ValueError: if the two scenarios do not have the same finalists (nothing to compare).
    """
    if tuple(baseline.finalists) != tuple(counterfactual.finalists):
        raise ValueError(f"compare: the finalists differ ({' vs '.join(baseline.finalists)} and "
                         f"{' vs '.join(counterfactual.finalists)}); compare scenarios of the same runoff")
    seeds = replicate_seeds(master_seed, _check_count(count))
    base, counter = [], []
    for k, seed in enumerate(seeds):
        if cancelled and cancelled():
            break
        base.append(summarise_run(run(baseline, seed=seed, members=members, rules=baseline_rules or None)))
        counter.append(summarise_run(run(counterfactual, seed=seed, members=members,
                                         rules=counterfactual_rules or None)))
        if progress:
            progress((k + 1) / len(seeds))
    return Comparison(baseline_name=baseline_name, counterfactual_name=counterfactual_name,
                      baseline=tuple(base), counterfactual=tuple(counter))


@dataclass(frozen=True)
class Distribution:
    """Summary of finalist A's share over runs.

    Attributes:
        n: number of runs.
        mean: mean share of A.
        low: 5th percentile of the share.
        high: 95th percentile of the share.
        win_probability: fraction of runs A won (ties count half).
        win_se: binomial standard error of ``win_probability``.
        mean_turnout: mean turnout.
    """

    n: int
    mean: float
    low: float
    high: float
    win_probability: float
    win_se: float
    mean_turnout: float


def distribution(runs: Sequence[RunSummary], finalist_a: str) -> Distribution:
    """Summarise ``runs`` (at least one) for finalist ``finalist_a``."""
    if not runs:
        raise ValueError("no runs to summarise")
    shares = np.array([r.share_a for r in runs], dtype=float)
    wins = np.array([1.0 if r.winner == finalist_a else 0.5 if r.winner == "tie" else 0.0 for r in runs])
    p = float(wins.mean())
    voted = shares[np.isfinite(shares)]  # a run in which nobody voted has no share
    if not len(voted):
        voted = np.array([np.nan])
    return Distribution(n=len(runs), mean=float(voted.mean()), low=float(np.quantile(voted, 0.05)),
                        high=float(np.quantile(voted, 0.95)), win_probability=p,
                        win_se=float(np.sqrt(p * (1 - p) / len(runs))),
                        mean_turnout=float(np.mean([r.turnout for r in runs])))
