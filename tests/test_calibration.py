"""Calibration and prediction: ABC recovers known parameters of a synthetic 'observed' runoff;
seed-only predictions are self-consistent on synthetic runoffs; the shipped labor-2011
calibration contains the record in its posterior predictive intervals."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runoff_abm.model.api import run
from runoff_abm.model.scenario import Observed, load_scenario
from runoff_abm.studies.calibrate import abc_reject, calibrate
from runoff_abm.studies.predict import predict
from runoff_abm.studies.simulator import Target, run_stats
from runoff_abm.studies.sweep import SweepError
from runoff_abm.studies.synthetic import synthetic_scenario

ROOT = Path(__file__).resolve().parent.parent


def test_abc_recovers_known_parameters_of_a_synthetic_runoff(tmp_path):
    """The 'observed' runoff is one run of the model itself at known parameters; the truth must
    lie inside the 90% posterior interval of each calibrated parameter."""
    truth = {"habit_voter": 0.9, "endorsement_trust": 0.45}
    scn = load_scenario("labor-2011-herzog-endorses-peretz")
    res = run(scn, seed=424242, members=3000, **truth)
    a, b = scn.finalists
    synthetic = replace(scn, name="synthetic-truth", observed=Observed(
        votes=dict(res.votes), turnout=res.turnout), parameters={})
    prior = tmp_path / "prior.toml"
    prior.write_text("[parameters]\nhabit_voter = { low = 0.8, high = 1.0 }\n"
                     "endorsement_trust = { low = 0.0, high = 0.8 }\n")
    cal = calibrate(synthetic, tmp_path / "cal", prior=prior, draws=400, accept=0.1, members=3000, seed=3,
                    executor="processes", workers=2, progress=False, plots=True, predictive=40, method="reject")
    iv = cal.intervals().set_index("parameter")
    for name, value in truth.items():
        assert iv.loc[name, "q05"] <= value <= iv.loc[name, "q95"], (name, value, iv.loc[name].to_dict())
    # the data are informative about turnout habit: its interval narrows
    assert iv.loc["habit_voter", "width_ratio"] < 0.8
    for f in ("posterior.parquet", "calibrated.toml", "report.txt", "plots/posterior_marginals.png",
              "plots/posterior_predictive.png"):
        assert (tmp_path / "cal" / f).exists(), f
    params = tomllib.loads((tmp_path / "cal" / "calibrated.toml").read_text())["parameters"]
    assert set(params) == set(truth)


def test_abc_smc_recovers_known_parameters_of_a_synthetic_runoff(tmp_path):
    """ABC-SMC on the target statistics (share, turnout, the Arab blocs' turnout): the truth lies in
    each 90% interval; the data narrow the turnout habit; every particle meets the patterns."""
    truth = {"habit_voter": 0.9, "contractor_capacity": 0.8}
    scn = load_scenario("labor-2011")
    res = run(scn, seed=424242, members=3000, **truth)
    synthetic = replace(scn, name="synthetic-truth", observed=replace(scn.observed, votes=dict(res.votes),
                                                                      turnout=res.turnout), parameters={})
    prior = tmp_path / "prior.toml"
    prior.write_text("[parameters]\nhabit_voter = { low = 0.8, high = 1.0 }\n"
                     "contractor_capacity = { low = 0.2, high = 1.0 }\n")
    st = run_stats(res)
    targets = [Target(k, st[k]) for k in ("share_a", "turnout", "bloc.arab.turnout")]
    cal = calibrate(synthetic, tmp_path / "cal", prior=prior, members=3000, seed=3, workers=2, progress=False,
                    plots=False, predictive=30, population=60, generations=3, targets=targets)
    assert cal.diagnostics["method"] == "smc" and cal.diagnostics["simulations"] == 3 * 120
    assert list(cal.observed) == ["share_a", "turnout", "bloc.arab.turnout"]
    iv = cal.intervals().set_index("parameter")
    for name, value in truth.items():
        assert iv.loc[name, "q05"] <= value <= iv.loc[name, "q95"], (name, value, iv.loc[name].to_dict())
    assert iv.loc["habit_voter", "width_ratio"] < 0.6
    post = pd.read_parquet(tmp_path / "cal" / "posterior.parquet")
    assert len(post) == 60 and post["sector.arab.share_a"].lt(0.5).all()
    pred = cal.predictive().set_index("stat")
    assert {"share_a", "turnout", "bloc.arab.turnout"} <= set(pred.index) and pred["contains"].any()
    report = (tmp_path / "cal" / "report.txt").read_text()
    assert "ABC-SMC on synthetic-truth: 3 generations of 120 runs" in report
    toml = tomllib.loads((tmp_path / "cal" / "calibrated.toml").read_text())
    assert toml["posterior"]["method"] == "smc" and set(toml["parameters"]) == set(truth)


def test_abc_rejects_draws_that_break_an_observed_pattern():
    import pandas as pd

    from runoff_abm.model.scenario import Pattern

    df = pd.DataFrame({"status": ["ok"] * 30, "share_a": np.linspace(0.4, 0.6, 30),
                       "turnout": np.full(30, 0.6), "sector.x.share_a": np.r_[np.zeros(15), np.ones(15)]})
    post, diag = abc_reject(df, {"share_a": 0.5, "turnout": 0.6}, [Pattern("sector.x.share_a", ">", 0.5)],
                            accept=0.2, min_accept=5)
    assert (post["sector.x.share_a"] > 0.5).all() and diag["meet_patterns"] == 15
    assert len(post) == 6


def test_seed_only_predictions_are_self_consistent_on_synthetic_runoffs():
    """A self-consistency check of the simulator, NOT a test of prediction: the 'truth' is one
    more run of the model itself with the synthetic scenario's true leanings, so the seed-only
    ensemble (structural=False) should be calibrated against it. Whether predictions of *real*
    runoffs are calibrated is what `runoff backtest` measures (tests/test_prediction.py)."""
    rng = np.random.default_rng(11)
    preds, outcomes = [], []
    for i in range(90):
        scn = synthetic_scenario(rng, roll=600, name=f"s{i}")
        p = predict(scn, replicates=24, seed=i, executor="serial", structural=False)
        preds.append(p.p_a_wins)
        outcomes.append(run(scn, seed=10_000 + i).winner == scn.finalists[0])
    preds, outcomes = np.array(preds), np.array(outcomes, dtype=float)
    assert abs(preds.mean() - outcomes.mean()) < 0.08
    # the uncertain predictions (10-90%): since eliminated candidates decide by the model, many
    # synthetic runoffs are near-certain and the "~70%" bucket alone holds too few (8 of 90)
    mid = (preds > 0.1) & (preds < 0.9)
    assert mid.sum() >= 20
    assert abs(outcomes[mid].mean() - preds[mid].mean()) < 0.2
    brier = np.mean((preds - outcomes) ** 2)
    assert brier < np.mean((outcomes.mean() - outcomes) ** 2)  # better than the base rate


def test_predict_works_for_any_runoff_without_sectors_or_contractors():
    scn = synthetic_scenario(np.random.default_rng(1), roll=800)
    assert not scn.sectors and not scn.contractors
    t = predict(scn, replicates=10, executor="serial").table()
    a, b = scn.finalists
    assert t["win_probability"][a] + t["win_probability"][b] == pytest.approx(1.0)
    lo, hi = t[f"share_{a}"]["90%"]
    assert lo <= t[f"share_{a}"]["median"] <= hi


def test_predict_refuses_a_missing_posterior(tmp_path):
    with pytest.raises(SweepError, match="posterior"):
        predict("labor-2011", posterior=tmp_path, replicates=2, executor="serial")


def test_shipped_labor_2011_posterior_predictive_contains_the_record():
    text = (ROOT / "scenarios" / "calibration" / "labor-2011" / "calibrated.toml").read_text()
    post = tomllib.loads(text)["posterior"]
    for stat, observed in (("share_a", 0.543), ("turnout", 0.619)):
        q = post[f"predictive_{stat}"]
        assert q["q05"] <= observed <= q["q95"], (stat, q)


def test_calibrated_scenario_references_the_calibration():
    scn = load_scenario("labor-2011-calibrated")
    params = tomllib.loads((ROOT / "scenarios" / "calibration" / "labor-2011" / "calibrated.toml").read_text())
    assert scn.parameters == params["parameters"]


def test_the_documented_scenario_template_loads_and_predicts():
    t = predict(str(ROOT / "docs" / "scenario-template.toml"), replicates=6, executor="serial").table()
    assert set(t["win_probability"]) == {"Alpha", "Beta"}
