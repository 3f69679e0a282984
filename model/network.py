"""The influence graph: seeded, linear-time construction as edge arrays, CSR view, networkx view.

Members are nodes ``0..n-1`` (node id = member index). Ties are drawn as stubs: each member
starts ``mean_degree / 2`` ties. A tie stays in the member's sector with probability
``sector_homophily`` (otherwise it joins a uniform member of the roll). Inside the sector it is
a *local* tie with probability ``local_ties``: the member's k-th stub joins the member k+1
places further along the sector's ring, a seeded order sorted by round-1 category (a ring
lattice, which gives clustering as in Watts-Strogatz small worlds; Centola 2010). Otherwise it
joins a uniform member of the same (sector, round-1 category) group with probability
``vote_homophily``, else a uniform member of the sector. Activists get ``activist_ties`` extra
ties to uniform members of their sector (canvassing reach) and ``activist_camp_ties`` ties to
other activists, half to their own camp (the camp network complex contagion runs on).
Duplicate ties and self-ties are dropped. All draws come from the stream passed in.

The CSR arrays (``indptr``, ``indices``), with each row's neighbours in ascending id order,
are what both engines iterate over; the networkx graph is built from the same edge arrays on
demand, with contractors added as nodes ``n..n+C-1`` tied to their blocs.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from runoff_abm.model.params import Params

__all__ = ["Edges", "build_edges", "to_networkx"]

EDGE_KINDS = ("social", "activist", "camp")


@dataclass(frozen=True)
class Edges:
    """An undirected simple graph on members as arrays, plus its symmetric CSR adjacency."""

    n: int
    u: np.ndarray        # (E,) int64, u < v, sorted lexicographically
    v: np.ndarray        # (E,)
    kind: np.ndarray     # (E,) int8 index into EDGE_KINDS
    indptr: np.ndarray   # (n+1,)
    indices: np.ndarray  # (2E,) neighbours, ascending within each row

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def neighbours(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    @classmethod
    def from_pairs(cls, n: int, u, v, kind=None) -> Edges:
        """Canonicalise pairs (drop self-ties and duplicates) and index them.

        A duplicated tie keeps its smallest kind (``build_edges`` adds social, then activist,
        then camp ties, so that is the first one drawn). One integer sort of the keys
        ``(lo * n + hi) * 4 + kind`` orders the ties lexicographically and finds duplicates;
        the CSR arrays then come from a stable counting sort by row (scipy's COO -> CSR): a
        row's neighbours below it arrive in ascending order from the ties sorted by ``lo``,
        and those above it likewise, so every row is ascending without another sort.
        """
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        kind = np.zeros(len(u), dtype=np.int64) if kind is None else np.asarray(kind, dtype=np.int64)
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        keep = lo != hi
        comp = np.sort((lo[keep] * n + hi[keep]) * 4 + kind[keep])
        keys = comp >> 2
        first = np.ones(len(keys), dtype=bool)
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        keys, kinds = keys[first], (comp[first] & 3).astype(np.int8)
        lo, hi = keys // n, keys % n
        rows = np.concatenate([hi, lo])
        cols = np.concatenate([lo, hi])
        csr = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
        return cls(n=n, u=lo, v=hi, kind=kinds, indptr=csr.indptr.astype(np.int64),
                   indices=csr.indices.astype(np.int64))


def _grouped(keys: np.ndarray, rng: np.random.Generator, secondary: np.ndarray | None = None):
    """Members grouped by ``keys`` (then ``secondary``) in a seeded random order.

    Returns (order, start, size, position): ``order`` lists member ids group by group;
    ``start``/``size`` give each member's group slice in ``order``; ``position`` each member's
    index in ``order``.
    """
    n = len(keys)
    shuffle = rng.permutation(n)
    if secondary is None:
        order = shuffle[np.argsort(keys[shuffle], kind="stable")]
    else:
        order = shuffle[np.lexsort((secondary[shuffle], keys[shuffle]))]
    uniq, start, size = np.unique(keys[order], return_index=True, return_counts=True)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    gidx = np.searchsorted(uniq, keys)
    return order, start[gidx], size[gidx], pos


def _uniform(rng, src, order, start, size):
    """For each source member, a uniform member of its group (possibly itself; dropped later)."""
    return order[start[src] + (rng.random(len(src)) * size[src]).astype(np.int64)]


def build_edges(sector: np.ndarray, r1: np.ndarray, camp: np.ndarray, params: Params,
                rng: np.random.Generator) -> Edges:
    """Draw the member influence graph (see the module docstring). Linear in members and ties."""
    n = len(sector)
    if n < 2:
        return Edges.from_pairs(n, [], [])
    half = params.mean_degree / 2
    stubs = np.full(n, int(half), dtype=np.int64) + (rng.random(n) < half - int(half))
    src = np.repeat(np.arange(n, dtype=np.int64), stubs)
    # rank of each stub among its member's stubs: 0, 1, 2, ...
    rank = np.arange(len(src)) - np.repeat(np.cumsum(stubs) - stubs, stubs)

    sec = sector.astype(np.int64)
    # the sector ring: members of a sector in (round-1 category, random) order, so ring
    # neighbours mostly share a round-1 vote; local ties join a member to the next ones on it
    ring = _grouped(sec, rng, secondary=r1.astype(np.int64))
    by_group = _grouped(sec * 4096 + r1.astype(np.int64), rng)
    order, start, size, pos = ring
    local = order[start[src] + (pos[src] - start[src] + rank + 1) % size[src]]
    in_sector = rng.random(len(src)) < params.sector_homophily
    is_local = rng.random(len(src)) < params.local_ties
    same_vote = rng.random(len(src)) < params.vote_homophily
    within = np.where(same_vote, _uniform(rng, src, *by_group[:3]), _uniform(rng, src, *ring[:3]))
    anywhere = rng.integers(0, n, size=len(src))
    tgt = np.where(in_sector, np.where(is_local, local, within), anywhere)
    us, vs, ks = [src], [tgt], [np.zeros(len(src), dtype=np.int8)]

    acts = np.flatnonzero(camp >= 0)
    if len(acts) and params.activist_ties:
        a_src = np.repeat(acts, params.activist_ties)
        us.append(a_src)
        vs.append(_uniform(rng, a_src, *ring[:3]))
        ks.append(np.ones(len(a_src), dtype=np.int8))
    if len(acts) > 1 and params.activist_camp_ties:
        c_src = np.repeat(acts, params.activist_camp_ties)
        c_grp = _grouped(camp[acts].astype(np.int64), rng)
        order, start, size, _ = c_grp
        local = np.searchsorted(acts, c_src)  # position of each source among activists
        s, z = start[local], size[local]
        own = acts[order[s + (rng.random(len(c_src)) * z).astype(np.int64)]]
        anyone = acts[rng.integers(0, len(acts), size=len(c_src))]
        us.append(c_src)
        vs.append(np.where(rng.random(len(c_src)) < 0.5, own, anyone))
        ks.append(np.full(len(c_src), 2, dtype=np.int8))
    return Edges.from_pairs(n, np.concatenate(us), np.concatenate(vs), np.concatenate(ks))


def to_networkx(edges: Edges, sector_names, sector: np.ndarray, r1: np.ndarray, camp: np.ndarray,
                category_names, contractors=(), bloc: np.ndarray | None = None) -> nx.Graph:
    """The influence graph as networkx: members 0..n-1, then contractors n..n+C-1.

    Node attributes: ``kind`` (member / activist / contractor), ``sector``, ``round1``; edge
    attribute ``kind`` (social / activist / camp / bloc).
    """
    g = nx.Graph()
    n = edges.n
    sec = [sector_names[i] for i in sector] if len(sector_names) else ["all"] * n
    g.add_nodes_from(
        (i, {"kind": "activist" if camp[i] >= 0 else "member", "sector": sec[i],
             "round1": category_names[r1[i]]}) for i in range(n))
    g.add_edges_from(
        (int(a), int(b), {"kind": EDGE_KINDS[k]}) for a, b, k in zip(edges.u, edges.v, edges.kind, strict=True))
    for c, name in enumerate(contractors):
        g.add_node(n + c, kind="contractor", name=name)
        if bloc is not None:
            g.add_edges_from((n + c, int(m), {"kind": "bloc"}) for m in np.flatnonzero(bloc == c))
    return g
