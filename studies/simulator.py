"""The calibration's simulator: parameter sets in, summary statistics out, on worker processes.

Summary statistics of one run (:func:`run_stats`), each computed the same way from the model's
counts as from the record's:

- ``share_a``, ``turnout``: finalist A's two-candidate share and the runoff turnout (the
  scenario's ``[observed]``);
- ``bloc.<sector>.turnout``: turnout of the members of every contractor bloc of the sector, and
  ``bloc.<sector>.top_share``: the share of its larger finalist in the most one-sided bloc of the
  sector (the record's bloc-voting localities; targets in ``scenarios/calibration/targets/``);
- ``net_transfer_a`` and ``non_return``: the record's derived net transfer of the eliminated pool
  (finalist A's net gain over both finalists' net gains; the share of the eliminated and blank
  round-1 vote that did not come back net). Both are functions of the two runoff counts, so they
  carry no information beyond ``share_a`` and ``turnout``: reported, never in the distance;
- ``sector.<name>.share_a`` and ``sector.<name>.turnout_change``: for the scenario's qualitative
  patterns (constraints).

:class:`ScenarioSimulator` runs a batch of parameter sets (one seed each) on local worker
processes (or in this process with ``workers=1``), in chunks, with one progress bar over a known
budget; results depend only on the parameter sets and seeds, never on the worker count.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from typing import Any

import numpy as np

from runoff_abm.model.errors import SweepError
from runoff_abm.model.params import param_spec
from runoff_abm.model.scenario import BUILTIN_DIR, Scenario

__all__ = ["Target", "load_targets", "derived_observed", "run_stats", "ScenarioSimulator", "TARGETS_DIR", "REPORTED"]

TARGETS_DIR = BUILTIN_DIR / "calibration" / "targets"
#: statistics reported beside the targets but never in the distance (functions of the counts)
REPORTED = ("net_transfer_a", "non_return")


@dataclass(frozen=True)
class Target:
    """An observed summary statistic: its name, value and source."""

    stat: str
    value: float
    source: str = ""


def load_targets(scn: Scenario) -> list[Target]:
    """The targets of ``scn``: ``share_a`` and ``turnout`` from its ``[observed]``, then the
    numeric facts of ``scenarios/calibration/targets/<name>.toml`` if the file exists."""
    if scn.observed is None or scn.observed.turnout is None:
        raise SweepError(f"{scn.path}: calibration needs [observed] votes and turnout")
    if sum(scn.observed.votes.values()) == 0:
        raise SweepError(f"{scn.path}: calibration needs observed votes (both finalists have 0)")
    out = [Target("share_a", scn.observed.shares()[scn.finalists[0]], scn.observed.source),
           Target("turnout", float(scn.observed.turnout), scn.observed.source)]
    base = scn.name.removesuffix("-calibrated")
    path = TARGETS_DIR / f"{base}.toml"
    if path.is_file():
        for t in tomllib.loads(path.read_text()).get("targets", []):
            out.append(Target(str(t["stat"]), float(t["value"]), str(t.get("source", ""))))
    return out


def derived_observed(scn: Scenario) -> dict[str, float]:
    """The record's derived net transfer (:data:`REPORTED`) from the scenario's round-1 counts and
    observed runoff votes, computed as :func:`run_stats` computes it from a run."""
    if scn.observed is None:
        return {}
    a, b = scn.finalists
    pool = scn.round1_ballots - scn.candidate(a).votes - scn.candidate(b).votes
    gain_a = scn.observed.votes[a] - scn.candidate(a).votes
    gain_b = scn.observed.votes[b] - scn.candidate(b).votes
    out = {}
    if gain_a + gain_b > 0:
        out["net_transfer_a"] = gain_a / (gain_a + gain_b)
    if pool:
        out["non_return"] = (pool - gain_a - gain_b) / pool
    return out


def run_stats(result) -> dict[str, float]:
    """Every summary statistic of one :class:`runoff_abm.model.result.RunResult` (module docstring)."""
    a, b = result.finalists
    out: dict[str, float] = {"share_a": float(result.shares[a]), "turnout": float(result.turnout)}
    r1 = result.round1
    pool = sum(v for k, v in r1.items() if k not in (a, b, "abstained"))
    gain_a, gain_b = result.votes[a] - r1.get(a, 0), result.votes[b] - r1.get(b, 0)
    out["net_transfer_a"] = gain_a / (gain_a + gain_b) if gain_a + gain_b > 0 else math.nan
    out["non_return"] = (pool - gain_a - gain_b) / pool if pool else math.nan
    for _, row in result.by_sector.iterrows():
        out[f"sector.{row['sector']}.share_a"] = float(row[f"share_{a}"])
        out[f"sector.{row['sector']}.turnout_change"] = float(row["runoff_turnout"] - row["round1_turnout"])
    blocs = result.by_bloc
    for sector, g in blocs.groupby("sector"):
        if not sector:
            continue
        va, vb, m = g[f"votes_{a}"].to_numpy(), g[f"votes_{b}"].to_numpy(), g["members"].to_numpy()
        out[f"bloc.{sector}.turnout"] = float((va + vb).sum() / m.sum()) if m.sum() else math.nan
        tot = va + vb
        lop = np.where(tot > 0, np.maximum(va, vb) / np.maximum(tot, 1), np.nan)
        out[f"bloc.{sector}.top_share"] = float(np.nanmax(lop)) if np.isfinite(lop).any() else math.nan
    return out


def _typed(names: tuple[str, ...], row: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n, v in zip(names, row, strict=True):
        out[n] = int(round(float(v))) if param_spec(n).type is int else float(v)
    return out


def simulate_chunk(scn: Scenario, names: tuple[str, ...], theta: np.ndarray, seeds: list[int], members: int | None,
                   columns: tuple[str, ...], trust_rules: bool = False) -> np.ndarray:
    """Run each row of ``theta`` with its seed; the statistics ``columns`` (NaN where a run fails
    or a statistic does not exist)."""
    from runoff_abm.model.api import run

    out = np.full((len(theta), len(columns)), np.nan)
    for i, (row, seed) in enumerate(zip(theta, seeds, strict=True)):
        try:
            st = run_stats(run(scn, seed=int(seed), members=members, trust_rules=trust_rules, **_typed(names, row)))
        except Exception:  # noqa: BLE001 - a failed run is a NaN row; the calibration counts them
            continue
        out[i] = [st.get(c, math.nan) for c in columns]
    return out


class ScenarioSimulator:
    """``sim(theta, seeds) -> stats`` for ABC: the targets' statistics first (in target order),
    then the patterns' and the reported ones (:attr:`columns`). Use as a context manager (the
    worker processes live as long as it does)."""

    def __init__(self, scn: Scenario, ranges: dict[str, tuple[float, float]], targets: list[Target], *,
                 members: int | None = 10000, workers: int | None = None, trust_rules: bool = False,
                 progress: Any = None):
        self.scn, self.names, self.targets = scn, tuple(ranges), targets
        self.members, self.trust_rules = members, trust_rules
        patterns = scn.observed.patterns if scn.observed is not None else ()
        self.patterns = tuple(patterns)
        cols = [t.stat for t in targets] + [p.stat for p in self.patterns] + list(REPORTED)
        self.columns = tuple(dict.fromkeys(cols))
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress
        self._pool: Any = None

    @property
    def observed(self) -> np.ndarray:
        """The targets' observed values (the first ``len(targets)`` columns)."""
        return np.array([t.value for t in self.targets])

    def __enter__(self) -> ScenarioSimulator:
        if self.workers > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            from runoff_abm.studies.sweep import _die_with_parent

            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_die_with_parent, initargs=(os.getpid(),))
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=exc[0] is None, cancel_futures=exc[0] is not None)
            self._pool = None

    def __call__(self, theta: np.ndarray, seeds: list[int]) -> np.ndarray:
        """The statistics (:attr:`columns`) of each row of ``theta`` run with its seed."""
        theta = np.atleast_2d(theta)
        if self._pool is None:
            out = np.vstack([self._run(theta[i:i + 1], seeds[i:i + 1]) for i in range(len(theta))]) if len(theta) \
                else np.empty((0, len(self.columns)))
            return out
        size = max(1, min(25, math.ceil(len(theta) / (4 * self.workers))))
        futs = [(i, self._pool.submit(simulate_chunk, self.scn, self.names, theta[i:i + size], seeds[i:i + size],
                                      self.members, self.columns, self.trust_rules))
                for i in range(0, len(theta), size)]
        out = np.empty((len(theta), len(self.columns)))
        for i, f in futs:
            r = f.result()
            out[i:i + len(r)] = r
            if self.progress is not None:
                self.progress.update(len(r))
        return out

    def _run(self, theta: np.ndarray, seeds: list[int]) -> np.ndarray:
        r = simulate_chunk(self.scn, self.names, theta, seeds, self.members, self.columns, self.trust_rules)
        if self.progress is not None:
            self.progress.update(len(r))
        return r

    def constraint(self, stats: np.ndarray) -> np.ndarray:
        """Rows of ``stats`` that meet every qualitative pattern of the scenario."""
        ok = np.ones(len(stats), dtype=bool)
        for p in self.patterns:
            col = stats[:, self.columns.index(p.stat)]
            ok &= (col < p.value) if p.op == "<" else (col > p.value)
        return ok
