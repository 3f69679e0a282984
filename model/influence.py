"""The social-influence kernel: bounded-confidence averaging on a graph (DeGroot at eps >= 1).

    x_i <- x_i + rate * s_i * (mean{ x_j : j ~ i, |x_j - x_i| <= eps } - x_i)

for every member with at least one neighbour within ``eps`` and not frozen; synchronous (all
read the same snapshot). Neighbour sums use scipy's CSR mat-vec with 0/1 weights, which adds
each row's terms in CSR order from 0.0 -- the order of the per-agent reference
(:meth:`runoff_abm.agents.Member.influence_target`) -- so both give identical floating-point results.
The kernel is usable on its own (validation runs it on textbook graphs).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["BoundedConfidence"]


class BoundedConfidence:
    """Bounded-confidence / DeGroot step over a fixed graph given as CSR arrays."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray):
        n = len(indptr) - 1
        self.n = n
        self.indices = np.asarray(indices, dtype=np.int64)
        self.degree = np.diff(indptr)
        self.rows = np.repeat(np.arange(n, dtype=np.int64), self.degree)
        self.adj = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n, n))
        self.near = sp.csr_matrix((np.ones(len(indices)), self.adj.indices, self.adj.indptr), shape=(n, n))
        self.ones = np.ones(n)
        # preallocated buffers: fresh 10^6-element temporaries each day cost page faults
        self._xc = np.empty(len(indices))
        self._xr = np.empty(len(indices))

    @classmethod
    def from_edges(cls, edges) -> BoundedConfidence:
        """From a :class:`runoff_abm.model.network.Edges`."""
        return cls(edges.indptr, edges.indices)

    def neighbour_sum(self, v: np.ndarray) -> np.ndarray:
        """Sum of ``v`` over each node's neighbours (CSR order)."""
        return self.adj @ v

    def step(self, x: np.ndarray, s: np.ndarray | float, eps: float, rate: float,
             frozen: np.ndarray | None = None) -> np.ndarray:
        """One synchronous step; returns the new opinions (``x`` is not modified)."""
        if eps >= 1.0:  # DeGroot: every neighbour is within the bound
            tot, cnt = self.adj @ x, self.adj @ self.ones
        else:
            # mode="clip": the indices are valid by construction, and numpy buffers `out` in
            # the default mode="raise" (a third of the gather's time)
            diff = np.take(x, self.indices, out=self._xc, mode="clip")
            np.subtract(diff, np.take(x, self.rows, out=self._xr, mode="clip"), out=diff)
            np.abs(diff, out=diff)
            np.less_equal(diff, eps, out=self.near.data, casting="unsafe")
            tot, cnt = self.near @ x, self.near @ self.ones
        keep = cnt == 0  # nobody within the bound: unchanged
        if frozen is not None:
            keep |= frozen
        with np.errstate(invalid="ignore", divide="ignore"):
            new = x + rate * s * (tot / cnt - x)
        np.copyto(new, x, where=keep)
        return new
