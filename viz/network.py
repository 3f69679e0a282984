"""Readable views of the influence network at any size: an aggregated graph and an ego sample.

Drawing tens of thousands of members is neither fast nor readable, so the app shows two
derived graphs:

* **aggregated** — one node per group of members: each sector's ordinary members, each
  contractor's bloc, each candidate's activist camp. Node size is the group's member count,
  colour its mean leaning, edge width the number of ties between two groups. The groups are
  fixed for a graph; activists move between camp nodes as they switch.
* **ego** — a seeded sample of one member's neighbourhood (the member, some of its neighbours
  and some of theirs), with the contractors whose bloc members appear, tied to them.

Both layouts are computed once per graph (networkx layouts seeded from the model seed) and
kept in a per-session :class:`LayoutCache`; each day only colours and sizes change.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import networkx as nx
import numpy as np

__all__ = ["GroupStructure", "GroupState", "EgoSample", "EgoState", "CENTRE_KINDS", "graph_fingerprint",
           "group_structure", "group_of", "group_state", "group_layout", "initial_positions", "sample_ego", "ego_state",
           "LayoutCache"]

#: What the centre of an ego sample is drawn from.
CENTRE_KINDS = ("member", "activist", "bloc member")


def graph_fingerprint(model) -> str:
    """A short hash identifying the model's influence graph (member count and tie arrays)."""
    h = hashlib.blake2b(digest_size=12)
    h.update(np.int64(model.n).tobytes())
    h.update(np.ascontiguousarray(model.edges.u).tobytes())
    h.update(np.ascontiguousarray(model.edges.v).tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- aggregated view
@dataclass(frozen=True)
class GroupStructure:
    """The fixed nodes of the aggregated view and their layout.

    Attributes:
        labels: one label per group: sectors, then contractor blocs, then activist camps.
        kinds: ``"sector"``, ``"bloc"`` or ``"camp"`` per group.
        n_sectors: number of sector groups (they come first).
        n_blocs: number of bloc groups (they follow the sectors).
        pos: layout, shape (groups, 2), seeded from the model seed.
    """

    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    n_sectors: int
    n_blocs: int
    pos: np.ndarray


@dataclass(frozen=True)
class GroupState:
    """The aggregated view on one day: per-group sizes and mean leanings, and group-to-group ties."""

    structure: GroupStructure
    sizes: np.ndarray      # (G,) members per group
    leaning: np.ndarray    # (G,) mean leaning toward finalist A (nan for an empty group)
    ties: np.ndarray       # (G, G) symmetric tie counts between groups (diagonal: within)


def group_of(model, n_sectors: int, n_blocs: int) -> np.ndarray:
    """The group index of every member today: its activist camp, else its bloc, else its sector."""
    st = model.state
    sector = np.asarray(st.sector, dtype=np.int64)
    gid = np.where(st.bloc >= 0, n_sectors + np.asarray(st.bloc, dtype=np.int64), sector)
    return np.where(st.camp >= 0, n_sectors + n_blocs + np.asarray(st.camp, dtype=np.int64), gid)


def _group_ties(model, gid: np.ndarray, groups: int) -> np.ndarray:
    gu, gv = gid[model.edges.u], gid[model.edges.v]
    counts = np.bincount(gu * groups + gv, minlength=groups * groups).reshape(groups, groups)
    sym = counts + counts.T
    np.fill_diagonal(sym, np.diag(counts))
    return sym


def initial_positions(n_sectors: int, bloc_sector: list[int], n_camps: int) -> np.ndarray:
    """A readable starting picture: sectors on a ring, each contractor bloc just outside its
    sector, activist camps on a small inner ring."""
    pos = []
    for s in range(n_sectors):
        angle = 2 * np.pi * s / max(n_sectors, 1)
        pos.append((np.cos(angle), np.sin(angle)))
    per_sector: dict[int, int] = {}
    for s in bloc_sector:
        k = per_sector.get(s, 0)
        per_sector[s] = k + 1
        count = bloc_sector.count(s)
        angle = 2 * np.pi * s / max(n_sectors, 1) + (k - (count - 1) / 2) * 0.45
        pos.append((1.75 * np.cos(angle), 1.75 * np.sin(angle)))
    for c in range(n_camps):
        angle = 2 * np.pi * c / max(n_camps, 1) + np.pi / 4
        pos.append((0.4 * np.cos(angle), 0.4 * np.sin(angle)))
    return np.array(pos, dtype=float).reshape(-1, 2)


def group_layout(ties: np.ndarray, seed: int, initial: np.ndarray, fixed: int = 0) -> np.ndarray:
    """A spring layout of the group graph, started from ``initial`` with its first ``fixed``
    nodes pinned, and seeded, so the same graph always gets the same picture (edge weight grows
    with the log of the tie count)."""
    groups = len(ties)
    g = nx.Graph()
    g.add_nodes_from(range(groups))
    top = max(float(np.log1p(ties.max())), 1.0)
    for i in range(groups):
        for j in range(i + 1, groups):
            if ties[i, j] > 0:
                g.add_edge(i, j, weight=float(np.log1p(ties[i, j])) / top)
    start = {i: initial[i] for i in range(groups)}
    pos = nx.spring_layout(g, pos=start, fixed=list(range(fixed)) or None, weight="weight",
                           seed=int(seed) % (2**32), k=0.55, iterations=30, scale=None)
    return np.array([pos[i] for i in range(groups)], dtype=float)


def group_structure(model) -> GroupStructure:
    """The group nodes of ``model``'s graph with their seeded layout (computed from day-0 ties)."""
    sectors = list(model.sector_names)
    blocs = [c.name for c in model.contractors]
    camps = [f"{name} activists" for name in (c.name for c in model.candidates)]
    labels = tuple(sectors + blocs + camps)
    kinds = tuple(["sector"] * len(sectors) + ["bloc"] * len(blocs) + ["camp"] * len(camps))
    gid = group_of(model, len(sectors), len(blocs))
    ties = _group_ties(model, gid, len(labels))
    st = model.state
    bloc_sector = [int(np.bincount(st.sector[c.members], minlength=1).argmax()) if len(c.members) else 0
                   for c in model.contractors]
    start = initial_positions(len(sectors), bloc_sector, len(camps))
    return GroupStructure(labels=labels, kinds=kinds, n_sectors=len(sectors), n_blocs=len(blocs),
                          pos=group_layout(ties, model.seed, start, fixed=len(sectors)))


def group_state(model, structure: GroupStructure) -> GroupState:
    """Today's sizes, mean leanings and ties of the groups of ``structure``."""
    groups = len(structure.labels)
    gid = group_of(model, structure.n_sectors, structure.n_blocs)
    sizes = np.bincount(gid, minlength=groups)
    sums = np.bincount(gid, weights=model.state.leaning, minlength=groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        leaning = np.where(sizes > 0, sums / np.maximum(sizes, 1), np.nan)
    return GroupState(structure=structure, sizes=sizes, leaning=leaning, ties=_group_ties(model, gid, groups))


# --------------------------------------------------------------------------- ego view
@dataclass(frozen=True)
class EgoSample:
    """A sampled neighbourhood with its layout (fixed for a graph and sample number).

    Attributes:
        centre_kind: what the centre was drawn from (one of :data:`CENTRE_KINDS`).
        members: member ids in the sample; ``members[0]`` is the centre.
        edges: ties among the sample as pairs of positions in ``members``.
        contractors: contractor indices whose bloc members are in the sample.
        contractor_edges: pairs (contractor position, member position) for those bloc members.
        pos: layout of members then contractors, shape (len(members) + len(contractors), 2).
    """

    centre_kind: str
    members: np.ndarray
    edges: np.ndarray
    contractors: np.ndarray
    contractor_edges: np.ndarray
    pos: np.ndarray


@dataclass(frozen=True)
class EgoState:
    """The ego sample on one day: each sampled member's leaning and role, each contractor's choice."""

    sample: EgoSample
    leaning: np.ndarray      # (k,)
    activist: np.ndarray     # (k,) bool
    bloc: np.ndarray         # (k,) bool: in some contractor's bloc
    voted: np.ndarray        # (k,) int8: -1 not (yet), 0 = A, 1 = B
    instruction: np.ndarray  # (contractors,) 0 = A, 1 = B, -1 = none
    contractor_names: tuple[str, ...]


def sample_ego(model, centre_kind: str = "member", number: int = 0, first: int = 30, second: int = 3) -> EgoSample:
    """Sample a neighbourhood of ``model``'s graph, seeded by the model seed and ``number``.

    Args:
        model: a RunoffModel.
        centre_kind: draw the centre among all members, activists or bloc members (falls back
            to all members if there are none of that kind).
        number: the sample number (``Resample`` increments it).
        first: at most this many of the centre's neighbours.
        second: at most this many further neighbours of each of those.
    """
    rng = np.random.default_rng([int(model.seed) % (2**63), 7, CENTRE_KINDS.index(centre_kind), int(number)])
    st = model.state
    pool = {"member": np.arange(model.n), "activist": np.flatnonzero(st.camp >= 0),
            "bloc member": np.flatnonzero(st.bloc >= 0)}[centre_kind]
    if len(pool) == 0:
        pool = np.arange(model.n)
    centre = int(rng.choice(pool))
    edges = model.edges
    near = edges.neighbours(centre)
    if len(near) > first:
        near = np.sort(rng.choice(near, size=first, replace=False))
    chosen = [centre] + [int(x) for x in near]
    seen = set(chosen)
    for x in near:
        nbrs = [int(y) for y in edges.neighbours(int(x)) if int(y) not in seen]
        if len(nbrs) > second:
            nbrs = [int(y) for y in rng.choice(nbrs, size=second, replace=False)]
        for y in nbrs:
            seen.add(y)
            chosen.append(y)
    members = np.array(chosen, dtype=np.int64)
    index = {int(m): k for k, m in enumerate(members)}
    pairs = []
    for k, m in enumerate(members):
        for y in edges.neighbours(int(m)):
            j = index.get(int(y))
            if j is not None and j > k:
                pairs.append((k, j))
    bloc = st.bloc[members]
    contractors = np.unique(bloc[bloc >= 0]).astype(np.int64)
    cpos = {int(c): len(members) + i for i, c in enumerate(contractors)}
    cedges = [(cpos[int(b)], k) for k, b in enumerate(bloc) if b >= 0]
    g = nx.Graph()
    g.add_nodes_from(range(len(members) + len(contractors)))
    g.add_edges_from(pairs)
    g.add_edges_from(cedges)
    layout = nx.spring_layout(g, seed=int(rng.integers(2**31)), iterations=80)
    pos = np.array([layout[i] for i in range(len(members) + len(contractors))], dtype=float).reshape(-1, 2)
    return EgoSample(centre_kind=centre_kind, members=members, edges=np.array(pairs, dtype=np.int64).reshape(-1, 2),
                     contractors=contractors, contractor_edges=np.array(cedges, dtype=np.int64).reshape(-1, 2),
                     pos=pos)


def ego_state(model, sample: EgoSample) -> EgoState:
    """Today's leanings, roles and votes of the sampled members and their contractors' choices."""
    st = model.state
    m = sample.members
    return EgoState(sample=sample, leaning=st.leaning[m].copy(), activist=st.camp[m] >= 0, bloc=st.bloc[m] >= 0,
                    voted=np.asarray(st.vote[m]).copy(),
                    instruction=np.array([model.contractors[int(c)].instruction for c in sample.contractors],
                                         dtype=np.int64),
                    contractor_names=tuple(model.contractors[int(c)].name for c in sample.contractors))


class LayoutCache:
    """Per-session store of layouts, keyed by graph fingerprint (and sample), least recent dropped.

    Not shared between sessions: each session owns one.
    """

    def __init__(self, capacity: int = 16):
        self.capacity = capacity
        self._items: OrderedDict = OrderedDict()

    def get(self, key, make):
        """The cached value for ``key``, or ``make()`` stored under it."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self._items[key] = value
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
