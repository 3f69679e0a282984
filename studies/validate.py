"""Validation: a suite of patterns the model must reproduce, each computed, none asserted by hand.

Every pattern is a function returning a :class:`Check` (pattern, target, measured, passed);
``runoff validate`` runs them all, prints the table and writes ``docs/validation.md``; the test
suite runs each one as a test (``quick=True`` uses fewer seeds and members). Patterns:

- turnout falls from round 1 to the runoff, under default and calibrated parameters, and more
  with a longer gap between the rounds (FairVote 2020);
- over synthetic runoffs with random round-1 results, the round-1 leader wins roughly two in
  three (FairVote 2020);
- the direct effect of one endorsement on the endorsed finalist's share is modest (at most ~10
  points) unless activists and contractors follow it (Kousser et al. 2015);
- individual turnout propensities end bimodal (habitual voters and abstainers), not piled at
  0.5 (Fowler 2006);
- the influence kernel: bounded-confidence consensus for eps >= 0.5, fragmentation for small
  eps (Deffuant et al. 2000; Fortunato 2004), average opinion conserved under symmetric
  (DeGroot, regular-graph) averaging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from runoff_abm.model.api import run
from runoff_abm.model.events import Endorse, Neutral
from runoff_abm.model.influence import BoundedConfidence
from runoff_abm.model.network import Edges
from runoff_abm.model.present import WIDTH, wrap
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import load_scenario

__all__ = ["Check", "PATTERNS", "run_all", "markdown", "format_checks"]


@dataclass
class Check:
    pattern: str
    target: str
    measured: str
    passed: bool
    detail: str = ""


def _seeds(n: int, master: int = 2026) -> list[int]:
    return replicate_seeds(master, n)


def _size(quick: bool) -> tuple[int, int]:
    return (4, 6000) if quick else (10, 20000)


def turnout_falls(quick: bool = False) -> Check:
    n, members = _size(quick)
    out = []
    for name in ("labor-2011", "labor-2011-calibrated"):
        scn = load_scenario(name)
        r1 = scn.round1_ballots / scn.roll
        r2 = np.mean([run(scn, seed=s, members=members).turnout for s in _seeds(n)])
        out.append((name, r1, r2))
    ok = all(r2 < r1 for _, r1, r2 in out)
    meas = "; ".join(f"{name}: {r1:.1%} -> {r2:.1%}" for name, r1, r2 in out)
    return Check("turnout falls from round 1 to the runoff (default and calibrated parameters)",
                 "runoff turnout < round-1 turnout", meas, ok)


def longer_gap_lowers_turnout(quick: bool = False) -> Check:
    n, members = _size(quick)
    scn = load_scenario("labor-2011")
    r1 = scn.round1_ballots / scn.roll
    falls = {}
    for days in (9, 30):
        s2 = replace(scn, election_day=days)
        falls[days] = r1 - np.mean([run(s2, seed=s, members=members).turnout for s in _seeds(n)])
    return Check("turnout falls more with a longer gap between the rounds",
                 "fall(30 days) > fall(9 days)",
                 f"fall {falls[9]:.1%} at 9 days, {falls[30]:.1%} at 30 days", falls[30] > falls[9])


def leader_wins_two_in_three(quick: bool = False) -> Check:
    from runoff_abm.studies.synthetic import synthetic_scenario

    n = 80 if quick else 300
    rng = np.random.default_rng(20)
    wins = 0
    for i, seed in enumerate(_seeds(n, 7)):
        scn = synthetic_scenario(rng, roll=1500, name=f"synthetic-{i}")
        res = run(scn, seed=seed)
        a, b = scn.finalists
        leader = a if scn.candidate(a).votes >= scn.candidate(b).votes else b
        wins += res.winner == leader
    frac = wins / n
    return Check("over synthetic runoffs with random round-1 results, the round-1 leader wins ~2 in 3",
                 "0.55 <= P(leader wins) <= 0.80", f"{frac:.2f} ({wins}/{n} runoffs)", 0.55 <= frac <= 0.80,
                 "generator: studies/synthetic.py")


def endorsement_effect_modest(quick: bool = False) -> Check:
    n, members = _size(quick)
    # both arms script Herzog's declaration (otherwise he decides by the model in the baseline)
    no_events = load_scenario("labor-2011-no-events")
    base = no_events.with_events([Neutral(day=5, by="Herzog")])
    endorsed = no_events.with_events([Endorse(day=5, by="Herzog", target="Peretz", strength=1.0)])
    direct = dict(activist_follow=0.0, contractor_endorse_weight=0.0)
    follow = dict(activist_follow=1.0, contractor_endorse_weight=10.0)

    def effect(**p):
        return np.mean([run(endorsed, seed=s, members=members, **p).shares["Peretz"]
                        - run(base, seed=s, members=members, **p).shares["Peretz"] for s in _seeds(n)])

    d, f = effect(**direct), effect(**follow)
    return Check("an endorsement's direct effect is modest unless activists and contractors follow",
                 "0 < direct effect <= 10 points < effect with followers",
                 f"direct {d * 100:+.1f} points; with activists and contractors following {f * 100:+.1f} points",
                 0 < d <= 0.10 and f > d)


def bimodal_propensities(quick: bool = False) -> Check:
    _, members = _size(quick)
    m = RunoffModel(scenario="labor-2011", seed=_seeds(1)[0], members=members)
    while m.day < m.election_day - 1:
        m.step()
    p = m.state.propensity
    middle = float(np.mean((p > 0.3) & (p < 0.7)))
    ends = float(np.mean((p <= 0.2) | (p >= 0.8)))
    g = float(((p - p.mean()) ** 3).mean() / p.std() ** 3)
    k = float(((p - p.mean()) ** 4).mean() / p.std() ** 4) - 3
    nn = len(p)
    bc = (g * g + 1) / (k + 3 * (nn - 1) ** 2 / ((nn - 2) * (nn - 3)))
    return Check("turnout propensities are bimodal on the eve of the runoff (habitual voters and abstainers)",
                 "bimodality coefficient > 5/9; more mass at the ends than in the middle",
                 f"BC {bc:.2f}; {ends:.0%} of members at p <= 0.2 or >= 0.8, {middle:.0%} in (0.3, 0.7)",
                 bc > 5 / 9 and ends > 2 * middle)


def _kernel(graph: nx.Graph) -> BoundedConfidence:
    e = np.array(list(graph.edges), dtype=np.int64).reshape(-1, 2)
    return BoundedConfidence.from_edges(Edges.from_pairs(graph.number_of_nodes(), e[:, 0], e[:, 1]))


def _clusters(x: np.ndarray, gap: float = 0.05) -> int:
    xs = np.sort(x)
    return int(1 + np.sum(np.diff(xs) > gap))


def bounded_confidence_thresholds(quick: bool = False) -> Check:
    rng = np.random.default_rng(3)
    g = nx.erdos_renyi_graph(300, 0.08, seed=4)
    k = _kernel(g)
    res = {}
    for eps in (0.5, 0.6, 0.1):
        x = rng.random(300)
        for _ in range(400):
            x = k.step(x, 1.0, eps, 0.5)
        res[eps] = (_clusters(x), float(np.ptp(x)))
    ok = res[0.5][0] == 1 and res[0.6][0] == 1 and res[0.1][0] >= 2
    return Check("bounded confidence: consensus for eps >= 0.5, fragmentation for small eps",
                 "1 cluster at eps 0.5 and 0.6; >= 2 clusters at eps 0.1",
                 "; ".join(f"eps {e}: {c} cluster(s), range {r:.3f}" for e, (c, r) in res.items()), ok,
                 "G(n=300, p=0.08), uniform initial opinions, rate 0.5, 400 steps")


def degroot_conserves_mean(quick: bool = False) -> Check:
    g = nx.random_regular_graph(6, 200, seed=5)
    k = _kernel(g)
    x = np.random.default_rng(6).random(200)
    m0 = x.mean()
    for _ in range(200):
        x = k.step(x, 1.0, 1.0, 0.5)
    drift = abs(x.mean() - m0)
    return Check("symmetric averaging (DeGroot on a regular graph) conserves the average opinion",
                 "|mean after - mean before| < 1e-12; consensus at the initial mean",
                 f"drift {drift:.1e}; final range {np.ptp(x):.1e} around {x.mean():.4f} (initial {m0:.4f})",
                 drift < 1e-12 and np.ptp(x) < 1e-6)


PATTERNS: list[Callable[..., Check]] = [
    turnout_falls, longer_gap_lowers_turnout, leader_wins_two_in_three, endorsement_effect_modest,
    bimodal_propensities, bounded_confidence_thresholds, degroot_conserves_mean,
]


def run_all(quick: bool = False, progress: bool | None = False) -> list[Check]:
    """Every pattern's check, in order; ``progress`` shows a bar over the patterns
    (:mod:`runoff_abm.studies.progress`)."""
    from runoff_abm.studies.progress import Progress

    out = []
    with Progress(len(PATTERNS), desc="validate", unit="pattern", show=progress) as bar:
        for p in PATTERNS:
            out.append(p(quick=quick))
            bar.update()
    return out


def format_checks(checks: list[Check], width: int | None = WIDTH) -> str:
    """The table ``runoff validate`` prints: each pattern, its target and what was measured,
    fitting ``width`` columns (None: one line per check)."""
    lines = []
    for c in checks:
        tag = f"[{'pass' if c.passed else 'FAIL'}] "
        if width is None:
            lines.append(f"{tag}{c.pattern} | target: {c.target} | measured: {c.measured}")
            continue
        lines += wrap(c.pattern, width, indent=tag, subsequent=" " * len(tag))
        lines += wrap(c.target, width, indent=" " * len(tag) + "target:   ", subsequent=" " * (len(tag) + 10))
        lines += wrap(c.measured, width, indent=" " * len(tag) + "measured: ", subsequent=" " * (len(tag) + 10))
    return "\n".join(lines)


def markdown(checks: list[Check], quick: bool) -> str:
    n, members = _size(quick)
    lines = ["# Validation", "",
             "Generated by `runoff validate` (do not edit by hand): each pattern is computed from model runs;",
             f"runs use {n} seeds of {members:,} members unless stated. The same patterns run as tests",
             "(`tests/test_validation.py`).", "",
             "| pattern | target | measured | result |", "|---|---|---|---|"]
    for c in checks:
        detail = f" ({c.detail})" if c.detail else ""
        lines.append(f"| {c.pattern}{detail} | {c.target} | {c.measured} | {'pass' if c.passed else '**FAIL**'} |")
    return "\n".join(lines) + "\n"
