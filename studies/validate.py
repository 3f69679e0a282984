"""Validation: patterns of the record the model must reproduce, each able to fail.

Every pattern is a function ``pattern(quick=False, alternative=False)`` returning a
:class:`Check` (pattern, target, measured, passed, and the alternative model it rules out).
``runoff validate`` runs each under the model and prints the table (and writes
``docs/validation.md``); ``tests/test_validation.py`` runs each twice: it must pass under the
model and FAIL under its alternative (``alternative=True``), a parameter setting or a plug-in
rule. A pattern that no alternative can break would be true by construction, and is not here
(the earlier "turnout falls", "the leader wins two in three" on the synthetic generator, the
endorsement bound and the bimodal propensities were: the initial propensities, the generator or
the initial draws made them hold whatever the dynamics).

Evidence: only the record of the case (``docs/case/labor-2011.md``); ``quick`` uses fewer seeds
and members. Patterns:

- **the eliminated pool went against the endorsement**: the record's derived net transfer of the
  eliminated and blank vote ran 61:39 for Yachimovich, against Mitzna's endorsement of Peretz
  and with Herzog neutral. Rules out: endorsements that transfer fully (a plug-in choice rule:
  an endorser's voters vote for the endorsed finalist);
- **each camp dominated its sectors**: Yachimovich the big cities and the kibbutzim, Peretz the
  Arab and Druze localities (operationalised: at least 60:40). The sector leanings are inputs
  (assumed), so this checks that the nine days of influence keep the divide. Rules out: full
  mixing (DeGroot averaging without a confidence bound, ties across sectors, every member
  fully susceptible);
- **runoff turnout followed round-1 habit**: high in the south (development towns), low among
  Arab members and lower there than in round 1. Rules out: no habit (every member equally likely
  to vote whatever it did in round 1);
- **blocs held**: in the bloc-voting Arab localities turnout (74.5%) was above the Arab members'
  round-1 turnout (61%) and one finalist took 137 of 139 ballots. Rules out: brokers who can
  neither watch nor bring out their blocs (compliance, monitoring and capacity 0);
- the influence kernel: bounded confidence fragments for a small radius and reaches consensus
  for a large one (Deffuant et al. 2000). Rules out: plain averaging (radius 1);
- symmetric averaging on a regular graph conserves the mean (DeGroot 1974). Rules out: an
  irregular graph, where averaging weighs hubs' opinions more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import numpy as np

from runoff_abm.model.api import run
from runoff_abm.model.influence import BoundedConfidence
from runoff_abm.model.network import Edges
from runoff_abm.model.present import WIDTH, wrap
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.scenario import load_scenario

__all__ = ["Check", "PATTERNS", "run_all", "run_alternatives", "markdown", "format_checks", "full_transfer_choice"]


@dataclass
class Check:
    """One pattern's result: what it is, its target, what was measured, whether it held, and the
    alternative model it rules out (and whether this check ran under that alternative)."""

    pattern: str
    target: str
    measured: str
    passed: bool
    detail: str = ""
    rules_out: str = ""
    alternative: bool = False


def _seeds(n: int, master: int = 2026) -> list[int]:
    return replicate_seeds(master, n)


def _size(quick: bool) -> tuple[int, int]:
    return (4, 6000) if quick else (10, 20000)


def full_transfer_choice(member) -> float:
    """Plug-in choice rule of the alternative "endorsements transfer fully": a voter of an
    eliminated candidate who endorsed a finalist votes for that finalist; everyone else by
    leaning."""
    m = member.model
    name = member.round1
    if name not in m.finalists:
        for c in m.candidates:
            if c.name == name and c.endorsed >= 0:
                return 1.0 if c.endorsed == 0 else 0.0
    return member.leaning


def _runs(quick: bool, rules=None, **params) -> list[dict]:
    from runoff_abm.studies.simulator import run_stats

    n, members = _size(quick)
    scn = load_scenario("labor-2011")
    out = []
    for s in _seeds(n):
        r = run(scn, seed=s, members=members, rules=rules, **params)
        st = run_stats(r)
        st["by_sector"] = r.by_sector.set_index("sector")
        out.append(st)
    return out


def _mean(runs: list[dict], key: str) -> float:
    return float(np.mean([r[key] for r in runs]))


def eliminated_pool_against_endorsement(quick: bool = False, alternative: bool = False) -> Check:
    """The eliminated pool's net transfer went to Yachimovich against Mitzna's endorsement."""
    runs = _runs(quick, rules={"choice": full_transfer_choice} if alternative else None)
    net = _mean(runs, "net_transfer_a")
    return Check("the eliminated pool's net transfer went to Yachimovich, against Mitzna's endorsement of Peretz "
                 "(record: 61:39, derived)", "net transfer to Yachimovich > 50% of the finalists' net gains",
                 f"{net:.1%} to Yachimovich", net > 0.5, "labor-2011, its events",
                 "endorsements that transfer fully (choice rule: an endorser's voters vote as endorsed)", alternative)


MIXING = {"confidence_bound": 1.0, "influence_rate": 1.0, "susceptibility_mean": 1.0, "sector_homophily": 0.0}


def sectors_dominated(quick: bool = False, alternative: bool = False) -> Check:
    """Each camp dominated its sectors (at least 60:40)."""
    runs = _runs(quick, **(MIXING if alternative else {}))
    sh = {k: _mean(runs, f"sector.{k}.share_a") for k in ("big city", "kibbutz", "arab", "druze")}
    ok = sh["big city"] >= 0.6 and sh["kibbutz"] >= 0.6 and sh["arab"] <= 0.4 and sh["druze"] <= 0.4
    return Check("Yachimovich dominated the big cities and kibbutzim, Peretz the Arab and Druze localities (record)",
                 "Yachimovich >= 60% in big cities and kibbutzim, <= 40% in Arab and Druze localities",
                 "; ".join(f"{k} {v:.0%}" for k, v in sh.items()), ok, "sector leanings are assumed inputs",
                 "full mixing: " + ", ".join(f"{k}={v:g}" for k, v in MIXING.items()), alternative)


NO_HABIT = {"habit_voter": 0.62, "abstainer_reentry": 0.62, "orphan_demobilisation": 0.0,
            "propensity_concentration": 200.0}


def turnout_follows_habit(quick: bool = False, alternative: bool = False) -> Check:
    """Runoff turnout high in the south, low among Arab members and below their round 1."""
    runs = _runs(quick, **(NO_HABIT if alternative else {}))
    t = {k: float(np.mean([r["by_sector"].loc[k, "runoff_turnout"] for r in runs])) for k in ("development town", "arab")}
    arab_r1 = float(runs[0]["by_sector"].loc["arab", "round1_turnout"])
    ok = t["development town"] - t["arab"] >= 0.05 and t["arab"] < arab_r1
    return Check("runoff turnout high in the south, low among Arab members and lower there than in round 1 (record)",
                 "development towns >= Arab + 5 points; Arab runoff < Arab round 1",
                 f"development towns {t['development town']:.1%}, Arab {t['arab']:.1%} (round 1 {arab_r1:.1%})", ok,
                 "", "no habit: " + ", ".join(f"{k}={v:g}" for k, v in NO_HABIT.items()), alternative)


NO_BROKERS = {"contractor_compliance": 0.0, "monitoring": 0.0, "contractor_capacity": 0.0}


def blocs_hold(quick: bool = False, alternative: bool = False) -> Check:
    """Bloc-voting Arab localities: turnout above the Arab round 1, nearly unanimous."""
    runs = _runs(quick, **(NO_BROKERS if alternative else {}))
    turnout, top = _mean(runs, "bloc.arab.turnout"), _mean(runs, "bloc.arab.top_share")
    arab_r1 = float(runs[0]["by_sector"].loc["arab", "round1_turnout"])
    ok = turnout > arab_r1 and top >= 0.95
    return Check("blocs held: bloc-voting Arab localities turned out above the Arab round 1 and voted nearly as one "
                 "(record: 74.5% vs 61%; 137 of 139)",
                 "Arab blocs' turnout > Arab round-1 turnout; most one-sided Arab bloc >= 95% for one finalist",
                 f"blocs' turnout {turnout:.1%} (Arab round 1 {arab_r1:.1%}); most one-sided bloc {top:.1%}", ok,
                 "", "brokers who neither watch nor bring out: " + ", ".join(f"{k}={v:g}" for k, v in NO_BROKERS.items()),
                 alternative)


def _kernel(graph: nx.Graph) -> BoundedConfidence:
    e = np.array(list(graph.edges), dtype=np.int64).reshape(-1, 2)
    return BoundedConfidence.from_edges(Edges.from_pairs(graph.number_of_nodes(), e[:, 0], e[:, 1]))


def _clusters(x: np.ndarray, gap: float = 0.05) -> int:
    xs = np.sort(x)
    return int(1 + np.sum(np.diff(xs) > gap))


def bounded_confidence_thresholds(quick: bool = False, alternative: bool = False) -> Check:
    """Bounded confidence: consensus for eps >= 0.5, fragmentation for small eps."""
    rng = np.random.default_rng(3)
    g = nx.erdos_renyi_graph(300, 0.08, seed=4)
    k = _kernel(g)
    res = {}
    for eps in (0.5, 0.6, 0.1):
        x = rng.random(300)
        for _ in range(400):
            x = k.step(x, 1.0, 1.0 if alternative else eps, 0.5)
        res[eps] = (_clusters(x), float(np.ptp(x)))
    ok = res[0.5][0] == 1 and res[0.6][0] == 1 and res[0.1][0] >= 2
    return Check("bounded confidence: consensus for eps >= 0.5, fragmentation for small eps",
                 "1 cluster at eps 0.5 and 0.6; >= 2 clusters at eps 0.1",
                 "; ".join(f"eps {e}: {c} cluster(s), range {r:.3f}" for e, (c, r) in res.items()), ok,
                 "G(n=300, p=0.08), uniform initial opinions, rate 0.5, 400 steps",
                 "plain averaging (no confidence bound: eps 1 throughout)", alternative)


def degroot_conserves_mean(quick: bool = False, alternative: bool = False) -> Check:
    """Symmetric averaging on a regular graph conserves the average opinion."""
    g = nx.barabasi_albert_graph(200, 3, seed=5) if alternative else nx.random_regular_graph(6, 200, seed=5)
    k = _kernel(g)
    x = np.random.default_rng(6).random(200)
    m0 = x.mean()
    for _ in range(200):
        x = k.step(x, 1.0, 1.0, 0.5)
    drift = abs(x.mean() - m0)
    return Check("symmetric averaging (DeGroot on a regular graph) conserves the average opinion",
                 "|mean after - mean before| < 1e-12; consensus at the initial mean",
                 f"drift {drift:.1e}; final range {np.ptp(x):.1e} around {x.mean():.4f} (initial {m0:.4f})",
                 bool(drift < 1e-12 and np.ptp(x) < 1e-6), "",
                 "an irregular graph (Barabasi-Albert), where averaging weighs hubs more", alternative)


PATTERNS: list[Callable[..., Check]] = [
    eliminated_pool_against_endorsement, sectors_dominated, turnout_follows_habit, blocs_hold,
    bounded_confidence_thresholds, degroot_conserves_mean,
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


def run_alternatives(quick: bool = False, progress: bool | None = False) -> list[Check]:
    """Every pattern's check under the alternative it rules out (each should FAIL)."""
    from runoff_abm.studies.progress import Progress

    out = []
    with Progress(len(PATTERNS), desc="validate: alternatives", unit="pattern", show=progress) as bar:
        for p in PATTERNS:
            out.append(p(quick=quick, alternative=True))
            bar.update()
    return out


def format_checks(checks: list[Check], width: int | None = WIDTH) -> str:
    """The table ``runoff validate`` prints: each pattern, its target and what was measured,
    fitting ``width`` columns (None: one line per check)."""
    lines = []
    for c in checks:
        tag = f"[{'pass' if c.passed else 'FAIL'}] "
        if width is None:
            lines.append(f"{tag}{c.pattern} | target: {c.target} | measured: {c.measured} | rules out: {c.rules_out}")
            continue
        lines += wrap(c.pattern, width, indent=tag, subsequent=" " * len(tag))
        lines += wrap(c.target, width, indent=" " * len(tag) + "target:   ", subsequent=" " * (len(tag) + 10))
        lines += wrap(c.measured, width, indent=" " * len(tag) + "measured: ", subsequent=" " * (len(tag) + 10))
        if c.rules_out:
            lines += wrap(c.rules_out, width, indent=" " * len(tag) + "rules out: ", subsequent=" " * (len(tag) + 11))
    return "\n".join(lines)


def markdown(checks: list[Check], quick: bool, alternatives: list[Check] | None = None) -> str:
    """``docs/validation.md``: the table of checks, the alternative each rules out, and the
    simulation-based calibration of the calibration (quoted from its stored run)."""
    n, members = _size(quick)
    lines = ["# Validation", "",
             "Generated by `runoff validate` (do not edit by hand): each pattern is computed from model runs;",
             f"runs use {n} seeds of {members:,} members of labor-2011 unless stated. The same patterns run as "
             "tests (`tests/test_validation.py`), each twice: it must hold under the model and fail under "
             "the alternative it rules out.", "",
             "| pattern | target | measured | result | rules out (the test shows it failing there) |",
             "|---|---|---|---|---|"]
    for c in checks:
        detail = f" ({c.detail})" if c.detail else ""
        lines.append(f"| {c.pattern}{detail} | {c.target} | {c.measured} | {'pass' if c.passed else '**FAIL**'} "
                     f"| {c.rules_out} |")
    if alternatives:
        lines += ["", "## Under the alternatives", "",
                  "The same patterns, each run under the alternative it rules out: each must fail.", "",
                  "| pattern | alternative | measured | result |", "|---|---|---|---|"]
        for c in alternatives:
            lines.append(f"| {c.pattern} | {c.rules_out} | {c.measured} | "
                         f"{'fails, as it must' if not c.passed else '**holds: the pattern cannot tell**'} |")
    from runoff_abm.model.scenario import BUILTIN_DIR

    for name, title in (("sbc-labor-2011.md", "Simulation-based calibration of the calibration"),
                        ("screen-labor-2011.txt", "The screen that chose the calibrated parameters")):
        path = BUILTIN_DIR / "calibration" / name
        if path.is_file():
            body = path.read_text().rstrip("\n")
            lines += ["", f"## {title}", "", f"Stored in `scenarios/calibration/{name}`.", ""]
            lines += (["```", body, "```"] if name.endswith(".txt") else [body])
    return "\n".join(lines) + "\n"
