"""Unit tier: each rule on a tiny hand-built graph, on both engines."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import rebuild, tiny_model, tiny_scenario

from runoff_abm.agents.candidate import ENDORSED, NEUTRAL
from runoff_abm.agents.contractor import ALIGNED, SITTING_OUT

# categories of the tiny scenario: 0 = A, 1 = B, 2 = C, 3 = blank, 4 = abstained
A, B, C, BLANK, ABST = range(5)


def test_canvass_raises_exactly_the_neighbours_turnout(star, engine):
    m = tiny_model(star, engine, canvass_rate=1.0, canvass_turnout=0.1, canvass_pull=0.0)
    camp = [A, -1, -1, -1, -1, -1, -1, -1]
    rebuild(m, camp=camp, r1=[A, B, B, C, ABST, ABST, A, B], propensity=[0.5] * 8)
    m.engine.canvass(np.zeros(m.engine.n_activist_ties))  # every draw below canvass_rate
    p = m.state.propensity
    # one contact shifts the log-odds by 0.1, to first order: p + 0.1 p (1 - p)
    assert p[1:4] == pytest.approx([0.5 + 0.1 * 0.25] * 3, abs=0)
    assert list(p[4:]) == [0.5] * 4            # not tied to the activist: untouched
    assert p[0] == 0.5                          # the activist does not canvass itself


def test_canvass_pulls_leaning_toward_the_camp_by_the_stated_amount(star, engine):
    m = tiny_model(star, engine, canvass_rate=1.0, canvass_turnout=0.0, canvass_pull=0.2)
    rebuild(m, camp=[B, -1, -1, -1, -1, -1, -1, -1], leaning=[0.0] + [0.8] * 7,
            susceptibility=[0.5] * 8)
    m.engine.canvass(np.zeros(m.engine.n_activist_ties))
    # x + min(1, pull * s * contacts) * (target - x), target 0 for camp B
    assert m.state.leaning[1:4] == pytest.approx([0.8 - 0.1 * 0.8] * 3)
    assert list(m.state.leaning[4:]) == [0.8] * 4


def test_canvass_respects_the_draws(star, engine):
    m = tiny_model(star, engine, canvass_rate=0.5, canvass_turnout=0.1)
    rebuild(m, camp=[A] + [-1] * 7, propensity=[0.5] * 8)
    m.engine.canvass(np.array([0.9, 0.1, 0.9]))  # only the tie to member 2 is contacted
    assert list(m.state.propensity[1:4]) == [0.5, 0.5 + 0.1 * 0.25, 0.5]


def test_canvassing_barely_moves_a_settled_habit(star, engine):
    """The turnout nudge is p(1 - p)-shaped: an habitual abstainer (p = 0.02) gains far less
    than a member near indifference (p = 0.5) from the same contacts (Arceneaux & Nickerson 2009)."""
    m = tiny_model(star, engine, canvass_rate=1.0, canvass_turnout=0.3)
    rebuild(m, camp=[A] + [-1] * 7, propensity=[0.5, 0.02, 0.5, 0.98, 0.5, 0.5, 0.5, 0.5])
    m.engine.canvass(np.zeros(m.engine.n_activist_ties))
    gain = m.state.propensity[1:4] - np.array([0.02, 0.5, 0.98])
    assert gain[0] == pytest.approx(0.3 * 0.02 * 0.98) and gain[2] == pytest.approx(0.3 * 0.98 * 0.02)
    assert gain[1] > 10 * gain[0]


def test_orphaned_activist_does_not_canvass(star, engine):
    m = tiny_model(star, engine, canvass_rate=1.0)
    rebuild(m, camp=[C] + [-1] * 7, propensity=[0.5] * 8)
    m.engine.canvass(np.zeros(m.engine.n_activist_ties))
    assert list(m.state.propensity) == [0.5] * 8


@pytest.mark.parametrize("compliance,expected", [(1.0, [0, 0]), (0.0, [1, 1])])
def test_bloc_follows_instruction_at_compliance_1_and_own_leaning_at_0(star, engine, compliance, expected):
    scn = tiny_scenario(contractors=[{"name": "broker", "patron": "C", "bloc": 2, "compliance": compliance,
                                      "capacity": 1.0}])
    m = tiny_model(star, engine, scenario=scn, monitoring=0.0)  # unwatched: compliance is the constant
    # members 4 and 5 are the bloc; both lean fully to B; the broker instructs for A
    rebuild(m, bloc=[-1, -1, -1, -1, 0, 0, -1, -1], leaning=[0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5],
            propensity=[0.0] * 8)
    m.contractors[0].align(0)
    votes = m.engine.election(np.full((3, 8), 0.5))
    # capacity 1 brings the bloc out although its own propensity is 0; the rest stay home
    assert list(votes[4:6]) == expected
    assert list(votes[[0, 1, 2, 3, 6, 7]]) == [-1] * 6


def test_turnout_probability_with_an_active_contractor(star, engine):
    scn = tiny_scenario(contractors=[{"name": "broker", "patron": "C", "bloc": 2, "capacity": 0.6}])
    m = tiny_model(star, engine, scenario=scn)
    rebuild(m, bloc=[-1, -1, -1, -1, 0, 0, -1, -1], propensity=[0.3] * 8)
    assert m.engine.turnout_probability()[4] == pytest.approx(0.3)      # undecided: own only
    m.contractors[0].align(1)
    assert m.engine.turnout_probability()[4] == pytest.approx(1 - 0.7 * 0.4)
    m.contractors[0].align(-1)
    assert m.engine.turnout_probability()[4] == pytest.approx(0.3)      # sitting out


def test_bounded_confidence_ignores_far_neighbours_and_averages_near_ones(engine):
    g = nx.path_graph(8)
    m = tiny_model(g, engine, confidence_bound=0.3, influence_rate=1.0)
    x = [0.1, 0.2, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5]
    rebuild(m, camp=[-1] * 8, leaning=x, susceptibility=[1.0] * 8)
    m.engine.influence()
    new = m.state.leaning
    assert new[0] == pytest.approx(0.2)          # its only neighbour is within 0.3
    assert new[1] == pytest.approx(0.1)          # 0.9 is too far; mean of {0.1}
    assert new[2] == pytest.approx(0.9)          # both neighbours too far: unchanged
    assert new[4] == pytest.approx(0.5)


def test_degroot_with_unit_confidence_reaches_consensus(engine):
    g = nx.cycle_graph(8)
    g.add_edge(0, 4)
    m = tiny_model(g, engine, confidence_bound=1.0, influence_rate=0.5)
    rebuild(m, camp=[-1] * 8, leaning=np.linspace(0, 1, 8), susceptibility=[1.0] * 8)
    for _ in range(300):
        m.engine.influence()
    assert np.ptp(m.state.leaning) < 1e-6


def test_pinned_activist_keeps_its_camp_leaning(star, engine):
    m = tiny_model(star, engine, confidence_bound=1.0, influence_rate=1.0)
    rebuild(m, camp=[A] + [-1] * 7, leaning=[1.0] + [0.0] * 7, susceptibility=[1.0] * 8)
    m.engine.influence()
    assert m.state.leaning[0] == 1.0
    assert m.state.leaning[1] == pytest.approx(1.0)   # pulled fully to its only neighbour


def test_turnout_drift_pulls_toward_neighbours_then_decays(engine):
    g = nx.path_graph(8)
    m = tiny_model(g, engine, social_turnout=0.5, daily_turnout_decay=0.1)
    rebuild(m, propensity=[0.9, 0.5, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0])
    m.engine.turnout_drift()
    # p + social * 4p(1 - p) * (neighbours' mean - p), then x (1 - decay)
    assert m.state.propensity[0] == pytest.approx(0.9 * (0.9 + 0.5 * 4 * 0.9 * 0.1 * (0.5 - 0.9)))
    assert m.state.propensity[1] == pytest.approx(0.9 * (0.5 + 0.5 * 1.0 * (0.55 - 0.5)))
    assert m.state.propensity[2] == pytest.approx(0.9 * (0.2 + 0.5 * 4 * 0.2 * 0.8 * (0.25 - 0.2)))
    assert m.state.propensity[5] == 0.0


def test_turnout_drift_keeps_settled_habits(engine):
    """A habitual abstainer among voters stays an abstainer: the pull is 4p(1 - p)-scaled, so
    p = 0.01 barely moves (social turnout does not average habits away)."""
    g = nx.star_graph(7)  # member 0 tied to 1..7
    m = tiny_model(g, engine, social_turnout=1.0, daily_turnout_decay=0.0)
    rebuild(m, propensity=[0.01] + [0.99] * 7)
    m.engine.turnout_drift()
    assert m.state.propensity[0] == pytest.approx(0.01 + 4 * 0.01 * 0.99 * 0.98)
    assert m.state.propensity[0] < 0.05


def test_candidate_endorsement_moves_only_its_voters_by_the_formula(star, engine):
    m = tiny_model(star, engine, endorsement_trust=0.5, endorsement_mobilisation=0.2, activist_follow=0.0)
    r1 = [A, B, C, C, ABST, ABST, A, B]
    rebuild(m, r1=r1, camp=[-1] * 8, leaning=[0.5] * 8, propensity=[0.5] * 8, susceptibility=[1.0] * 8)
    m.endorse("C", side=1, strength=0.8, rng=m.streams.get("event", 0))
    x, p = m.state.leaning, m.state.propensity
    assert x[2] == pytest.approx(0.5 + 0.8 * 0.5 * 1.0 * (0.0 - 0.5))
    assert p[2] == pytest.approx(0.5 + 0.8 * 0.2 * 0.25)
    others = [0, 1, 4, 5, 6, 7]
    assert list(x[others]) == [0.5] * 6 and list(p[others]) == [0.5] * 6
    cand = m.candidates[C]
    assert cand.status == ENDORSED and cand.endorsed == 1
    assert m.candidates[B].endorsements_received[0][1] == "C"


def test_endorsing_candidates_activists_follow_with_probability_strength(star, engine):
    m = tiny_model(star, engine, activist_follow=1.0)
    rebuild(m, r1=[C, C, C, A, B, B, A, ABST], camp=[C, C, C, -1, -1, -1, -1, -1])
    m.endorse("C", side=0, strength=1.0, rng=m.streams.get("event", 0))
    assert list(m.state.camp[:3]) == [A, A, A]
    assert list(m.state.leaning[:3]) == [1.0, 1.0, 1.0]   # now pinned to A


def test_neutrality_gives_no_cue_and_is_final(star, engine):
    """Neutrality is the absence of a cue: the loss of the candidate was counted once, at round 1
    (orphan_demobilisation); declaring it moves nobody's propensity or leaning."""
    m = tiny_model(star, engine)
    rebuild(m, r1=[C, C, A, A, B, B, ABST, ABST], propensity=[0.8] * 8)
    before = m.state.leaning.copy()
    m.declare_neutral("C")
    assert list(m.state.propensity) == [0.8] * 8 and np.array_equal(m.state.leaning, before)
    assert m.candidates[C].status == NEUTRAL
    assert m.decisions[-1]["choice"] == "neutral" and m.decisions[-1]["how"] == "model"
    m.endorse("C", side=0, strength=1.0, rng=m.streams.get("event", 0))  # already declared: no effect
    assert m.candidates[C].status == NEUTRAL


def test_complex_contagion_needs_the_threshold(engine):
    # orphan activist 0 tied to activists 1, 2 (camp A) and 3 (camp B)
    g = nx.Graph()
    g.add_nodes_from(range(8))
    g.add_edges_from([(0, 1), (0, 2), (0, 3), (4, 5)])
    for threshold, expected in [(2, [(0, A)]), (3, [])]:
        m = tiny_model(g, engine, contagion_threshold=threshold, contagion_prob=1.0)
        rebuild(m, camp=[C, A, A, B, -1, -1, -1, -1], r1=[C, A, A, B, ABST, ABST, ABST, ABST])
        n_act = len(m.engine.act_ids)
        assert m.engine.contagion(np.zeros((2, n_act))) == expected


def test_contagion_prefers_the_camp_with_more_contacts_and_breaks_ties_by_draw(engine):
    g = nx.Graph()
    g.add_nodes_from(range(8))
    g.add_edges_from([(0, 1), (0, 2), (0, 3), (0, 4)])
    m = tiny_model(g, engine, contagion_threshold=1, contagion_prob=1.0)
    rebuild(m, camp=[C, A, A, B, B, -1, -1, -1], r1=[C, A, A, B, B, ABST, ABST, ABST])
    n = len(m.engine.act_ids)
    u = np.zeros((2, n))
    assert m.engine.contagion(u) == [(0, A)]
    u[1, 0] = 0.9
    assert m.engine.contagion(u) == [(0, B)]


def test_scheduled_defection_moves_the_share_over_the_day_range():
    acts = [{"name": "A", "votes": 40}, {"name": "B", "votes": 30}, {"name": "C", "votes": 20, "activists": 10}]
    scn = tiny_scenario(roll=100, candidates=acts, contractors=[], events=[
        {"kind": "activists_defect", "day": 1, "until": 2, "from": "C", "to": "A", "share": 0.5}])
    m = RunoffModelFactory(scn, contagion_prob=0.0, activist_follow=0.0)  # C decides on day 3: nobody follows
    m.step()
    assert int(np.sum(m.state.camp == A)) == 3   # 5 over two days: largest remainder gives 3, 2
    m.step()
    assert int(np.sum(m.state.camp == A)) == 5
    m.step()
    assert int(np.sum(m.state.camp == A)) == 5
    assert int(np.sum(m.state.camp == C)) == 5


def RunoffModelFactory(scn, **params):
    from runoff_abm.model.runoff import RunoffModel

    return RunoffModel(scenario=scn, seed=3, activist_ties=0, activist_camp_ties=0, **params)


def test_contractor_realign_event_forces_the_choice():
    scn = tiny_scenario(roll=100, candidates=[{"name": "A", "votes": 40}, {"name": "B", "votes": 30},
                                              {"name": "C", "votes": 20}],
                        contractors=[{"name": "k1", "patron": "C", "bloc": 5}, {"name": "k2", "patron": "C", "bloc": 5}],
                        events=[{"kind": "contractor_realign", "day": 1, "contractor": "k1", "to": "B"},
                                {"kind": "contractor_realign", "day": 2, "patron": "C", "to": "none"}])
    m = RunoffModelFactory(scn, broker_autonomy=0.0, consult_days=3)
    m.step()
    assert (m.contractors[0].status, m.contractors[0].instruction) == (ALIGNED, 1)
    assert m.contractors[1].status == "undecided"   # waits for its patron (autonomy 0)
    m.step()
    assert [c.status for c in m.contractors] == [SITTING_OUT, SITTING_OUT]


def test_contractor_logit_follows_the_utilities():
    scn = tiny_scenario(roll=100, candidates=[{"name": "A", "votes": 40}, {"name": "B", "votes": 30},
                                              {"name": "C", "votes": 20}],
                        contractors=[{"name": "k", "patron": "C", "bloc": 10}])
    m = RunoffModelFactory(scn, contractor_lean_weight=5.0, contractor_endorse_weight=0.0, choice_noise=0.5)
    k = m.contractors[0]
    m.state.leaning[k.members] = 1.0
    probs = k.choice_probabilities()
    assert sum(probs) == pytest.approx(1.0)
    u = [5.0, -5.0, 0.0]
    ez = np.exp(np.array(u) / 0.5)
    assert probs == pytest.approx(list(ez / ez.sum()))
    # an offer from B (value 1, B delivers it surely) is worth 1 utility unit
    m2 = RunoffModelFactory(scn, contractor_lean_weight=0.0, choice_noise=0.1)
    m2.contractors[0].receive_offer(1, 1.0, day=1)
    probs2 = m2.contractors[0].choice_probabilities()
    ez = np.exp(np.array([0.0, 1.0, 0.0]) / 0.1)
    assert probs2 == pytest.approx(list(ez / ez.sum()))
