"""Where each round-1 group is heading: the view of the influence network that shows what changes.

Drawing the influence graph of thousands of members gives a hairball that barely changes from
day to day. What the network *does* is move members: between the finalists and between voting
and staying home. So the app shows, for each round-1 group (each candidate's voters, blank
ballots, abstainers), the expected split of its members on the runoff if the vote were held
today, and the split on day 0 for reference; after the vote, the actual flow matrix.

The expectation is the model's own projection (:func:`runoff_abm.model.reporters.projection`)
broken down by group: member *i* votes with probability ``P_i`` (its election-day turnout
probability) and, when voting, for finalist A with probability ``c_i [instruction = A] +
(1 - c_i) x_i``. The group sums add up to the projection the model reports (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runoff_abm.model.reporters import member_projection

__all__ = ["GroupFlows", "expected_votes", "projected_flows", "share_to_a", "actual_flows"]


@dataclass(frozen=True)
class GroupFlows:
    """Expected (or, after the vote, actual) runoff choices of each round-1 group.

    Attributes:
        labels: the round-1 categories (each candidate, ``blank``, ``abstained``).
        members: simulated members per group.
        to_a, to_b, home: members per group voting for finalist A, for B, staying home.
        actual: True for counted votes (after the runoff), False for today's expectation.
        day0: per group, the share expected to vote for A on day 0 (None after the vote).
    """

    labels: tuple[str, ...]
    members: np.ndarray
    to_a: np.ndarray
    to_b: np.ndarray
    home: np.ndarray
    actual: bool
    day0: np.ndarray | None = None


def expected_votes(model) -> tuple[np.ndarray, np.ndarray]:
    """Per member: the probability of voting, and of voting for finalist A when voting (the
    model's own terms, :func:`runoff_abm.model.reporters.member_projection`)."""
    return member_projection(model)


def projected_flows(model, day0: np.ndarray | None = None) -> GroupFlows:
    """Today's expected split of each round-1 group (see the module docstring).

    Args:
        model: a RunoffModel before election day.
        day0: the groups' day-0 shares toward A (from an earlier call's :func:`share_to_a`).
    """
    k = len(model.categories)
    r1 = np.asarray(model.state.r1, dtype=np.int64)
    prob, pa = expected_votes(model)
    members = np.bincount(r1, minlength=k).astype(float)
    to_a = np.bincount(r1, weights=prob * pa, minlength=k)
    voters = np.bincount(r1, weights=prob, minlength=k)
    return GroupFlows(labels=tuple(model.categories), members=members, to_a=to_a, to_b=voters - to_a,
                      home=members - voters, actual=False, day0=day0)


def share_to_a(flows: GroupFlows) -> np.ndarray:
    """Each group's share of members expected to vote for A (0 for an empty group)."""
    return np.divide(flows.to_a, flows.members, out=np.zeros_like(flows.to_a), where=flows.members > 0)


def actual_flows(result) -> GroupFlows:
    """The counted flow matrix of a :class:`~runoff_abm.model.result.RunResult` as group flows."""
    f = result.flows
    a, b = result.finalists
    members = f.sum(axis=1).to_numpy(dtype=float)
    return GroupFlows(labels=tuple(str(x) for x in f.index), members=members, to_a=f[a].to_numpy(dtype=float),
                      to_b=f[b].to_numpy(dtype=float), home=f["abstained"].to_numpy(dtype=float), actual=True)
