"""Synthetic runoffs: random round-1 results for validation ensembles and prediction checks.

A synthetic runoff has 3-6 candidates whose round-1 shares are Dirichlet(2, ..., 2) conditioned
on no candidate reaching ``threshold`` (default 40%, the Labor Party's rule: otherwise there
would be no runoff), a roll of
``roll`` members with round-1 turnout uniform in [0.45, 0.8], 0.5% blank ballots, the top two
as finalists, eliminated candidates' voters leaning toward finalist A by a uniform draw, activists
2% of each candidate's votes, no sectors, no contractors (unless asked), no events, and a gap
of ``days`` (default uniform 5..14) between the rounds. These are assumptions of the
generator, stated here and in docs/validation.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runoff_abm.model.population import largest_remainder
from runoff_abm.model.scenario import Scenario, parse_scenario

__all__ = ["synthetic_scenario"]


def synthetic_scenario(rng: np.random.Generator, *, roll: int = 2000, days: int | None = None,
                       contractors: bool = False, threshold: float = 0.4, name: str = "synthetic") -> Scenario:
    """Draw one synthetic runoff scenario from ``rng`` (see the module docstring)."""
    k = int(rng.integers(3, 7))
    turnout = float(rng.uniform(0.45, 0.8))
    ballots = int(round(roll * turnout))
    blank = int(round(0.005 * ballots))
    shares = rng.dirichlet(np.full(k, 2.0))
    while shares.max() >= threshold:  # a runoff happens only if nobody won in round 1
        shares = rng.dirichlet(np.full(k, 2.0))
    votes = largest_remainder(shares, ballots - blank)
    order = np.lexsort((np.arange(k), -votes))  # by votes, ties to the lower index
    names = [f"C{i + 1}" for i in range(k)]
    finalists = [names[order[0]], names[order[1]]]
    cands: list[dict[str, Any]] = []
    for i in range(k):
        c = {"name": names[i], "votes": int(votes[i]), "activists": int(votes[i] * 0.02)}
        if names[i] not in finalists:
            c["lean"] = float(rng.beta(1, 1))
        cands.append(c)
    data: dict[str, Any] = {"name": name, "roll": roll, "election_day": int(days or rng.integers(5, 15)),
            "finalists": finalists, "round1": {"blank": blank}, "candidates": cands}
    if contractors:
        data["contractors"] = []
        for i in range(k):
            if names[i] in finalists or votes[i] < 20:
                continue
            for j in range(int(rng.integers(0, 3))):
                data["contractors"].append({"name": f"k{i}-{j}", "patron": names[i],
                                            "bloc": max(1, int(votes[i] * rng.uniform(0.05, 0.2)))})
    return parse_scenario(data, source=f"<{name}>")
