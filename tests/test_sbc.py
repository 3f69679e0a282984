"""Simulation-based calibration: the calibration's 50% and 90% posterior intervals cover truths
drawn from the prior at the nominal rate.

Two fixed budgets, both deterministic (fixed seeds):

- the real model (a small synthetic runoff of 400 members, two parameters: habit, which the
  turnout identifies, and finalists' loyalty, which the share barely moves) through the ABC step
  of the calibration (adaptive distance, the closest 150, regression adjustment) with one shared
  reference table of 2,000 runs and 200 leave-one-out truths (Prangle et al. 2014's coverage
  test): one table, so it fits a test's budget;
- the sequential generations of ABC-SMC (4 generations of 200 runs per truth) on a simulator with
  known noise, 150 truths: too many runs for the real model in a test.

The full SBC of ABC-SMC on the labor-2011 calibration is a documented command
(``python -m runoff_abm.studies.sbc``, quoted in docs/validation.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from runoff_abm.model.rng import replicate_seeds
from runoff_abm.studies.sbc import sbc, sbc_table
from runoff_abm.studies.simulator import ScenarioSimulator, Target
from runoff_abm.studies.smc import UniformPrior
from runoff_abm.studies.synthetic import synthetic_scenario


def test_sbc_of_the_abc_step_on_the_real_model():
    scn = synthetic_scenario(np.random.default_rng(5), roll=400, days=7, name="sbc-tiny")
    ranges = {"habit_voter": (0.7, 1.0), "finalist_loyalty": (0.6, 1.0)}
    prior = UniformPrior.from_ranges(ranges)
    targets = [Target("share_a", np.nan), Target("turnout", np.nan)]
    with ScenarioSimulator(scn, ranges, targets, members=None, workers=2) as sim:
        theta = prior.sample(np.random.default_rng(1), 2000)
        stats = sim(theta, replicate_seeds(2, 2000))
    assert np.isfinite(stats[:, :2]).all()
    res = sbc_table(theta, stats, prior, 2, truths=200, population=150, seed=0)
    cov = res.coverage().set_index("parameter")
    assert 0.85 <= cov.loc["all", "cover90"] <= 0.95, res.format()
    assert 0.40 <= cov.loc["all", "cover50"] <= 0.60, res.format()
    # the turnout identifies habit (narrow posterior); the share barely informs loyalty (wide)
    assert cov.loc["habit_voter", "width90"] < 0.4 < cov.loc["finalist_loyalty", "width90"], res.format()


def _noisy(theta: np.ndarray, seeds: list[int]) -> np.ndarray:
    """Three statistics: one identifies a, one a x b, one is pure noise (c is not identified)."""
    out = []
    for th, s in zip(theta, seeds, strict=True):
        r = np.random.default_rng(s)
        out.append([th[0] + 0.05 * r.standard_normal(), th[0] * th[1] + 0.05 * r.standard_normal(),
                    r.standard_normal()])
    return np.array(out)


def test_sbc_of_the_sequential_generations():
    prior = UniformPrior(("a", "b", "c"), np.zeros(3), np.ones(3))
    res = sbc(_noisy, prior, truths=150, population=100, generations=4, seed=3)
    cov = res.coverage().set_index("parameter")
    assert 0.85 <= cov.loc["all", "cover90"] <= 0.95, res.format()
    assert 0.40 <= cov.loc["all", "cover50"] <= 0.60, res.format()
    assert cov.loc["a", "width90"] < 0.3 and cov.loc["c", "width90"] > 0.8, res.format()


def test_without_the_adjustment_the_intervals_are_too_wide():
    """The check can fail: plain ABC at a finite tolerance over-covers (its posterior is wider
    than the true one), which the regression adjustment corrects."""
    prior = UniformPrior(("a", "b", "c"), np.zeros(3), np.ones(3))
    res = sbc(_noisy, prior, truths=150, population=100, generations=4, seed=3, adjust=False)
    cov = res.coverage().set_index("parameter")
    assert cov.loc["a", "cover90"] > 0.95, res.format()



def exit_status(main, argv: list[str]) -> int:
    """A module command's exit status, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as err:
        return int(err.code or 0)


@pytest.mark.parametrize(("argv", "what"), [
    (["--truths", "x"], "--truths: 'x' is not a whole number"),
    (["--truths", "0"], "--truths: 0 is out of range"),
    (["--seed", "-1"], "--seed: -1 is out of range"),
    (["--population", "5"], "--population: 5 is out of range"),
    (["--workers", "0"], "--workers: 0 is out of range"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_sbc_command_bad_input_is_one_line_and_exit_2(argv, what, capsys):
    from runoff_abm.studies.sbc import main

    assert exit_status(main, argv) == 2
    err = capsys.readouterr().err
    assert what in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_sbc_that_cannot_draw_a_truth_says_why_instead_of_failing(capsys):
    """Too few members: no data set meets the patterns; one line, exit 2, not an IndexError."""
    from runoff_abm.studies.sbc import main

    assert main(["--members", "5", "--truths", "1", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "no data set that meets the qualitative patterns" in err and len(err.strip().splitlines()) == 1
