"""The social-influence kernel: bounded-confidence averaging on a graph (DeGroot at eps >= 1).

    x_i <- x_i + rate * s_i * (mean{ x_j : j ~ i, |x_j - x_i| <= eps } - x_i)

for every member with at least one neighbour within ``eps`` and not frozen; synchronous (all
read the same snapshot). Neighbour sums use scipy's CSR mat-vec with 0/1 weights, which adds
each row's terms in CSR order from 0.0 -- the order of the per-agent reference
(:meth:`runoff_abm.agents.Member.influence_target`) -- so both give identical floating-point results.
The kernel is usable on its own (validation runs it on textbook graphs).

A fused form (:meth:`BoundedConfidence.update`) does a day's whole member update -- this step
and the turnout drift's neighbour mean -- in one pass over the ties, compiled with numba when
it is installed (``pip install 'runoff-abm[fast]'``). It adds the same terms in the same order
from 0.0 and evaluates the same expressions, so it gives the same bits as the numpy path and
the per-agent reference; without numba (or for small graphs, where compiling would not pay)
the numpy path runs. :meth:`BoundedConfidence.update_columns` does the same for ``k`` runs on
the same graph at once (the columns of one state matrix), each column bit-identical to its run.
"""

from __future__ import annotations

import math
import os
from functools import cached_property

import numpy as np
import scipy.sparse as sp

__all__ = ["BoundedConfidence", "KERNELS", "fused_available", "FUSED_MIN_TIES"]

#: Kernels: ``numpy`` (scipy mat-vecs, always there), ``numba`` (one fused pass over the ties),
#: ``auto`` (numba if installed and the graph has at least :data:`FUSED_MIN_TIES` tie ends).
KERNELS = ("auto", "numpy", "numba")
#: Below this many tie ends a day takes well under a millisecond either way: not worth
#: importing numba (about 0.3 s) in a small run.
FUSED_MIN_TIES = 100_000
_FUSED: dict[str, object] = {}


def fused_available() -> bool:
    """Whether numba can be imported (the fused kernels need it)."""
    if "ok" not in _FUSED:
        try:
            import numba  # noqa: F401
        except ImportError:
            _FUSED["ok"] = False
        else:
            _FUSED["ok"] = True
    return bool(_FUSED["ok"])


_BLOCK = 4  # columns per pass of the column kernel


def _columns4(indptr, indices, x, s, eps, rate, frozen, p, decay, social, new_x, new_p, c0):  # pragma: no cover - numba
    """The column kernel's body, four columns per pass over the ties with scalar accumulators
    (numba keeps scalars in registers; array accumulators could alias the state and are much
    slower) and branch-free weights (a mispredicted branch per tie and column costs more than
    the rest of the work). Per column, the same operations in the same order as the fused ``update``.
    Compiled by numba on first use (:func:`_compiled`); plain Python otherwise (not used)."""
    n = len(indptr) - 1
    e0 = eps[c0 + 0]
    e1 = eps[c0 + 1]
    e2 = eps[c0 + 2]
    e3 = eps[c0 + 3]
    for i in range(n):
        start, end = indptr[i], indptr[i + 1]
        xi0 = x[i, c0 + 0]
        t0 = 0.0
        n0 = 0.0
        q0 = 0.0
        xi1 = x[i, c0 + 1]
        t1 = 0.0
        n1 = 0.0
        q1 = 0.0
        xi2 = x[i, c0 + 2]
        t2 = 0.0
        n2 = 0.0
        q2 = 0.0
        xi3 = x[i, c0 + 3]
        t3 = 0.0
        n3 = 0.0
        q3 = 0.0
        for jj in range(start, end):
            j = indices[jj]
            a0 = x[j, c0 + 0]
            q0 += p[j, c0 + 0]
            w0 = 0.5 + 0.5 * math.copysign(1.0, e0 - abs(a0 - xi0))
            t0 += w0 * a0
            n0 += w0
            a1 = x[j, c0 + 1]
            q1 += p[j, c0 + 1]
            w1 = 0.5 + 0.5 * math.copysign(1.0, e1 - abs(a1 - xi1))
            t1 += w1 * a1
            n1 += w1
            a2 = x[j, c0 + 2]
            q2 += p[j, c0 + 2]
            w2 = 0.5 + 0.5 * math.copysign(1.0, e2 - abs(a2 - xi2))
            t2 += w2 * a2
            n2 += w2
            a3 = x[j, c0 + 3]
            q3 += p[j, c0 + 3]
            w3 = 0.5 + 0.5 * math.copysign(1.0, e3 - abs(a3 - xi3))
            t3 += w3 * a3
            n3 += w3
        deg = end - start
        if n0 == 0.0 or frozen[i, c0 + 0]:
            new_x[i, c0 + 0] = xi0
        else:
            new_x[i, c0 + 0] = xi0 + rate[c0 + 0] * s[i] * (t0 / n0 - xi0)
        pi = p[i, c0 + 0]
        mean = q0 / deg if deg > 0 else pi
        new_p[i, c0 + 0] = (1 - decay[c0 + 0]) * (pi + social[c0 + 0] * (4.0 * pi * (1.0 - pi)) * (mean - pi))
        if n1 == 0.0 or frozen[i, c0 + 1]:
            new_x[i, c0 + 1] = xi1
        else:
            new_x[i, c0 + 1] = xi1 + rate[c0 + 1] * s[i] * (t1 / n1 - xi1)
        pi = p[i, c0 + 1]
        mean = q1 / deg if deg > 0 else pi
        new_p[i, c0 + 1] = (1 - decay[c0 + 1]) * (pi + social[c0 + 1] * (4.0 * pi * (1.0 - pi)) * (mean - pi))
        if n2 == 0.0 or frozen[i, c0 + 2]:
            new_x[i, c0 + 2] = xi2
        else:
            new_x[i, c0 + 2] = xi2 + rate[c0 + 2] * s[i] * (t2 / n2 - xi2)
        pi = p[i, c0 + 2]
        mean = q2 / deg if deg > 0 else pi
        new_p[i, c0 + 2] = (1 - decay[c0 + 2]) * (pi + social[c0 + 2] * (4.0 * pi * (1.0 - pi)) * (mean - pi))
        if n3 == 0.0 or frozen[i, c0 + 3]:
            new_x[i, c0 + 3] = xi3
        else:
            new_x[i, c0 + 3] = xi3 + rate[c0 + 3] * s[i] * (t3 / n3 - xi3)
        pi = p[i, c0 + 3]
        mean = q3 / deg if deg > 0 else pi
        new_p[i, c0 + 3] = (1 - decay[c0 + 3]) * (pi + social[c0 + 3] * (4.0 * pi * (1.0 - pi)) * (mean - pi))


def _compiled():
    """The numba kernels, compiled on first use (cached on disk by numba)."""
    if "update" in _FUSED:
        return _FUSED["update"], _FUSED["columns"]
    import numba

    # no fastmath: the same IEEE operations in the same order as the numpy path
    @numba.njit(cache=True, nogil=True)
    def update(indptr, indices, x, s, eps, rate, frozen, p, decay, social, new_x, new_p):  # pragma: no cover
        n = len(indptr) - 1
        e = math.inf if eps >= 1.0 else eps  # DeGroot: every neighbour
        for i in range(n):
            xi = x[i]
            pi = p[i]
            tot = 0.0
            cnt = 0.0
            ptot = 0.0
            start, end = indptr[i], indptr[i + 1]
            for jj in range(start, end):
                j = indices[jj]
                xj = x[j]
                ptot += p[j]
                # as scipy's mat-vec with 0/1 weights: w * x_j added for every tie; w = 1 exactly
                # when |x_j - x_i| <= eps (e - |d| >= +0 then, < 0 otherwise: a difference of
                # distinct doubles is never zero), computed without a branch
                w = 0.5 + 0.5 * math.copysign(1.0, e - abs(xj - xi))
                tot += w * xj
                cnt += w
            if cnt == 0.0 or frozen[i]:
                new_x[i] = xi
            else:
                new_x[i] = xi + rate * s[i] * (tot / cnt - xi)
            deg = end - start
            mean = ptot / deg if deg > 0 else pi
            new_p[i] = (1 - decay) * (pi + social * (4.0 * pi * (1.0 - pi)) * (mean - pi))

    columns = numba.njit(cache=True, nogil=True)(_columns4)

    _FUSED["update"], _FUSED["columns"] = update, columns
    return update, columns


class BoundedConfidence:
    """Bounded-confidence / DeGroot step over a fixed graph given as CSR arrays."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, kernel: str | None = None, adjacency=None):
        n = len(indptr) - 1
        self.n = n
        kernel = kernel or os.environ.get("RUNOFF_KERNEL", "auto")
        if kernel not in KERNELS:
            raise ValueError(f"kernel {kernel!r}: allowed {', '.join(KERNELS)}")
        if kernel == "numba" and not fused_available():
            raise ValueError("kernel 'numba': numba is not installed (pip install 'runoff-abm[fast]')")
        if kernel == "auto":
            kernel = "numba" if len(indices) >= FUSED_MIN_TIES and fused_available() else "numpy"
        #: the kernel in use: ``numpy`` or ``numba``
        self.kernel = kernel
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.degree = np.diff(self.indptr)
        self._adjacency = adjacency

    # the numpy path's arrays, made on first use (the fused kernel needs none of them)
    @cached_property
    def adj(self) -> sp.csr_matrix:
        """The 0/1 adjacency as a float CSR matrix (shared by the runs on one graph)."""
        if self._adjacency is not None:
            return self._adjacency
        return sp.csr_matrix((np.ones(len(self.indices)), self.indices, self.indptr), shape=(self.n, self.n))

    @cached_property
    def near(self) -> sp.csr_matrix:
        """The adjacency with this kernel's own weights (rewritten each step: within the bound)."""
        return sp.csr_matrix((np.ones(len(self.indices)), self.adj.indices, self.adj.indptr), shape=(self.n, self.n))

    @cached_property
    def rows(self) -> np.ndarray:
        """The row of every tie end."""
        return np.repeat(np.arange(self.n, dtype=np.int64), self.degree)

    @cached_property
    def ones(self) -> np.ndarray:
        """A vector of ones (neighbour counts by mat-vec)."""
        return np.ones(self.n)

    @cached_property
    def _xc(self) -> np.ndarray:  # preallocated: fresh 10^6-element temporaries each day cost page faults
        return np.empty(len(self.indices))

    @cached_property
    def _xr(self) -> np.ndarray:
        return np.empty(len(self.indices))

    @classmethod
    def from_edges(cls, edges, kernel: str | None = None) -> BoundedConfidence:
        """From a :class:`runoff_abm.model.network.Edges` (``kernel``: see :data:`KERNELS`;
        default: the environment variable ``RUNOFF_KERNEL``, else ``auto``)."""
        return cls(edges.indptr, edges.indices, kernel, adjacency=edges.adjacency())

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

    def drift(self, p: np.ndarray, decay: float | np.ndarray, social: float | np.ndarray) -> np.ndarray:
        """The turnout drift (numpy): each propensity pulled toward its neighbours' mean, scaled
        by ``4 p (1 - p)``, then the daily decay (:meth:`runoff_abm.agents.Member.turnout_target`)."""
        tot = self.adj @ p
        deg = self.degree if p.ndim == 1 else self.degree[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(deg > 0, tot / deg, p)
        return (1 - decay) * (p + social * (4.0 * p * (1.0 - p)) * (mean - p))

    def update(self, x: np.ndarray, s: np.ndarray, eps: float, rate: float, frozen: np.ndarray,
               p: np.ndarray, decay: float, social: float) -> tuple[np.ndarray, np.ndarray]:
        """A day's member update: (new leanings, new propensities), from the snapshot ``x``,
        ``p`` (not modified). One fused pass over the ties with numba; the two numpy steps
        otherwise. Identical bits either way."""
        if self.kernel == "numba":
            update, _ = _compiled()
            new_x, new_p = np.empty_like(x), np.empty_like(p)
            update(self.indptr, self.indices, x, np.broadcast_to(s, x.shape), float(eps), float(rate),
                   frozen, p, float(decay), float(social), new_x, new_p)
            return new_x, new_p
        return self.step(x, s, eps, rate, frozen=frozen), self.drift(p, decay, social)

    def update_columns(self, x: np.ndarray, s: np.ndarray, eps: np.ndarray, rate: np.ndarray, frozen: np.ndarray,
                       p: np.ndarray, decay: np.ndarray, social: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`update` for ``k`` runs on this graph at once: ``x``, ``p``, ``frozen`` are
        (n, k) (column c = run c), ``s`` is shared (n,), the parameters are (k,). numba: one
        pass over the ties for all columns; numpy: the propensities' neighbour sums as one
        sparse mat-mat product, DeGroot columns (eps >= 1) likewise, the others one masked
        mat-vec each. Column c is bit-identical to :meth:`update` of run c."""
        eps, rate = np.asarray(eps, dtype=float), np.asarray(rate, dtype=float)
        decay, social = np.asarray(decay, dtype=float), np.asarray(social, dtype=float)
        if self.kernel == "numba":
            update, columns = _compiled()
            k = x.shape[1]
            new_x, new_p = np.empty_like(x), np.empty_like(p)
            x, p, frozen = np.ascontiguousarray(x), np.ascontiguousarray(p), np.ascontiguousarray(frozen)
            s = np.ascontiguousarray(np.broadcast_to(s, (len(x),)), dtype=float)
            # eps >= 1 (DeGroot) counts every neighbour: the bound +inf does the same, branch-free
            e = np.where(eps >= 1.0, np.inf, eps)
            full = k - k % _BLOCK
            for c0 in range(0, full, _BLOCK):
                columns(self.indptr, self.indices, x, s, e, rate, frozen, p, decay, social, new_x, new_p, c0)
            for c in range(full, k):
                nx_, np_ = np.empty(len(x)), np.empty(len(x))
                update(self.indptr, self.indices, np.ascontiguousarray(x[:, c]), s, float(eps[c]), float(rate[c]),
                       np.ascontiguousarray(frozen[:, c]), np.ascontiguousarray(p[:, c]), float(decay[c]),
                       float(social[c]), nx_, np_)
                new_x[:, c], new_p[:, c] = nx_, np_
            return new_x, new_p
        new_p = self.drift(p, decay[None, :], social[None, :])
        new_x = np.empty_like(x)
        degroot = np.flatnonzero(eps >= 1.0)
        if len(degroot):
            xs = np.ascontiguousarray(x[:, degroot])
            tot, cnt = self.adj @ xs, (self.adj @ self.ones)[:, None]
            keep = (cnt == 0) | frozen[:, degroot]
            with np.errstate(invalid="ignore", divide="ignore"):
                new = xs + rate[degroot] * s[:, None] * (tot / cnt - xs)
            np.copyto(new, xs, where=keep)
            new_x[:, degroot] = new
        for c in np.flatnonzero(eps < 1.0).tolist():
            new_x[:, c] = self.step(np.ascontiguousarray(x[:, c]), s, eps[c], rate[c], frozen=frozen[:, c])
        return new_x, new_p
