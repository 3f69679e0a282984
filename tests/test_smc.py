"""ABC-SMC's machinery: reproducible for a seed, independent of the worker count, a clear error
when too few runs meet the patterns, weights and quantiles as documented."""

from __future__ import annotations

import numpy as np
import pytest

from runoff_abm.model.errors import SweepError
from runoff_abm.studies.simulator import ScenarioSimulator, Target
from runoff_abm.studies.smc import UniformPrior, abc_smc, mad_scale, weighted_quantile
from runoff_abm.studies.synthetic import synthetic_scenario


def _sim(theta, seeds):
    return np.array([[th[0] + 0.05 * np.random.default_rng(s).standard_normal()] for th, s in zip(theta, seeds,
                                                                                                  strict=True)])


def test_smc_is_reproducible_and_concentrates():
    prior = UniformPrior(("a",), np.zeros(1), np.ones(1))
    r1 = abc_smc(_sim, prior, np.array([0.3]), population=100, generations=4, seed=5)
    r2 = abc_smc(_sim, prior, np.array([0.3]), population=100, generations=4, seed=5)
    assert np.array_equal(r1.theta, r2.theta) and np.array_equal(r1.weights, r2.weights)
    assert abs(r1.weights.sum() - 1) < 1e-12 and r1.simulations == 4 * 200
    q05, q50, q95 = r1.quantiles([0.05, 0.5, 0.95])[:, 0]
    assert q05 < 0.3 < q95 and abs(q50 - 0.3) < 0.05 and q95 - q05 < 0.3  # sd 0.05: 90% about 0.16 wide
    # the tolerance in the statistic's own units (scale units change with each generation) shrinks
    tol = [g["epsilon"] * g["scale"][0] for g in r1.generations]
    assert tol[-1] < 0.5 * tol[0]
    assert prior.inside(r1.theta).all()


def test_too_few_runs_meeting_the_patterns_is_a_clear_error():
    prior = UniformPrior(("a",), np.zeros(1), np.ones(1))
    with pytest.raises(SweepError, match="met every observed pattern"):
        abc_smc(_sim, prior, np.array([0.3]), population=50, generations=2, seed=1,
                constraint=lambda s: s[:, 0] > 0.95)


def test_helpers():
    assert weighted_quantile(np.array([0.0, 1.0]), np.array([0.5, 0.5]), [0.5])[0] == pytest.approx(0.5)
    s = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [np.nan, 5.0]])
    assert mad_scale(s) == pytest.approx([1.4826, 1.0])  # a statistic that never moves: scale 1


def test_the_simulator_gives_the_same_statistics_on_any_worker_count():
    scn = synthetic_scenario(np.random.default_rng(5), roll=300, days=5, name="tiny")
    ranges = {"habit_voter": (0.7, 1.0)}
    theta = np.array([[0.75], [0.9], [0.99], [0.8]])
    seeds = [11, 12, 13, 14]
    targets = [Target("share_a", np.nan), Target("turnout", np.nan)]
    with ScenarioSimulator(scn, ranges, targets, members=None, workers=1) as one:
        a = one(theta, seeds)
    with ScenarioSimulator(scn, ranges, targets, members=None, workers=2) as two:
        b = two(theta, seeds)
    assert np.array_equal(a, b, equal_nan=True) and np.isfinite(a[:, :2]).all()
