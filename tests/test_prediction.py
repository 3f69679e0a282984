"""Prediction with structural uncertainty, leave-one-out priors, the back-test and its scores."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from runoff_abm.cli import main
from runoff_abm.model.scenario import Observed, load_scenario
from runoff_abm.studies.backtest import backtest, crps_ensemble, crps_normal, score_probability
from runoff_abm.studies.predict import predict
from runoff_abm.studies.priors import CONTESTS_DIR, fit_prior, load_contests, prior_for, same_contest

ROOT = Path(__file__).resolve().parent.parent


def test_every_shipped_contest_loads_with_an_observed_result_and_sources():
    contests = load_contests()
    assert len(contests) >= 9
    for scn in contests:
        assert scn.observed is not None and scn.sources.get("case", "").startswith("docs/case/") or \
            scn.name == "labor-2011", scn.name


def test_prior_is_leave_one_out_changing_a_contests_outcome_leaves_its_own_prior_unchanged():
    contests = load_contests()
    target = next(c for c in contests if c.name == "fr-lr-2021")
    a, b = target.finalists
    flipped = replace(target, observed=Observed(votes={a: target.observed.votes[b], b: target.observed.votes[a]}))
    others = [c for c in contests if c.name != target.name]
    p1 = prior_for(target, others + [target])
    p2 = prior_for(target, others + [flipped])
    assert p1.left_out == ("fr-lr-2021",) and target.name not in p1.fitted_on
    np.testing.assert_allclose(p1.transfer.beta, p2.transfer.beta, atol=0)
    np.testing.assert_allclose(p1.turnout.beta, p2.turnout.beta, atol=0)
    # ... while a prior that is allowed to see it does change
    p3 = fit_prior(others + [flipped])
    assert abs(p3.transfer.beta[0] - fit_prior(others + [target]).transfer.beta[0]) > 1e-3


def test_a_variant_of_a_contest_counts_as_the_same_contest():
    base = load_scenario("labor-2011")
    assert same_contest(base, load_scenario("labor-2011-herzog-endorses-peretz"))
    assert prior_for(load_scenario("labor-2011-calibrated")).left_out == ("labor-2011",)


def test_structural_prior_widens_the_predictive_intervals_beyond_seed_noise():
    kw = {"replicates": 30, "members": 1500, "seed": 5, "executor": "serial", "progress": False}
    scn = str(CONTESTS_DIR / "fr-ps-2011.toml")
    seed_only = predict(scn, structural=False, **kw).table()
    full = predict(scn, **kw).table()
    a = "Hollande"
    w_seed = np.diff(seed_only[f"share_{a}"]["90%"])[0]
    w_full = np.diff(full[f"share_{a}"]["90%"])[0]
    assert w_full > 2 * w_seed, (w_seed, w_full)
    # the draws are recorded: each run has its own structural parameters
    assert full["parameter_draws"]["transfer_lean"]["90%"][1] > full["parameter_draws"]["transfer_lean"]["90%"][0]
    assert full["observed"]["winner"] == a


def test_counterfactual_is_a_paired_difference_over_the_same_draws():
    kw = {"replicates": 12, "members": 1200, "seed": 2, "executor": "serial", "progress": False}
    pred = predict("labor-2011", versus="labor-2011-herzog-endorses-peretz", **kw)
    same = predict("labor-2011", **kw)
    np.testing.assert_allclose(pred.runs["share_a"], same.runs["share_a"])  # same draws, same seeds
    d = pred.table()["versus"]["share_a_points"]
    assert d["90%"][0] <= d["median"] <= d["90%"][1]
    assert d["mean"] < 0  # Herzog endorsing Peretz lowers Yachimovich's share
    assert "instead of labor-2011" in pred.format(100)


def test_counterfactual_with_another_round_1_is_refused():
    from runoff_abm.studies.sweep import SweepError

    with pytest.raises(SweepError, match="round 1"):
        predict("labor-2011", versus=str(CONTESTS_DIR / "fr-ps-2011.toml"), replicates=2, executor="serial")


def test_scores_match_hand_values():
    # log and Brier scores of p = 0.8 for the observed winner
    log, brier = score_probability(0.8)
    assert log == pytest.approx(math.log(0.8), abs=1e-12) and brier == pytest.approx(0.04, abs=1e-12)
    # CRPS of the ensemble {0, 1} at y = 0: E|X - y| = 0.5, E|X - X'| = 0.5, CRPS = 0.25
    assert crps_ensemble(np.array([0.0, 1.0]), 0.0) == pytest.approx(0.25, abs=1e-12)
    # a point forecast: CRPS is the absolute error
    assert crps_ensemble(np.array([0.4, 0.4, 0.4]), 0.5) == pytest.approx(0.1, abs=1e-12)
    # the normal CRPS at the mean: sigma (2 phi(0) - 1/sqrt(pi)) = 0.2337 sigma
    assert crps_normal(0.5, 0.1, 0.5) == pytest.approx(0.1 * (2 / math.sqrt(2 * math.pi) - 1 / math.sqrt(math.pi)),
                                                       abs=1e-12)
    # a large ensemble from N(0.5, 0.1) approaches the closed form
    x = np.random.default_rng(0).normal(0.5, 0.1, 20000)
    assert crps_ensemble(x, 0.55) == pytest.approx(crps_normal(0.5, 0.1, 0.55), abs=1e-3)


def test_backtest_runs_on_shipped_cases_and_writes_table_csv_png(tmp_path):
    names = ("fr-ps-2011", "fr-lr-2021", "us-ga-2014", "fr-lr-2016")
    contests = [c for c in load_contests() if c.name in names]
    bt = backtest(contests=contests, out=tmp_path, replicates=6, members=800, seed=1, executor="serial",
                  progress=False)
    assert list(bt.rows["contest"]) == sorted(names)
    for f in ("backtest.csv", "calibration.png", "coverage.csv", "manifest.json"):
        assert (tmp_path / f).stat().st_size > 0, f
    text = bt.format(100)
    assert all(len(line) <= 100 for line in text.splitlines())
    assert "Pecresse" in text and "log score" in text
    o = bt.overall()
    for f in ("model", "round1", "proportional"):
        assert o[f]["log_score"] <= 0 and 0 <= o[f]["brier"] <= 1
    # the smoothed probability never reaches 0 or 1
    assert ((bt.rows["model.p_winner"] > 0) & (bt.rows["model.p_winner"] < 1)).all()


@pytest.mark.parametrize("argv, what", [
    (["backtest", "/no/such/folder"], "not a folder"),
    (["backtest", "--replicates", "x"], "--replicates"),
    (["backtest", "--members", "-3"], "--members"),
])
def test_backtest_cli_bad_input_is_one_line_and_exit_2(argv, what, capsys):
    assert main(argv + ["--serial", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and what in err, err


def test_backtest_cli_refuses_a_folder_with_too_few_contests(tmp_path, capsys):
    (tmp_path / "one.toml").write_text((CONTESTS_DIR / "fr-ps-2011.toml").read_text())
    assert main(["backtest", str(tmp_path), "--serial", "--quiet"]) == 2
    assert "at least 3" in capsys.readouterr().err


def test_transfer_lean_replaces_the_eliminated_candidates_leanings():
    from runoff_abm.model.api import run

    scn = str(CONTESTS_DIR / "us-ga-2014.toml")
    to_a = np.mean([run(scn, seed=s, members=1500, transfer_lean=0.9).shares["Perdue"] for s in range(3)])
    to_b = np.mean([run(scn, seed=s, members=1500, transfer_lean=0.1).shares["Perdue"] for s in range(3)])
    same = run(scn, seed=0, members=1500).shares == run(scn, seed=0, members=1500, transfer_lean=-0.5).shares
    assert to_a - to_b > 0.02 and same


def test_electorate_round1_voters_lets_no_round1_abstainer_vote():
    from runoff_abm.model.api import run
    from runoff_abm.model.scenario import parse_scenario

    base = {"name": "t", "roll": 1000, "election_day": 5, "finalists": ["A", "B"],
            "candidates": [{"name": "A", "votes": 300}, {"name": "B", "votes": 250}, {"name": "C", "votes": 150}],
            "parameters": {"abstainer_reentry": 0.9}}
    closed = parse_scenario({**base, "electorate": "round1_voters"})
    res = run(closed, seed=1)
    assert res.flows.loc["abstained", ["A", "B"]].sum() == 0
    assert run(parse_scenario(base), seed=1).flows.loc["abstained", ["A", "B"]].sum() > 200  # of 300
    assert parse_scenario(closed.to_dict()).electorate == "round1_voters"


def test_open_electorate_has_a_notional_roll_and_a_closed_one_needs_a_roll():
    from runoff_abm.model.errors import ScenarioError
    from runoff_abm.model.scenario import parse_scenario

    data = {"name": "t", "election_day": 5, "finalists": ["A", "B"], "round1": {"blank": 10},
            "candidates": [{"name": "A", "votes": 300}, {"name": "B", "votes": 250}, {"name": "C", "votes": 40}]}
    scn = parse_scenario({**data, "electorate": "open"})
    assert scn.roll == 2 * 600 and scn.abstained == 600
    with pytest.raises(ScenarioError, match="roll"):
        parse_scenario(data)
    with pytest.raises(ScenarioError, match="electorate"):
        parse_scenario({**data, "roll": 1000, "electorate": "everyone"})


def test_predict_cli_writes_the_draws_and_refuses_a_bad_counterfactual(tmp_path, capsys):
    runs = tmp_path / "runs.csv"
    scn = str(CONTESTS_DIR / "fr-lr-2021.toml")
    assert main(["predict", scn, "--replicates", "4", "--members", "600", "--serial", "--quiet",
                 "--runs", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "observed" in out and "structural prior fitted on" in out and "left out: fr-lr-2021" in out
    text = runs.read_text()
    assert "transfer_lean" in text.splitlines()[0] and len(text.splitlines()) == 5
    assert main(["predict", scn, "--versus", "labor-2011", "--replicates", "2", "--serial", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "round 1" in err


def test_structural_prior_combines_with_a_calibration_posterior():
    post = ROOT / "scenarios" / "calibration" / "labor-2011"
    pred = predict("labor-2011", posterior=post, replicates=6, members=800, seed=4, executor="serial",
                   progress=False)
    draws = pred.parameter_draws()
    # the posterior's own parameters vary across runs, and the structural ones override theirs
    # (a draw of the transfer leaning may sit at a bound of its range, 0.02 or 0.98)
    inside = draws["transfer_lean"].between(0.02, 0.98, inclusive="neither")
    assert draws["transfer_lean"][inside].nunique() == inside.sum() >= 3 and "prior.turnout_change" in draws
    calibrated = [c for c in draws.columns if c not in ("transfer_lean", "endorsement_trust", "habit_voter",
                                                        "abstainer_reentry", "orphan_demobilisation",
                                                        "contractor_compliance", "contractor_capacity")
                  and not c.startswith("prior.")]
    assert calibrated and any(draws[c].nunique() > 1 for c in calibrated)
    assert pred.table()["posterior"] == str(post)


# ------------------------------------------------------------------ endorsement decay and response
@pytest.mark.parametrize(("gap", "week", "log_form"), [(1, 1.0, 1.0), (7, 1.0, 1.0), (14, 0.5, 1 / (1 + math.log(2))),
                                                     (63, 7 / 63, 1 / (1 + math.log(9)))])
def test_endorsement_decay_is_full_for_a_week_then_falls(gap, week, log_form):
    from runoff_abm.studies.priors import endorsement_decay

    assert endorsement_decay(gap) == pytest.approx(week, abs=1e-12)
    assert endorsement_decay(gap, "log") == pytest.approx(log_form, abs=1e-12)
    assert endorsement_decay(gap, "none") == 1.0


def test_unknown_decay_form_is_refused_before_fitting():
    from runoff_abm.studies.priors import PriorError, endorsement_decay

    with pytest.raises(PriorError, match="unknown endorsement decay 'fast'; known: week, log, none"):
        fit_prior(load_contests(), decay="fast")
    with pytest.raises(PriorError):
        endorsement_decay(7, "fast")


def test_decay_forms_agree_where_every_runoff_is_within_a_week_and_differ_where_one_is_not():
    short = [c for c in load_contests() if c.election_day <= 7 and not c.sources.get("confidence") == "low"]
    assert len(short) >= 4
    a, b = fit_prior(short, decay="week"), fit_prior(short, decay="none")
    np.testing.assert_array_equal(a.transfer.beta, b.transfer.beta)
    every = load_contests()
    assert abs(fit_prior(every, decay="week").transfer.beta[1] - fit_prior(every, decay="none").transfer.beta[1]) > 0.01
    # the 63-day Georgia runoff: its endorsements keep 1/9 of their pull in the prior's predictive
    ga = next(c for c in every if c.name == "us-ga-2014")
    prior = fit_prior(every, leave_out=ga)
    mu_week = prior.share_predictive(ga)[0]
    mu_none = fit_prior(every, leave_out=ga, decay="none").share_predictive(ga)[0]
    assert mu_week > mu_none + 0.03  # Handel and Gingrey's endorsements of the runner-up pull far less


def test_share_predictive_matches_the_mean_of_the_transfer_draws():
    """The prior's analytic predictive and its draws agree, in a 63-day runoff where the decay
    leaves 1/9 of the endorsements' pull (a draw that forgot the decay would miss the mean)."""
    scn = load_scenario(str(CONTESTS_DIR / "us-ga-2014.toml"))
    prior = prior_for(scn)
    rng = np.random.default_rng(4)
    from runoff_abm.studies.priors import TransferResponse, endorsement_balance, evidence_pool

    pool, d = evidence_pool(scn), endorsement_balance(scn)
    assert d < -0.5 and scn.election_day == 63
    swings = []
    for _ in range(4000):
        _, q = prior.draw(rng, scn, response=TransferResponse.identity(pool))
        assert q["endorsement_effect_left"] == pytest.approx(q["endorsement_effect"] * 7 / 63)
        swings.append(q["transfer_swing"] + q["endorsement_effect_left"] * pool * d)
    mu, scale, dof = prior.share_predictive(scn)
    perdue, kingston = scn.candidate("Perdue").votes, scn.candidate("Kingston").votes  # Perdue led round 1
    s1 = perdue / (perdue + kingston)
    centre = mu - (s1 + pool * (0.5 - s1))
    assert np.mean(swings) == pytest.approx(centre, abs=0.006)
    assert np.std(swings) == pytest.approx(scale * math.sqrt(dof / (dof - 2)), rel=0.1)


def test_transfer_response_fits_a_rising_curve_and_inverts_it():
    from runoff_abm.studies.priors import TransferResponse

    leans = np.repeat([0.02, 0.25, 0.5, 0.75, 0.98], 3)
    truth = 0.52 + 0.10 * (leans - 0.5) + 0.6 * (leans - 0.5) ** 3
    r = TransferResponse.fit(leans, truth + np.tile([0.001, -0.001, 0.0], 5), pool=0.3)
    np.testing.assert_allclose(r.coef, (0.52, 0.10, 0.6), atol=0.01)
    for swing in (-0.05, 0.0, 0.02, 0.05):
        assert r.share_at(r.lean_for(swing)) == pytest.approx(r.share_at(0.5) + swing, abs=1e-4)
    # beyond what the model can realise, the leaning stops at the end of the pilot range
    assert r.lean_for(0.5) == pytest.approx(0.98) and r.lean_for(-0.5) == pytest.approx(0.02)
    # seed noise that makes the raw points fall is not read as a falling curve
    noisy = TransferResponse.fit(leans, 0.5 - 0.01 * (leans - 0.5), pool=0.3)
    assert noisy.coef[1:] == (0.0, 0.0) and noisy.lean_for(0.01) == 0.5
    ident = TransferResponse.identity(0.4)
    assert ident.lean_for(0.04) == pytest.approx(0.6) and ident.gain == 1.0


def test_realised_share_follows_the_drawn_swing_where_the_model_can_realise_it():
    """Behaviour: over the structural draws, the leader's realised share rises with the swing the
    prior drew, about one for one within the range the pilot curve spans (a drawn swing the model
    cannot realise stops at the end of that range)."""
    from runoff_abm.studies.priors import evidence

    scn = load_scenario(str(CONTESTS_DIR / "fr-bap-2017.toml"))
    pred = predict(scn, replicates=40, members=1000, seed=11, executor="serial", progress=False)
    leader = evidence(scn).leader
    share = pred.runs["share_a"] if scn.finalists[0] == leader else pred.runs["share_b"]
    swing = pred.runs["prior.transfer_swing"].to_numpy()
    resp = pred.structural["transfer_response"]
    lo, hi = resp["leader_share_at"]["0.02"] - resp["leader_share_at"]["0.5"], \
        resp["leader_share_at"]["0.98"] - resp["leader_share_at"]["0.5"]
    inside = (swing > lo) & (swing < hi)
    assert inside.sum() >= 25
    slope = np.polyfit(swing[inside], share.to_numpy()[inside], 1)[0]
    assert 0.6 < slope < 1.4, slope


def test_trust_realises_the_priors_endorsement_effect_through_the_measured_shift():
    """Unit: the trust is the wanted shift ``b w(G) p d`` over the model's measured shift at trust
    1, clipped to [0, 1]; without a usable measurement it falls back to the damped leaning."""
    from runoff_abm.model.params import Params
    from runoff_abm.studies.priors import TransferResponse, endorsement_balance, evidence_pool

    scn = load_scenario(str(CONTESTS_DIR / "us-tx-2012.toml"))  # 63 days; the pool endorsed the leader
    prior = prior_for(scn)
    params = Params()
    pool, d = evidence_pool(scn), endorsement_balance(scn)
    want = 0.2 * (7 / 63) * pool * d
    base = TransferResponse(coef=(0.5, 0.1, 0.0), pool=pool, gain=0.2)
    assert prior.trust_for(0.2, scn, params, TransferResponse(**{**base.__dict__, "shift": 2 * want})) == \
        pytest.approx(0.5)
    assert prior.trust_for(0.2, scn, params, TransferResponse(**{**base.__dict__, "shift": want / 4})) == 1.0
    assert prior.trust_for(-0.2, scn, params, TransferResponse(**{**base.__dict__, "shift": 2 * want})) == 0.0
    # a shift against the endorsements, or none measured: the damped-leaning formula
    fallback = min(1.0, 0.2 * (7 / 63) / (0.5 * params.susceptibility_mean * 0.2))
    for shift in (-2 * want, None):
        assert prior.trust_for(0.2, scn, params, TransferResponse(**{**base.__dict__, "shift": shift})) == \
            pytest.approx(fallback)


def test_pilot_seeds_are_fixed_by_the_master_seed_and_differ_between_master_seeds():
    from runoff_abm.studies.priors import PILOT_RUNS, pilot_seeds

    assert pilot_seeds(0) == pilot_seeds(0) and len(set(pilot_seeds(0))) == PILOT_RUNS
    assert not set(pilot_seeds(0)) & set(pilot_seeds(1))
    assert all(0 <= s < 2**63 for s in pilot_seeds(2**63 - 1))
