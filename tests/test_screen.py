"""The Morris screen with a dummy parameter: a parameter that moves a statistic is informed, one the
model never uses in the scenario sits at the dummy's (seed noise) level."""

from __future__ import annotations

import numpy as np
import pytest

from runoff_abm.studies.screen import screen
from runoff_abm.studies.simulator import Target
from runoff_abm.studies.synthetic import synthetic_scenario


def test_screen_tells_an_informed_parameter_from_an_unused_one():
    scn = synthetic_scenario(np.random.default_rng(5), roll=400, days=7, name="screen-tiny")
    # no contractors in this scenario: their monitoring is never used
    ranges = {"habit_voter": (0.7, 1.0), "monitoring": (0.0, 1.0), "finalist_loyalty": (0.6, 1.0)}
    res = screen(scn, ranges, [Target("share_a", np.nan), Target("turnout", np.nan)], trajectories=8,
                 replicates=2, members=None, seed=4, workers=1, progress=False)
    t = res.table.set_index(["parameter", "stat"])
    assert t.loc[("dummy", "turnout"), "ratio"] == 1.0
    assert t.loc[("habit_voter", "turnout"), "ratio"] > 5
    assert t.loc[("monitoring", "turnout"), "ratio"] < 3 and t.loc[("monitoring", "share_a"), "ratio"] < 3
    assert "habit_voter" in res.informed() and "monitoring" not in res.informed()
    assert res.settings["runs"] == 8 * 5 * 2
    assert "informed" in res.format() and "fixed" in res.format()


@pytest.mark.parametrize(("argv", "what"), [
    (["--trajectories", "x"], "--trajectories: 'x' is not a whole number"),
    (["--replicates", "0"], "--replicates: 0 is out of range"),
    (["--members", "1e9"], "--members: '1e9' is not a whole number"),
    (["--ratio", "nan"], "--ratio: nan is out of range"),
    (["--ratio", "abc"], "--ratio: 'abc' is not a number"),
    (["--seed", "1.5"], "--seed: '1.5' is not a whole number"),
])
def test_screen_command_bad_input_is_one_line_and_exit_2(argv, what, capsys):
    from runoff_abm.studies.screen import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert what in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
