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

try:  # the linear COO -> CSR counting sort behind scipy's constructor
    from scipy.sparse._sparsetools import coo_tocsr as _coo_tocsr
except ImportError:  # pragma: no cover
    _coo_tocsr = None

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

    def adjacency(self) -> sp.csr_matrix:
        """The 0/1 adjacency as a float CSR matrix, made once per graph and shared by the runs on it
        (read-only: kernels that weight ties make their own data array)."""
        adj = self.__dict__.get("_adjacency")
        if adj is None:
            adj = sp.csr_matrix((np.ones(len(self.indices)), self.indices, self.indptr), shape=(self.n, self.n))
            object.__setattr__(self, "_adjacency", adj)
        return adj

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(a.nbytes for a in (self.u, self.v, self.kind, self.indptr, self.indices))

    def freeze(self) -> Edges:
        """Make the arrays read-only (a graph shared by several models) and return self."""
        for a in (self.u, self.v, self.kind, self.indptr, self.indices):
            a.flags.writeable = False
        return self

    @property
    def degree(self) -> np.ndarray:
        """Each member's number of ties."""
        return np.diff(self.indptr)

    def neighbours(self, i: int) -> np.ndarray:
        """Member ``i``'s neighbours, ascending."""
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    @classmethod
    def from_pairs(cls, n: int, u, v, kind=None) -> Edges:
        """Canonicalise pairs (drop self-ties and duplicates) and index them.

        A duplicated tie keeps its smallest kind (``build_edges`` adds social, then activist,
        then camp ties, so that is the first one drawn). One integer sort of the keys
        ``(lo * n + hi) * 4 + kind`` orders the ties lexicographically and finds duplicates
        (the only comparison sort). The CSR rows then come from counting sorts: row ``r`` is
        its neighbours below ``r`` (the ties ``(lo, r)``, ascending in ``lo``: a transpose,
        i.e. a stable counting sort by ``hi``) followed by those above it (the ties ``(r, hi)``,
        already contiguous and ascending in the sorted keys), so every row is ascending without
        another sort.
        """
        u = np.array(u, dtype=np.int64)  # copies: the canonical form works in place
        v = np.array(v, dtype=np.int64)
        kind = np.zeros(len(u), dtype=np.int64) if kind is None else np.asarray(kind, dtype=np.int64)
        return cls._canonical(n, u, v, kind)

    @classmethod
    def _canonical(cls, n: int, u: np.ndarray, v: np.ndarray, kind: np.ndarray) -> Edges:
        """:meth:`from_pairs` on int64 arrays it may overwrite (``build_edges``'s own): every
        step after the key works in place or in ``u``'s and ``v``'s buffers (at 10^6 members a
        fresh array of the ties is 44 MB, and first touching its pages costs more than the
        arithmetic on it)."""
        comp = np.minimum(u, v)
        np.maximum(u, v, out=v)  # v: the higher end
        keep = comp != v
        comp *= n
        comp += v
        comp *= 4
        comp += kind
        if not keep.all():
            comp = comp[keep]
        comp.sort()
        m = len(comp)
        keys = np.right_shift(comp, 2, out=u[:m])
        first = np.empty(m, dtype=bool)
        first[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        if not first.all():
            k = int(np.count_nonzero(first))
            np.compress(first, comp, out=v[:k])
            np.compress(first, keys, out=comp[:k])
            kinds = np.bitwise_and(v[:k], 3, out=v[:k]).astype(np.int8)
            keys = comp[:k]
        else:
            k = m
            kinds = np.bitwise_and(comp, 3, out=comp).astype(np.int8)
        lo, hi = np.divmod(keys, n, out=(u[:k], v[:k]))
        return cls(n=n, u=lo, v=hi, kind=kinds, **_csr(n, lo, hi))


def _csr(n: int, lo: np.ndarray, hi: np.ndarray) -> dict[str, np.ndarray]:
    """Symmetric CSR arrays of the simple graph with ties ``lo < hi`` sorted lexicographically.

    One stable counting sort by row of the entries ``(hi, lo)`` (the lower part, ascending in
    ``lo`` within a row) followed by ``(lo, hi)`` (the upper part, ascending in ``hi``): each row
    is its lower part then its upper part, ascending. scipy's COO -> CSR routine is that
    counting sort (linear, in C); the public constructor, which calls it and then checks the
    rows, is the fallback.
    """
    rows = np.concatenate([hi, lo])
    cols = np.concatenate([lo, hi])
    nnz = len(rows)
    ones = np.ones(nnz, dtype=np.int8)
    if _coo_tocsr is not None:
        indptr = np.empty(n + 1, dtype=np.int64)
        indices = np.empty(nnz, dtype=np.int64)
        _coo_tocsr(n, n, nnz, rows, cols, ones, indptr, indices, np.empty(nnz, dtype=np.int8))
        return {"indptr": indptr, "indices": indices}
    csr = sp.csr_matrix((ones, (rows, cols)), shape=(n, n))  # pragma: no cover - older/newer scipy
    return {"indptr": csr.indptr.astype(np.int64), "indices": csr.indices.astype(np.int64)}


def _grouped(keys: np.ndarray, rng: np.random.Generator, secondary: np.ndarray | None = None):
    """Members grouped by ``keys`` (then ``secondary``) in a seeded random order.

    Returns (order, start, size, position): ``order`` lists member ids group by group;
    ``start``/``size`` give each member's group slice in ``order``; ``position`` each member's
    index in ``order``. Small non-negative codes (sectors, round-1 categories, camps: the usual
    case) are grouped by counting (a radix sort of 16-bit keys and bincounts); anything else by
    comparison sorts. Both give the same result: a stable sort of a seeded shuffle.
    """
    n = len(keys)
    shuffle = rng.permutation(n)
    top = int(keys.max(initial=0)) + 1
    sub = 1 if secondary is None else int(secondary.max(initial=0)) + 1
    small = (int(keys.min(initial=0)) >= 0 and (secondary is None or int(secondary.min(initial=0)) >= 0)
             and top * sub <= 1 << 16)
    if small:
        full = keys if secondary is None else keys * sub + secondary
        order = shuffle[np.argsort(full[shuffle].astype(np.uint16), kind="stable")]
        count = np.bincount(keys, minlength=top)
        first = np.cumsum(count) - count
        start, size = first[keys], count[keys]
    else:
        if secondary is None:
            order = shuffle[np.argsort(keys[shuffle], kind="stable")]
        else:
            order = shuffle[np.lexsort((secondary[shuffle], keys[shuffle]))]
        uniq, first, count = np.unique(keys[order], return_index=True, return_counts=True)
        gidx = np.searchsorted(uniq, keys)
        start, size = first[gidx], count[gidx]
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    return order, start, size, pos


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
    r1c = r1.astype(np.int64)
    ring = _grouped(sec, rng, secondary=r1c)
    by_group = _grouped(sec * (int(r1c.max(initial=0)) + 1) + r1c, rng)  # same groups, same order as (sector, r1)
    # each stub's target as one index into [ring order | group order] (one gather at the end);
    # the draws are those of the plain form, in the same order:
    #   local  = ring.order[start + (pos - start + rank + 1) % size]
    #   within = uniform in the (sector, vote) group if same_vote, else in the sector (ring)
    #   target = anywhere if not in_sector, else local if is_local, else within
    r_order, r_start, r_size, r_pos = ring
    g_order, g_start, g_size, _ = by_group
    rs, rz = np.repeat(r_start, stubs), np.repeat(r_size, stubs)
    local = rs + (np.repeat(r_pos, stubs) - rs + rank + 1) % rz
    in_sector = rng.random(len(src)) < params.sector_homophily
    is_local = rng.random(len(src)) < params.local_ties
    same_vote = rng.random(len(src)) < params.vote_homophily
    u_group, u_ring = rng.random(len(src)), rng.random(len(src))
    in_group = np.repeat(g_start + n, stubs) + (u_group * np.repeat(g_size, stubs)).astype(np.int64)
    in_ring = rs + (u_ring * rz).astype(np.int64)
    anywhere = rng.integers(0, n, size=len(src))
    slot = in_ring
    np.copyto(slot, in_group, where=same_vote)
    np.copyto(slot, local, where=is_local)
    tgt = np.take(np.concatenate([r_order, g_order]), slot)
    np.copyto(tgt, anywhere, where=~in_sector)
    us, vs, ks = [src], [tgt], [np.zeros(len(src), dtype=np.int8)]

    acts = np.flatnonzero(camp >= 0)
    if len(acts) and params.activist_ties:
        a_src = np.repeat(acts, params.activist_ties)
        us.append(a_src)
        vs.append(_uniform(rng, a_src, r_order, r_start, r_size))
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
    return Edges._canonical(n, np.concatenate(us), np.concatenate(vs), np.concatenate(ks).astype(np.int64))


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
