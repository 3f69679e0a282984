"""ABC-SMC: sequential Monte Carlo approximate Bayesian computation with an adaptive distance.

The algorithm is population Monte Carlo ABC (Beaumont, Cornuet, Marin & Robert 2009, *Biometrika*
96: 983-990; the sequential form of Del Moral, Doucet & Jasra 2012) with the adaptive distance of
Prangle (2017, *Bayesian Analysis* 12: 289-309):

1. Generation 0 draws ``batch`` parameter sets from the prior (independent uniform ranges).
2. Each generation simulates its ``batch`` proposals once each (own seeds: ABC must see the
   model's noise) and computes their summary statistics.
3. **Adaptive distance.** The scale of statistic ``k`` is recomputed from the generation's own
   simulations, ``sd_k = 1.4826 MAD_k`` (the spread of the statistic under this generation's
   proposal); the distance is ``d = sqrt(sum_k ((s_k - s_k_obs) / sd_k)^2)``. As the population
   concentrates, statistics the parameters no longer move keep their weight relative to the
   ones they do (Prangle 2017, Algorithm 4). A simulation that breaks a qualitative pattern
   (``constraint``) or failed has distance infinity.
4. **Tolerance.** The ``population`` closest proposals are kept: the tolerance ``eps_t`` is the
   ``population / batch`` quantile of the generation's distances.
5. **Importance weights.** ``w_i = prior(theta_i) / sum_j w_j K(theta_i | theta_j)`` over the previous
   population (uniform in generation 0).
6. **Proposal.** A particle drawn by weight, moved by a Gaussian kernel with twice the weighted
   covariance of the population (Beaumont et al. 2009); proposals outside the prior's support are
   redrawn (particle and move), so the proposal density is the kernel mixture restricted to the
   support, up to a constant.
7. After ``generations`` generations, optionally the local-linear regression adjustment of
   Beaumont, Zhang & Balding (2002) on the last population, in logit coordinates of the prior
   range (so adjusted values stay inside it), with Epanechnikov weights ``1 - (d / eps)^2``.

The simulator is a function ``simulate(theta, seeds) -> stats`` over a batch (rows of ``theta``,
one seed each; a row of NaN for a failed run), so a batch runs on any executor. The budget is
fixed in advance: ``generations x batch`` simulations.

Why an own implementation and not pyABC: pyABC (0.13) pulls in SQLAlchemy, a database per run,
Redis/Dask samplers and a web front end; its results depend on its sampler's scheduling unless
run serially; and it does not run a batch through this package's executors (worker processes
with the package's seeds, resumable sweeps). The algorithm above is about 150 lines, is exact
to the papers cited, deterministic for a seed whatever the executor, and is checked by
simulation-based calibration (:mod:`runoff_abm.studies.sbc`, ``tests/test_sbc.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["UniformPrior", "SMCResult", "abc_smc", "weighted_quantile", "mad_scale", "regression_adjust"]

Simulator = Callable[[np.ndarray, list[int]], np.ndarray]


@dataclass(frozen=True)
class UniformPrior:
    """Independent uniform ranges: ``names[j]`` in ``[low[j], high[j]]``."""

    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def from_ranges(cls, ranges: dict[str, tuple[float, float]]) -> UniformPrior:
        """The prior of a ``{name: (low, high)}`` mapping (e.g. :func:`calibrate.load_prior`)."""
        names = tuple(ranges)
        return cls(names, np.array([ranges[n][0] for n in names], float), np.array([ranges[n][1] for n in names], float))

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return len(self.names)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws, an ``(n, dim)`` array."""
        return self.low + (self.high - self.low) * rng.random((n, self.dim))

    def inside(self, theta: np.ndarray) -> np.ndarray:
        """Whether each row of ``theta`` lies in the support."""
        return np.all((theta >= self.low) & (theta <= self.high), axis=1)

    def to_unit(self, theta: np.ndarray) -> np.ndarray:
        """``theta`` mapped to [0, 1] per parameter."""
        return (theta - self.low) / (self.high - self.low)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_unit`."""
        return self.low + u * (self.high - self.low)


@dataclass
class SMCResult:
    """The last population of an ABC-SMC run and the record of every generation."""

    names: tuple[str, ...]
    theta: np.ndarray            # (population, dim): the particles (regression-adjusted if asked)
    raw_theta: np.ndarray        # the particles before any adjustment
    weights: np.ndarray          # normalised importance weights
    stats: np.ndarray            # (population, n_columns): the particles' statistics and extra columns
    distance: np.ndarray         # under the last generation's scale
    seeds: np.ndarray
    stat_names: tuple[str, ...]
    observed: np.ndarray
    generations: list[dict] = field(default_factory=list)
    simulations: int = 0
    adjusted: bool = False

    @property
    def ess(self) -> float:
        """Effective sample size of the weights, ``1 / sum w^2``."""
        return float(1.0 / np.sum(self.weights ** 2))

    @property
    def epsilon(self) -> float:
        """The last tolerance."""
        return float(self.generations[-1]["epsilon"]) if self.generations else math.nan

    def quantiles(self, q) -> np.ndarray:
        """Weighted quantiles ``q`` of each parameter, shape ``(len(q), dim)``."""
        return np.column_stack([weighted_quantile(self.theta[:, j], self.weights, q) for j in range(self.theta.shape[1])])

    def resample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Indices of ``n`` particles drawn by weight (systematic resampling): an equally weighted
        sample for consumers that ignore weights (``predict``)."""
        u = (rng.random() + np.arange(n)) / n
        cdf = np.cumsum(self.weights)
        cdf[-1] = 1.0
        return np.searchsorted(cdf, u)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q) -> np.ndarray:
    """Quantiles ``q`` of ``x`` under normalised weights ``w`` (interpolated weighted CDF at mid-points)."""
    order = np.argsort(x)
    xs, ws = x[order], w[order] / np.sum(w)
    cdf = np.cumsum(ws) - 0.5 * ws
    return np.interp(np.atleast_1d(q), cdf, xs)


def mad_scale(s: np.ndarray) -> np.ndarray:
    """Per column: 1.4826 x median absolute deviation over the finite rows; the standard
    deviation where the MAD is 0; 1 where both are 0 (a statistic that never moves)."""
    out = np.ones(s.shape[1])
    for k in range(s.shape[1]):
        col = s[np.isfinite(s[:, k]), k]
        if len(col) < 2:
            continue
        mad = 1.4826 * float(np.median(np.abs(col - np.median(col))))
        sd = float(np.std(col, ddof=1))
        out[k] = mad if mad > 0 else (sd if sd > 0 else 1.0)
    return out


def _distance(stats: np.ndarray, observed: np.ndarray, scale: np.ndarray, ok: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.sum(((stats - observed) / scale) ** 2, axis=1))
    d[~ok | ~np.isfinite(d)] = np.inf
    return d


def _mvn_logpdf_matrix(x: np.ndarray, centres: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """The log-density N(x_i | centres_j, L L^T) for all i, j (without the constant): shape (len(x), len(centres))."""
    diff = x[:, None, :] - centres[None, :, :]
    z = np.linalg.solve(chol, diff.reshape(-1, x.shape[1]).T).T.reshape(diff.shape)
    return -0.5 * np.sum(z * z, axis=2)


def _weights(theta: np.ndarray, prev_theta: np.ndarray, prev_w: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """Importance weights prior / proposal (the prior is uniform on the support: a constant)."""
    logk = _mvn_logpdf_matrix(theta, prev_theta, chol)
    m = logk.max(axis=1, keepdims=True)
    dens = np.exp(m[:, 0]) * np.sum(prev_w[None, :] * np.exp(logk - m), axis=1)
    w = 1.0 / np.maximum(dens, 1e-300)
    return w / w.sum()


def _propose(rng: np.random.Generator, prior: UniformPrior, theta: np.ndarray, w: np.ndarray,
             chol: np.ndarray, n: int) -> np.ndarray:
    out = np.empty((0, prior.dim))
    for _ in range(1000):
        need = n - len(out)
        if need <= 0:
            break
        idx = rng.choice(len(theta), size=2 * need, p=w)
        cand = theta[idx] + rng.standard_normal((2 * need, prior.dim)) @ chol.T
        out = np.vstack([out, cand[prior.inside(cand)][:need]])
    if len(out) < n:  # pragma: no cover - a kernel far wider than the support
        out = np.vstack([out, prior.sample(rng, n - len(out))])
    return out


def _kernel_chol(theta: np.ndarray, w: np.ndarray, prior: UniformPrior) -> np.ndarray:
    mean = np.sum(w[:, None] * theta, axis=0)
    diff = theta - mean
    cov = 2.0 * (diff * w[:, None]).T @ diff / max(1e-12, 1 - np.sum(w ** 2))
    floor = (1e-4 * (prior.high - prior.low)) ** 2
    cov = cov + np.diag(floor)
    return np.linalg.cholesky(cov)


def regression_adjust(theta: np.ndarray, weights: np.ndarray, stats: np.ndarray, observed: np.ndarray,
                      distance: np.ndarray, scale: np.ndarray, prior: UniformPrior) -> np.ndarray:
    """Beaumont, Zhang & Balding (2002): regress logit(theta) on the scaled statistics with weights
    ``w x (1 - (d / eps)^2)`` and move each particle to the observed statistics along the fit."""
    eps = float(np.max(distance[np.isfinite(distance)]))
    kern = np.clip(1 - (distance / (eps * 1.0001)) ** 2, 0, None) * weights
    u = np.clip(prior.to_unit(theta), 1e-6, 1 - 1e-6)
    y = np.log(u / (1 - u))
    x = (stats - observed) / scale
    keep = np.all(np.isfinite(x), axis=1) & (kern > 0)
    if keep.sum() <= x.shape[1] + 2:
        return theta.copy()
    xd = np.column_stack([np.ones(keep.sum()), x[keep]])
    sw = np.sqrt(kern[keep])
    beta, *_ = np.linalg.lstsq(xd * sw[:, None], y[keep] * sw[:, None], rcond=None)
    y_adj = y - np.nan_to_num(x) @ beta[1:]
    return prior.from_unit(1 / (1 + np.exp(-y_adj)))


def abc_smc(simulate: Simulator, prior: UniformPrior, observed: np.ndarray, *, population: int = 200,
            batch: int | None = None, generations: int = 5, seed: int = 0,
            constraint: Callable[[np.ndarray], np.ndarray] | None = None, adjust: bool = True,
            stat_names: tuple[str, ...] = (), on_generation: Callable[[dict], None] | None = None) -> SMCResult:
    """Run ABC-SMC (see the module docstring) and return the last population.

    Args:
        simulate: ``simulate(theta, seeds) -> stats``, an ``(n, n_columns)`` array: the first
            ``len(observed)`` columns are the statistics of the distance, any further ones are
            kept for ``constraint`` and the record (a NaN in the first ones: a failed run).
        prior: the uniform prior.
        observed: the observed statistics, shape ``(n_stats,)``.
        population: particles kept per generation.
        batch: simulations per generation (default ``2 x population``: tolerance at the median).
        generations: number of generations (the budget is ``generations x batch`` runs).
        seed: master seed; proposals and every simulation's seed derive from it.
        constraint: ``constraint(all columns) -> bool array``: the rows that meet every qualitative pattern.
        adjust: apply the regression adjustment to the last population.
        stat_names: names of the statistics (for the record).
        on_generation: called with each generation's record (progress, logs).
    """
    from runoff_abm.model.rng import replicate_seeds

    batch = batch or 2 * population
    if population < 2 or batch < population or generations < 1:
        raise ValueError("need population >= 2, batch >= population and generations >= 1")
    observed = np.asarray(observed, float)
    m = len(observed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5AC]))
    all_seeds = replicate_seeds(seed, generations * batch)
    theta = w = stats = dist = seeds = scale = None
    chol = None
    record: list[dict] = []
    for t in range(generations):
        if t == 0:
            prop = prior.sample(rng, batch)
        else:
            assert theta is not None and w is not None
            chol = _kernel_chol(theta, w, prior)
            prop = _propose(rng, prior, theta, w, chol, batch)
        sd = np.array(all_seeds[t * batch:(t + 1) * batch])
        full = np.asarray(simulate(prop, [int(x) for x in sd]), float).reshape(batch, -1)
        s = full[:, :m]
        ok = np.all(np.isfinite(s), axis=1)
        if constraint is not None:
            ok &= np.asarray(constraint(full), bool)
        scale = mad_scale(s[ok] if ok.sum() >= 2 else s)
        d = _distance(s, observed, scale, ok)
        if np.isfinite(d).sum() < population:
            from runoff_abm.model.errors import SweepError

            raise SweepError(f"generation {t}: only {int(np.isfinite(d).sum())} of {batch} simulations ran and met "
                             f"every observed pattern; {population} are needed: widen the prior or lower --population")
        keep = np.argsort(d, kind="stable")[:population]
        new_theta = prop[keep]
        if t == 0:
            new_w = np.full(population, 1.0 / population)
        else:
            assert theta is not None and w is not None and chol is not None
            new_w = _weights(new_theta, theta, w, chol)
        theta, w, stats, dist, seeds = new_theta, new_w, full[keep], d[keep], sd[keep]
        rec = {"generation": t, "simulations": batch, "epsilon": float(dist.max()), "ess": float(1 / np.sum(w ** 2)),
               "ran": int(np.isfinite(s).all(axis=1).sum()), "meet_patterns": int(ok.sum()),
               "scale": {n: float(v) for n, v in zip(stat_names or range(len(scale)), scale, strict=True)}}
        record.append(rec)
        if on_generation is not None:
            on_generation(rec)
    assert theta is not None and w is not None and stats is not None and dist is not None and scale is not None
    adj = regression_adjust(theta, w, stats[:, :m], observed, dist, scale, prior) if adjust else theta
    return SMCResult(names=prior.names, theta=adj, raw_theta=theta, weights=w, stats=stats, distance=dist,
                     seeds=np.asarray(seeds), stat_names=tuple(stat_names), observed=observed, generations=record,
                     simulations=generations * batch, adjusted=adjust)
