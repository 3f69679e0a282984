"""Unit tier: the bargaining between the rounds on hand-built cases (both engines where members act).

Eliminated candidates decide by a logit rule over offers (value x the offerer's capacity to
deliver), affinity and their base's objection; contractors wait for their patron, comply more
where their bloc is visible in its polling station and bring their bloc out above unorganised
members; finalists make offers (with a backlash), appeals, insults and praise. Every decision is
recorded with its terms.
"""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from conftest import rebuild

from runoff_abm.agents.candidate import ENDORSED, NEUTRAL, UNDECLARED
from runoff_abm.agents.contractor import ALIGNED, UNDECIDED
from runoff_abm.model.events import EVENT_KINDS, blank_event, markdown_reference, parse_event
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import load_scenario, parse_scenario

A, B, C = 0, 1, 2


def scenario(**changes):
    """Two finalists A, B and an eliminated C whose voters sit in two equal sectors."""
    data = {
        "name": "bargain", "roll": 400, "election_day": 6, "finalists": ["A", "B"],
        "candidates": [{"name": "A", "votes": 100, "activists": 10}, {"name": "B", "votes": 100, "activists": 10},
                       {"name": "C", "votes": 100, "activists": 10}],
        "sectors": [{"name": "north", "share": 0.5, "votes": {"A": 1, "B": 1, "C": 1}, "turnout": 0.75},
                    {"name": "south", "share": 0.5, "votes": {"A": 1, "B": 1, "C": 1}, "turnout": 0.75}],
    }
    data.update(changes)
    return parse_scenario(data, source="<bargain>")


def model(scn=None, engine="array", seed=1, **params):
    return RunoffModel(scenario=scn or scenario(), seed=seed, engine=engine, **params)


def set_c_leanings(m, north: float, south: float) -> None:
    """C's round-1 voters lean ``north`` in the north sector and ``south`` in the south."""
    st = m.state
    mine = st.r1 == C
    st.leaning[mine & (st.sector == 0)] = north
    st.leaning[mine & (st.sector == 1)] = south


def neutral_share(m, cand) -> tuple[float, float]:
    """P(neutral) from the rule, and the share of 4,000 Gumbel-max draws that give neutral."""
    p = cand.options()[2]["probability"]
    u = np.random.default_rng(0).random((4000, 3))
    draws = [cand.decide(list(row))[0] for row in u]
    return p, draws.count(-1) / 4000


# --------------------------------------------------------------------------- candidates
def test_a_split_base_keeps_its_candidate_neutral_more_often_than_a_base_leaning_one_way():
    split, one_way = model(), model()
    set_c_leanings(split, 0.9, 0.1)    # north prefers A, south prefers B: any endorsement splits it
    set_c_leanings(one_way, 0.9, 0.9)  # the whole base prefers A
    ps, fs = neutral_share(split, split.candidates[C])
    po, fo = neutral_share(one_way, one_way.candidates[C])
    assert ps > 0.5 > po and fs > fo + 0.3
    assert fs == pytest.approx(ps, abs=0.03) and fo == pytest.approx(po, abs=0.03)   # 4 sd of 4,000 draws
    obj = split.candidates[C].objection(split.candidates[C].base_groups())
    assert obj[0] == pytest.approx(obj[1]) and obj[0] > 0.4          # half the base objects either way
    obj1 = one_way.candidates[C].objection(one_way.candidates[C].base_groups())
    assert obj1[0] == 0.0 and obj1[1] > 0.9
    opts = one_way.candidates[C].options()
    assert opts[0]["probability"] > opts[1]["probability"] and opts[0]["terms"]["base"] == 0.0


def test_a_group_objects_by_its_majority_not_its_mean():
    """Objection is collective: a group split 50:50 objects to nothing; one 80% for B objects
    to endorsing A by 2 x 0.8 - 1 = 0.6 of its weight."""
    groups = [{"group": "a", "members": 30, "prefer": [0.5, 0.5]}, {"group": "b", "members": 10, "prefer": [0.2, 0.8]}]
    from runoff_abm.agents.candidate import Candidate

    assert Candidate.objection(groups) == pytest.approx([10 * 0.6 / 40, 0.0])


def test_an_offer_the_offerer_cannot_deliver_is_worth_less():
    cands = [{"name": "A", "votes": 100, "activists": 10, "deliver": 0.2},
             {"name": "B", "votes": 100, "activists": 10, "deliver": 1.0},
             {"name": "C", "votes": 100, "activists": 10}]
    m = model(scenario(candidates=cands))
    set_c_leanings(m, 0.5, 0.5)
    c = m.candidates[C]
    for side in (A, B):
        c.receive_offer(side, 1.0, 0.0, day=1)
    opts = c.options()
    assert opts[0]["terms"]["offer"] == pytest.approx(0.2) and opts[1]["terms"]["offer"] == pytest.approx(1.0)
    assert opts[1]["probability"] > opts[0]["probability"]


def test_equal_offers_leave_the_finalists_equal_no_tie_goes_to_a():
    m = model()
    set_c_leanings(m, 0.5, 0.5)
    c = m.candidates[C]
    for side in (A, B):
        c.receive_offer(side, 0.7, 0.0, day=1)
    opts = c.options()
    assert opts[0]["utility"] == opts[1]["utility"] and opts[0]["probability"] == opts[1]["probability"]


def test_affinity_insult_and_praise_move_the_choice():
    cands = [{"name": "A", "votes": 100}, {"name": "B", "votes": 100},
             {"name": "C", "votes": 100, "affinity": {"A": 0.9}}]
    events = [{"kind": "insult", "day": 1, "by": "A", "to": "C", "amount": 0.5},
              {"kind": "praise", "day": 1, "by": "B", "to": "C", "amount": 1.5}]
    m = model(scenario(candidates=cands, events=events), consult_days=2)
    c = m.candidates[C]
    assert c.affinity == [0.9, 0.0]
    m.step()
    assert c.affinity == pytest.approx([0.4, 1.0])   # praise clipped at 1
    opts = c.options()
    assert opts[0]["terms"]["affinity"] == pytest.approx(0.4 * m.params.affinity_weight)
    assert opts[1]["terms"]["affinity"] == pytest.approx(1.0 * m.params.affinity_weight)


def test_candidate_decides_on_its_decision_day_and_records_its_terms():
    cands = [{"name": "A", "votes": 100}, {"name": "B", "votes": 100}, {"name": "C", "votes": 100, "consult_days": 3}]
    m = model(scenario(candidates=cands), consult_days=1)
    m.step()
    m.step()
    assert m.candidates[C].status == UNDECLARED                       # its own consult_days (3) wins
    m.step()
    c = m.candidates[C]
    assert c.status in (ENDORSED, NEUTRAL) and c.decided_day == 3
    d = next(x for x in m.decisions if x["who"] == "C")
    assert d["how"] == "model" and d["day"] == 3
    assert [o["option"] for o in d["options"]] == ["endorse A", "endorse B", "neutral"]
    assert sum(o["probability"] for o in d["options"]) == pytest.approx(1.0)
    for o in d["options"][:2]:
        assert set(o["terms"]) == {"offer", "affinity", "kingmaker", "base"}
        assert o["utility"] == pytest.approx(sum(o["terms"].values()))
    assert {g["group"].split(",")[0] for g in d["base"]["groups"]} <= {"voters", "activists"}


def test_a_scripted_declaration_overrides_the_rule_and_is_recorded_as_history():
    events = [{"kind": "neutral", "day": 3, "by": "C"}]
    m = model(scenario(events=events), consult_days=1)
    m.step()
    assert m.candidates[C].status == UNDECLARED      # scripted: it does not decide on day 1
    m.step()
    m.step()
    assert m.candidates[C].status == NEUTRAL
    d = next(x for x in m.decisions if x["who"] == "C")
    assert d["how"] == "scripted" and d["day"] == 3 and len(d["options"]) == 3   # the model's odds, for the record


# --------------------------------------------------------------------------- offers and deals
def deal_scenario(backlash: float, decision: str):
    events = [{"kind": "offer", "day": 1, "by": "A", "to": "C", "value": 1.0, "backlash": backlash},
              {"kind": decision, "day": 2, "by": "C"} if decision == "neutral" else
              {"kind": "endorse", "day": 2, "by": "C", "for": "A"}]
    return scenario(contractors=[{"name": "k", "patron": "C", "bloc": 20}], events=events)


def test_a_refused_offer_gives_the_contractors_nothing_a_taken_deal_binds_them():
    refused = model(deal_scenario(0.0, "neutral"), broker_autonomy=0.0)
    taken = model(deal_scenario(0.0, "endorse"), broker_autonomy=0.0)
    for m in (refused, taken):
        m.step()
        assert m.contractors[0].status == UNDECIDED      # waits for its patron
        assert m.contractors[0].offer_term(A) == 0.0     # the offer was made to the patron
        m.step()
    assert refused.contractors[0].decided_day == 2 and taken.contractors[0].decided_day == 2
    assert refused.candidates[C].deal == -1 and taken.candidates[C].deal == A
    dr = next(d for d in refused.decisions if d["who"] == "k")
    dt = next(d for d in taken.decisions if d["who"] == "k")
    assert dr["options"][0]["terms"]["offer"] == 0.0
    assert dt["options"][0]["terms"]["offer"] == pytest.approx(1.0)   # value 1 x A's deliver 1
    assert dt["options"][0]["terms"]["patron"] == pytest.approx(taken.params.contractor_endorse_weight)
    assert dt["waited_for_patron"] is True


def test_an_offer_after_the_decision_comes_too_late():
    events = [{"kind": "neutral", "day": 1, "by": "C"}, {"kind": "offer", "day": 2, "by": "B", "to": "C"}]
    m = model(scenario(events=events))
    m.step()
    m.step()
    assert m.candidates[C].offers == [None, None]
    assert any("too late" in t for _, t in m.event_log)


@pytest.mark.parametrize("engine", ["array", "agents"])
def test_deal_backlash_moves_the_stated_share_of_the_offerers_activists_and_cools_its_voters(engine):
    m = model(deal_scenario(0.5, "endorse"), engine=engine, broker_autonomy=0.0, contagion_prob=0.0,
              activist_follow=0.0)
    m.step()
    p_before = m.state.propensity.copy()
    acts_a = int(np.sum(m.state.camp == A))
    m.day = 2                                            # C takes the deal (day 2's event), nothing else
    m.apply_event(1, m.scenario.events[1])
    assert acts_a == 10 and int(np.sum(m.state.camp == A)) == 5        # half of A's activists defect ...
    assert int(np.sum(m.state.camp == B)) == 15                          # ... to the rival's camp
    voters = np.flatnonzero((m.state.r1 == A) & (m.state.camp < 0))
    ratio = m.state.propensity[voters] / p_before[voters]
    cooled = np.isclose(ratio, 1 - m.params.orphan_demobilisation)
    # the objectors lost exactly orphan_demobilisation; the others nothing
    assert np.all(cooled | (ratio == 1.0)) and 0.3 < cooled.mean() < 0.7
    assert any("backlash" in t for _, t in m.event_log)


def test_no_backlash_without_a_deal():
    m = model(deal_scenario(0.5, "neutral"), broker_autonomy=0.0, contagion_prob=0.0)
    m.step()
    m.step()
    assert int(np.sum(m.state.camp == A)) == 10 and not any("backlash" in t for _, t in m.event_log)


@pytest.mark.parametrize("engine", ["array", "agents"])
def test_appeal_moves_the_reached_voters_like_an_endorsement_of_its_strength(engine):
    events = [{"kind": "appeal", "day": 1, "by": "B", "to": "C", "strength": 0.5, "reach": 1.0}]
    m = model(scenario(events=events), engine=engine, endorsement_trust=0.4, endorsement_mobilisation=0.2,
              consult_days=5)
    st = m.state
    x0, p0 = st.leaning.copy(), st.propensity.copy()
    mine = np.flatnonzero((st.r1 == C) & (st.camp < 0))
    m.apply_event(0, m.scenario.events[0])
    assert st.leaning[mine] == pytest.approx(x0[mine] + 0.5 * 0.4 * st.susceptibility[mine] * (0.0 - x0[mine]))
    assert st.propensity[mine] == pytest.approx(p0[mine] + 0.5 * 0.2 * p0[mine] * (1 - p0[mine]))
    others = st.r1 != C
    assert np.array_equal(st.leaning[others], x0[others]) and np.array_equal(st.propensity[others], p0[others])


# --------------------------------------------------------------------------- contractors
def test_contractors_wait_for_their_patron_unless_autonomous():
    cands = [{"name": "A", "votes": 100}, {"name": "B", "votes": 100}, {"name": "C", "votes": 100, "consult_days": 4}]
    contractors = [{"name": "patient", "patron": "C", "bloc": 10, "autonomy": 0.0},
                   {"name": "free", "patron": "C", "bloc": 10, "autonomy": 1.0}]
    m = model(scenario(candidates=cands, contractors=contractors))
    m.step()
    assert m.contractors[1].status != UNDECIDED and m.contractors[1].decided_day == 1
    assert m.contractors[0].status == UNDECIDED
    for _ in range(3):
        m.step()
    assert m.candidates[C].decided_day == 4 and m.contractors[0].decided_day == 4
    free = next(d for d in m.decisions if d["who"] == "free")
    assert free["waited_for_patron"] is False and free["options"][0]["terms"]["patron"] == 0.0


def visible_vs_hidden(stations_of_bloc: int, engine: str = "array"):
    scn = scenario(roll=1000, stations=20,
                   contractors=[{"name": "k", "patron": "C", "bloc": 50, "sector": "north",
                                 "stations": stations_of_bloc, "compliance": 0.5}])
    return model(scn, engine=engine)


@pytest.mark.parametrize("engine", ["array", "agents"])
def test_a_visible_bloc_complies_more_than_a_hidden_one(engine):
    visible, hidden = visible_vs_hidden(1, engine), visible_vs_hidden(10, engine)
    bv, bh = visible.contractors[0].members, hidden.contractors[0].members
    assert len(bv) == len(bh) == 50
    # 10 stations of 50 members in the north: all 50 in one station, or 5 in each of ten
    assert visible.state.visibility[bv] == pytest.approx(np.ones(50))
    assert hidden.state.visibility[bh] == pytest.approx(np.full(50, 0.1))
    mu = visible.params.monitoring
    assert visible.state.compliance[bv] == pytest.approx(0.5 + 0.5 * mu * 1.0)
    assert hidden.state.compliance[bh] == pytest.approx(0.5 + 0.5 * mu * 0.1)
    # on election day, with the same draws, the visible bloc delivers more instructed votes
    delivered = []
    for m in (visible, hidden):
        m.contractors[0].align(B)
        m.state.leaning[:] = 1.0          # everyone would rather vote A
        m.state.propensity[:] = 1.0
        u = np.random.default_rng(5).random((3, m.n))
        votes = m.engine.election(u)
        delivered.append(int(np.sum(votes[m.contractors[0].members] == B)))
    assert delivered[0] > delivered[1] + 10


def test_stations_are_assigned_within_sectors_and_every_member_has_one():
    m = load_model_labor()
    st = m.state
    pop = m.population
    assert len(pop.station_sizes) == 171 and pop.station_sizes.sum() == m.n
    assert np.array_equal(np.bincount(st.station, minlength=171), pop.station_sizes)
    assert np.array_equal(pop.station_sector[st.station], st.sector)
    for c in m.contractors:   # a bloc is concentrated: its members share few stations
        assert len(np.unique(st.station[c.members])) <= 4
        assert st.visibility[c.members].mean() > 0.4


def load_model_labor(members: int = 20000):
    return RunoffModel(scenario="labor-2011", seed=3, members=members)


def test_active_bloc_turns_out_above_unorganised_members_on_election_day():
    """The broker's mobilisation is applied on election day; unorganised members' interest
    decays: a loyal bloc's turnout probability ends above that of its patron's other voters."""
    m = load_model_labor()
    while m.day < m.election_day - 1:
        m.step()
    prob = m.engine.turnout_probability()
    st = m.state
    peretz = m.finalist_index[1]
    bloc = (st.r1 == peretz) & (st.bloc >= 0)
    free = (st.r1 == peretz) & (st.bloc < 0) & (st.camp < 0)
    assert prob[bloc].mean() > prob[free].mean() + 0.02


def test_abstainer_reentry_equals_its_parameter_in_a_tiny_case():
    """No campaign contact, no social pull, no decay: the share of round-1 abstainers who vote
    is abstainer_reentry, within sampling error (mean of Beta draws, then Bernoulli votes)."""
    scn = parse_scenario({"name": "quiet", "roll": 4000, "election_day": 3, "finalists": ["A", "B"],
                          "candidates": [{"name": "A", "votes": 1000}, {"name": "B", "votes": 800},
                                         {"name": "C", "votes": 200}]}, source="<quiet>")
    for reentry in (0.03, 0.2):
        shares, means = [], []
        for seed in range(10):
            m = RunoffModel(scenario=scn, seed=seed, social_turnout=0.0, daily_turnout_decay=0.0,
                            abstainer_reentry=reentry)
            abst = m.state.r1 == len(m.categories) - 1
            r = m.run()
            means.append(m.state.propensity[abst].mean())
            f = r.flows.loc["abstained"]
            shares.append(1 - f["abstained"] / f.sum())
        n = 2000 * 10
        sd_mean = np.sqrt(reentry * (1 - reentry) / (m.params.propensity_concentration + 1) / n)
        assert np.mean(means) == pytest.approx(reentry, abs=4 * sd_mean)
        assert np.mean(shares) == pytest.approx(reentry, abs=4 * np.sqrt(reentry * (1 - reentry) / n) + 4 * sd_mean)


# --------------------------------------------------------------------------- explanations and declarations
def test_decisions_are_in_the_json_and_the_text_in_words():
    r = RunoffModel(scenario="labor-2011", seed=2, members=3000).run()
    d = r.to_dict()
    json.dumps(d)   # JSON-ready
    herzog = next(x for x in d["decisions"] if x["who"] == "Herzog")
    assert herzog["choice"] == "neutral" and herzog["how"] == "scripted" and herzog["day"] == 5
    assert herzog["offers"]["Yachimovich"]["value"] == 1.0 and herzog["offers"]["Yachimovich"]["deliver"] == 0.3
    assert set(herzog["base"]["objection"]) == {"Yachimovich", "Peretz"}
    assert {d["who"] for d in d["decisions"] if d["role"] == "contractor"} == {
        c for c in r.by_bloc["contractor"] if c.startswith("herzog")}
    text = r.format_text()
    assert "Decisions" in text and "Herzog stays neutral" in text and "offers standing: Yachimovich" in text
    assert any("Herzog stays neutral (scripted" in t for _, t in r.events)


@pytest.mark.parametrize("kind", ["appeal", "insult", "praise"])
def test_new_event_kinds_are_declared_once_and_derive_everywhere(kind):
    scn = load_scenario("labor-2011")
    assert kind in EVENT_KINDS
    ev = blank_event(kind, scn)
    again = parse_event(ev.to_table(), scn)
    assert again == ev and f"### `{kind}`" in markdown_reference()
    assert ev.describe() and ev.short()


def test_insult_after_the_decision_has_no_effect_and_says_so():
    events = [{"kind": "neutral", "day": 1, "by": "C"}, {"kind": "insult", "day": 2, "by": "A", "to": "C"}]
    m = model(scenario(events=events))
    m.step()
    m.step()
    assert any("no effect" in t for _, t in m.event_log)


def test_graph_supplied_by_hand_still_gets_stations():
    g = nx.path_graph(400)
    m = RunoffModel(scenario=scenario(), seed=1, graph=g)
    assert m.state.station.min() >= 0 and len(m.population.station_sizes) == 2   # one per sector


def test_rebuild_recomputes_visibility_from_blocs_and_stations():
    m = model(scenario(contractors=[{"name": "k", "patron": "C", "bloc": 4}]))
    n = m.n
    station = np.zeros(n, dtype=np.int32)
    station[n // 2:] = 1
    bloc = np.full(n, -1)
    bloc[:4] = 0
    rebuild(m, bloc=bloc, station=station)
    assert m.state.visibility[:4] == pytest.approx(np.full(4, 4 / (n // 2)))
    assert m.contractors[0].status == UNDECIDED and list(m.contractors[0].members) == [0, 1, 2, 3]
    m.contractors[0].align(A)
    assert m.contractors[0].status == ALIGNED


def test_a_better_offer_never_switches_a_draw_to_the_other_finalist():
    """Gumbel-max draws under common random numbers: raising A's offer moves some draws to
    'endorse A' and none from A to B or from neutral to B."""
    m = model()
    set_c_leanings(m, 0.9, 0.1)
    c = m.candidates[C]
    u = np.random.default_rng(1).random((2000, 3))
    before = [c.decide(list(row))[0] for row in u]
    c.receive_offer(A, 1.0, 0.0, day=1)
    after = [c.decide(list(row))[0] for row in u]
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert changed and all(a == A for _, a in changed)


def test_odd_parameter_table_is_the_generated_one():
    """docs/ODD.md's parameter table is `runoff params --markdown`, verbatim; every parameter has a
    unit, a label, a level and a source (or says 'assumption')."""
    from pathlib import Path

    from runoff_abm.model.params import PARAM_SPECS, markdown_table

    odd = (Path(__file__).resolve().parent.parent / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert markdown_table() in odd
    for s in PARAM_SPECS:
        assert s.unit and s.label and s.level in ("basic", "advanced") and s.source, s.name
